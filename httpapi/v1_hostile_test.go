package httpapi

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
	"github.com/sfcas/sfcas/httpapi/api"
)

// Every /v1 route meets malformed, oversized and hostile input with a typed
// 4xx problem document: never a 500, never a panic.
func TestV1_HostileInputIsTyped4xx(t *testing.T) {
	ts := newTestServer(t, Options{})
	tok := ts.token(t, "system")
	catalogtest.Publish(t, ts.db, catalogtest.System, catalog.TypeLabel, "centos:7", []byte("centos"))
	doc := fetchOpenAPI(t, ts)
	bodies := []any{
		"{", "[]", `"x"`, "{}{}", `{"unknown": 1}`, `{"max_versions": "many"}`, `{"max_versions": -5}`,
		`{"ref": "https://evil.example/x"}`, `{"ref": "../../etc/passwd"}`, `{"from": "a\u0000b"}`,
		`{"disks": [{"device": "vda", "path": "/etc/shadow"}], "instance": "vm"}`,
		`{"url": "file:///etc/passwd"}`, `{"to": -1}`,
		strings.Repeat(" ", maxJSONBody+10) + "{}",
	}
	paths := []string{"..", "%2e%2e", "a%00b", "a%2Fb", strings.Repeat("x", 300), "%ff%fe", "@", "."}
	check := func(method, path string, body any, tok string) {
		t.Helper()
		r := ts.do(t, tok, method, path, body)
		if r.status >= 500 || r.status < 400 {
			// Successes are allowed only for well-formed requests; these
			// must all fail, and never as a server error.
			t.Errorf("%s %s with %.40q: status %d: %.200s", method, path, fmt.Sprint(body), r.status, r.body)
			return
		}
		if ct := r.header.Get("Content-Type"); method != "HEAD" && ct != "application/problem+json" {
			t.Errorf("%s %s: content type %q", method, path, ct)
		}
		if method != "HEAD" && r.problem(t).Code == "" {
			t.Errorf("%s %s: no code", method, path)
		}
	}
	for _, op := range doc.operations() {
		method, tmpl, _ := strings.Cut(op, " ")
		// Without a token.
		check(method, samplePath(tmpl), nil, "")
		check(method, samplePath(tmpl), nil, "not.a.token")
		// Hostile path values.
		if strings.Contains(tmpl, "{") {
			for _, bad := range paths {
				p := tmpl
				for _, name := range []string{"{ns}", "{name}", "{index}", "{grantee}", "{id}", "{digest}"} {
					p = strings.ReplaceAll(p, name, bad)
				}
				check(method, p, nil, tok)
			}
		}
		// Hostile bodies and query parameters.
		if method == "POST" || method == "PUT" || method == "PATCH" {
			for _, b := range bodies {
				check(method, samplePath(tmpl), b, tok)
			}
		}
		if method == "GET" && !strings.Contains(tmpl, "{") {
			for _, q := range []string{"?limit=0", "?limit=x", "?limit=100000", "?cursor=!!", "?cursor=%00",
				"?type=disk", "?state=bad", "?unknown=1", "?set=nope", "?prefix=a/b", "?limit=1&limit=2", "?ref=", "?ref=https://x/y"} {
				if tmpl == "/v1/resolve" && !strings.HasPrefix(q, "?ref") {
					continue
				}
				check(method, tmpl+q, nil, tok)
			}
		}
	}
	// Wrong methods are 405 with Allow, and unknown paths 404.
	r := ts.do(t, tok, "PUT", "/v1/resolve", nil).want(t, http.StatusMethodNotAllowed, codeMethod)
	if r.header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("Allow %q", r.header.Get("Allow"))
	}
	ts.do(t, tok, "GET", "/v1/nosuch", nil).want(t, http.StatusNotFound, codeNotFound)
	// Nothing was half made.
	p, err := ts.db.ListArtifacts(t.Context(), catalogtest.System, catalog.ListOptions{})
	if err != nil || len(p.Artifacts) != 1 {
		t.Fatalf("hostile requests left %d artifacts: %v", len(p.Artifacts), err)
	}
}

// Concurrent creates of one label: one wins, the rest are already_exists;
// concurrent updates all land as versions.
func TestV1_ConcurrentLabelChanges(t *testing.T) {
	ts := newTestServer(t, Options{})
	tok := ts.token(t, "system")
	for i := range 4 {
		catalogtest.Publish(t, ts.db, catalogtest.System, catalog.TypeImage, fmt.Sprintf("img%d", i), []byte(fmt.Sprintf("image %d", i)))
	}
	const n = 8
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = ts.do(t, tok, "PUT", "/v1/labels/system/race", api.LabelCreate{From: "system/img0", MaxVersions: 50}).status
		}()
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Fatalf("concurrent create answered %d", s)
		}
	}
	if created != 1 {
		t.Fatalf("%d concurrent creates succeeded", created)
	}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts.do(t, tok, "PATCH", "/v1/labels/system/race", api.LabelUpdate{Ref: fmt.Sprintf("system/img%d", 1+i%3)}).want(t, 200, "")
		}()
	}
	wg.Wait()
	l := decode[api.Artifact](t, ts.do(t, tok, "GET", "/v1/labels/system/race", nil).want(t, 200, ""))
	for i := 1; i < len(l.Versions); i++ {
		if l.Versions[i].Digest == l.Versions[i-1].Digest {
			t.Fatalf("two consecutive versions with one digest: %+v", l.Versions)
		}
	}
	if len(l.Versions) < 2 || len(l.Versions) > n+1 {
		t.Fatalf("%d versions after %d updates", len(l.Versions), n)
	}
}

