package httpapi

import (
	"net/http"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
)

// pathName reads and validates the {ns} and {name} path parameters.
func pathName(r *http.Request) (string, string, error) {
	ns, name := r.PathValue("ns"), r.PathValue("name")
	if err := catalog.ValidateIdent("namespace", ns); err != nil {
		return "", "", err
	}
	if err := catalog.ValidateName(name); err != nil {
		return "", "", err
	}
	return ns, name, nil
}

// createLabelV1 is PUT /v1/labels/{ns}/{name}: a new label, empty or from
// a reference; a taken name is already_exists.
func (s *Server) createLabelV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	ns, name, err := pathName(r)
	if err != nil {
		return err
	}
	var body api.LabelCreate
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	a, err := s.db.CreateLabel(r.Context(), c, catalog.LabelSpec{Namespace: ns, Name: name,
		MaxVersions: body.MaxVersions, From: body.From, Shared: body.Shared})
	if err != nil {
		return err
	}
	return s.writeArtifactFor(w, r, c, &a, http.StatusCreated)
}

// updateLabelV1 is PATCH /v1/labels/{ns}/{name}: point an existing label at
// a reference and/or set its version policy. A missing label is not_found.
func (s *Server) updateLabelV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	ns, name, err := pathName(r)
	if err != nil {
		return err
	}
	var body api.LabelUpdate
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	a, changed, err := s.db.UpdateLabel(r.Context(), c, ns, name, catalog.LabelUpdate{Ref: body.Ref, MaxVersions: body.MaxVersions})
	if err != nil {
		return err
	}
	return s.writePublished(w, r, &a, changed || body.Ref == "")
}

// rollbackLabelV1 is POST /v1/labels/{ns}/{name}/rollback.
func (s *Server) rollbackLabelV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	ns, name, err := pathName(r)
	if err != nil {
		return err
	}
	var body api.Rollback
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	a, err := s.db.RollbackLabel(r.Context(), c, ns, name, body.To)
	if err != nil {
		return err
	}
	return s.writePublished(w, r, &a, true)
}

// deleteLabelV1 is DELETE /v1/labels/{ns}/{name}; it answers with what was
// deleted.
func (s *Server) deleteLabelV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	a, err := s.labelV1(r, c)
	if err != nil {
		return err
	}
	if a, err = s.db.DeleteArtifact(r.Context(), c, a.UUID); err != nil {
		return err
	}
	return s.writeArtifactFor(w, r, c, &a, http.StatusOK)
}
