package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/sfcas/sfcas/catalog"
)

// createUpload is POST /upload, optionally {"size": n} to reserve n bytes
// against the free-space floor.
func (s *Server) createUpload(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	var body struct {
		Size flexInt `json:"size"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	u, err := s.db.CreateUpload(r.Context(), c, catalog.UploadSpec{Declared: body.Size.v})
	if err != nil {
		return err
	}
	writeJSON(w, s.uploadView(&u))
	return nil
}

func (s *Server) getUpload(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	id, err := pathUUID(r, "uuid")
	if err != nil {
		return err
	}
	u, err := s.db.GetUpload(r.Context(), c, id)
	if err != nil {
		return err
	}
	writeJSON(w, s.uploadView(&u))
	return nil
}

// sendUpload is POST /upload/{uuid}: the raw body is appended and the new
// total size is the answer (a bare JSON integer). A chunk is all or nothing.
func (s *Server) sendUpload(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	id, err := pathUUID(r, "uuid")
	if err != nil {
		return err
	}
	body := http.MaxBytesReader(w, r.Body, s.maxChunk)
	u, err := s.db.AppendUpload(r.Context(), c, id, body, catalog.AppendOptions{At: -1})
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errorf(http.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("an upload chunk may be at most %d bytes", s.maxChunk))
	}
	if err != nil {
		return err
	}
	writeJSON(w, u.Size)
	return nil
}

func (s *Server) truncateUpload(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	id, err := pathUUID(r, "uuid")
	if err != nil {
		return err
	}
	off, err := strconv.ParseInt(r.PathValue("offset"), 10, 64)
	if err != nil {
		return badRequest("offset must be an integer")
	}
	if off < 0 {
		return badRequest("offset cannot be negative")
	}
	if _, err := s.db.TruncateUpload(r.Context(), c, id, off); err != nil {
		return err
	}
	writeJSON(w, nil)
	return nil
}

func (s *Server) deleteUpload(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	id, err := pathUUID(r, "uuid")
	if err != nil {
		return err
	}
	if err := s.db.DeleteUpload(r.Context(), c, id); err != nil {
		return err
	}
	writeJSON(w, nil)
	return nil
}
