// Package catalogtest provides a real catalog on a real bbolt file for tests.
// Import it only from _test.go files.
package catalogtest

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
	berrors "go.etcd.io/bbolt/errors"
)

// System is the system caller tests act as.
var System = catalog.Caller{Namespace: catalog.SystemNamespace, Key: "test"}

// Open returns a catalog and blob store under a fresh t.TempDir(), with the
// system namespace created. Cleanup closes it.
func Open(t testing.TB) *catalog.DB {
	t.Helper()
	return OpenAt(t, t.TempDir())
}

// OpenAt opens (or reopens) the catalog in root. Cleanup checks with Fsck
// that the test left the store consistent, then closes it.
func OpenAt(t testing.TB, root string) *catalog.DB {
	t.Helper()
	return OpenWith(t, root, catalog.Options{})
}

// OpenWith is OpenAt with options (a test clock, an upload TTL).
func OpenWith(t testing.TB, root string, o catalog.Options) *catalog.DB {
	t.Helper()
	blobs, err := cas.Open(root, cas.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := catalog.Open(filepath.Join(root, "catalog.db"), blobs, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer db.Close()
		rep, err := db.Fsck(context.Background(), catalog.FsckOptions{})
		if errors.Is(err, berrors.ErrDatabaseNotOpen) {
			return // the test closed it itself
		}
		if err != nil {
			t.Errorf("fsck at cleanup: %v", err)
		}
		for _, f := range rep.Findings {
			t.Errorf("fsck at cleanup: %s %s: %s", f.Kind, f.Object, f.Detail)
		}
	})
	if err := db.EnsureNamespace(context.Background(), catalog.SystemNamespace); err != nil {
		t.Fatal(err)
	}
	return db
}

// Namespace creates namespace name and returns a caller acting in it.
func Namespace(t testing.TB, db *catalog.DB, name string) catalog.Caller {
	t.Helper()
	if _, err := db.CreateNamespace(context.Background(), System, name); err != nil {
		t.Fatal(err)
	}
	return catalog.Caller{Namespace: name, Key: "test"}
}

// Publish ingests data as a new version of <c.Namespace>/<name> of type t,
// creating it if needed.
func Publish(t testing.TB, db *catalog.DB, c catalog.Caller, typ catalog.ArtifactType, name string, data []byte) (catalog.Artifact, catalog.Blob) {
	t.Helper()
	w, err := db.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ReadFrom(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	a, b, _, err := db.Publish(context.Background(), c,
		catalog.Target{Namespace: c.Namespace, Name: name, Type: typ, Create: true}, w, catalog.IngestOptions{})
	if err != nil {
		t.Fatalf("publish %s/%s: %v", c.Namespace, name, err)
	}
	return a, b
}
