package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sfcas/sfcas/httpapi/api"
)

// Download failures each have their own code, and leave no artifact.
func TestV1_URLPublishFailuresAreTypedAndLeaveNothing(t *testing.T) {
	ts := newTestServer(t, Options{})
	tok := ts.token(t, "system")
	image := []byte("a small image served over loopback")
	sum := sha256.Sum256(image)
	wrong := sha256.Sum256([]byte("other bytes"))
	origin := http.NewServeMux()
	origin.HandleFunc("/image", func(w http.ResponseWriter, r *http.Request) { w.Write(image) })
	origin.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	origin.HandleFunc("/to-file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	tlsOrigin := httptest.NewTLSServer(origin) // its certificate is not trusted
	defer tlsOrigin.Close()
	srv := httptest.NewServer(origin)
	defer srv.Close()

	for _, tc := range []struct {
		name, url, digest string
		status            int
		code              string
	}{
		{"refused", "http://" + freePort(t) + "/image", "", http.StatusBadGateway, codeUnreachable},
		{"404", srv.URL + "/nosuch", "", http.StatusBadGateway, codeOriginError},
		{"mismatch", srv.URL + "/image", "sha256:" + hex.EncodeToString(wrong[:]), http.StatusBadRequest, codeDigest},
		{"loop", srv.URL + "/loop", "", http.StatusBadGateway, codeRedirects},
		{"scheme", "ftp://example.com/x.qcow2", "", http.StatusBadRequest, codeBadURL},
		{"redirect-to-file", srv.URL + "/to-file", "", http.StatusBadGateway, codeDownload},
		{"untrusted-tls", tlsOrigin.URL + "/image", "", http.StatusBadGateway, codeDownload},
		{"no-host", "http:///x", "", http.StatusBadRequest, codeBadURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, route := range []string{"/v1/labels/system/", "/v1/artifacts/system/"} {
				name := "from-" + tc.name
				r := ts.do(t, tok, "POST", route+name, api.PublishRequest{URL: tc.url, Digest: tc.digest}).want(t, tc.status, tc.code)
				if p := r.problem(t); len(p.Detail) > 300 || strings.Contains(p.Detail, "x509") || strings.Contains(p.Detail, "Get \"") {
					t.Fatalf("detail %q", p.Detail)
				}
				ts.do(t, tok, "GET", "/v1/artifacts/system/"+name, nil).want(t, http.StatusNotFound, codeNotFound)
			}
		})
	}
	// The same URL with the right digest publishes.
	r := ts.do(t, tok, "POST", "/v1/labels/system/ok", api.PublishRequest{URL: srv.URL + "/image", Digest: "sha256:" + hex.EncodeToString(sum[:])}).want(t, 200, "")
	if p := decode[api.Published](t, r); p.Version == nil || p.Version.SHA256 != hex.EncodeToString(sum[:]) ||
		p.Version.Size != int64(len(image)) || p.Artifact.SourceURL != srv.URL+"/image" || p.Version.Note != "fetched from "+srv.URL+"/image" {
		t.Fatalf("published %+v", p.Version)
	}
	// Streamed bytes with a wrong expected digest leave nothing either.
	ts.do(t, tok, "POST", "/v1/artifacts/system/streamed?type=other&digest=sha256:"+hex.EncodeToString(wrong[:]), image).want(t, 400, codeDigest)
	ts.do(t, tok, "POST", "/v1/artifacts/system/streamed?digest=sha256:"+hex.EncodeToString(make([]byte, 32)), image).want(t, 400, codeDigest)
	ts.do(t, tok, "GET", "/v1/artifacts/system/streamed", nil).want(t, 404, codeNotFound)
	// A body shorter than the size announced (a client gone mid-request)
	// publishes nothing.
	ts.do(t, tok, "POST", "/v1/artifacts/system/streamed?size=1000", image).want(t, 400, codeInvalid)
	ts.do(t, tok, "POST", "/v1/artifacts/system/streamed?size=-1", image).want(t, 400, codeInvalid)
	ts.do(t, tok, "GET", "/v1/artifacts/system/streamed", nil).want(t, 404, codeNotFound)
	r = ts.do(t, tok, "POST", "/v1/artifacts/system/streamed?type=other", image).want(t, 200, "")
	if p := decode[api.Published](t, r); p.Artifact.Type != "other" {
		t.Fatalf("type=other made a %s", p.Artifact.Type)
	}
}

// Transient origin failures are retried with backoff; progress lands in
// the existing artifact's events.
func TestV1_URLPublishRetriesTransientFailures(t *testing.T) {
	ts := newTestServer(t, Options{})
	tok := ts.token(t, "system")
	image := []byte("bytes behind a flaky origin")
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		w.Write(image)
	}))
	defer srv.Close()
	ts.do(t, tok, "PUT", "/v1/labels/system/flaky", nil).want(t, http.StatusCreated, "")
	r := ts.do(t, tok, "POST", "/v1/labels/system/flaky", api.PublishRequest{URL: srv.URL + "/x"}).want(t, 200, "")
	if p := decode[api.Published](t, r); p.Version == nil || p.Version.Size != int64(len(image)) || calls.Load() != 2 {
		t.Fatalf("after %d calls: %+v", calls.Load(), p.Version)
	}
	evs := decode[[]api.HistoryEntry](t, ts.do(t, tok, "GET", "/v1/labels/system/flaky/history", nil).want(t, 200, ""))
	found := false
	for _, e := range evs {
		found = found || e.Message == "downloading"
	}
	if !found {
		t.Fatalf("no download progress in %+v", evs)
	}
}
