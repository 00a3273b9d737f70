package httpapi

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
)

// Headers of resumable streamed publishes: the client names the session
// (so it can ask for the offset after a broken connection) and says where
// the body starts.
const (
	headerUploadKey    = "Upload-Key"
	headerUploadOffset = "Upload-Offset"
	trailerDigest      = "Upload-Digest"
)

// mergeExpect combines two sets of expectations (the non-zero fields of b
// fill in a's zero ones).
func mergeExpect(a, b cas.Expect) cas.Expect {
	if a.BLAKE3.IsZero() {
		a.BLAKE3 = b.BLAKE3
	}
	if a.SHA256 == ([32]byte{}) {
		a.SHA256 = b.SHA256
	}
	if a.SHA512 == ([64]byte{}) {
		a.SHA512 = b.SHA512
	}
	return a
}

// publishJSON is the JSON form of a publish: exactly one source.
type publishJSON struct {
	URL           string  `json:"url"`
	Ref           string  `json:"ref"`
	Upload        string  `json:"upload"`
	Digest        string  `json:"digest"`
	MaxVersions   flexInt `json:"max_versions"`
	AllowExternal bool    `json:"allow_external"`
	Create        *bool   `json:"create"`
	Shared        bool    `json:"shared"`
	Note          string  `json:"note"`
	Type          string  `json:"type"`
}

// publishLabelV1 is POST /v1/labels/{ns}/{name}: one call makes new bytes,
// a URL's content, or anything a reference names the label's new version.
func (s *Server) publishLabelV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	ns, name := r.PathValue("ns"), r.PathValue("name")
	if err := catalog.ValidateIdent("namespace", ns); err != nil {
		return err
	}
	if err := catalog.ValidateName(name); err != nil {
		return err
	}
	return s.publishV1(w, r, c, catalog.Target{Namespace: ns, Name: name, Type: catalog.TypeLabel, Create: true, SkipIfLatest: true})
}

// publishArtifactV1 is POST /v1/artifacts/{ns}/{name}: publishLabelV1 for
// images (the default type) and other artifacts; an existing snapshot takes
// new versions too.
func (s *Server) publishArtifactV1(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	ns, name, err := pathName(r)
	if err != nil {
		return err
	}
	return s.publishV1(w, r, c, catalog.Target{Namespace: ns, Name: name, Type: catalog.TypeImage, Create: true, SkipIfLatest: true})
}

// applyType sets the type a publish asked for. The labels route takes only
// labels; the artifacts route images and other, and snapshots that exist.
func applyType(t *catalog.Target, typ string) error {
	if typ == "" {
		return nil
	}
	want, err := catalog.ParseArtifactType(typ)
	if err != nil {
		return err
	}
	switch {
	case t.Type == catalog.TypeLabel && want != catalog.TypeLabel:
		return badRequest("this route publishes labels; use /v1/artifacts/{ns}/{name} for an " + typ)
	case t.Type != catalog.TypeLabel && want == catalog.TypeLabel:
		return badRequest("publish labels with POST /v1/labels/{ns}/{name}")
	case want == catalog.TypeSnapshot:
		t.Create = false // a snapshot is made by POST /v1/snapshots, then versioned here
	}
	t.Type = want
	return nil
}

// publishV1 publishes into t from the request: a JSON body names a url, a
// ref or an upload; any other body is the bytes themselves.
func (s *Server) publishV1(w http.ResponseWriter, r *http.Request, c catalog.Caller, t catalog.Target) error {
	ctx := r.Context()
	var a catalog.Artifact
	var changed bool
	var err error
	if isJSON(r) {
		var body publishJSON
		if err := decodeBody(r, &body); err != nil {
			return err
		}
		if err := applyPublishOptions(&t, body.MaxVersions, body.Create, body.Shared); err != nil {
			return err
		}
		if err := applyType(&t, body.Type); err != nil {
			return err
		}
		t.Note = body.Note
		a, changed, err = s.publishFromJSON(ctx, c, t, body)
	} else {
		q := r.URL.Query()
		opts := catalog.IngestOptions{AllowExternal: q.Get("allow_external") == "true"}
		var mv flexInt
		if v := q.Get("max_versions"); v != "" {
			if err := mv.UnmarshalJSON([]byte(v)); err != nil {
				return badRequest("max_versions must be an integer")
			}
		}
		var create *bool
		if q.Get("create") == "false" {
			create = new(bool)
		}
		if err := applyPublishOptions(&t, mv, create, q.Get("shared") == "true"); err != nil {
			return err
		}
		if err := applyType(&t, q.Get("type")); err != nil {
			return err
		}
		if opts.Expect, err = expectDigest(q.Get("digest")); err != nil {
			return err
		}
		a, changed, err = s.publishStream(ctx, r, c, t, opts)
	}
	if err != nil {
		return err
	}
	return s.writePublished(w, r, &a, changed)
}

