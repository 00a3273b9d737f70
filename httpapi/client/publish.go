package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/sfcas/sfcas/httpapi/api"
	"github.com/zeebo/blake3"
)

// PublishOptions tune a publish.
type PublishOptions struct {
	// MaxVersions sets the label's version policy when positive.
	MaxVersions int
	// Shared makes a new label readable by every namespace (system only).
	Shared bool
	// AllowExternal admits qcow2 images naming a backing or data file.
	AllowExternal bool
	// Digest, if set, is the digest the content must have.
	Digest string
	// NoCreate refuses to create a label that does not exist.
	NoCreate bool
	// Progress, if set, is called as bytes are sent.
	Progress func(sent, total int64)
	// Retries bounds how often a broken stream is resumed; default 5.
	Retries int
	// Type publishes into an artifact of that type ("image" or "other")
	// instead of a label.
	Type string
}

// base is the route a publish goes to.
func (o PublishOptions) base(ns, name string) string {
	if o.Type != "" && o.Type != "label" {
		return "/v1/artifacts/" + nsName(ns, name)
	}
	return "/v1/labels/" + nsName(ns, name)
}

func (o PublishOptions) query(size int64) string {
	q := url.Values{}
	if o.MaxVersions > 0 {
		q.Set("max_versions", strconv.Itoa(o.MaxVersions))
	}
	if o.Shared {
		q.Set("shared", "true")
	}
	if o.AllowExternal {
		q.Set("allow_external", "true")
	}
	if o.NoCreate {
		q.Set("create", "false")
	}
	if o.Digest != "" {
		q.Set("digest", o.Digest)
	}
	if size >= 0 {
		q.Set("size", strconv.FormatInt(size, 10))
	}
	if o.Type != "" && o.Type != "label" {
		q.Set("type", o.Type)
	}
	return q.Encode()
}

// Header of the client's own digest of a streamed publish, sent as a
// trailer so the server can refuse bytes that changed on the way.
const trailerDigest = "Upload-Digest"

