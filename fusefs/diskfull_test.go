package fusefs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sfcas/sfcas/cas/castest"
	"github.com/sfcas/sfcas/catalog/catalogtest"
)

// TestStaging_DiskFull on a 64 MiB tmpfs with no free-space floor: a cp that
// runs out of space fails (at a write or at close) with ENOSPC and publishes
// nothing; reads through the view keep working on the full disk; once space
// is freed the same cp publishes.
func TestStaging_DiskFull(t *testing.T) {
	root := filepath.Join(castest.SmallFilesystem(t, "64m"), "store")
	e := newStaging(t, StagingOptions{DB: catalogtest.OpenAt(t, root)})
	small := writeRandom(t, e.tmp, "small", 1<<20)
	run(t, "cp", small, filepath.Join(e.staging, "system", "small"))
	big := writeRandom(t, e.tmp, "big", 80<<20) // more than the filesystem holds

	out, err := runErr(t, "cp", big, filepath.Join(e.staging, "system", "big"))
	if err == nil {
		t.Fatal("cp of 80 MiB onto a 64 MiB store succeeded")
	}
	if !strings.Contains(out, "No space left on device") {
		t.Fatalf("cp failed without ENOSPC: %v\n%s", err, out)
	}
	if _, ok := e.label(t, "system", "big"); ok {
		t.Fatal("a copy that ran out of space was published")
	}
	for _, d := range []string{"tmp", "uploads"} {
		if left, _ := os.ReadDir(filepath.Join(root, d)); len(left) != 0 {
			t.Fatalf("%s/ keeps %d file(s) after the failed copy", d, len(left))
		}
	}
	// Fill what is left: reads through the view still work.
	filler := filepath.Join(filepath.Dir(root), "filler")
	fillUp(t, filler)
	run(t, "cmp", small, filepath.Join(e.view, "system", "small"))

	// Free the space: the same copy now publishes... once it fits.
	os.Remove(filler)
	fits := writeRandom(t, e.tmp, "fits", 40<<20)
	run(t, "cp", fits, filepath.Join(e.staging, "system", "big"))
	run(t, "cmp", fits, filepath.Join(e.view, "system", "big"))
}

// fillUp writes path until its filesystem is full.
func fillUp(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i) | 1 // not zeros: zeros would stay holes
	}
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}
