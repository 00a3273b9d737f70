package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
	"github.com/sfcas/sfcas/httpapi"
)

// testServer is the real API on a real catalog behind a real listener.
type testServer struct {
	t   *testing.T
	db  *catalog.DB
	url string
}

func newTestServer(t *testing.T, db *catalog.DB) *testServer {
	t.Helper()
	api := httpapi.New(httpapi.Options{DB: db, Integrity: httpapi.IntegrityOptions{GCGrace: -1}})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() { srv.Close(); api.Close() })
	return &testServer{t: t, db: db, url: srv.URL}
}

// login creates namespace ns (unless system) with a key and returns a token.
func (s *testServer) login(ns string) string {
	s.t.Helper()
	if ns != catalog.SystemNamespace {
		catalogtest.Namespace(s.t, s.db, ns)
	}
	secret := "key-of-" + ns
	if err := s.db.SetKey(s.t.Context(), catalogtest.System, ns, "k", []byte(secret)); err != nil {
		s.t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if st, body := s.do("", http.MethodPost, "/auth", map[string]string{"namespace": ns, "key": secret}, &tok); st != 200 {
		s.t.Fatalf("auth %s: %d %s", ns, st, body)
	}
	return tok.AccessToken
}

// do sends a request (body: nil, []byte or a JSON value) and returns the
// status and body, decoding JSON into out if given.
func (s *testServer) do(token, method, path string, body any, out any, hdr ...string) (int, string) {
	s.t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/octet-stream"
	case io.ReadCloser: // a body of unknown length: sent chunked
		rd, ctype = struct{ io.Reader }{b}, "application/octet-stream"
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: decoding %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, string(raw)
}

func mustUUID(t *testing.T, s string) cas.UUID {
	t.Helper()
	u, err := cas.ParseUUID(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func mustDigest(t *testing.T, s string) cas.Digest {
	t.Helper()
	d, err := cas.ParseDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
