package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
)

// serveBlob streams b's bytes [offset, offset+limit) (limit 0: to the end),
// honouring Range within that window, If-None-Match against the digest ETag,
// and HEAD. A blob that is quarantined, missing or of the wrong size is
// ErrDegraded: its bytes are never served.
func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request, b *catalog.Blob, offset, limit int64) error {
	if b.State != catalog.BlobCreated {
		return fmt.Errorf("blob %s is %s (%s): %w", b.Digest, b.State, b.Problem, catalog.ErrDegraded)
	}
	if offset > b.Size {
		return badRequest(fmt.Sprintf("offset %d is beyond the end of the blob (%d bytes)", offset, b.Size))
	}
	f, err := s.db.Blobs().Open(b.Digest)
	if errors.Is(err, cas.ErrNotFound) {
		return fmt.Errorf("blob %s file is missing: %w", b.Digest, catalog.ErrDegraded)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() != b.Size {
		return fmt.Errorf("blob %s file has the wrong size: %w", b.Digest, catalog.ErrDegraded)
	}
	n := b.Size - offset
	if limit > 0 {
		n = min(n, limit)
	}
	h := w.Header()
	etag := `"` + b.Digest.Hex() + `"`
	h.Set("ETag", etag)
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	if inm := r.Header.Get("If-None-Match"); inm != "" && (inm == etag || inm == "*") {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	status := http.StatusOK
	rs, rn, ranged, err := parseRange(r.Header.Get("Range"), n)
	if err != nil {
		h.Set("Content-Range", "bytes */"+strconv.FormatInt(n, 10))
		return errorf(http.StatusRequestedRangeNotSatisfiable, codeRangeNotValid, "range not satisfiable")
	}
	if ranged {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rs, rs+rn-1, n))
		offset, n, status = offset+rs, rn, http.StatusPartialContent
	}
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(status)
	if r.Method == http.MethodHead || n == 0 {
		return nil
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		panic(http.ErrAbortHandler)
	}
	if _, err := io.CopyN(w, f, n); err != nil {
		// Headers are sent; abort the connection so the client sees a short
		// transfer rather than a silently truncated one.
		panic(http.ErrAbortHandler)
	}
	return nil
}
