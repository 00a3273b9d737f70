package catalog_test

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/cas/castest"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
)

var sys = catalogtest.System

func TestVersions_ReapFreesRefcounts(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	var blobs []catalog.Blob
	var a catalog.Artifact
	for i := range 5 {
		var b catalog.Blob
		a, b = catalogtest.Publish(t, db, sys, catalog.TypeLabel, "debian-12", []byte(fmt.Sprintf("image %d", i)))
		blobs = append(blobs, b)
	}
	if len(a.Versions) != catalog.DefaultMaxVersions {
		t.Fatalf("%d versions kept, want %d", len(a.Versions), catalog.DefaultMaxVersions)
	}
	if got := a.Versions[0].Index; got != 3 {
		t.Fatalf("oldest kept version is %d, want 3", got)
	}
	for i, b := range blobs {
		got, err := db.Blob(ctx, sys, b.Digest)
		if err != nil {
			t.Fatal(err)
		}
		want := 1
		if i < 2 {
			want = 0
		}
		if got.Refs != want {
			t.Fatalf("blob %d refcount %d, want %d", i, got.Refs, want)
		}
		if (got.Refs == 0) == got.ZeroSince.IsZero() {
			t.Fatalf("blob %d: ZeroSince %v with refcount %d", i, got.ZeroSince, got.Refs)
		}
	}
	a, err := db.SetMaxVersions(ctx, sys, a.UUID, 1)
	if err != nil || len(a.Versions) != 1 || a.Versions[0].Index != 5 {
		t.Fatalf("SetMaxVersions(1): %v, versions %+v", err, a.Versions)
	}
	if b, _ := db.Blob(ctx, sys, blobs[3].Digest); b.Refs != 0 {
		t.Fatalf("reaped blob refcount %d", b.Refs)
	}
	if _, err := db.DeleteArtifact(ctx, sys, a.UUID); err != nil {
		t.Fatal(err)
	}
	if b, _ := db.Blob(ctx, sys, blobs[4].Digest); b.Refs != 0 {
		t.Fatalf("refcount after delete %d", b.Refs)
	}
}

func TestVisibility_NamespaceIsolation(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	alice := catalogtest.Namespace(t, db, "alice")
	bob := catalogtest.Namespace(t, db, "bob")
	secret := castest.RandomBytes(t, 4096)
	a, b := catalogtest.Publish(t, db, alice, catalog.TypeLabel, "private", secret)

	if _, err := db.GetArtifact(ctx, bob, a.UUID); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("bob read alice's artifact: %v", err)
	}
	if _, err := db.Blob(ctx, bob, b.Digest); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("bob read alice's blob: %v", err)
	}
	if _, err := db.BlobByChecksum(ctx, bob, catalog.AlgSHA512, b.SHA512); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("bob found alice's blob by checksum: %v", err)
	}
	if _, _, err := db.AddVersion(ctx, bob, catalog.Target{Namespace: "bob", Name: "stolen", Type: catalog.TypeLabel, Create: true}, b.Digest); err == nil {
		t.Fatal("bob attached alice's private blob by digest")
	}
	if _, err := db.DeleteArtifact(ctx, bob, a.UUID); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("bob deleted alice's artifact: %v", err)
	}
	if _, _, err := db.AddVersion(ctx, bob, catalog.Target{Namespace: "alice", Name: "private"}, b.Digest); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("bob moved alice's label: %v", err)
	}
	page, err := db.ListArtifacts(ctx, bob, catalog.ListOptions{})
	if err != nil || len(page.Artifacts) != 0 {
		t.Fatalf("bob lists %d artifacts (%v), want 0", len(page.Artifacts), err)
	}
	// The same bytes published by bob deduplicate but stay bob's to see.
	_, bb := catalogtest.Publish(t, db, bob, catalog.TypeLabel, "mine", secret)
	if bb.Digest != b.Digest {
		t.Fatal("identical bytes were not deduplicated")
	}
	if got, _ := db.Blob(ctx, sys, b.Digest); got.Refs != 2 {
		t.Fatalf("shared blob refcount %d, want 2", got.Refs)
	}
	if _, err := db.BlobByChecksum(ctx, bob, catalog.AlgSHA512, b.SHA512); err != nil {
		t.Fatalf("bob cannot find the blob he holds: %v", err)
	}
}

