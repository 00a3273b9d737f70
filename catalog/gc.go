package catalog

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// DefaultGCGrace is how long a blob whose refcount reached zero is kept
// before garbage collection deletes it: long enough for a publish that is
// about to reference it again (a rollback, a re-upload of the same bytes).
const DefaultGCGrace = time.Hour

// GCOptions tune one garbage collection.
type GCOptions struct {
	// Grace is how long a blob must have had no references; zero means
	// DefaultGCGrace, a negative value means none.
	Grace time.Duration
	// DryRun reports what would be deleted and deletes nothing.
	DryRun bool
}

// GCReport says what one garbage collection did (or, dry, would do).
type GCReport struct {
	DryRun bool `json:"dry_run"`
	// Deleted are the blobs removed (or removable).
	Deleted      []string `json:"deleted"`
	DeletedBytes int64    `json:"deleted_bytes"`
	// Waiting counts unreferenced blobs still inside their grace period.
	Waiting int `json:"waiting"`
	// Pinned counts blobs skipped because an upload, a staging write or an
	// open file holds them.
	Pinned int `json:"pinned"`
	// Rereferenced counts blobs a version pointed at again meanwhile.
	Rereferenced int `json:"rereferenced"`
	// UploadsReaped are the expired upload sessions ended.
	UploadsReaped []string `json:"uploads_reaped"`
	// Errors are per-object failures; the collection went on past them.
	Errors []string `json:"errors,omitempty"`
}

// errStillWanted aborts a removal whose blob gained a reference (or lost
// its grace) since it was chosen.
var errStillWanted = errors.New("blob is referenced again")

// GC deletes blobs that have had no references for the grace period and
// ends expired upload sessions. A blob is never deleted while it is pinned
// (cas.Store.Pin: an upload commit, a staging write, an open FUSE file) or
// after a version referenced it again: the deleting transaction re-checks
// its record, and the store refuses a pinned digest. The record goes first,
// the file after (cas.Store.Remove), so a crash in between leaves a file
// with no record, which fsck adopts or removes.
func (db *DB) GC(ctx context.Context, o GCOptions) (GCReport, error) {
	rep, err := db.gc(ctx, o)
	if !o.DryRun {
		db.counters.gcRuns.Add(1)
		db.counters.gcDeletedBlobs.Add(int64(len(rep.Deleted)))
		db.counters.gcDeletedBytes.Add(rep.DeletedBytes)
	}
	return rep, err
}

func (db *DB) gc(ctx context.Context, o GCOptions) (GCReport, error) {
	grace := o.Grace
	if grace == 0 {
		grace = DefaultGCGrace
	}
	grace = max(grace, 0)
	rep := GCReport{DryRun: o.DryRun, Deleted: []string{}, UploadsReaped: []string{}}
	var candidates []Blob
	err := db.view(func(tx *bolt.Tx) error {
		cutoff := db.now().Add(-grace)
		return tx.Bucket(bucketBlobs).ForEach(func(k, _ []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			b, err := getBlob(tx, cas.Digest(k))
			if err != nil {
				return err
			}
			switch {
			case b.Refs > 0:
			case b.ZeroSince.After(cutoff):
				rep.Waiting++
			default:
				candidates = append(candidates, b)
			}
			return nil
		})
	})
	if err != nil {
		return rep, err
	}
	for _, b := range candidates {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if o.DryRun {
			if db.blobs.Pinned(b.Digest) > 0 {
				rep.Pinned++
				continue
			}
			rep.Deleted = append(rep.Deleted, b.Digest.String())
			rep.DeletedBytes += b.Size
			continue
		}
		err := db.blobs.Remove(b.Digest, func() error { return db.forgetBlob(b.Digest, grace) })
		switch {
		case err == nil:
			rep.Deleted = append(rep.Deleted, b.Digest.String())
			rep.DeletedBytes += b.Size
			db.log.Info("gc: blob deleted", "blob", b.Digest, "size", b.Size)
		case errors.Is(err, cas.ErrPinned):
			rep.Pinned++
		case errors.Is(err, errStillWanted), errors.Is(err, ErrNotFound):
			rep.Rereferenced++
		default:
			rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", b.Digest, err))
		}
	}
	reaped, errs := db.reapUploads(ctx, o.DryRun)
	rep.UploadsReaped = append(rep.UploadsReaped, reaped...)
	rep.Errors = append(rep.Errors, errs...)
	return rep, ctx.Err()
}