func applyPublishOptions(t *catalog.Target, mv flexInt, create *bool, shared bool) error {
	if mv.set {
		if mv.v < 1 || mv.v > catalog.MaxMaxVersions {
			return badRequest(fmt.Sprintf("max_versions must be between 1 and %d", catalog.MaxMaxVersions))
		}
		t.MaxVersions = int(mv.v)
	}
	if create != nil {
		t.Create = *create
	}
	t.Shared = shared
	return nil
}

func (s *Server) writePublished(w http.ResponseWriter, r *http.Request, a *catalog.Artifact, changed bool) error {
	v, err := s.artifactV1(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, api.Published{Artifact: v, Version: v.Current, Changed: changed})
	return nil
}

func isJSON(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/json"
}

// expectDigest parses an expected digest "blake3:…", "sha256:…" or
// "sha512:…" (empty: nothing expected).
func expectDigest(s string) (cas.Expect, error) {
	var e cas.Expect
	if s == "" {
		return e, nil
	}
	ref, err := catalog.ParseRef(s)
	if err != nil || ref.Kind != catalog.RefDigest {
		return e, badRequest(fmt.Sprintf("digest %q must be blake3:, sha256: or sha512: followed by hex", clip(s)))
	}
	if strings.Trim(ref.Hex, "0") == "" {
		return e, badRequest("the all-zero digest names no content")
	}
	switch ref.Alg {
	case catalog.AlgBLAKE3:
		e.BLAKE3, err = cas.ParseDigest(ref.Hex)
	case catalog.AlgSHA256:
		e.SHA256, err = cas.ParseSHA256(ref.Hex)
	case catalog.AlgSHA512:
		e.SHA512, err = cas.ParseSHA512(ref.Hex)
	}
	if err == nil && strings.Trim(ref.Hex, "0") == "" {
		// An all-zero digest would read as "nothing expected".
		return e, errorf(http.StatusBadRequest, codeDigest, "an all-zero digest matches no content")
	}
	return e, err
}

// publishFromJSON publishes from a URL, a reference or an upload session.
func (s *Server) publishFromJSON(ctx context.Context, c catalog.Caller, t catalog.Target, body publishJSON) (catalog.Artifact, bool, error) {
	n := 0
	for _, v := range []string{body.URL, body.Ref, body.Upload} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return catalog.Artifact{}, false, badRequest("give exactly one of url, ref and upload (or send the bytes as the body)")
	}
	opts := catalog.IngestOptions{AllowExternal: body.AllowExternal}
	var err error
	if opts.Expect, err = expectDigest(body.Digest); err != nil {
		return catalog.Artifact{}, false, err
	}
	switch {
	case body.URL != "":
		if _, err := checkURL(body.URL); err != nil {
			return catalog.Artifact{}, false, err
		}
		if err := s.db.CheckTarget(c, t); err != nil {
			return catalog.Artifact{}, false, err
		}
		var progressID cas.UUID
		if a, err := s.db.ArtifactByName(ctx, c, t.Namespace, t.Name); err == nil {
			progressID = a.UUID
		}
		u, _ := checkURL(body.URL)
		t.SourceURL = u.Redacted()
		if t.Note == "" {
			t.Note = "fetched from " + clip(u.Redacted())
		}
		return s.publishURL(ctx, c, progressID, body.URL, t, opts)
	case body.Ref != "":
		res, err := s.db.Resolve(ctx, c, body.Ref)
		if err != nil {
			return catalog.Artifact{}, false, err
		}
		if res.Blob == nil {
			return catalog.Artifact{}, false, fmt.Errorf("%s has no version to point at: %w", res.Ref, catalog.ErrNotFound)
		}
		if err := blobMatches(res.Blob, opts.Expect); err != nil {
			return catalog.Artifact{}, false, err
		}
		if t.Note == "" {
			t.Note = "set to " + res.Ref
		}
		return s.db.AddVersion(ctx, c, t, res.Blob.Digest)
	}
	id, err := cas.ParseUUID(body.Upload)
	if err != nil {
		return catalog.Artifact{}, false, badRequest("upload must be an upload id")
	}
	return s.commitInto(ctx, c, id, t, opts)
}

