package catalog_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/cas/castest"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
)

// publishLimited publishes data as the newest version of system/<name>,
// keeping max versions.
func publishLimited(t *testing.T, db *catalog.DB, name string, max int, data []byte) catalog.Blob {
	t.Helper()
	w, err := db.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	_, b, _, err := db.Publish(t.Context(), sys, catalog.Target{Namespace: "system", Name: name,
		Type: catalog.TypeLabel, Create: true, MaxVersions: max}, w, catalog.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGC_GracePinsAndReferences(t *testing.T) {
	db, clk, _ := openClocked(t)
	ctx := t.Context()
	var blobs []catalog.Blob
	for i := range 4 {
		blobs = append(blobs, publishLimited(t, db, "app", 1, []byte(fmt.Sprintf("version %d", i))))
	}
	// blobs 0..2 have no references now; 3 is the label's version.
	rep, err := db.GC(ctx, catalog.GCOptions{})
	if err != nil || len(rep.Deleted) != 0 || rep.Waiting != 3 {
		t.Fatalf("GC inside the grace period: %+v, %v", rep, err)
	}
	clk.Add(2 * catalog.DefaultGCGrace)
	pin := db.Blobs().Pin(blobs[0].Digest)
	if _, _, err := db.AddVersion(ctx, sys, catalog.Target{Namespace: "system", Name: "other", Type: catalog.TypeLabel, Create: true}, blobs[1].Digest); err != nil {
		t.Fatal(err)
	}
	dry, err := db.GC(ctx, catalog.GCOptions{DryRun: true})
	if err != nil || !slices.Equal(dry.Deleted, []string{blobs[2].Digest.String()}) || dry.Pinned != 1 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	if _, err := db.Blob(ctx, sys, blobs[2].Digest); err != nil {
		t.Fatalf("a dry run deleted: %v", err)
	}
	rep, err = db.GC(ctx, catalog.GCOptions{})
	if err != nil || !slices.Equal(rep.Deleted, dry.Deleted) || rep.Pinned != 1 || rep.DeletedBytes != blobs[2].Size {
		t.Fatalf("GC: %+v, %v", rep, err)
	}
	if _, err := db.Blob(ctx, sys, blobs[2].Digest); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("collected blob's record: %v", err)
	}
	if _, err := db.Blobs().Stat(blobs[2].Digest); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("collected blob's file: %v", err)
	}
	if _, err := db.Resolve(ctx, sys, "sha256:"+blobs[2].SHA256); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("the sha256 index still finds a collected blob: %v", err)
	}
	for _, i := range []int{0, 1, 3} {
		if _, _, err := db.Blobs().Verify(ctx, blobs[i].Digest); err != nil {
			t.Fatalf("blob %d (pinned or referenced) lost: %v", i, err)
		}
	}
	pin.Release()
	rep, err = db.GC(ctx, catalog.GCOptions{})
	if err != nil || !slices.Equal(rep.Deleted, []string{blobs[0].Digest.String()}) {
		t.Fatalf("GC after the pin was released: %+v, %v", rep, err)
	}
	// The same bytes come back as a new blob, which waits its own grace.
	again := publishLimited(t, db, "app", 1, []byte("version 0"))
	if again.Digest != blobs[0].Digest {
		t.Fatal("same bytes, other digest")
	}
	if b, _ := db.Blob(ctx, sys, again.Digest); b.Refs != 1 {
		t.Fatalf("re-ingested blob has refs %d", b.Refs)
	}
}

func TestGC_ReapsExpiredUploads(t *testing.T) {
	db, clk, _ := openClocked(t)
	ctx := t.Context()
	old, err := db.CreateUpload(ctx, sys, catalog.UploadSpec{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AppendUpload(ctx, sys, old.UUID, bytes.NewReader([]byte("abandoned")), catalog.AppendOptions{At: -1}); err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Hour)
	live, err := db.CreateUpload(ctx, sys, catalog.UploadSpec{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := db.GC(ctx, catalog.GCOptions{})
	if err != nil || !slices.Equal(rep.UploadsReaped, []string{old.UUID.String()}) {
		t.Fatalf("GC: %+v, %v", rep, err)
	}
	if _, err := db.GetUpload(ctx, sys, old.UUID); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("expired upload: %v", err)
	}
	if _, err := db.Blobs().SpoolSize(old.UUID); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("expired upload's spool: %v", err)
	}
	if _, err := db.GetUpload(ctx, sys, live.UUID); err != nil {
		t.Fatalf("live upload: %v", err)
	}
}

// TestGC_Race runs publishers, label movers, readers holding pins and GC
// (with no grace at all) together for a bounded number of operations.
// Nothing pinned may vanish under a reader, and at the end every label's
// versions must be intact (the cleanup fsck checks every reference).
func TestGC_Race(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := t.Context()
	pool := make([][]byte, 12) // few distinct contents, so dedup races GC
	for i := range pool {
		pool[i] = castest.RandomBytes(t, 4096+i*997)
	}
	const publishers, movers, readers, rounds = 4, 2, 3, 40
	done := make(chan struct{})
	errs := make(chan error, 64)
	fail := func(format string, args ...any) {
		select {
		case errs <- fmt.Errorf(format, args...):
		default:
		}
	}
	label := func(i int) string { return fmt.Sprintf("l%d", i%publishers) }
	var work, gc sync.WaitGroup
	for p := range publishers {
		work.Go(func() {
			for r := range rounds {
				data := pool[(p*7+r)%len(pool)]
				w, err := db.Blobs().Create()
				if err != nil {
					fail("create: %v", err)
					return
				}
				w.Write(data)
				_, _, _, err = db.Publish(ctx, sys, catalog.Target{Namespace: "system", Name: label(p),
					Type: catalog.TypeLabel, Create: true, MaxVersions: 1}, w, catalog.IngestOptions{})
				if err != nil {
					fail("publish: %v", err)
				}
			}
		})
	}
	for m := range movers {
		work.Go(func() {
			for r := range rounds {
				res, err := db.Resolve(ctx, sys, "system/"+label(m+r))
				if err != nil || res.Blob == nil {
					continue // not published yet
				}
				_, _, err = db.AddVersion(ctx, sys, catalog.Target{Namespace: "system", Name: label(m + r + 1),
					Type: catalog.TypeLabel, Create: true, MaxVersions: 1}, res.Blob.Digest)
				if err != nil && !errors.Is(err, catalog.ErrNotFound) {
					fail("move: %v", err)
				}
			}
		})
	}
	for range readers {
		work.Go(func() {
			for r := range rounds * 2 {
				res, err := db.Resolve(ctx, sys, "system/"+label(r))
				if err != nil || res.Blob == nil {
					continue
				}
				d := res.Blob.Digest
				pin := db.Blobs().Pin(d)
				if _, err := db.Blob(ctx, sys, d); err != nil {
					pin.Release() // collected before the pin: a reader re-resolves
					continue
				}
				if _, _, err := db.Blobs().Verify(ctx, d); err != nil {
					fail("pinned blob %s unreadable: %v", d, err)
				}
				pin.Release()
			}
		})
	}
	gc.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if rep, err := db.GC(ctx, catalog.GCOptions{Grace: -1}); err != nil || len(rep.Errors) > 0 {
				fail("gc: %+v %v", rep, err)
			}
		}
	})
	work.Wait()
	close(done)
	gc.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for p := range publishers {
		res, err := db.Resolve(ctx, sys, "system/"+label(p))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.Blobs().Verify(ctx, res.Blob.Digest); err != nil {
			t.Fatalf("%s: current version unreadable: %v", label(p), err)
		}
	}
}
