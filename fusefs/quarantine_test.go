package fusefs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
)

// TestView_QuarantinedBlobIsEIO: a blob scrub found damaged answers EIO
// through every path that names it (never its bytes), a healthy label next
// to it still reads, and publishing the same bytes again heals the view.
func TestView_QuarantinedBlobIsEIO(t *testing.T) {
	db := catalogtest.Open(t)
	src := writeRandom(t, t.TempDir(), "src", 1<<20)
	b := publishFile(t, db, catalogtest.System, "bad", src)
	publishFile(t, db, catalogtest.System, "good", writeRandom(t, t.TempDir(), "ok", 1000))

	// Flip one byte of the stored blob; scrub finds it and quarantines it.
	p := db.Blobs().Path(b.Digest)
	os.Chmod(p, 0o644)
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	one := make([]byte, 1)
	f.ReadAt(one, 4096)
	f.WriteAt([]byte{one[0] ^ 0xff}, 4096)
	f.Close()
	rep, err := db.Scrub(context.Background(), catalog.ScrubOptions{Restart: true})
	if err != nil || len(rep.Quarantined) != 1 {
		t.Fatalf("scrub: %+v, %v", rep, err)
	}

	m := testView(t, db, catalog.Caller{}, true)
	for _, p := range []string{"system/bad", "system/bad@1", ".blobs/" + b.Digest.String()} {
		// The name is there (the label is degraded, not gone); its bytes are not.
		if err := statErr(filepath.Join(m.Dir(), p)); err != nil {
			t.Errorf("stat %s: %v", p, err)
		}
		if _, err := os.ReadFile(filepath.Join(m.Dir(), p)); !errors.Is(err, syscall.EIO) {
			t.Errorf("reading quarantined %s: %v, want EIO", p, err)
		}
	}
	if _, err := os.ReadFile(filepath.Join(m.Dir(), "system", "good")); err != nil {
		t.Errorf("a healthy label next to it: %v", err)
	}

	// The same bytes published again heal the blob; the view serves them.
	publishFile(t, db, catalogtest.System, "bad", src)
	want, _ := os.ReadFile(src)
	if got, err := os.ReadFile(filepath.Join(m.Dir(), "system", "bad")); err != nil || string(got) != string(want) {
		t.Fatalf("after healing: %v", err)
	}
}
