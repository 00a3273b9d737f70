package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/sfcas/sfcas/catalog"
)

// metadataStore is what the metadata routes need of one kind of object.
// Each function finds the object from the request's path and checks the
// caller's rights.
type metadataStore struct {
	get func(r *http.Request, c catalog.Caller) (catalog.Metadata, error)
	set func(r *http.Request, c catalog.Caller, key string, value []byte) error
	del func(r *http.Request, c catalog.Caller, key string) error
}

// metadataBody is {"value": v} (PUT) or {"key": k, "value": v} (POST).
type metadataBody struct {
	Key   *string         `json:"key"`
	Value json.RawMessage `json:"value"`
}

// check refuses what Shaken Fist refuses: a missing key (POST) and an empty
// or false value.
func (b *metadataBody) check(needKey bool) error {
	if needKey && (b.Key == nil || *b.Key == "") {
		return badRequest("no key specified")
	}
	if !needKey && b.Key != nil {
		return badRequest(`unknown key "key"`)
	}
	if v := string(b.Value); v == "" || v == "null" || v == `""` || v == "false" || v == "0" {
		return badRequest("no value specified")
	}
	return nil
}

// GET .../metadata: the object's metadata, {} when it has none.
func (s *Server) getMetadata(m metadataStore) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
		md, err := m.get(r, c)
		if err != nil {
			return err
		}
		writeJSON(w, orEmpty(md))
		return nil
	}
}

// POST .../metadata {"key", "value"}.
func (s *Server) postMetadata(m metadataStore) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
		var body metadataBody
		if err := decodeBody(r, &body); err != nil {
			return err
		}
		if err := body.check(true); err != nil {
			return err
		}
		return writeNull(w, m.set(r, c, *body.Key, body.Value))
	}
}

// PUT .../metadata/{key} {"value"}.
func (s *Server) putMetadata(m metadataStore) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
		var body metadataBody
		if err := decodeBody(r, &body); err != nil {
			return err
		}
		if err := body.check(false); err != nil {
			return err
		}
		return writeNull(w, m.set(r, c, r.PathValue("key"), body.Value))
	}
}

// DELETE .../metadata/{key}.
func (s *Server) deleteMetadata(m metadataStore) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
		return writeNull(w, m.del(r, c, r.PathValue("key")))
	}
}

// writeNull answers 200 null unless err is set.
func writeNull(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, nil)
	return nil
}
