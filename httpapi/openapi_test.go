package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
)

// openapiDoc is the part of the document the tests read.
type openapiDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

func fetchOpenAPI(t *testing.T, ts *testServer) openapiDoc {
	t.Helper()
	r := ts.do(t, "", "GET", "/openapi.json", nil).want(t, http.StatusOK, "")
	var doc openapiDoc
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// operations returns "METHOD /path" for every operation in doc.
func (doc openapiDoc) operations() []string {
	var ops []string
	for p, ms := range doc.Paths {
		for m := range ms {
			ops = append(ops, strings.ToUpper(m)+" "+p)
		}
	}
	sort.Strings(ops)
	return ops
}

// samplePath fills a path template's parameters with plausible values.
func samplePath(p string) string {
	return strings.NewReplacer("{ns}", "system", "{name}", "centos:7", "{index}", "1", "{grantee}", "bob",
		"{id}", "0190c3e4-8f7a-7b3c-9d1e-2f3a4b5c6d7e", "{digest}", "blake3:"+strings.Repeat("ab", 32)).Replace(p)
}

// The document describes exactly the registered /v1 routes, and each of its
// operations reaches the route it describes.
func TestOpenAPI_MatchesRoutes(t *testing.T) {
	ts := newTestServer(t, Options{})
	doc := fetchOpenAPI(t, ts)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	ops := doc.operations()
	registered := slices.Clone(ts.s.v1Patterns)
	sort.Strings(registered)
	if !slices.Equal(ops, registered) {
		t.Fatalf("document and routes differ:\ndocument: %v\nroutes:   %v", ops, registered)
	}
	for _, op := range ops {
		method, path, _ := strings.Cut(op, " ")
		req := httptest.NewRequest(method, samplePath(path), nil)
		if _, pat := ts.s.mux.Handler(req); pat != op {
			t.Errorf("%s %s reaches %q, not %q", method, samplePath(path), pat, op)
		}
		for _, m := range doc.Paths[path] {
			var o struct {
				Summary   string         `json:"summary"`
				Responses map[string]any `json:"responses"`
			}
			json.Unmarshal(m, &o)
			if o.Summary == "" || o.Responses["default"] == nil {
				t.Errorf("%s: no summary or no error response", op)
			}
		}
	}
	// Every /v1 pattern on the mux came from the table: a route registered
	// beside it would be missing from the document.
	for _, p := range registered {
		if !strings.HasPrefix(strings.SplitN(p, " ", 2)[1], "/v1/") {
			t.Errorf("pattern %q outside /v1", p)
		}
	}
}