// commitInto commits upload session id and adds it to t.
func (s *Server) commitInto(ctx context.Context, c catalog.Caller, id cas.UUID, t catalog.Target, opts catalog.IngestOptions) (catalog.Artifact, bool, error) {
	if err := s.db.CheckTarget(c, t); err != nil {
		return catalog.Artifact{}, false, err
	}
	_, pin, err := s.db.CommitUpload(ctx, c, id, opts)
	if err != nil {
		return catalog.Artifact{}, false, err
	}
	defer pin.Release()
	return s.db.AddIngested(ctx, c, t, pin)
}

// publishStream publishes the request body. With an Upload-Key header the
// body goes to that upload session (created at offset 0, or resumed at
// Upload-Offset), so a broken stream can continue where it stopped.
func (s *Server) publishStream(ctx context.Context, r *http.Request, c catalog.Caller, t catalog.Target, opts catalog.IngestOptions) (catalog.Artifact, bool, error) {
	if err := s.db.CheckTarget(c, t); err != nil {
		return catalog.Artifact{}, false, err
	}
	if err := s.db.Blobs().CheckSpace(max(r.ContentLength, 0)); err != nil {
		return catalog.Artifact{}, false, err
	}
	// ?size= announces the whole stream's length: a body that ends short of
	// it (a client that went away mid-request) never becomes a version.
	announced := int64(-1)
	if v := r.URL.Query().Get("size"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return catalog.Artifact{}, false, badRequest("size must be a non-negative integer")
		}
		announced = n
	}
	key := r.Header.Get(headerUploadKey)
	if key == "" {
		wr, err := s.db.Blobs().Create()
		if err != nil {
			return catalog.Artifact{}, false, err
		}
		if _, err := wr.ReadFrom(r.Body); err != nil {
			wr.Abort()
			if errors.Is(err, cas.ErrNoSpace) {
				return catalog.Artifact{}, false, err
			}
			return catalog.Artifact{}, false, badRequest("the request body could not be read to its end; nothing was published")
		}
		if announced >= 0 && wr.Size() != announced {
			wr.Abort()
			return catalog.Artifact{}, false, badRequest(fmt.Sprintf("the body has %d bytes, not the %d that size announced; nothing was published", wr.Size(), announced))
		}
		a, _, changed, err := s.db.Publish(ctx, c, t, wr, opts)
		return a, changed, err
	}
	id, err := cas.ParseUUID(key)
	if err != nil {
		return catalog.Artifact{}, false, badRequest(headerUploadKey + " must be a UUID")
	}
	offset := int64(0)
	if v := r.Header.Get(headerUploadOffset); v != "" {
		if offset, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil || offset < 0 {
			return catalog.Artifact{}, false, badRequest(headerUploadOffset + " must be a non-negative integer")
		}
	}
	if offset == 0 {
		declared := max(r.ContentLength, announced, 0)
		_, err := s.db.CreateUpload(ctx, c, catalog.UploadSpec{ID: id, Declared: declared})
		if err != nil && !errors.Is(err, catalog.ErrExists) {
			return catalog.Artifact{}, false, err
		}
	}
	u, err := s.db.AppendUpload(ctx, c, id, r.Body, catalog.AppendOptions{At: offset, KeepPartial: true})
	if err != nil {
		return catalog.Artifact{}, false, err
	}
	if announced >= 0 && u.Size != announced {
		return catalog.Artifact{}, false, &catalog.OffsetError{Have: u.Size, Want: announced}
	}
	// The client's own digest of what it sent, known only once the body
	// ended, comes as a trailer: bytes that changed on the way are refused.
	if d := r.Trailer.Get(trailerDigest); d != "" {
		want, err := expectDigest(d)
		if err != nil {
			return catalog.Artifact{}, false, err
		}
		if !opts.Expect.BLAKE3.IsZero() && !want.BLAKE3.IsZero() && want.BLAKE3 != opts.Expect.BLAKE3 {
			return catalog.Artifact{}, false, badRequest("the digest query parameter and the " + trailerDigest + " trailer disagree")
		}
		opts.Expect = mergeExpect(opts.Expect, want)
	}
	return s.commitInto(ctx, c, id, t, opts)
}

// blobMatches checks an existing blob against an expected digest.
func blobMatches(b *catalog.Blob, want cas.Expect) error {
	got := cas.Info{Sums: cas.Sums{BLAKE3: b.Digest}, Size: b.Size}
	var err error
	if got.SHA256, err = cas.ParseSHA256(b.SHA256); err != nil {
		return err
	}
	if got.SHA512, err = cas.ParseSHA512(b.SHA512); err != nil {
		return err
	}
	return cas.Check(got, want)
}
