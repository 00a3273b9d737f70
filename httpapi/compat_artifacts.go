package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
)

// artifactByRef resolves an artifact reference (UUID or name, by the one
// rule) for caller c; ns, if set, names the namespace a bare name is in.
func (s *Server) artifactByRef(ctx context.Context, c catalog.Caller, ref string, ns *string) (catalog.Artifact, error) {
	if u, err := cas.ParseUUID(ref); err == nil {
		return s.db.GetArtifact(ctx, c, u)
	}
	if ns != nil && *ns != "" {
		return s.db.ArtifactByName(ctx, c, *ns, ref)
	}
	res, err := s.db.Resolve(ctx, c, ref)
	if err != nil {
		return catalog.Artifact{}, err
	}
	if res.Artifact == nil {
		return catalog.Artifact{}, fmt.Errorf("%s is not an artifact: %w", clip(ref), catalog.ErrNotFound)
	}
	return *res.Artifact, nil
}

// refBody is the optional body of artifact routes.
type refBody struct {
	Namespace *string `json:"namespace"`
}

func (s *Server) artifactFromPath(r *http.Request, c catalog.Caller) (catalog.Artifact, error) {
	var body refBody
	if err := decodeBody(r, &body); err != nil {
		return catalog.Artifact{}, err
	}
	return s.artifactByRef(r.Context(), c, r.PathValue("ref"), body.Namespace)
}

func (s *Server) writeArtifact(w http.ResponseWriter, r *http.Request, a *catalog.Artifact) error {
	v, err := s.artifactView(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, v)
	return nil
}