// PublishFile publishes the file at path as the newest version of label
// ns/name in one call. It hashes the file (BLAKE3) while streaming it: if the
// daemon already holds those bytes the stream is dropped and the label is
// pointed at them; otherwise the digest travels as a trailer and the daemon
// checks it. A broken stream resumes from the daemon's offset.
func (c *Client) PublishFile(ctx context.Context, path, ns, name string, o PublishOptions) (api.Published, error) {
	f, err := os.Open(path)
	if err != nil {
		return api.Published{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return api.Published{}, err
	}
	if !fi.Mode().IsRegular() {
		return api.Published{}, fmt.Errorf("%s is not a regular file", path)
	}
	size := fi.Size()
	hashed := make(chan string, 1)
	hashErr := make(chan error, 1)
	go func() {
		d, err := hashFile(ctx, path)
		if err != nil {
			hashErr <- err
			close(hashed)
			return
		}
		hashed <- d
	}()

	upCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	key := newKey()
	type result struct {
		p   api.Published
		err error
	}
	digest := &digestBox{ready: make(chan struct{})}
	done := make(chan result, 1)
	go func() {
		p, err := c.streamFile(upCtx, f, size, key, ns, name, o, digest)
		done <- result{p, err}
	}()

	select {
	case r := <-done:
		return r.p, r.err
	case d, ok := <-hashed:
		if !ok {
			cancel()
			<-done
			return api.Published{}, fmt.Errorf("hashing %s: %w", path, <-hashErr)
		}
		digest.set(d)
		if _, err := c.Blob(ctx, d); err == nil {
			cancel()
			if r := <-done; r.err == nil {
				return r.p, nil // the stream won the race
			}
			_ = c.call(ctx, request{method: http.MethodDelete, path: "/v1/uploads/" + key}, nil)
			if o.Progress != nil {
				o.Progress(size, size)
			}
			return c.SetLabel(ctx, ns, name, d, o)
		}
		r := <-done
		return r.p, r.err
	}
}

// digestBox hands the client's digest to the stream's trailer.
type digestBox struct {
	ready chan struct{}
	d     string
}

func (b *digestBox) set(d string) { b.d = d; close(b.ready) }

// streamFile sends f from offset 0, resuming after failures.
func (c *Client) streamFile(ctx context.Context, f *os.File, size int64, key, ns, name string, o PublishOptions, digest *digestBox) (api.Published, error) {
	retries := o.Retries
	if retries <= 0 {
		retries = 5
	}
	path := o.base(ns, name) + "?" + o.query(size)
	var offset int64
	for attempt := 0; ; attempt++ {
		body := &sendReader{r: io.NewSectionReader(f, offset, size-offset), sent: offset, total: size, progress: o.Progress}
		req, err := c.streamRequest(ctx, path, body, key, offset, digest)
		if err != nil {
			return api.Published{}, err
		}
		var out api.Published
		err = c.call(ctx, req, &out)
		if err == nil {
			return out, nil
		}
		var e *Error
		resumable := !errors.As(err, &e) || e.Status == 0 || e.Status >= 500 || e.Offset != nil || e.Status == http.StatusUnauthorized
		if ctx.Err() != nil || attempt >= retries || !resumable {
			return api.Published{}, err
		}
		// Back off (the daemon may be restarting), then ask where to resume.
		select {
		case <-ctx.Done():
			return api.Published{}, ctx.Err()
		case <-time.After(min(250*time.Millisecond<<attempt, 5*time.Second)):
		}
		if offset, err = c.uploadOffset(ctx, key); err != nil {
			var e *Error
			if errors.As(err, &e) && e.Status == 0 && attempt < retries {
				continue // still unreachable: try again from the same offset
			}
			return api.Published{}, err
		}
	}
}

// streamRequest builds one chunked request whose trailer carries the
// client's digest (waiting for it at the end of the body if need be).
func (c *Client) streamRequest(ctx context.Context, path string, body *sendReader, key string, offset int64, digest *digestBox) (request, error) {
	trailer := http.Header{trailerDigest: nil}
	body.atEOF = func() {
		select {
		case <-digest.ready:
			trailer.Set(trailerDigest, digest.d)
		case <-ctx.Done():
		}
	}
	return request{method: http.MethodPost, path: path, body: body, length: -1, trailer: trailer,
		headers: map[string]string{"Upload-Key": key, "Upload-Offset": strconv.FormatInt(offset, 10)}}, nil
}

// uploadOffset asks where an upload session is.
func (c *Client) uploadOffset(ctx context.Context, key string) (int64, error) {
	var u api.Upload
	if err := c.getJSON(ctx, "/v1/uploads/"+key, &u); err != nil {
		if IsCode(err, "not_found") {
			return 0, nil
		}
		return 0, err
	}
	return u.Offset, nil
}

// PublishURL has the daemon fetch a URL as the label's newest version.
func (c *Client) PublishURL(ctx context.Context, rawURL, ns, name string, o PublishOptions) (api.Published, error) {
	return c.publishJSON(ctx, ns, name, map[string]any{"url": rawURL}, o)
}

// SetLabel points a label at what ref names (an artifact, a version such
// as ns/name@3, a digest or another label), as its newest version.
func (c *Client) SetLabel(ctx context.Context, ns, name, ref string, o PublishOptions) (api.Published, error) {
	return c.publishJSON(ctx, ns, name, map[string]any{"ref": ref}, o)
}

func (c *Client) publishJSON(ctx context.Context, ns, name string, body map[string]any, o PublishOptions) (api.Published, error) {
	if o.MaxVersions > 0 {
		body["max_versions"] = o.MaxVersions
	}
	if o.Shared {
		body["shared"] = true
	}
	if o.AllowExternal {
		body["allow_external"] = true
	}
	if o.NoCreate {
		body["create"] = false
	}
	if o.Digest != "" {
		body["digest"] = o.Digest
	}
	if o.Type != "" && o.Type != "label" {
		body["type"] = o.Type
	}
	var out api.Published
	err := c.call(ctx, request{method: http.MethodPost, path: o.base(ns, name), json: body}, &out)
	return out, err
}

// hashFile returns "blake3:<hex>" of the file at path.
func hashFile(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := blake3.New()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			return "blake3:" + hex.EncodeToString(h.Sum(nil)), nil
		}
		if err != nil {
			return "", err
		}
	}
}

// sendReader counts bytes for progress and runs atEOF before reporting EOF.
type sendReader struct {
	r        io.Reader
	sent     int64
	total    int64
	progress func(sent, total int64)
	atEOF    func()
}

func (s *sendReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.sent += int64(n)
	if s.progress != nil && n > 0 {
		s.progress(s.sent, s.total)
	}
	if err == io.EOF && s.atEOF != nil {
		s.atEOF()
		s.atEOF = nil
	}
	return n, err
}

// newKey returns a random upload key (a version 4 UUID).
func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
