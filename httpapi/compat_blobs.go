package httpapi

import (
	"errors"
	"net/http"

	"github.com/sfcas/sfcas/catalog"
)

// blobFromPath loads the blob named by the {uuid} path parameter.
func (s *Server) blobFromPath(r *http.Request, c catalog.Caller) (catalog.Blob, error) {
	u, err := pathUUID(r, "uuid")
	if err != nil {
		return catalog.Blob{}, err
	}
	return s.db.BlobByUUID(r.Context(), c, u)
}

func (s *Server) listBlobs(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	var body struct {
		Node *string `json:"node"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	blobs, err := s.db.ListBlobs(r.Context(), c)
	if err != nil {
		return err
	}
	out := make([]blobView, 0, len(blobs))
	for i := range blobs {
		out = append(out, s.blobView(r.Context(), c, &blobs[i]))
	}
	writeJSON(w, out)
	return nil
}

func (s *Server) getBlob(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	b, err := s.blobFromPath(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, s.blobView(r.Context(), c, &b))
	return nil
}

// getBlobData is GET /blobs/{uuid}/data?offset=&limit= (and Range).
func (s *Server) getBlobData(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	offset, err := queryInt(r, "offset")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	b, err := s.blobFromPath(r, c)
	if err != nil {
		return err
	}
	return s.serveBlob(w, r, &b, offset, limit)
}

// getBlobChecksum is GET /blobs/{uuid}/checksum/{alg}: the hex digest as a
// JSON string.
func (s *Server) getBlobChecksum(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	b, err := s.blobFromPath(r, c)
	if err != nil {
		return err
	}
	switch r.PathValue("alg") {
	case catalog.AlgSHA256:
		writeJSON(w, b.SHA256)
	case catalog.AlgSHA512:
		writeJSON(w, b.SHA512)
	case catalog.AlgBLAKE3:
		writeJSON(w, b.Digest.Hex())
	default:
		return badRequest("unknown hash algorithm (use sha256, sha512 or blake3)")
	}
	return nil
}

// findBlobByChecksum is GET /blob_checksums/{alg}/{hash}: the blob, or 200
// null when the caller can read no blob with that checksum.
func (s *Server) findBlobByChecksum(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	b, err := s.db.BlobByChecksum(r.Context(), c, r.PathValue("alg"), r.PathValue("hash"))
	if errors.Is(err, catalog.ErrNotFound) {
		writeJSON(w, nil)
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, s.blobView(r.Context(), c, &b))
	return nil
}

func (s *Server) blobEvents(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	f, err := eventFilter(r)
	if err != nil {
		return err
	}
	b, err := s.blobFromPath(r, c)
	if err != nil {
		return err
	}
	evs, err := s.db.BlobEvents(r.Context(), c, b.Digest, f)
	if err != nil {
		return err
	}
	writeJSON(w, eventViews("blob/"+b.UUID.String(), evs))
	return nil
}

// eventFilter reads the Shaken Fist events body {"event_type", "limit"}.
func eventFilter(r *http.Request) (catalog.EventFilter, error) {
	var body struct {
		EventType *string `json:"event_type"`
		Limit     flexInt `json:"limit"`
	}
	if err := decodeBody(r, &body); err != nil {
		return catalog.EventFilter{}, err
	}
	f := catalog.EventFilter{}
	if body.EventType != nil {
		f.Type = *body.EventType
	}
	if body.Limit.set && body.Limit.v > 0 {
		f.Limit = int(min(body.Limit.v, 1000))
	}
	return f, nil
}

// blobMetadata is how the metadata routes reach a blob's metadata.
func (s *Server) blobMetadata() metadataStore {
	return metadataStore{
		get: func(r *http.Request, c catalog.Caller) (catalog.Metadata, error) {
			b, err := s.blobFromPath(r, c)
			return b.Metadata, err
		},
		set: func(r *http.Request, c catalog.Caller, key string, value []byte) error {
			b, err := s.blobFromPath(r, c)
			if err != nil {
				return err
			}
			return s.db.SetBlobMetadata(r.Context(), c, b.Digest, key, value)
		},
		del: func(r *http.Request, c catalog.Caller, key string) error {
			b, err := s.blobFromPath(r, c)
			if err != nil {
				return err
			}
			return s.db.DeleteBlobMetadata(r.Context(), c, b.Digest, key)
		},
	}
}
