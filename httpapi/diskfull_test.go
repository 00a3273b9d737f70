package httpapi_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sfcas/sfcas/cas/castest"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
	"github.com/sfcas/sfcas/httpapi/api"
)

// fill writes a file until the filesystem is full; removing it frees the
// space again.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

func noLeftovers(t *testing.T, db *catalog.DB, why string, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if left, _ := os.ReadDir(filepath.Join(db.Blobs().Root(), d)); len(left) != 0 {
			t.Fatalf("%s: %s/ holds %d file(s)", why, d, len(left))
		}
	}
}

// TestDiskFull on a 64 MiB tmpfs: a publish that would cross the
// free-space floor fails early with 507, as does an upload declaring too
// much; a publish of unknown length that fills the disk fails with 507 and
// leaves nothing behind; reads keep working on a full disk; GC on a full
// disk fails cleanly or succeeds; once space is freed everything works.
// The staging mount's part (cp into /sf-staging on a full disk: ENOSPC, no
// version) belongs next to the fusefs tests, on castest.SmallFilesystem too.
func TestDiskFull(t *testing.T) {
	root := filepath.Join(castest.SmallFilesystem(t, "64m"), "store")
	db := catalogtest.OpenAt(t, root)
	s := newTestServer(t, db)
	sys := s.login(catalog.SystemNamespace)
	a := castest.RandomBytes(t, 24<<20)
	var pa api.Published
	if st, body := s.do(sys, http.MethodPost, "/v1/labels/system/a", a, &pa); st != 200 {
		t.Fatalf("publish a: %d %s", st, body)
	}
	readA := func(why string) {
		t.Helper()
		st, body := s.do(sys, http.MethodGet, "/v1/blobs/"+pa.Version.Digest+"/data", nil, nil)
		if st != 200 || body != string(a) {
			t.Fatalf("%s: read of a: %d (%d bytes)", why, st, len(body))
		}
	}

	// Below the floor: refused before a byte is written.
	db.Blobs().SetMinFree(16 << 20)
	b := castest.RandomBytes(t, 30<<20)
	if st, body := s.do(sys, http.MethodPost, "/v1/labels/system/b", b, nil); st != http.StatusInsufficientStorage || !strings.Contains(body, "insufficient_storage") {
		t.Fatalf("publish across the floor: %d %s", st, body)
	}
	if st, body := s.do(sys, http.MethodPost, "/upload", map[string]int{"size": 30 << 20}, nil); st != http.StatusInsufficientStorage {
		t.Fatalf("upload declaring 30 MiB: %d %s", st, body)
	}
	noLeftovers(t, db, "after refusals at the floor", "tmp", "uploads")

	// No floor, unknown length: the filesystem itself fills up.
	db.Blobs().SetMinFree(0)
	big := castest.RandomBytes(t, 50<<20)
	st, body := s.do(sys, http.MethodPost, "/v1/labels/system/b", io.NopCloser(bytes.NewReader(big)), nil)
	if st != http.StatusInsufficientStorage {
		t.Fatalf("publish that fills the disk: %d %s", st, body)
	}
	noLeftovers(t, db, "after a publish that hit ENOSPC", "tmp", "uploads")
	if _, err := db.Resolve(t.Context(), catalogtest.System, "system/b"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("a failed publish left a label: %v", err)
	}
	readA("after ENOSPC")

	// An upload session on a full disk: the chunk fails, the acknowledged
	// size stays.
	var up struct {
		UUID string `json:"uuid"`
	}
	if st, body := s.do(sys, http.MethodPost, "/upload", nil, &up); st != 200 {
		t.Fatalf("upload: %d %s", st, body)
	}
	if st, body := s.do(sys, http.MethodPost, "/upload/"+up.UUID, castest.RandomBytes(t, 1<<20), nil); st != 200 {
		t.Fatalf("first chunk: %d %s", st, body)
	}
	filler := fill(t, filepath.Dir(root))
	if st, body := s.do(sys, http.MethodPost, "/upload/"+up.UUID, castest.RandomBytes(t, 8<<20), nil); st != http.StatusInsufficientStorage {
		t.Fatalf("chunk on a full disk: %d %s", st, body)
	}
	var u struct {
		Size int64 `json:"size"`
	}
	if s.do(sys, http.MethodGet, "/upload/"+up.UUID, nil, &u); u.Size != 1<<20 {
		t.Fatalf("acknowledged size after a failed chunk: %d", u.Size)
	}
	readA("on a full disk")
	if st, _ := s.do(sys, http.MethodPost, "/v1/labels/system/c", castest.RandomBytes(t, 1<<20), nil); st != http.StatusInsufficientStorage {
		t.Fatalf("publish on a full disk: %d", st)
	}

	// GC on a full disk: a's label goes, GC runs; whatever it manages, the
	// catalog and the files agree.
	if st, body := s.do(sys, http.MethodDelete, "/label/system/a", nil, nil); st != 200 && st != http.StatusInsufficientStorage && st != 500 {
		t.Fatalf("delete a on a full disk: %d %s", st, body)
	}
	var g catalog.GCReport
	st, body = s.do(sys, http.MethodPost, "/v1/gc", map[string]any{}, &g)
	if st >= 500 && st != http.StatusInsufficientStorage {
		t.Logf("gc on a full disk: %d %s", st, body)
	}
	var frep catalog.FsckReport
	if st, body := s.do(sys, http.MethodPost, "/v1/fsck", map[string]any{}, &frep); st != 200 || frep.Problems() != 0 {
		t.Fatalf("fsck on a full disk: %d %s", st, body)
	}
	noLeftovers(t, db, "on a full disk", "tmp") // uploads/ holds the live session

	// Space freed: everything works again.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	s.do(sys, http.MethodDelete, "/label/system/a", nil, nil)
	if st, body := s.do(sys, http.MethodPost, "/v1/gc", map[string]any{}, &g); st != 200 {
		t.Fatalf("gc after freeing space: %d %s", st, body)
	}
	db.Blobs().SetMinFree(4 << 20)
	var pb api.Published
	if st, body := s.do(sys, http.MethodPost, "/v1/labels/system/b", b, &pb); st != 200 {
		t.Fatalf("publish after freeing space: %d %s", st, body)
	}
	if st, body := s.do(sys, http.MethodGet, "/v1/blobs/"+pb.Version.Digest+"/data", nil, nil); st != 200 || body != string(b) {
		t.Fatalf("read b: %d", st)
	}
	if st, body := s.do(sys, http.MethodPost, "/upload/"+up.UUID, castest.RandomBytes(t, 1<<20), nil); st != 200 || strings.TrimSpace(body) != "2097152" {
		t.Fatalf("upload resumes after freeing space: %d %s", st, body)
	}
}
