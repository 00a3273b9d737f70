package catalog_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
)

func TestLabel_CreateUpdateRollback(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	alice := catalogtest.Namespace(t, db, "alice")
	img1, b1 := catalogtest.Publish(t, db, alice, catalog.TypeImage, "debian", []byte("debian one"))
	_, b2 := catalogtest.Publish(t, db, alice, catalog.TypeImage, "debian", []byte("debian two"))

	// Empty, then from a version reference.
	empty, err := db.CreateLabel(ctx, alice, catalog.LabelSpec{Namespace: "alice", Name: "empty"})
	if err != nil || len(empty.Versions) != 0 || empty.Type != catalog.TypeLabel {
		t.Fatalf("empty label: %+v, %v", empty, err)
	}
	l, err := db.CreateLabel(ctx, alice, catalog.LabelSpec{Namespace: "alice", Name: "prod", From: "alice/debian@1", MaxVersions: 5})
	if err != nil || len(l.Versions) != 1 || l.Versions[0].Digest != b1.Digest || l.MaxVersions != 5 {
		t.Fatalf("label from alice/debian@1: %+v, %v", l, err)
	}
	if _, err := db.CreateLabel(ctx, alice, catalog.LabelSpec{Namespace: "alice", Name: "prod"}); !errors.Is(err, catalog.ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	// A reference that does not resolve leaves no half-made label.
	if _, err := db.CreateLabel(ctx, alice, catalog.LabelSpec{Namespace: "alice", Name: "ghost", From: "alice/nosuch"}); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("create from a missing ref: %v", err)
	}
	if _, err := db.LabelByName(ctx, alice, "alice", "ghost"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("a failed create left a label: %v", err)
	}
	// Updating a missing label never creates it.
	if _, _, err := db.UpdateLabel(ctx, alice, "alice", "ghost", catalog.LabelUpdate{Ref: "alice/debian"}); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("update of a missing label: %v", err)
	}
	// Update to a bare name (the image), by digest, to the same content.
	l, added, err := db.UpdateLabel(ctx, alice, "alice", "prod", catalog.LabelUpdate{Ref: "debian"})
	if err != nil || !added || l.Versions[1].Digest != b2.Digest || l.Versions[1].Note != "set to alice/debian" {
		t.Fatalf("update to debian: %+v, %v", l.Versions, err)
	}
	if _, added, err = db.UpdateLabel(ctx, alice, "alice", "prod", catalog.LabelUpdate{Ref: b2.Digest.String()}); err != nil || added {
		t.Fatalf("update to the current content: added %v, %v", added, err)
	}
	// Roll back, and forward again, without a blob UUID in sight.
	l, err = db.RollbackLabel(ctx, alice, "alice", "prod", 0)
	if err != nil || len(l.Versions) != 3 || l.Versions[2].Digest != b1.Digest || l.Versions[2].Note != "rollback to 1" {
		t.Fatalf("rollback: %+v, %v", l.Versions, err)
	}
	l, err = db.RollbackLabel(ctx, alice, "alice", "prod", 2)
	if err != nil || l.Versions[3].Digest != b2.Digest {
		t.Fatalf("roll forward to 2: %+v, %v", l.Versions, err)
	}
	if _, err := db.RollbackLabel(ctx, alice, "alice", "prod", 4); !errors.Is(err, catalog.ErrConflict) {
		t.Fatalf("rollback to the current version: %v", err)
	}
	if _, err := db.RollbackLabel(ctx, alice, "alice", "prod", 99); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("rollback to a missing version: %v", err)
	}
	if _, err := db.RollbackLabel(ctx, alice, "alice", "empty", 0); !errors.Is(err, catalog.ErrNothingToRollBack) {
		t.Fatalf("rollback of an empty label: %v", err)
	}
	// Version policy at update reaps at once.
	l, _, err = db.UpdateLabel(ctx, alice, "alice", "prod", catalog.LabelUpdate{MaxVersions: 1})
	if err != nil || len(l.Versions) != 1 || l.MaxVersions != 1 {
		t.Fatalf("max_versions 1: %+v, %v", l, err)
	}
	// A label is not an image: label operations on an image are not_found.
	if _, err := db.RollbackLabel(ctx, alice, "alice", "debian", 0); !errors.Is(err, catalog.ErrConflict) {
		t.Fatalf("rollback of an image: %v", err)
	}
	if _, err := db.LabelByName(ctx, alice, "alice", "debian"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("an image shown as a label: %v", err)
	}
	_ = img1
}

func TestLabel_OnlyOwnerOrSystemChanges(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	bob := catalogtest.Namespace(t, db, "bob")
	catalogtest.Publish(t, db, sys, catalog.TypeImage, "base", []byte("base"))
	l, err := db.CreateLabel(ctx, sys, catalog.LabelSpec{Namespace: "system", Name: "centos:7", From: "system/base", Shared: true})
	if err != nil {
		t.Fatal(err)
	}
	catalogtest.Publish(t, db, bob, catalog.TypeImage, "mine", []byte("bob's"))
	// #1386: bob sees the shared label but may not move it.
	if _, _, err := db.UpdateLabel(ctx, bob, "system", "centos:7", catalog.LabelUpdate{Ref: "bob/mine"}); !errors.Is(err, catalog.ErrForbidden) {
		t.Fatalf("bob moved a shared system label: %v", err)
	}
	if _, err := db.RollbackLabel(ctx, bob, "system", "centos:7", 0); !errors.Is(err, catalog.ErrForbidden) {
		t.Fatalf("bob rolled back a shared system label: %v", err)
	}
	if _, err := db.CreateLabel(ctx, bob, catalog.LabelSpec{Namespace: "system", Name: "x"}); !errors.Is(err, catalog.ErrForbidden) {
		t.Fatalf("bob created a label in system: %v", err)
	}
	// System may change bob's label.
	if _, err := db.CreateLabel(ctx, bob, catalog.LabelSpec{Namespace: "bob", Name: "l", From: "centos:7"}); err != nil {
		t.Fatalf("bob labels the shared system label: %v", err)
	}
	if _, _, err := db.UpdateLabel(ctx, sys, "bob", "l", catalog.LabelUpdate{Ref: "bob/mine"}); err != nil {
		t.Fatalf("system updates bob's label: %v", err)
	}
	_ = l
}

func TestResolve_BareNameWithMissingVersionSaysSo(t *testing.T) {
	db := catalogtest.Open(t)
	alice := catalogtest.Namespace(t, db, "alice")
	catalogtest.Publish(t, db, alice, catalog.TypeLabel, "web", []byte("one"))
	_, err := db.Resolve(t.Context(), alice, "web@7")
	if !errors.Is(err, catalog.ErrNotFound) || !strings.Contains(err.Error(), "alice/web has no version 7") {
		t.Fatalf("web@7: %v", err)
	}
}

func TestUpload_DeleteWhileBusyIsConflict(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	u, err := db.CreateUpload(ctx, sys, catalog.UploadSpec{})
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := db.AppendUpload(ctx, sys, u.UUID, pr, catalog.AppendOptions{At: -1})
		done <- err
	}()
	pw.Write([]byte("first bytes")) // returns once the append is reading
	if err := db.DeleteUpload(ctx, sys, u.UUID); !errors.Is(err, catalog.ErrConflict) {
		t.Fatalf("delete of a busy upload: %v", err)
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteUpload(ctx, sys, u.UUID); err != nil {
		t.Fatalf("delete of an idle upload: %v", err)
	}
	if _, err := db.GetUpload(ctx, sys, u.UUID); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("deleted upload still there: %v", err)
	}
}
