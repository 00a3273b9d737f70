package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// Upload sessions and leftovers in tmp/ and uploads/.

// uploads checks upload sessions: expired ones, and ones whose spool is
// missing or shorter than what was acknowledged, are ended by Repair.
func (f *fsck) uploads(ctx context.Context) error {
	type bad struct {
		u         Upload
		kind, why string
	}
	var found []bad
	err := f.db.view(func(tx *bolt.Tx) error {
		now := f.db.now()
		return tx.Bucket(bucketUploads).ForEach(func(k, _ []byte) error {
			f.rep.Uploads++
			var u Upload
			if _, err := getJSON(tx.Bucket(bucketUploads), k, &u); err != nil {
				return err
			}
			size, err := f.db.blobs.SpoolSize(u.UUID)
			switch {
			case errors.Is(err, cas.ErrNotFound):
				found = append(found, bad{u, FindUploadSpool, "the session's spool file is missing"})
			case err != nil:
				return err
			case size < u.Size:
				found = append(found, bad{u, FindUploadSpool, fmt.Sprintf("spool holds %d of %d acknowledged bytes", size, u.Size)})
			case !u.Expires(f.db.ttl).After(now):
				found = append(found, bad{u, FindUploadExpired, "idle since " + u.Updated.UTC().Format(time.RFC3339)})
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, b := range found {
		if !f.o.Repair && !f.db.uploadIdle(b.u.UUID) {
			continue // a request is on it (a commit ends it right after)
		}
		repaired := false
		if f.o.Repair {
			if ok, err := f.db.endBrokenUpload(b.u.UUID); err != nil {
				return err
			} else if !ok {
				continue // busy or changed: a live session after all
			}
			repaired = true
		}
		f.add(b.kind, "upload/"+b.u.UUID.String(), b.why, "end the session (the client starts again)", repaired)
	}
	return ctx.Err()
}

// uploadIdle reports whether no request holds session id and it still
// exists.
func (db *DB) uploadIdle(id cas.UUID) bool {
	slot, err := db.uploads.acquire(id, db.now())
	if err != nil {
		return false
	}
	defer slot.busy.Unlock()
	return db.uploadExists(id)
}

// endBrokenUpload ends a session unless a request holds it.
func (db *DB) endBrokenUpload(id cas.UUID) (bool, error) {
	slot, err := db.uploads.acquire(id, db.now())
	if err != nil {
		return false, nil
	}
	defer db.uploads.forget(id, slot)
	err = db.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketUploads).Delete(id[:]) })
	if err != nil {
		return false, err
	}
	return true, db.blobs.RemoveSpool(id)
}

// leftovers finds temp files and spools without a session.
func (f *fsck) leftovers(ctx context.Context) error {
	ls, err := f.db.blobs.Leftovers()
	if err != nil {
		return err
	}
	cutoff := time.Now().Add(-f.o.LeftoverAge)
	for _, l := range ls {
		if err := ctx.Err(); err != nil {
			return err
		}
		if f.o.LeftoverAge > 0 && l.Modified.After(cutoff) {
			continue
		}
		kind, why := FindStrayTemp, "an ingest temp file no process is writing"
		if l.Spool {
			if l.IDOK && f.db.uploadExists(l.ID) {
				continue
			}
			kind, why = FindStraySpool, "a spool file without an upload session"
		}
		repaired := false
		if f.o.Repair {
			if err := f.db.blobs.RemoveLeftover(l); err != nil {
				return err
			}
			repaired = true
		}
		f.add(kind, l.Path, fmt.Sprintf("%s (%d bytes)", why, l.Size), "remove", repaired)
	}
	return nil
}

func (db *DB) uploadExists(id cas.UUID) bool {
	found := false
	_ = db.view(func(tx *bolt.Tx) error {
		found = tx.Bucket(bucketUploads).Get(id[:]) != nil
		return nil
	})
	return found
}
