package catalog_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/cas/castest"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
)

func publishAs(t *testing.T, db *catalog.DB, c catalog.Caller, name string, data []byte) error {
	t.Helper()
	w, err := db.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	_, _, _, err = db.Publish(t.Context(), c, catalog.Target{Namespace: c.Namespace, Name: name, Type: catalog.TypeLabel, Create: true}, w, catalog.IngestOptions{})
	return err
}

func TestQuota_CountsVersionsAndReservations(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	alice := catalogtest.Namespace(t, db, "alice")
	if _, err := db.SetQuota(ctx, alice, "alice", 1<<40); !errors.Is(err, catalog.ErrForbidden) {
		t.Fatalf("alice set her own quota: %v", err)
	}
	if _, err := db.SetQuota(ctx, sys, "alice", 10000); err != nil {
		t.Fatal(err)
	}
	first := castest.RandomBytes(t, 6000)
	if err := publishAs(t, db, alice, "a", first); err != nil {
		t.Fatal(err)
	}
	if err := publishAs(t, db, alice, "b", castest.RandomBytes(t, 6000)); !errors.Is(err, cas.ErrNoSpace) {
		t.Fatalf("publish beyond the quota: %v", err)
	}
	// Bytes alice already holds cost nothing more.
	if err := publishAs(t, db, alice, "copy", first); err != nil {
		t.Fatalf("publish of bytes alice holds: %v", err)
	}
	if _, err := db.CreateUpload(ctx, alice, catalog.UploadSpec{Declared: 5000}); !errors.Is(err, cas.ErrNoSpace) {
		t.Fatalf("upload declaring beyond the quota: %v", err)
	}
	up, err := db.CreateUpload(ctx, alice, catalog.UploadSpec{Declared: 3000})
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := db.NamespaceUsage(ctx, alice, "alice"); u.Bytes != 6000 || u.Reserved != 3000 || u.Quota != 10000 {
		t.Fatalf("usage %+v", u)
	}
	if err := publishAs(t, db, alice, "c", castest.RandomBytes(t, 2000)); !errors.Is(err, cas.ErrNoSpace) {
		t.Fatalf("publish into reserved space: %v", err)
	}
	if _, err := db.AppendUpload(ctx, alice, up.UUID, bytes.NewReader(make([]byte, 2500)), catalog.AppendOptions{At: -1}); err != nil {
		t.Fatal(err)
	}
	if u, _ := db.NamespaceUsage(ctx, alice, "alice"); u.Reserved != 500 {
		t.Fatalf("reservation after 2500 of 3000 bytes: %+v", u)
	}
	if err := db.DeleteUpload(ctx, alice, up.UUID); err != nil {
		t.Fatal(err)
	}
	if err := publishAs(t, db, alice, "c", castest.RandomBytes(t, 2000)); err != nil {
		t.Fatalf("publish after the reservation ended: %v", err)
	}
	// Other namespaces and system are not limited by alice's quota.
	if err := publishAs(t, db, sys, "big", castest.RandomBytes(t, 20000)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.NamespaceUsage(ctx, catalogtest.Namespace(t, db, "bob"), "alice"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("bob read alice's usage: %v", err)
	}
}

// TestReservations_CountAgainstTheFloor: on a 16 MiB tmpfs, an upload that
// declared 8 MiB holds them back from every other writer.
func TestReservations_CountAgainstTheFloor(t *testing.T) {
	root := filepath.Join(castest.SmallFilesystem(t, "16m"), "store")
	db := catalogtest.OpenAt(t, root)
	ctx := t.Context()
	if _, err := db.CreateUpload(ctx, sys, catalog.UploadSpec{Declared: 8 << 20}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUpload(ctx, sys, catalog.UploadSpec{Declared: 10 << 20}); !errors.Is(err, cas.ErrNoSpace) {
		t.Fatalf("second upload declaring 10 MiB of 16 with 8 reserved: %v", err)
	}
	if err := db.CheckSpace(10 << 20); !errors.Is(err, cas.ErrNoSpace) {
		t.Fatalf("CheckSpace ignores reservations: %v", err)
	}
	if err := db.Blobs().CheckSpace(10 << 20); err != nil {
		t.Fatalf("the filesystem alone has room: %v", err)
	}
}
