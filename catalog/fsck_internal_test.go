package catalog

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

var fsckSys = Caller{Namespace: SystemNamespace, Key: "test"}

func openFsckTest(t *testing.T) *DB {
	t.Helper()
	root := t.TempDir()
	blobs, err := cas.Open(root, cas.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(filepath.Join(root, "catalog.db"), blobs, Options{UploadTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.EnsureNamespace(t.Context(), SystemNamespace); err != nil {
		t.Fatal(err)
	}
	return db
}

func publishBytes(t *testing.T, db *DB, name string, data []byte) (Artifact, Blob) {
	t.Helper()
	w, err := db.blobs.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	a, b, _, err := db.Publish(t.Context(), fsckSys, Target{Namespace: SystemNamespace, Name: name, Type: TypeLabel, Create: true}, w, IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func kinds(r FsckReport) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Kind)
	}
	slices.Sort(out)
	return out
}

func runFsck(t *testing.T, db *DB, repair bool) FsckReport {
	t.Helper()
	rep, err := db.Fsck(context.Background(), FsckOptions{Repair: repair})
	if err != nil {
		t.Fatalf("fsck: %v", err)
	}
	return rep
}

// TestFsck_FindsAndRepairs breaks every invariant fsck checks, once each,
// and checks that fsck names each, repairs what can be repaired, and is
// clean after the damaged bytes are published again.
func TestFsck_FindsAndRepairs(t *testing.T) {
	db := openFsckTest(t)
	ctx := t.Context()
	a, b := publishBytes(t, db, "app", randomBytes(t, 5000))
	lost := randomBytes(t, 3000)
	_, missing := publishBytes(t, db, "lost", lost)
	_, garbage := publishBytes(t, db, "gone", randomBytes(t, 100))
	if _, err := db.DeleteArtifact(ctx, fsckSys, mustName(t, db, "gone")); err != nil {
		t.Fatal(err)
	}
	if rep := runFsck(t, db, false); len(rep.Findings) != 0 {
		t.Fatalf("fresh store: %+v", rep.Findings)
	}

	// Catalog damage: a refcount, ZeroSince, blob_refs, the indexes.
	err := db.update(func(tx *bolt.Tx) error {
		bb, _ := getBlob(tx, b.Digest)
		bb.Refs, bb.ZeroSince = 7, time.Now()
		putBlob(tx, &bb)
		bumpRefIndex(tx, garbage.Digest, a.UUID, +1)
		tx.Bucket(bucketBlobUUID).Delete(b.UUID[:])
		tx.Bucket(bucketBlobSHA256).Put(bytes.Repeat([]byte{1}, 32), b.Digest[:])
		tx.Bucket(bucketArtifactName).Delete(joinKey(a.Namespace, a.Name))
		tx.Bucket(bucketArtifactType).Put(joinKey("image", "system", "ghost"), a.UUID[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// File damage: garbage's file gone (nothing references it), missing's
	// file gone (a label does), an orphan that hashes right, one that does
	// not, a stray name, a temp file, a spool without a session, a session
	// without its spool and an expired session.
	os.Chmod(db.blobs.Path(garbage.Digest), 0o644)
	os.Remove(db.blobs.Path(garbage.Digest))
	os.Remove(db.blobs.Path(missing.Digest))
	wr, _ := db.blobs.Create()
	wr.Write([]byte("orphan bytes"))
	orphan, pin, err := wr.Commit(ctx, cas.Expect{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pin.Release()
	var fake cas.Digest
	fake[0] = 0xab
	os.MkdirAll(filepath.Dir(db.blobs.Path(fake)), 0o755)
	os.WriteFile(db.blobs.Path(fake), []byte("not what the name says"), 0o444)
	os.WriteFile(filepath.Join(filepath.Dir(db.blobs.Path(fake)), "junk.tmp"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(db.blobs.Root(), "tmp", "ingest-123"), []byte("half"), 0o600)
	os.WriteFile(filepath.Join(db.blobs.Root(), "uploads", cas.NewUUID().String()), []byte("spool"), 0o600)
	noSpool, _ := db.CreateUpload(ctx, fsckSys, UploadSpec{})
	db.blobs.RemoveSpool(noSpool.UUID)
	expired, _ := db.CreateUpload(ctx, fsckSys, UploadSpec{})
	db.update(func(tx *bolt.Tx) error {
		var u Upload
		getJSON(tx.Bucket(bucketUploads), expired.UUID[:], &u)
		u.Updated = u.Updated.Add(-2 * time.Hour)
		return putJSON(tx.Bucket(bucketUploads), u.UUID[:], u)
	})

	want := []string{FindArtifactIndex, FindArtifactIndex, FindBlobIndex, FindBlobIndex, FindBlobMissing, FindBlobMissing,
		FindBlobRefsIndex, FindOrphanFile, FindOrphanFile, FindRefcount, FindStraySpool, FindStrayFile, FindStrayTemp,
		FindUploadExpired, FindUploadSpool, FindZeroSince}
	slices.Sort(want)
	rep := runFsck(t, db, false)
	if got := kinds(rep); !slices.Equal(got, want) {
		t.Fatalf("findings\n got %v\nwant %v\n%+v", got, want, rep.Findings)
	}
	if rep.Problems() != len(want) {
		t.Fatalf("a check without repair repaired %d", len(want)-rep.Problems())
	}

	rep = runFsck(t, db, true)
	if got := kinds(rep); !slices.Equal(got, want) {
		t.Fatalf("repair findings\n got %v\nwant %v", got, want)
	}
	// Only the label whose bytes are lost stays a problem.
	rep = runFsck(t, db, false)
	if got := kinds(rep); !slices.Equal(got, []string{FindBlobQuarantined}) || rep.Findings[0].Object != missing.Digest.String() {
		t.Fatalf("after repair: %+v", rep.Findings)
	}
	if got, _ := db.Blob(ctx, fsckSys, orphan.BLAKE3); got.State != BlobCreated || got.Refs != 0 {
		t.Fatalf("adopted orphan: %+v", got)
	}
	if _, err := db.blobs.Stat(fake); err == nil {
		t.Fatal("an orphan that does not hash to its name was kept")
	}
	if got, _ := db.Blob(ctx, fsckSys, b.Digest); got.Refs != 1 {
		t.Fatalf("refcount after repair %d", got.Refs)
	}
	if res, err := db.Resolve(ctx, fsckSys, "system/app"); err != nil || res.Artifact.UUID != a.UUID {
		t.Fatalf("name index after repair: %v", err)
	}
	if res, err := db.Resolve(ctx, fsckSys, b.UUID.String()); err != nil || res.Blob.Digest != b.Digest {
		t.Fatalf("uuid index after repair: %v", err)
	}
	// Publishing the lost bytes again heals the label.
	publishBytes(t, db, "lost", lost)
	if rep := runFsck(t, db, false); len(rep.Findings) != 0 {
		t.Fatalf("after republishing: %+v", rep.Findings)
	}
}

func mustName(t *testing.T, db *DB, name string) cas.UUID {
	a, err := db.ArtifactByName(t.Context(), fsckSys, SystemNamespace, name)
	if err != nil {
		t.Fatal(err)
	}
	return a.UUID
}

// TestFsck_OrphanWithVersions: a version whose blob record is gone but whose
// file is there (a catalog restored from an older copy) is adopted with the
// right refcount.
func TestFsck_OrphanWithVersions(t *testing.T) {
	db := openFsckTest(t)
	_, b := publishBytes(t, db, "app", randomBytes(t, 2000))
	db.update(func(tx *bolt.Tx) error {
		bb, _ := getBlob(tx, b.Digest)
		return deleteBlobRecord(tx, &bb)
	})
	rep := runFsck(t, db, false)
	if got := kinds(rep); !slices.Contains(got, FindDanglingVersion) || !slices.Contains(got, FindOrphanFile) {
		t.Fatalf("findings %v", got)
	}
	runFsck(t, db, true)
	if rep := runFsck(t, db, false); len(rep.Findings) != 0 {
		t.Fatalf("after repair: %+v", rep.Findings)
	}
	if got, _ := db.Blob(t.Context(), fsckSys, b.Digest); got.Refs != 1 {
		t.Fatalf("adopted blob refs %d", got.Refs)
	}
}
