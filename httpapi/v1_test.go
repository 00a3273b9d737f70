package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
	"github.com/sfcas/sfcas/httpapi/api"
)

// testServer is a Server on a real loopback listener over a real catalog.
type testServer struct {
	s   *Server
	db  *catalog.DB
	url string
}

func newTestServer(t *testing.T, o Options) *testServer {
	t.Helper()
	db := catalogtest.Open(t)
	o.DB = db
	if o.Fetch.Backoff == 0 {
		o.Fetch.Backoff = 1e6 // 1ms: retries without waiting
		o.Fetch.Attempts = 2
	}
	s := New(o)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	return &testServer{s: s, db: db, url: hs.URL}
}

// token returns a bearer token of namespace ns (created unless system),
// through a real key.
func (ts *testServer) token(t *testing.T, ns string) string {
	t.Helper()
	if ns != catalog.SystemNamespace {
		catalogtest.Namespace(t, ts.db, ns)
	}
	if err := ts.db.SetKey(t.Context(), catalogtest.System, ns, "k", []byte("test-key-"+ns)); err != nil {
		t.Fatal(err)
	}
	tok, err := ts.s.issueToken(catalog.Caller{Namespace: ns, Key: "k"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// reply is one HTTP answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) problem(t *testing.T) api.Problem {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("status %d, body is not a problem document: %q", r.status, r.body)
	}
	return p
}

func (ts *testServer) do(t *testing.T, tok, method, path string, body any) reply {
	t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/octet-stream"
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	default:
		j, _ := json.Marshal(b)
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(t.Context(), method, ts.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	// Redirects are answers too: a /v1 route never redirects.
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

// want checks a status (and, for errors, a problem document with code).
func (r reply) want(t *testing.T, status int, code string) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if code != "" {
		if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("error content type %q", ct)
		}
		if p := r.problem(t); p.Code != code || p.Status != status || p.Type == "" || p.Title == "" || p.Detail == "" || p.Error == "" {
			t.Fatalf("problem %+v, want code %s", p, code)
		}
	}
	return r
}

func decode[T any](t *testing.T, r reply) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decoding %q: %v", r.body, err)
	}
	return v
}

// freePort returns a loopback address nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
