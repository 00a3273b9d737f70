package fusefs

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
	bolt "go.etcd.io/bbolt"
)

// quarantine marks blob d quarantined in the catalog file at root, as a
// scrub that found it damaged would. The catalog has no call for that yet,
// so it edits the blob record in the bbolt file while no DB holds it.
func quarantine(t *testing.T, root string, d cas.Digest) {
	t.Helper()
	b, err := bolt.Open(filepath.Join(root, "catalog.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Update(func(tx *bolt.Tx) error {
		bucket := tx.Bucket([]byte("blobs"))
		var rec map[string]any
		if err := json.Unmarshal(bucket.Get(d[:]), &rec); err != nil {
			return err
		}
		rec["state"] = string(catalog.BlobQuarantined)
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return bucket.Put(d[:], v)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestView_QuarantinedBlobIsEIO(t *testing.T) {
	root := t.TempDir()
	db := catalogtest.OpenAt(t, root)
	src := writeRandom(t, t.TempDir(), "src", 1<<20)
	b := publishFile(t, db, catalogtest.System, "bad", src)
	publishFile(t, db, catalogtest.System, "good", writeRandom(t, t.TempDir(), "ok", 1000))
	db.Close()
	quarantine(t, root, b.Digest)
	db = catalogtest.OpenAt(t, root)

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
}