func TestSharing_SystemShares(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	bob := catalogtest.Namespace(t, db, "bob")
	a, _ := catalogtest.Publish(t, db, sys, catalog.TypeLabel, "base", []byte("base image"))
	if _, err := db.GetArtifact(ctx, bob, a.UUID); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatal("unshared system artifact visible to bob")
	}
	if _, err := db.SetShared(ctx, sys, a.UUID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetArtifact(ctx, bob, a.UUID); err != nil {
		t.Fatalf("shared artifact invisible: %v", err)
	}
	// #1386: visible is not changeable.
	if _, err := db.SetMaxVersions(ctx, bob, a.UUID, 5); !errors.Is(err, catalog.ErrForbidden) {
		t.Fatalf("bob changed a shared system label: %v", err)
	}
	mine, _ := catalogtest.Publish(t, db, bob, catalog.TypeLabel, "mine", []byte("x"))
	if _, err := db.SetShared(ctx, bob, mine.UUID, true); !errors.Is(err, catalog.ErrForbidden) {
		t.Fatalf("non-system namespace shared with everyone: %v", err)
	}
}

func TestUpload_ResumesAfterReopen(t *testing.T) {
	root := t.TempDir()
	db := catalogtest.OpenAt(t, root)
	ctx := t.Context()
	data := castest.RandomBytes(t, 3<<20+17)
	u, err := db.CreateUpload(ctx, sys, catalog.UploadSpec{})
	if err != nil {
		t.Fatal(err)
	}
	if u, err = db.AppendUpload(ctx, sys, u.UUID, bytes.NewReader(data[:2<<20]), catalog.AppendOptions{At: -1}); err != nil || u.Size != 2<<20 {
		t.Fatalf("append: size %d, %v", u.Size, err)
	}
	if u, err = db.TruncateUpload(ctx, sys, u.UUID, 1<<20); err != nil || u.Size != 1<<20 {
		t.Fatalf("truncate: size %d, %v", u.Size, err)
	}
	if _, err := db.TruncateUpload(ctx, sys, u.UUID, 5<<20); !errors.Is(err, catalog.ErrInvalid) {
		t.Fatalf("truncate beyond the end: %v", err)
	}
	db.Close()

	db = catalogtest.OpenAt(t, root)
	got, err := db.GetUpload(ctx, sys, u.UUID)
	if err != nil || got.Size != 1<<20 {
		t.Fatalf("after reopen: size %d, %v", got.Size, err)
	}
	if _, err := db.AppendUpload(ctx, sys, u.UUID, bytes.NewReader(data[1<<20:]), catalog.AppendOptions{At: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	b, pin, err := db.CommitUpload(ctx, sys, u.UUID, catalog.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pin.Release()
	f, _ := db.Blobs().Open(b.Digest)
	defer f.Close()
	stored := make([]byte, len(data)+1)
	n, _ := f.ReadAt(stored, 0)
	if !bytes.Equal(stored[:n], data) {
		t.Fatal("committed upload holds other bytes")
	}
	if _, err := db.GetUpload(ctx, sys, u.UUID); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatal("upload session outlived its commit")
	}
	alice := catalogtest.Namespace(t, db, "alice")
	u2, _ := db.CreateUpload(ctx, sys, catalog.UploadSpec{})
	if _, err := db.AppendUpload(ctx, alice, u2.UUID, bytes.NewReader([]byte("x")), catalog.AppendOptions{At: -1}); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("alice appended to system's upload: %v", err)
	}
}

func TestResolve_OneRule(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	alice := catalogtest.Namespace(t, db, "alice")
	sysLabel, sysBlob := catalogtest.Publish(t, db, sys, catalog.TypeLabel, "centos:7", []byte("system centos"))
	if _, err := db.SetShared(ctx, sys, sysLabel.UUID, true); err != nil {
		t.Fatal(err)
	}

	r, err := db.Resolve(ctx, sys, "centos:7")
	if err != nil || r.Artifact.UUID != sysLabel.UUID || r.Blob.Digest != sysBlob.Digest {
		t.Fatalf("system resolving centos:7: %+v, %v", r, err)
	}
	r, err = db.Resolve(ctx, alice, "centos:7")
	if err != nil || r.Ref != "system/centos:7" {
		t.Fatalf("alice resolving the shared system label: %+v, %v", r, err)
	}
	catalogtest.Publish(t, db, alice, catalog.TypeLabel, "centos:7", []byte("alice centos"))
	_, err = db.Resolve(ctx, alice, "centos:7")
	var amb *catalog.AmbiguousError
	if !errors.As(err, &amb) || len(amb.Candidates) != 2 || amb.Candidates[0] != "alice/centos:7" || amb.Candidates[1] != "system/centos:7" {
		t.Fatalf("ambiguous bare name: %v", err)
	}
	for _, c := range amb.Candidates {
		if _, err := db.Resolve(ctx, alice, c); err != nil {
			t.Fatalf("candidate %q does not resolve: %v", c, err)
		}
	}
	for ref, want := range map[string]error{
		"https://example.com/centos.qcow2": catalog.ErrInvalid,
		"sf://instance/x/vda":              catalog.ErrInvalid,
		"nosuch":                           catalog.ErrNotFound,
		"alice/centos:7@9":                 catalog.ErrNotFound,
		"alice/../x":                       catalog.ErrInvalid,
		"a\x00b":                           catalog.ErrInvalid,
	} {
		if _, err := db.Resolve(ctx, alice, ref); !errors.Is(err, want) {
			t.Fatalf("Resolve(%q) = %v, want %v", ref, err, want)
		}
	}
	for _, ref := range []string{sysBlob.Digest.String(), "sha256:" + sysBlob.SHA256, "sf://blob/" + sysBlob.UUID.String(),
		sysBlob.UUID.String(), "sf://label/system/centos:7@1", "sf://artifact/" + sysLabel.UUID.String()} {
		if _, err := db.Resolve(ctx, sys, ref); err != nil {
			t.Fatalf("Resolve(%q): %v", ref, err)
		}
	}
}

func TestList_PagesInOrder(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	alice := catalogtest.Namespace(t, db, "alice")
	for i := range 25 {
		if _, err := db.CreateArtifact(ctx, alice, catalog.ArtifactSpec{Namespace: "alice", Name: fmt.Sprintf("l%02d", i), Type: catalog.TypeLabel}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		db.CreateArtifact(ctx, sys, catalog.ArtifactSpec{Namespace: "system", Name: fmt.Sprintf("img%d", i), Type: catalog.TypeImage, Shared: i%2 == 0})
	}
	var names []string
	cursor := ""
	for pages := 0; ; pages++ {
		p, err := db.ListArtifacts(ctx, alice, catalog.ListOptions{Limit: 7, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Artifacts {
			names = append(names, a.Ref())
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(names) != 28 || names[0] != "alice/l00" || names[27] != "system/img4" {
		t.Fatalf("listed %d: %v", len(names), names)
	}
	p, _ := db.ListArtifacts(ctx, sys, catalog.ListOptions{Type: catalog.TypeImage})
	if len(p.Artifacts) != 5 {
		t.Fatalf("system lists %d images, want 5", len(p.Artifacts))
	}
	p, _ = db.ListArtifacts(ctx, alice, catalog.ListOptions{Namespace: "alice", NamePrefix: "l1"})
	if len(p.Artifacts) != 10 {
		t.Fatalf("prefix l1 lists %d, want 10", len(p.Artifacts))
	}
	if _, err := db.ListArtifacts(ctx, alice, catalog.ListOptions{Cursor: "!!"}); !errors.Is(err, catalog.ErrInvalid) {
		t.Fatalf("bad cursor: %v", err)
	}
}

func TestKeys_AuthenticateAndRevoke(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	catalogtest.Namespace(t, db, "ci")
	if err := db.SetKey(ctx, sys, "ci", "deploy", []byte("s3cret-key-1")); err != nil {
		t.Fatal(err)
	}
	c, gen, err := db.Authenticate(ctx, "ci", []byte("s3cret-key-1"))
	if err != nil || c.Namespace != "ci" || c.Key != "deploy" {
		t.Fatalf("authenticate: %+v %v", c, err)
	}
	if _, _, err := db.Authenticate(ctx, "ci", []byte("wrong-key-xx")); !errors.Is(err, catalog.ErrUnauthenticated) {
		t.Fatalf("wrong key: %v", err)
	}
	if !db.KeyValid(ctx, c, gen) {
		t.Fatal("fresh key generation not valid")
	}
	db.SetKey(ctx, sys, "ci", "deploy", []byte("s3cret-key-2"))
	if db.KeyValid(ctx, c, gen) {
		t.Fatal("replaced key still valid")
	}
	if err := db.SetKey(ctx, sys, "ci", "../x", []byte("s3cret-key-2")); !errors.Is(err, catalog.ErrInvalid) {
		t.Fatalf("bad key name: %v", err)
	}
	if err := db.DeleteNamespace(ctx, sys, catalog.SystemNamespace); !errors.Is(err, catalog.ErrForbidden) {
		t.Fatalf("deleting system: %v", err)
	}
}

func TestOpen_LockedBySecondProcess(t *testing.T) {
	root := t.TempDir()
	catalogtest.OpenAt(t, root)
	blobs, _ := cas.Open(root, cas.Options{})
	_, err := catalog.Open(filepath.Join(root, "catalog.db"), blobs, catalog.Options{OpenTimeout: 50e6})
	if !errors.Is(err, catalog.ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
}

func TestIngest_RefusesQcow2WithBackingFile(t *testing.T) {
	db := catalogtest.Open(t)
	img := qcow2Header(t, "/etc/shadow")
	w, _ := db.Blobs().Create()
	w.Write(img)
	_, _, _, err := db.Publish(t.Context(), sys, catalog.Target{Namespace: "system", Name: "evil", Type: catalog.TypeImage, Create: true}, w, catalog.IngestOptions{})
	if !errors.Is(err, catalog.ErrUnsafeImage) {
		t.Fatalf("publish of an image with a backing file: %v", err)
	}
	if _, err := db.Resolve(t.Context(), sys, "system/evil"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatal("a refused publish left an artifact")
	}
}

func TestWatch_DeliversCommittedChanges(t *testing.T) {
	db := catalogtest.Open(t)
	ch, stop := db.Watch()
	defer stop()
	a, _ := catalogtest.Publish(t, db, sys, catalog.TypeLabel, "watched", []byte("v1"))
	got := map[bool]int{}
	for len(ch) > 0 {
		c := <-ch
		if c.UUID != a.UUID || c.Name != "watched" {
			t.Fatalf("unexpected change %+v", c)
		}
		got[c.Deleted]++
	}
	if got[false] == 0 {
		t.Fatal("no change delivered for a publish")
	}
	if _, err := db.DeleteArtifact(t.Context(), sys, a.UUID); err != nil {
		t.Fatal(err)
	}
	if c := <-ch; !c.Deleted {
		t.Fatalf("delete delivered %+v", c)
	}
	// A failed transaction delivers nothing.
	if _, err := db.SetMaxVersions(t.Context(), sys, a.UUID, 2); err == nil {
		t.Fatal("changed a deleted artifact")
	}
	if len(ch) != 0 {
		t.Fatal("a failed change was delivered")
	}
}
