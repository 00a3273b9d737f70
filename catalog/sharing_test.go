package catalog_test

import (
	"errors"
	"testing"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
)

func TestGrant_DecidesVisibility(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	alice := catalogtest.Namespace(t, db, "alice")
	bob := catalogtest.Namespace(t, db, "bob")
	carol := catalogtest.Namespace(t, db, "carol")
	a, b := catalogtest.Publish(t, db, alice, catalog.TypeImage, "golden", []byte("golden image"))
	if _, err := db.Resolve(ctx, bob, "alice/golden"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("bob resolves alice's image before a grant: %v", err)
	}
	if _, err := db.Grant(ctx, bob, a.UUID, "bob"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("bob granted himself: %v", err)
	}
	if _, err := db.Grant(ctx, alice, a.UUID, "nosuch"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("grant to a missing namespace: %v", err)
	}
	if _, err := db.Grant(ctx, alice, a.UUID, "../x"); !errors.Is(err, catalog.ErrInvalid) {
		t.Fatalf("grant to a bad name: %v", err)
	}
	if _, err := db.Grant(ctx, alice, a.UUID, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Grant(ctx, alice, a.UUID, "bob"); err != nil {
		t.Fatalf("granting twice: %v", err)
	}
	r, err := db.Resolve(ctx, bob, "alice/golden")
	if err != nil || r.Blob.Digest != b.Digest {
		t.Fatalf("bob resolves the granted image: %v", err)
	}
	if _, err := db.Blob(ctx, bob, b.Digest); err != nil {
		t.Fatalf("bob reads the granted blob: %v", err)
	}
	p, err := db.ListArtifacts(ctx, bob, catalog.ListOptions{})
	if err != nil || len(p.Artifacts) != 1 || p.Artifacts[0].UUID != a.UUID {
		t.Fatalf("bob's list: %+v, %v", p.Artifacts, err)
	}
	p, _ = db.ListArtifacts(ctx, bob, catalog.ListOptions{Namespace: "alice"})
	if len(p.Artifacts) != 1 {
		t.Fatalf("bob's list of alice: %d", len(p.Artifacts))
	}
	if p, _ = db.ListArtifacts(ctx, carol, catalog.ListOptions{Namespace: "alice"}); len(p.Artifacts) != 0 {
		t.Fatalf("carol sees %d of alice's artifacts", len(p.Artifacts))
	}
	if _, err := db.Grants(ctx, bob, a.UUID); !errors.Is(err, catalog.ErrForbidden) {
		t.Fatalf("a grantee lists grants: %v", err)
	}
	if g, err := db.Grants(ctx, alice, a.UUID); err != nil || len(g) != 1 || g[0] != "bob" {
		t.Fatalf("grants %v, %v", g, err)
	}
	// Granted is readable, not changeable.
	if _, err := db.DeleteArtifact(ctx, bob, a.UUID); !errors.Is(err, catalog.ErrForbidden) {
		t.Fatalf("bob deleted a granted artifact: %v", err)
	}
	if _, err := db.Revoke(ctx, alice, a.UUID, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Revoke(ctx, alice, a.UUID, "bob"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("revoking twice: %v", err)
	}
	if _, err := db.Resolve(ctx, bob, "alice/golden"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("bob resolves after revoke: %v", err)
	}
	if p, _ = db.ListArtifacts(ctx, bob, catalog.ListOptions{}); len(p.Artifacts) != 0 {
		t.Fatalf("bob lists %d after revoke", len(p.Artifacts))
	}
	// A deleted namespace's grants go with it: a namespace made later under
	// the same name inherits nothing.
	if _, err := db.Grant(ctx, alice, a.UUID, "carol"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteNamespace(ctx, sys, "carol"); err != nil {
		t.Fatal(err)
	}
	carol = catalogtest.Namespace(t, db, "carol")
	if _, err := db.Resolve(ctx, carol, "alice/golden"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("a new carol inherited the old one's grant: %v", err)
	}
	if g, _ := db.Grants(ctx, alice, a.UUID); len(g) != 0 {
		t.Fatalf("grants after the grantee was deleted: %v", g)
	}
}

func TestCleanup_KeepsSharedAndDryRunChangesNothing(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	alice := catalogtest.Namespace(t, db, "alice")
	catalogtest.Namespace(t, db, "bob")
	img, b := catalogtest.Publish(t, db, alice, catalog.TypeImage, "img", []byte("image bytes"))
	catalogtest.Publish(t, db, alice, catalog.TypeOther, "notes", []byte("notes"))
	if _, err := db.CreateLabel(ctx, alice, catalog.LabelSpec{Namespace: "alice", Name: "prod", From: "alice/img"}); err != nil {
		t.Fatal(err)
	}
	shared, _ := catalogtest.Publish(t, db, alice, catalog.TypeImage, "shared", []byte("shared bytes"))
	if _, err := db.Grant(ctx, alice, shared.UUID, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUpload(ctx, alice, catalog.UploadSpec{}); err != nil {
		t.Fatal(err)
	}

	dry, err := db.CleanupNamespace(ctx, alice, "alice", catalog.CleanupOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dry.Deleted) != 3 || len(dry.Kept) != 1 || dry.Kept[0].Ref != "alice/shared" || dry.Uploads != 1 {
		t.Fatalf("dry run report %+v", dry)
	}
	if dry.Deleted[0].Ref != "alice/prod" {
		t.Fatalf("labels do not go first: %+v", dry.Deleted)
	}
	p, _ := db.ListArtifacts(ctx, alice, catalog.ListOptions{Namespace: "alice"})
	if len(p.Artifacts) != 4 {
		t.Fatalf("the dry run deleted something: %d artifacts left", len(p.Artifacts))
	}
	if ups, _ := db.ListUploads(ctx, alice); len(ups) != 1 {
		t.Fatal("the dry run abandoned an upload")
	}
	if _, err := db.CleanupNamespace(ctx, catalog.Caller{Namespace: "bob"}, "alice", catalog.CleanupOptions{}); !errors.Is(err, catalog.ErrForbidden) {
		t.Fatalf("bob cleaned up alice: %v", err)
	}

	rep, err := db.CleanupNamespace(ctx, alice, "alice", catalog.CleanupOptions{})
	if err != nil || len(rep.Deleted) != 3 || len(rep.Kept) != 1 {
		t.Fatalf("cleanup: %+v, %v", rep, err)
	}
	p, _ = db.ListArtifacts(ctx, alice, catalog.ListOptions{Namespace: "alice"})
	if len(p.Artifacts) != 1 || p.Artifacts[0].Name != "shared" {
		t.Fatalf("left after cleanup: %+v", p.Artifacts)
	}
	if got, _ := db.Blob(ctx, sys, b.Digest); got.Refs != 0 {
		t.Fatalf("blob of a deleted image keeps %d refs", got.Refs)
	}
	if _, err := db.Resolve(ctx, catalog.Caller{Namespace: "bob"}, "alice/shared"); err != nil {
		t.Fatalf("bob lost the granted image: %v", err)
	}
	rep, err = db.CleanupNamespace(ctx, sys, "alice", catalog.CleanupOptions{Force: true})
	if err != nil || len(rep.Deleted) != 1 || len(rep.Kept) != 0 {
		t.Fatalf("forced cleanup: %+v, %v", rep, err)
	}
	if err := db.DeleteNamespace(ctx, sys, "alice"); err != nil {
		t.Fatalf("deleting the emptied namespace: %v", err)
	}
	_ = img
}
