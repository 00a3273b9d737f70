package httpapi

import (
	"fmt"
	"net/http"

	"github.com/sfcas/sfcas/catalog"
)

// labelPath returns the namespace and name of /label/{name} (the caller's
// namespace) or /label/{ns}/{name}.
func labelPath(r *http.Request, c catalog.Caller) (string, string, error) {
	ns, name := r.PathValue("ns"), r.PathValue("name")
	if ns == "" {
		ns = c.Namespace
	} else if err := catalog.ValidateIdent("namespace", ns); err != nil {
		return "", "", err
	}
	if err := catalog.ValidateName(name); err != nil {
		return "", "", err
	}
	return ns, name, nil
}

// label loads an existing label.
func (s *Server) label(r *http.Request, c catalog.Caller) (catalog.Artifact, error) {
	ns, name, err := labelPath(r, c)
	if err != nil {
		return catalog.Artifact{}, err
	}
	a, err := s.db.ArtifactByName(r.Context(), c, ns, name)
	if err == nil && a.Type != catalog.TypeLabel {
		err = fmt.Errorf("%s is a %s, not a label: %w", a.Ref(), a.Type, catalog.ErrNotFound)
	}
	return a, err
}

func (s *Server) getLabel(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	if err := decodeBody(r, &struct{}{}); err != nil {
		return err
	}
	a, err := s.label(r, c)
	if err != nil {
		return err
	}
	return s.writeArtifact(w, r, &a)
}

// updateLabel is POST /label/[{ns}/]{name} {"blob_uuid", "max_versions"}:
// the blob becomes the label's newest version. As in Shaken Fist the label is
// created on first update; only its namespace (or system) may update it.
func (s *Server) updateLabel(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	var body struct {
		BlobUUID    string  `json:"blob_uuid"`
		MaxVersions flexInt `json:"max_versions"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	ns, name, err := labelPath(r, c)
	if err != nil {
		return err
	}
	if body.BlobUUID == "" {
		return badRequest("missing blob_uuid")
	}
	t := catalog.Target{Namespace: ns, Name: name, Type: catalog.TypeLabel, Create: true}
	if body.MaxVersions.set {
		if body.MaxVersions.v < 0 || body.MaxVersions.v > catalog.MaxMaxVersions {
			return badRequest(fmt.Sprintf("max_versions must be between 0 (default) and %d", catalog.MaxMaxVersions))
		}
		t.MaxVersions = int(body.MaxVersions.v)
	}
	a, err := s.attachBlob(r.Context(), c, body.BlobUUID, t)
	if err != nil {
		return err
	}
	return s.writeArtifact(w, r, &a)
}

func (s *Server) deleteLabel(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	if err := decodeBody(r, &struct{}{}); err != nil {
		return err
	}
	a, err := s.label(r, c)
	if err != nil {
		return err
	}
	if a, err = s.db.DeleteArtifact(r.Context(), c, a.UUID); err != nil {
		return err
	}
	return s.writeArtifact(w, r, &a)
}
