package catalog_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sfcas/sfcas/cas/castest"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
)

// damage opens a blob file for writing (blobs are 0444).
func damage(t *testing.T, path string, fn func(f *os.File) error) {
	t.Helper()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := fn(f); err != nil {
		t.Fatal(err)
	}
}

// TestScrub_QuarantinesAndHeals flips a byte in one blob, truncates another
// and deletes a third: scrub quarantines exactly those three, fsck reports
// them, their labels say they are degraded, and publishing the same bytes
// again heals each.
func TestScrub_QuarantinesAndHeals(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	data := map[string][]byte{}
	blobs := map[string]catalog.Blob{}
	for _, name := range []string{"flipped", "truncated", "deleted", "intact"} {
		data[name] = castest.RandomBytes(t, 3<<20+1234)
		_, blobs[name] = catalogtest.Publish(t, db, sys, catalog.TypeLabel, name, data[name])
	}
	damage(t, db.Blobs().Path(blobs["flipped"].Digest), func(f *os.File) error {
		_, err := f.WriteAt([]byte{data["flipped"][2<<20] ^ 0x01}, 2<<20)
		return err
	})
	damage(t, db.Blobs().Path(blobs["truncated"].Digest), func(f *os.File) error { return f.Truncate(1 << 20) })
	if err := os.Remove(db.Blobs().Path(blobs["deleted"].Digest)); err != nil {
		t.Fatal(err)
	}

	rep, err := db.Scrub(ctx, catalog.ScrubOptions{})
	if err != nil || !rep.PassComplete || rep.Scanned != 4 {
		t.Fatalf("scrub: %+v, %v", rep, err)
	}
	got := map[string]string{}
	for _, f := range rep.Quarantined {
		got[f.Object] = f.Kind
	}
	want := map[string]string{
		blobs["flipped"].Digest.String():   catalog.FindDigestMismatch,
		blobs["truncated"].Digest.String(): catalog.FindBlobSize,
		blobs["deleted"].Digest.String():   catalog.FindBlobMissing,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("quarantined %v, want %v", got, want)
	}
	for name, b := range blobs {
		rec, err := db.Blob(ctx, sys, b.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if bad := name != "intact"; (rec.State == catalog.BlobQuarantined) != bad || bad && rec.Problem == "" {
			t.Fatalf("%s: state %s problem %q", name, rec.State, rec.Problem)
		}
		evs, _ := db.BlobEvents(ctx, sys, b.Digest, catalog.EventFilter{Type: catalog.EventHealth})
		if (len(evs) > 0) != (name != "intact") {
			t.Fatalf("%s: health events %+v", name, evs)
		}
		a, _ := db.ArtifactByName(ctx, sys, "system", name)
		aevs, _ := db.ArtifactEvents(ctx, sys, a.UUID, catalog.EventFilter{Type: catalog.EventHealth})
		if name != "intact" && (len(aevs) == 0 || !strings.Contains(aevs[0].Message, "degraded")) {
			t.Fatalf("%s: label events do not say degraded: %+v", name, aevs)
		}
	}
	// A damaged blob is not found by checksum, and a new version cannot
	// point at it.
	if _, err := db.BlobByChecksum(ctx, sys, catalog.AlgSHA256, blobs["flipped"].SHA256); err == nil {
		t.Fatal("a quarantined blob was found by checksum")
	}
	if _, _, err := db.AddVersion(ctx, sys, catalog.Target{Namespace: "system", Name: "intact"}, blobs["deleted"].Digest); err == nil {
		t.Fatal("a version was added pointing at a quarantined blob")
	}

	frep, err := db.Fsck(ctx, catalog.FsckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var fsckFound []string
	for _, f := range frep.Findings {
		if f.Kind == catalog.FindBlobQuarantined {
			fsckFound = append(fsckFound, f.Object)
		}
	}
	slices.Sort(fsckFound)
	wantFound := []string{}
	for d := range want {
		wantFound = append(wantFound, d)
	}
	slices.Sort(wantFound)
	if !slices.Equal(fsckFound, wantFound) || frep.Problems() != 3 {
		t.Fatalf("fsck found %v (%d problems), want %v", fsckFound, frep.Problems(), wantFound)
	}
	// A second pass re-reads nothing already quarantined.
	rep, err = db.Scrub(ctx, catalog.ScrubOptions{})
	if err != nil || rep.AlreadyQuarantined != 3 || len(rep.Quarantined) != 0 {
		t.Fatalf("second pass: %+v, %v", rep, err)
	}

	for _, name := range []string{"flipped", "truncated", "deleted"} {
		catalogtest.Publish(t, db, sys, catalog.TypeLabel, name, data[name])
		rec, _ := db.Blob(ctx, sys, blobs[name].Digest)
		if rec.State != catalog.BlobCreated || rec.Refs != 2 { // the damaged version and the new one
			t.Fatalf("%s after republishing: %+v", name, rec)
		}
		if _, _, err := db.Blobs().Verify(ctx, blobs[name].Digest); err != nil {
			t.Fatalf("%s after republishing: %v", name, err)
		}
	}
	rep, err = db.Scrub(ctx, catalog.ScrubOptions{})
	if err != nil || len(rep.Quarantined) != 0 || rep.AlreadyQuarantined != 0 {
		t.Fatalf("scrub after healing: %+v, %v", rep, err)
	}
}

// TestScrub_ResumesFromCheckpoint scrubs in runs of a few blobs, reopening
// the catalog between runs, and checks that the runs cover every blob once.
func TestScrub_ResumesFromCheckpoint(t *testing.T) {
	root := t.TempDir()
	db := catalogtest.OpenAt(t, root)
	var total int64
	for i := range 10 {
		_, b := catalogtest.Publish(t, db, sys, catalog.TypeOther, fmt.Sprintf("o%d", i), castest.RandomBytes(t, 1000+i*300000))
		total += b.Size
	}
	var read int64
	wait := func(_ context.Context, n int) error {
		if n > catalog.ScrubReadSize {
			t.Errorf("asked to pace %d bytes at once", n)
		}
		read += int64(n)
		return nil
	}
	scanned, bytes, runs := 0, int64(0), 0
	cursor := ""
	for {
		runs++
		rep, err := db.Scrub(t.Context(), catalog.ScrubOptions{Limit: 4, Wait: wait})
		if err != nil {
			t.Fatal(err)
		}
		if rep.After != cursor {
			t.Fatalf("run %d resumed after %q, the last run ended at %q", runs, rep.After, cursor)
		}
		scanned += rep.Scanned
		bytes += rep.Bytes
		if rep.PassComplete {
			break
		}
		if runs > 5 {
			t.Fatal("the pass does not end")
		}
		cursor = rep.Cursor
		db.Close()
		db = catalogtest.OpenAt(t, root)
	}
	if runs != 3 || scanned != 10 || bytes != total || read < total {
		t.Fatalf("%d runs scanned %d blobs, %d of %d bytes, paced %d", runs, scanned, bytes, total, read)
	}
	rep, err := db.Scrub(t.Context(), catalog.ScrubOptions{Limit: 1})
	if err != nil || rep.After != "" || rep.LastPass.IsZero() {
		t.Fatalf("the run after a complete pass: %+v, %v", rep, err)
	}
}
