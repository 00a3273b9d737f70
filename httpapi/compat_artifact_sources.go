package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
)

// Where a compatible artifact version comes from: an upload session, a
// blob the caller can read, or a URL fetched in the background.

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
