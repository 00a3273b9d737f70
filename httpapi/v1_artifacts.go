package httpapi

import (
	"context"
	"fmt"
	"github.com/sfcas/sfcas/cas"
	"net/http"
	"strconv"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
)

// artifactAtV1 loads the artifact of a /v1/artifacts/{ns}/{name} path.
func (s *Server) artifactAtV1(r *http.Request, c catalog.Caller) (catalog.Artifact, error) {
	ns, name, err := pathName(r)
	if err != nil {
		return catalog.Artifact{}, err
	}
	return s.db.ArtifactByName(r.Context(), c, ns, name)
}

func (s *Server) getArtifactV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	a, err := s.artifactAtV1(r, c)
	if err != nil {
		return err
	}
	return s.writeArtifactFor(w, r, c, &a, http.StatusOK)
}

func (s *Server) deleteArtifactV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	a, err := s.artifactAtV1(r, c)
	if err != nil {
		return err
	}
	if a, err = s.db.DeleteArtifact(r.Context(), c, a.UUID); err != nil {
		return err
	}
	return s.writeArtifactFor(w, r, c, &a, http.StatusOK)
}

// patchArtifactV1 is PATCH /v1/artifacts/{ns}/{name} {"max_versions"}.
func (s *Server) patchArtifactV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	a, err := s.artifactAtV1(r, c)
	if err != nil {
		return err
	}
	var body api.ArtifactUpdate
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.MaxVersions < 1 || body.MaxVersions > catalog.MaxMaxVersions {
		return badRequest(fmt.Sprintf("max_versions must be between 1 and %d", catalog.MaxMaxVersions))
	}
	if a, err = s.db.SetMaxVersions(r.Context(), c, a.UUID, body.MaxVersions); err != nil {
		return err
	}
	return s.writeArtifactFor(w, r, c, &a, http.StatusOK)
}

func (s *Server) deleteVersionV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	index, err := strconv.Atoi(r.PathValue("index"))
	if err != nil || index < 1 {
		return badRequest("the version index must be a positive integer")
	}
	a, err := s.artifactAtV1(r, c)
	if err != nil {
		return err
	}
	if a, err = s.db.DeleteVersion(r.Context(), c, a.UUID, index); err != nil {
		return err
	}
	return s.writeArtifactFor(w, r, c, &a, http.StatusOK)
}

// artifactEventsV1 is GET /v1/artifacts/{ns}/{name}/events: the same
// entries as a label's history, for any artifact.
func (s *Server) artifactEventsV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	a, err := s.artifactAtV1(r, c)
	if err != nil {
		return err
	}
	return s.writeHistory(w, r, c, &a)
}

func (s *Server) listGrantsV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	a, err := s.artifactAtV1(r, c)
	if err != nil {
		return err
	}
	g, err := s.db.Grants(r.Context(), c, a.UUID)
	if err != nil {
		return err
	}
	writeJSON(w, api.Grants{Artifact: a.Ref(), Grants: g})
	return nil
}

func (s *Server) grantV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	return s.changeGrant(w, r, c, s.db.Grant)
}

func (s *Server) revokeV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	return s.changeGrant(w, r, c, s.db.Revoke)
}

func (s *Server) changeGrant(w http.ResponseWriter, r *http.Request, c catalog.Caller,
	change func(ctx context.Context, c catalog.Caller, id cas.UUID, grantee string) (catalog.Artifact, error)) error {
	a, err := s.artifactAtV1(r, c)
	if err != nil {
		return err
	}
	grantee := r.PathValue("grantee")
	if err := catalog.ValidateIdent("namespace", grantee); err != nil {
		return err
	}
	if a, err = change(r.Context(), c, a.UUID, grantee); err != nil {
		return err
	}
	writeJSON(w, api.Grants{Artifact: a.Ref(), Grants: append([]string{}, a.Grants...)})
	return nil
}