// forgetBlob deletes d's record, indexes and event log if it still has no
// references and its grace period is still over.
func (db *DB) forgetBlob(d cas.Digest, grace time.Duration) error {
	return db.update(func(tx *bolt.Tx) error {
		b, err := getBlob(tx, d)
		if err != nil {
			return err
		}
		if b.Refs > 0 || b.ZeroSince.After(db.now().Add(-grace)) {
			return fmt.Errorf("blob %s: %w", d, errStillWanted)
		}
		if refs, err := blobReferrers(tx, d); err != nil || len(refs) > 0 {
			return fmt.Errorf("blob %s has blob_refs entries: %w", d, errStillWanted)
		}
		return deleteBlobRecord(tx, &b)
	})
}

// deleteBlobRecord removes b's record, its index entries and its events.
func deleteBlobRecord(tx *bolt.Tx, b *Blob) error {
	if err := tx.Bucket(bucketBlobs).Delete(b.Digest[:]); err != nil {
		return err
	}
	if err := deleteIndexIf(tx, bucketBlobUUID, b.UUID[:], b.Digest); err != nil {
		return err
	}
	for _, ix := range []struct {
		bucket []byte
		hex    string
	}{{bucketBlobSHA256, b.SHA256}, {bucketBlobSHA512, b.SHA512}} {
		if key, err := hex.DecodeString(ix.hex); err == nil && len(key) > 0 {
			if err := deleteIndexIf(tx, ix.bucket, key, b.Digest); err != nil {
				return err
			}
		}
	}
	return dropEvents(tx, blobKey(b))
}

// deleteIndexIf deletes an index entry if it points at d.
func deleteIndexIf(tx *bolt.Tx, bucket, key []byte, d cas.Digest) error {
	if got, ok := digestByIndex(tx, bucket, key); ok && got == d {
		return tx.Bucket(bucket).Delete(key)
	}
	return nil
}

// reapUploads ends upload sessions idle beyond the upload TTL. A session a
// request is working on right now is left alone.
func (db *DB) reapUploads(ctx context.Context, dry bool) ([]string, []string) {
	var expired []cas.UUID
	_ = db.view(func(tx *bolt.Tx) error {
		now := db.now()
		return tx.Bucket(bucketUploads).ForEach(func(k, v []byte) error {
			var u Upload
			if _, err := getJSON(tx.Bucket(bucketUploads), k, &u); err == nil && !u.Expires(db.ttl).After(now) {
				expired = append(expired, u.UUID)
			}
			return nil
		})
	})
	var reaped, errs []string
	for _, id := range expired {
		if ctx.Err() != nil {
			break
		}
		if dry {
			reaped = append(reaped, id.String())
			continue
		}
		ok, err := db.reapUpload(id)
		if err != nil {
			errs = append(errs, fmt.Sprintf("upload %s: %v", id, err))
		} else if ok {
			reaped = append(reaped, id.String())
		}
	}
	return reaped, errs
}

// reapUpload ends one expired session unless it is busy or was used since.
func (db *DB) reapUpload(id cas.UUID) (bool, error) {
	slot, err := db.uploads.acquire(id, db.now())
	if err != nil {
		return false, nil // busy: not expired after all
	}
	defer db.uploads.forget(id, slot)
	gone := false
	err = db.update(func(tx *bolt.Tx) error {
		var u Upload
		ok, err := getJSON(tx.Bucket(bucketUploads), id[:], &u)
		if err != nil || !ok || u.Expires(db.ttl).After(db.now()) {
			return err
		}
		gone = true
		return tx.Bucket(bucketUploads).Delete(id[:])
	})
	if err != nil || !gone {
		return false, err
	}
	db.log.Info("gc: expired upload ended", "upload", id)
	return true, db.blobs.RemoveSpool(id)
}