func (s *Server) listArtifacts(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	var body struct {
		Node *string `json:"node"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	out := []artifactView{}
	opts := catalog.ListOptions{Limit: catalog.MaxPage}
	for {
		page, err := s.db.ListArtifacts(r.Context(), c, opts)
		if err != nil {
			return err
		}
		for i := range page.Artifacts {
			v, err := s.artifactView(r.Context(), &page.Artifacts[i])
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		if page.Next == "" {
			break
		}
		opts.Cursor = page.Next
	}
	writeJSON(w, out)
	return nil
}

func (s *Server) getArtifact(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	a, err := s.artifactFromPath(r, c)
	if err != nil {
		return err
	}
	return s.writeArtifact(w, r, &a)
}

func (s *Server) deleteArtifact(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	a, err := s.artifactFromPath(r, c)
	if err != nil {
		return err
	}
	if a, err = s.db.DeleteArtifact(r.Context(), c, a.UUID); err != nil {
		return err
	}
	return s.writeArtifact(w, r, &a)
}

// deleteAllArtifacts is DELETE /artifacts {"confirm": true, "namespace"}.
func (s *Server) deleteAllArtifacts(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	var body struct {
		Confirm   bool    `json:"confirm"`
		Namespace *string `json:"namespace"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if !body.Confirm {
		return badRequest("set confirm to true to delete every artifact of a namespace")
	}
	ns := c.Namespace
	if body.Namespace != nil {
		ns = *body.Namespace
	} else if c.IsSystem() {
		return badRequest("system must name the namespace to empty")
	}
	deleted := []string{}
	for {
		page, err := s.db.ListArtifacts(r.Context(), c, catalog.ListOptions{Namespace: ns, Limit: catalog.MaxPage})
		if err != nil {
			return err
		}
		if len(page.Artifacts) == 0 {
			break
		}
		for _, a := range page.Artifacts {
			if _, err := s.db.DeleteArtifact(r.Context(), c, a.UUID); err != nil {
				return err
			}
			deleted = append(deleted, a.UUID.String())
		}
	}
	writeJSON(w, deleted)
	return nil
}

// getArtifactVersions is GET /artifacts/{ref}/versions: blob views with
// their index, oldest first.
func (s *Server) getArtifactVersions(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	a, err := s.artifactFromPath(r, c)
	if err != nil {
		return err
	}
	blobs, err := s.db.VersionBlobs(r.Context(), &a)
	if err != nil {
		return err
	}
	type versionView struct {
		blobView
		Index int `json:"index"`
	}
	out := make([]versionView, 0, len(a.Versions))
	for _, v := range a.Versions {
		b := blobs[v.Digest]
		out = append(out, versionView{blobView: s.blobView(r.Context(), c, &b), Index: v.Index})
	}
	writeJSON(w, out)
	return nil
}

func (s *Server) deleteArtifactVersion(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	index, err := strconv.Atoi(r.PathValue("index"))
	if err != nil {
		return badRequest("version index is not an integer")
	}
	a, err := s.artifactFromPath(r, c)
	if err != nil {
		return err
	}
	if a, err = s.db.DeleteVersion(r.Context(), c, a.UUID, index); err != nil {
		return err
	}
	return s.writeArtifact(w, r, &a)
}

func (s *Server) artifactEvents(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	f, err := eventFilter(r)
	if err != nil {
		return err
	}
	a, err := s.artifactByRef(r.Context(), c, r.PathValue("ref"), nil)
	if err != nil {
		return err
	}
	evs, err := s.db.ArtifactEvents(r.Context(), c, a.UUID, f)
	if err != nil {
		return err
	}
	writeJSON(w, eventViews("artifact/"+a.UUID.String(), evs))
	return nil
}

// artifactMetadata is how the metadata routes reach an artifact's metadata.
func (s *Server) artifactMetadata() metadataStore {
	return metadataStore{
		get: func(r *http.Request, c catalog.Caller) (catalog.Metadata, error) {
			a, err := s.artifactFromPath(r, c)
			return a.Metadata, err
		},
		set: func(r *http.Request, c catalog.Caller, key string, value []byte) error {
			a, err := s.artifactByRef(r.Context(), c, r.PathValue("ref"), nil)
			if err != nil {
				return err
			}
			return s.db.SetArtifactMetadata(r.Context(), c, a.UUID, key, value)
		},
		del: func(r *http.Request, c catalog.Caller, key string) error {
			a, err := s.artifactFromPath(r, c)
			if err != nil {
				return err
			}
			return s.db.DeleteArtifactMetadata(r.Context(), c, a.UUID, key)
		},
	}
}

// postArtifactAction serves POST /artifacts/upload/{name} and
// POST /artifacts/{ref}/{versions|share|unshare|metadata}.
func (s *Server) postArtifactAction(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	ref, action := r.PathValue("ref"), r.PathValue("action")
	if ref == "upload" {
		return s.uploadArtifact(w, r, c, action)
	}
	switch action {
	case "versions":
		var body struct {
			MaxVersions flexInt `json:"max_versions"`
			Namespace   *string `json:"namespace"`
		}
		if err := decodeBody(r, &body); err != nil {
			return err
		}
		n := int64(catalog.DefaultMaxVersions)
		if body.MaxVersions.set {
			n = body.MaxVersions.v
		}
		if n < 1 || n > catalog.MaxMaxVersions {
			return badRequest(fmt.Sprintf("max_versions must be between 1 and %d", catalog.MaxMaxVersions))
		}
		a, err := s.artifactByRef(r.Context(), c, ref, body.Namespace)
		if err != nil {
			return err
		}
		if _, err := s.db.SetMaxVersions(r.Context(), c, a.UUID, int(n)); err != nil {
			return err
		}
		writeJSON(w, nil)
		return nil
	case "share", "unshare":
		a, err := s.artifactFromPath(r, c)
		if err != nil {
			return err
		}
		if a, err = s.db.SetShared(r.Context(), c, a.UUID, action == "share"); err != nil {
			return err
		}
		return s.writeArtifact(w, r, &a)
	case "metadata":
		return s.postMetadata(s.artifactMetadata())(w, r, c)
	}
	return errorf(http.StatusNotFound, codeNotFound, "no route for POST "+clip(r.URL.Path))
}
