package httpapi

import (
	"fmt"
	"net/http"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
)

// labelV1 loads the label of a /v1/labels/{ns}/{name} path.
func (s *Server) labelV1(r *http.Request, c catalog.Caller) (catalog.Artifact, error) {
	ns, name := r.PathValue("ns"), r.PathValue("name")
	if err := catalog.ValidateIdent("namespace", ns); err != nil {
		return catalog.Artifact{}, err
	}
	if err := catalog.ValidateName(name); err != nil {
		return catalog.Artifact{}, err
	}
	a, err := s.db.ArtifactByName(r.Context(), c, ns, name)
	if err == nil && a.Type != catalog.TypeLabel {
		err = fmt.Errorf("%s is a %s, not a label: %w", a.Ref(), a.Type, catalog.ErrNotFound)
	}
	return a, err
}

func (s *Server) writeArtifactV1(w http.ResponseWriter, r *http.Request, a *catalog.Artifact) error {
	v, err := s.artifactV1(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, v)
	return nil
}

func (s *Server) getLabelV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	a, err := s.labelV1(r, c)
	if err != nil {
		return err
	}
	return s.writeArtifactV1(w, r, &a)
}

// labelHistoryV1 is GET /v1/labels/{ns}/{name}/history: every move (when,
// who, from which digest to which), newest first.
func (s *Server) labelHistoryV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	a, err := s.labelV1(r, c)
	if err != nil {
		return err
	}
	return s.writeHistory(w, r, c, &a)
}

// writeHistory writes a's events (?limit=, at most 1000), newest first.
func (s *Server) writeHistory(w http.ResponseWriter, r *http.Request, c catalog.Caller, a *catalog.Artifact) error {
	for k := range r.URL.Query() {
		if k != "limit" {
			return badRequest(fmt.Sprintf("unknown query parameter %q (this route takes limit)", clip(k)))
		}
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	evs, err := s.db.ArtifactEvents(r.Context(), c, a.UUID, catalog.EventFilter{Limit: int(min(limit, 1000))})
	if err != nil {
		return err
	}
	out := []api.HistoryEntry{}
	for _, e := range evs {
		out = append(out, api.HistoryEntry{Time: e.Time, Who: e.Who, Type: e.Type, Message: e.Message,
			Index: e.Extra["index"], From: e.Extra["from"], To: e.Extra["to"], Extra: e.Extra})
	}
	writeJSON(w, out)
	return nil
}

// resolveV1 is GET /v1/resolve?ref=: what a reference means for the caller.
func (s *Server) resolveV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	ref := r.URL.Query().Get("ref")
	res, err := s.db.Resolve(r.Context(), c, ref)
	if err != nil {
		return err
	}
	out := api.Resolved{Ref: res.Ref}
	switch {
	case res.Artifact != nil:
		out.Kind = "artifact"
		a, err := s.artifactFor(r.Context(), c, res.Artifact)
		if err != nil {
			return err
		}
		out.Artifact = &a
		if res.Version != nil {
			for i := range a.Versions {
				if a.Versions[i].Index == res.Version.Index {
					out.Version = &a.Versions[i]
				}
			}
		}
	case res.Upload != nil:
		out.Kind = "upload"
		u := s.uploadV1(res.Upload)
		out.Upload = &u
	}
	if res.Blob != nil {
		if out.Kind == "" {
			out.Kind = "blob"
		}
		b := blobV1Of(res.Blob)
		out.Blob = &b
	}
	writeJSON(w, out)
	return nil
}

func (s *Server) uploadFromPath(r *http.Request, c catalog.Caller) (catalog.Upload, error) {
	id, err := pathUUID(r, "id")
	if err != nil {
		return catalog.Upload{}, err
	}
	return s.db.GetUpload(r.Context(), c, id)
}

// getUploadV1 is GET or HEAD /v1/uploads/{id}; the Upload-Offset header
// says where to resume.
func (s *Server) getUploadV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	u, err := s.uploadFromPath(r, c)
	if err != nil {
		return err
	}
	w.Header().Set(headerUploadOffset, fmt.Sprint(u.Size))
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	writeJSON(w, s.uploadV1(&u))
	return nil
}

func (s *Server) deleteUploadV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	u, err := s.uploadFromPath(r, c)
	if err != nil {
		return err
	}
	if err := s.db.DeleteUpload(r.Context(), c, u.UUID); err != nil {
		return err
	}
	writeJSON(w, nil)
	return nil
}

// blobByDigestV1 loads the blob of a {digest} path parameter: a blake3:,
// sha256: or sha512: digest (the caller must be able to read it).
func (s *Server) blobByDigestV1(r *http.Request, c catalog.Caller) (catalog.Blob, error) {
	ref, err := catalog.ParseRef(r.PathValue("digest"))
	if err != nil {
		return catalog.Blob{}, err
	}
	if ref.Kind != catalog.RefDigest {
		return catalog.Blob{}, badRequest("expected a digest such as blake3:<hex>")
	}
	res, err := s.db.ResolveRef(r.Context(), c, ref)
	if err != nil {
		return catalog.Blob{}, err
	}
	return *res.Blob, nil
}

func (s *Server) getBlobV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	b, err := s.blobByDigestV1(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, blobV1Of(&b))
	return nil
}

func (s *Server) getBlobDataV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	b, err := s.blobByDigestV1(r, c)
	if err != nil {
		return err
	}
	return s.serveBlob(w, r, &b, 0, 0)
}