// The motivating case over HTTP: an ambiguous bare name is a 409 problem
// listing both explicit references; nothing is fetched.
func TestV1_AmbiguousReference(t *testing.T) {
	ts := newTestServer(t, Options{})
	sysTok := ts.token(t, "system")
	aliceTok := ts.token(t, "alice")
	ts.do(t, sysTok, "POST", "/v1/labels/system/centos:7?shared=true", []byte("system centos")).want(t, 200, "")
	res := decode[api.Resolved](t, ts.do(t, sysTok, "GET", "/v1/resolve?ref=centos:7", nil).want(t, 200, ""))
	if res.Ref != "system/centos:7" || res.Kind != "artifact" {
		t.Fatalf("system resolves %+v", res)
	}
	ts.do(t, aliceTok, "POST", "/v1/labels/alice/centos:7", []byte("alice centos")).want(t, 200, "")
	p := ts.do(t, aliceTok, "GET", "/v1/resolve?ref=centos:7", nil).want(t, http.StatusConflict, codeAmbiguous).problem(t)
	if len(p.Candidates) != 2 || p.Candidates[0] != "alice/centos:7" || p.Candidates[1] != "system/centos:7" {
		t.Fatalf("candidates %v", p.Candidates)
	}
	// Publishing "from" the ambiguous name is refused the same way.
	ts.do(t, aliceTok, "PUT", "/v1/labels/alice/other", api.LabelCreate{From: "centos:7"}).want(t, http.StatusConflict, codeAmbiguous)
	ts.do(t, aliceTok, "GET", "/v1/labels/alice/other", nil).want(t, http.StatusNotFound, codeNotFound)
	// Alice cannot move system's label, and a missing label is never made
	// by an update.
	ts.do(t, aliceTok, "PATCH", "/v1/labels/system/centos:7", api.LabelUpdate{Ref: "alice/centos:7"}).want(t, http.StatusForbidden, codeForbidden)
	ts.do(t, aliceTok, "PATCH", "/v1/labels/alice/ghost", api.LabelUpdate{Ref: "alice/centos:7"}).want(t, http.StatusNotFound, codeNotFound)
	ts.do(t, aliceTok, "GET", "/v1/labels/alice/ghost", nil).want(t, http.StatusNotFound, codeNotFound)
	// Sharing with everyone is for system: refused before any bytes land.
	ts.do(t, aliceTok, "POST", "/v1/labels/alice/everyone?shared=true", []byte("x")).want(t, http.StatusForbidden, codeForbidden)
	// A publish that may not create never makes a label.
	ts.do(t, aliceTok, "POST", "/v1/labels/alice/staged?create=false", bytes.Repeat([]byte("x"), 10)).want(t, http.StatusNotFound, codeNotFound)
	ts.do(t, aliceTok, "GET", "/v1/labels/alice/staged", nil).want(t, http.StatusNotFound, codeNotFound)
}

// Any namespace snapshots from upload sessions; node-local files are for
// system only.
func TestV1_SnapshotsFromUploads(t *testing.T) {
	ts := newTestServer(t, Options{SnapshotDirs: []string{t.TempDir()}})
	tok := ts.token(t, "alice")
	var ids []string
	for _, data := range []string{"root disk bytes", "data disk bytes"} {
		u := decode[uploadView](t, ts.do(t, tok, "POST", "/upload", nil).want(t, 200, ""))
		ts.do(t, tok, "POST", "/upload/"+u.UUID, []byte(data)).want(t, 200, "")
		ids = append(ids, u.UUID)
	}
	ts.do(t, tok, "POST", "/v1/snapshots", api.SnapshotCreate{Instance: "vm-9", Disks: []api.SnapshotDisk{
		{Device: "vda", Path: "/etc/passwd"}}}).want(t, http.StatusForbidden, codeForbidden)
	r := ts.do(t, tok, "POST", "/v1/snapshots", api.SnapshotCreate{Instance: "vm-9", Name: "nightly", Disks: []api.SnapshotDisk{
		{Device: "vda", Upload: ids[0]}, {Device: "vdb", Upload: ids[1]}}}).want(t, http.StatusCreated, "")
	set := decode[api.SnapshotSet](t, r)
	if len(set.Artifacts) != 2 || set.Artifacts[0].Ref != "alice/nightly:vda" || set.Artifacts[1].Current.Size != int64(len("data disk bytes")) {
		t.Fatalf("snapshot set %+v", set)
	}
	page := decode[api.ArtifactPage](t, ts.do(t, tok, "GET", "/v1/artifacts?type=snapshot&instance=vm-9", nil).want(t, 200, ""))
	if len(page.Items) != 2 || page.Items[0].Snapshot.SetID != set.SetID {
		t.Fatalf("listed %+v", page.Items)
	}
	// New versions of a snapshot go through the artifacts route.
	ts.do(t, tok, "POST", "/v1/artifacts/alice/nightly:vda?type=snapshot", []byte("root disk, later")).want(t, 200, "")
	ts.do(t, tok, "POST", "/v1/artifacts/alice/adhoc?type=snapshot", []byte("x")).want(t, http.StatusNotFound, codeNotFound)
}
