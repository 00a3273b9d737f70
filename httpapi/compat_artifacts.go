package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
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

// uploadArtifact is POST /artifacts/upload/{name}: a new version of an image
// (or other) artifact from an upload session or from a blob the caller can
// already read. A version identical to the latest is not added again.
func (s *Server) uploadArtifact(w http.ResponseWriter, r *http.Request, c catalog.Caller, name string) error {
	var body struct {
		UploadUUID   *string `json:"upload_uuid"`
		BlobUUID     *string `json:"blob_uuid"`
		SourceURL    *string `json:"source_url"`
		Shared       bool    `json:"shared"`
		Namespace    *string `json:"namespace"`
		ArtifactType *string `json:"artifact_type"`
		MaxVersions  flexInt `json:"max_versions"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if (body.UploadUUID == nil) == (body.BlobUUID == nil) {
		return badRequest("give exactly one of upload_uuid and blob_uuid")
	}
	t := catalog.Target{Namespace: c.Namespace, Name: name, Type: catalog.TypeImage, Create: true,
		Shared: body.Shared, SkipIfLatest: true}
	if body.Namespace != nil && *body.Namespace != "" {
		t.Namespace = *body.Namespace
	}
	if body.ArtifactType != nil {
		switch typ := catalog.ArtifactType(*body.ArtifactType); typ {
		case catalog.TypeImage, catalog.TypeOther:
			t.Type = typ
		default:
			return badRequest("artifact_type must be image or other")
		}
	}
	if body.SourceURL != nil {
		t.SourceURL = *body.SourceURL
	}
	if body.MaxVersions.set {
		t.MaxVersions = int(body.MaxVersions.v)
	}
	if err := catalog.ValidateName(name); err != nil {
		return err
	}
	var a catalog.Artifact
	var err error
	if body.UploadUUID != nil {
		a, err = s.publishUpload(r.Context(), c, *body.UploadUUID, t, catalog.IngestOptions{})
	} else {
		a, err = s.attachBlob(r.Context(), c, *body.BlobUUID, t)
	}
	if err != nil {
		return err
	}
	return s.writeArtifact(w, r, &a)
}

// publishUpload commits an upload session and adds it to t.
func (s *Server) publishUpload(ctx context.Context, c catalog.Caller, id string, t catalog.Target, opts catalog.IngestOptions) (catalog.Artifact, error) {
	u, err := cas.ParseUUID(id)
	if err != nil {
		return catalog.Artifact{}, badRequest(fmt.Sprintf("upload_uuid %q is not a UUID", clip(id)))
	}
	if _, err := s.db.GetUpload(ctx, c, u); err != nil {
		return catalog.Artifact{}, err
	}
	_, pin, err := s.db.CommitUpload(ctx, c, u, opts)
	if err != nil {
		return catalog.Artifact{}, err
	}
	defer pin.Release()
	a, _, err := s.db.AddIngested(ctx, c, t, pin)
	return a, err
}

// attachBlob adds an existing blob, which c must be able to read, to t.
func (s *Server) attachBlob(ctx context.Context, c catalog.Caller, id string, t catalog.Target) (catalog.Artifact, error) {
	u, err := cas.ParseUUID(id)
	if err != nil {
		return catalog.Artifact{}, badRequest(fmt.Sprintf("blob_uuid %q is not a UUID", clip(id)))
	}
	b, err := s.db.BlobByUUID(ctx, c, u)
	if err != nil {
		return catalog.Artifact{}, err
	}
	a, _, err := s.db.AddVersion(ctx, c, t, b.Digest)
	return a, err
}

// cacheArtifact is POST /artifacts {"url", "namespace", "shared"}: an image
// artifact named after the URL's last path segment, fetched in the
// background. It returns at once with state "initial"; events show the
// progress and the outcome.
func (s *Server) cacheArtifact(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	var body struct {
		URL         string  `json:"url"`
		Namespace   *string `json:"namespace"`
		Shared      bool    `json:"shared"`
		MaxVersions flexInt `json:"max_versions"`
		Name        *string `json:"name"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	u, err := checkURL(body.URL)
	if err != nil {
		return err
	}
	ns := c.Namespace
	if body.Namespace != nil && *body.Namespace != "" {
		ns = *body.Namespace
	}
	name := path.Base(u.Path)
	if body.Name != nil {
		name = *body.Name
	}
	if unescaped, err := url.PathUnescape(name); err == nil {
		name = unescaped
	}
	if err := catalog.ValidateName(name); err != nil {
		return fmt.Errorf("the URL's last path segment is not a usable name (pass \"name\"): %w", err)
	}
	a, err := s.db.ArtifactByName(r.Context(), c, ns, name)
	switch {
	case err == nil:
		if a.Type != catalog.TypeImage {
			return fmt.Errorf("%s is a %s: %w", a.Ref(), a.Type, catalog.ErrConflict)
		}
		if a, err = s.db.SetArtifactState(r.Context(), c, a.UUID, a.State, "refetch from "+u.Redacted()); err != nil {
			return err
		}
	default:
		a, err = s.db.CreateArtifact(r.Context(), c, catalog.ArtifactSpec{Namespace: ns, Name: name,
			Type: catalog.TypeImage, Shared: body.Shared, SourceURL: body.URL, State: catalog.StateInitial,
			MaxVersions: int(body.MaxVersions.v)})
		if err != nil {
			return err
		}
	}
	s.fetchInBackground(c, a, body.URL)
	return s.writeArtifact(w, r, &a)
}

// fetchInBackground downloads url as a new version of a; the outcome lands
// in the artifact's state and events.
func (s *Server) fetchInBackground(c catalog.Caller, a catalog.Artifact, raw string) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx := s.bgCtx
		t := catalog.Target{UUID: a.UUID, Type: a.Type, SkipIfLatest: true}
		if _, _, err := s.publishURL(ctx, c, a.UUID, raw, t, catalog.IngestOptions{}); err != nil {
			_, code := statusFor(err)
			msg := fmt.Sprintf("%s: %s", code, publicMessage(err, 0))
			if _, serr := s.db.SetArtifactState(context.WithoutCancel(ctx), c, a.UUID, catalog.StateError, msg); serr != nil {
				s.log.Warn("recording failed fetch", "artifact", a.Ref(), "err", serr)
			}
		}
	}()
}

// publishURL fetches raw into a new blob and adds it to t, reporting progress
// as events on the artifact progressID (if not zero).
func (s *Server) publishURL(ctx context.Context, c catalog.Caller, progressID cas.UUID, raw string, t catalog.Target, opts catalog.IngestOptions) (catalog.Artifact, bool, error) {
	wr, err := s.db.Blobs().Create()
	if err != nil {
		return catalog.Artifact{}, false, err
	}
	var progress func(done, total int64)
	if !progressID.IsZero() {
		progress = func(done, total int64) {
			_ = s.db.ArtifactProgress(ctx, progressID, "downloading", map[string]any{"bytes": done, "total": total, "url": raw})
		}
	}
	if err := s.fetch.fetch(ctx, raw, wr, progress); err != nil {
		wr.Abort()
		return catalog.Artifact{}, false, err
	}
	a, _, added, err := s.db.Publish(ctx, c, t, wr, opts)
	return a, added, err
}
