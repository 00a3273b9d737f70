package httpapi_test

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/sfcas/sfcas/cas/castest"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
	"github.com/sfcas/sfcas/httpapi/api"
)

func chmodWrite(t *testing.T, path string, fn func(*os.File) error) {
	t.Helper()
	os.Chmod(path, 0o644)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := fn(f); err != nil {
		t.Fatal(err)
	}
}

// TestCorruption_ThroughTheAPI flips a byte in one blob file, truncates
// another and deletes a third. Scrub and fsck (through the API) report the
// three; reads of each fail on both surfaces instead of returning wrong
// bytes; both label views and the label's events say degraded; publishing
// the same bytes again heals every one.
func TestCorruption_ThroughTheAPI(t *testing.T) {
	db := catalogtest.Open(t)
	s := newTestServer(t, db)
	sys := s.login(catalog.SystemNamespace)
	names := []string{"flipped", "truncated", "deleted", "intact"}
	data := map[string][]byte{}
	vers := map[string]api.Version{}
	for _, n := range names {
		data[n] = castest.RandomBytes(t, 2<<20+n2(n))
		var p api.Published
		if st, body := s.do(sys, http.MethodPost, "/v1/labels/system/"+n, data[n], &p); st != 200 {
			t.Fatalf("publish %s: %d %s", n, st, body)
		}
		vers[n] = *p.Version
	}
	path := func(n string) string {
		b, _ := db.Blob(t.Context(), catalogtest.System, mustDigest(t, vers[n].Digest))
		return db.Blobs().Path(b.Digest)
	}
	chmodWrite(t, path("flipped"), func(f *os.File) error { _, err := f.WriteAt([]byte{data["flipped"][777] ^ 0x80}, 777); return err })
	chmodWrite(t, path("truncated"), func(f *os.File) error { return f.Truncate(4096) })
	if err := os.Remove(path("deleted")); err != nil {
		t.Fatal(err)
	}
	uuid := func(n string) string { return mustDigest(t, vers[n].Digest).UUID().String() }
	read := func(n string) (int, int, string) {
		st1, body1 := s.do(sys, http.MethodGet, "/v1/blobs/"+vers[n].Digest+"/data", nil, nil)
		st2, body2 := s.do(sys, http.MethodGet, "/blobs/"+uuid(n)+"/data", nil, nil)
		if st1 == 200 && body1 != string(data[n]) || st2 == 200 && body2 != string(data[n]) {
			t.Fatalf("%s: a read returned wrong bytes", n)
		}
		return st1, st2, body1
	}
	// A file of the wrong size or none is refused even before scrub.
	for _, n := range []string{"truncated", "deleted"} {
		if st1, st2, body := read(n); st1 != http.StatusServiceUnavailable || st2 != http.StatusServiceUnavailable || !strings.Contains(body, "degraded") {
			t.Fatalf("read of %s before scrub: %d %d %s", n, st1, st2, body)
		}
	}

	var rep catalog.ScrubReport
	if st, body := s.do(sys, http.MethodPost, "/v1/scrub", map[string]any{}, &rep); st != 200 {
		t.Fatalf("scrub: %d %s", st, body)
	}
	kinds := map[string]string{}
	for _, f := range rep.Quarantined {
		kinds[f.Object] = f.Kind
	}
	if len(kinds) != 3 || kinds[vers["flipped"].Digest] != catalog.FindDigestMismatch ||
		kinds[vers["truncated"].Digest] != catalog.FindBlobSize || kinds[vers["deleted"].Digest] != catalog.FindBlobMissing {
		t.Fatalf("scrub quarantined %v", kinds)
	}
	var frep catalog.FsckReport
	if st, body := s.do(sys, http.MethodPost, "/v1/fsck", map[string]any{}, &frep); st != 200 || frep.Problems() != 3 {
		t.Fatalf("fsck: %d %s", st, body)
	}
	for _, n := range names {
		bad := n != "intact"
		st1, st2, _ := read(n)
		if bad != (st1 == http.StatusServiceUnavailable && st2 == http.StatusServiceUnavailable) || !bad && (st1 != 200 || st2 != 200) {
			t.Fatalf("read of %s after scrub: %d %d", n, st1, st2)
		}
		var v1 api.Artifact
		s.do(sys, http.MethodGet, "/v1/labels/system/"+n, nil, &v1)
		var compat struct {
			Degraded bool   `json:"degraded"`
			Error    string `json:"error"`
		}
		s.do(sys, http.MethodGet, "/label/system/"+n, nil, &compat)
		if v1.Degraded != bad || v1.Current.Degraded != bad || compat.Degraded != bad || bad != strings.Contains(compat.Error, "quarantined") {
			t.Fatalf("%s: /v1 degraded %v, compatible view %+v", n, v1.Degraded, compat)
		}
		_, events := s.do(sys, http.MethodGet, "/artifacts/"+v1.UUID+"/events", nil, nil)
		if bad != strings.Contains(events, "degraded") {
			t.Fatalf("%s: events %s", n, events)
		}
		var blob struct {
			State string `json:"state"`
		}
		s.do(sys, http.MethodGet, "/blobs/"+uuid(n), nil, &blob)
		if bad != (blob.State == "error") {
			t.Fatalf("%s: compatible blob state %q", n, blob.State)
		}
	}

	for _, n := range names[:3] {
		if st, body := s.do(sys, http.MethodPost, "/v1/labels/system/"+n, data[n], nil); st != 200 {
			t.Fatalf("republish %s: %d %s", n, st, body)
		}
		st1, st2, _ := read(n)
		var v1 api.Artifact
		s.do(sys, http.MethodGet, "/v1/labels/system/"+n, nil, &v1)
		if st1 != 200 || st2 != 200 || v1.Degraded {
			t.Fatalf("%s after republishing: reads %d %d, degraded %v", n, st1, st2, v1.Degraded)
		}
	}
	if st, body := s.do(sys, http.MethodPost, "/v1/fsck", map[string]any{}, &frep); st != 200 || len(frep.Findings) != 0 {
		t.Fatalf("fsck after healing: %d %s", st, body)
	}
}

func n2(s string) int { return len(s) * 31 }
