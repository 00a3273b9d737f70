// Package catalogtest provides a real catalog on a real bbolt file for tests.
// Import it only from _test.go files.
package catalogtest

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
)

// System is the system caller tests act as.
var System = catalog.Caller{Namespace: catalog.SystemNamespace, Key: "test"}

// Open returns a catalog and blob store under a fresh t.TempDir(), with the
// system namespace created. Cleanup closes it.
func Open(t testing.TB) *catalog.DB {
	t.Helper()
	return OpenAt(t, t.TempDir())
}

// OpenAt opens (or reopens) the catalog in root.
func OpenAt(t testing.TB, root string) *catalog.DB {
	t.Helper()
	blobs, err := cas.Open(root, cas.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := catalog.Open(filepath.Join(root, "catalog.db"), blobs, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
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
