package catalog

import (
	"context"
	"errors"
	"fmt"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// The digest tree: every file is a recorded blob, or an orphan to adopt or
// remove.

// files walks the digest tree for files without a record and stray names.
// Repair adopts an orphan whose bytes hash to its name (GC removes it after
// the grace period unless something references it) and removes one that
// does not.
func (f *fsck) files(ctx context.Context) error {
	type orphan struct {
		d    cas.Digest
		size int64
	}
	var orphans []orphan
	var strays []string
	err := f.db.blobs.Walk(ctx, func(path string, d cas.Digest, ok bool, size int64) error {
		f.rep.Files++
		switch {
		case !ok:
			strays = append(strays, path)
		case !f.db.hasRecord(d):
			orphans = append(orphans, orphan{d, size})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk blob files: %w", err)
	}
	for _, p := range strays {
		repaired := false
		if f.o.Repair {
			if err := f.db.blobs.RemoveStray(p); err != nil {
				return err
			}
			repaired = true
		}
		f.add(FindStrayFile, p, "a file in the digest tree whose name is not a digest path", "remove", repaired)
	}
	for _, o := range orphans {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.orphan(ctx, o.d, o.size); err != nil {
			return err
		}
	}
	return nil
}

// orphan checks (and with Repair adopts or removes) one file with no record.
func (f *fsck) orphan(ctx context.Context, d cas.Digest, size int64) error {
	pin := f.db.blobs.Pin(d)
	defer pin.Release()
	if f.db.blobs.Pinned(d) > 1 || f.db.hasRecord(d) {
		return nil // an ingest in flight, or recorded meanwhile
	}
	detail := fmt.Sprintf("%d bytes at the digest path, no catalog record", size)
	if !f.o.Repair {
		f.add(FindOrphanFile, d.String(), detail, "adopt if it re-hashes to its name, else remove", false)
		return nil
	}
	sums, n, err := f.db.blobs.Verify(ctx, d)
	if errors.Is(err, cas.ErrNotFound) {
		return nil // removed meanwhile
	}
	if err != nil && !errors.Is(err, cas.ErrDigestMismatch) {
		return err
	}
	if err == nil {
		err = f.db.adopt(d, sums, n)
		if err != nil {
			return err
		}
		f.add(FindOrphanFile, d.String(), detail, "adopted: re-hashed to its name and recorded", true)
		return nil
	}
	pin.Release()
	err = f.db.blobs.Remove(d, func() error {
		if f.db.hasRecord(d) {
			return fmt.Errorf("blob %s: %w", d, errStillWanted)
		}
		return nil
	})
	if err != nil && !errors.Is(err, cas.ErrPinned) && !errors.Is(err, errStillWanted) {
		return err
	}
	f.add(FindOrphanFile, d.String(), detail+"; its bytes do not hash to its name", "removed", err == nil)
	return nil
}

// adopt records an orphan file whose bytes were just verified.
func (db *DB) adopt(d cas.Digest, sums cas.Sums, size int64) error {
	fl, err := db.blobs.Open(d)
	if err != nil {
		return err
	}
	facts, perr := probe(fl, size)
	fl.Close()
	if perr != nil {
		facts.Format, facts.VirtualSize = "raw", size
	}
	return db.update(func(tx *bolt.Tx) error {
		_, err := db.recordBlob(tx, cas.Info{Sums: sums, Size: size}, facts.Format, facts.VirtualSize)
		return err
	})
}

// refKey is a blob_refs key: digest then artifact UUID.
func refKey(d cas.Digest, id cas.UUID) string { return string(d[:]) + string(id[:]) }
