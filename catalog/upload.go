package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// Upload is a resumable staging session: bytes received so far live in a
// spool file; Size is the acknowledged length, persisted after every chunk so
// a restarted daemon resumes from it.
type Upload struct {
	UUID      cas.UUID  `json:"uuid"`
	Namespace string    `json:"namespace"`
	Who       string    `json:"who"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	Size      int64     `json:"size"`
	Declared  int64     `json:"declared,omitempty"` // expected total, reserved against the free-space floor
	Gen       int       `json:"gen"`
}

// Expires is when an idle session may be reaped.
func (u *Upload) Expires(ttl time.Duration) time.Time { return u.Updated.Add(ttl) }

// uploadSlots keeps the open spool writer of active sessions, so a session's
// running hash survives between chunks, and makes sure only one request works
// on a session at a time.
type uploadSlots struct {
	mu    sync.Mutex
	slots map[cas.UUID]*uploadSlot
}

type uploadSlot struct {
	busy sync.Mutex
	w    *cas.Writer // nil until first used, or after an idle close
	used time.Time
}

// acquire try-locks id's slot: a second concurrent request on the same
// session fails fast with ErrConflict rather than queueing.
func (s *uploadSlots) acquire(id cas.UUID, now time.Time) (*uploadSlot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.slots == nil {
		s.slots = map[cas.UUID]*uploadSlot{}
	}
	slot := s.slots[id]
	if slot == nil {
		slot = &uploadSlot{}
		s.slots[id] = slot
	}
	if !slot.busy.TryLock() {
		return nil, fmt.Errorf("upload %s is busy with another request: %w", id, ErrConflict)
	}
	slot.used = now
	return slot, nil
}

// forget drops id's slot (the caller holds it) after closing its writer.
func (s *uploadSlots) forget(id cas.UUID, slot *uploadSlot) {
	if slot.w != nil {
		_ = slot.w.Close()
		slot.w = nil
	}
	s.mu.Lock()
	delete(s.slots, id)
	s.mu.Unlock()
	slot.busy.Unlock()
}

// CloseIdle closes writers of sessions idle since before cutoff; their spool
// files stay and reopen on the next chunk. It returns how many it closed.
func (s *uploadSlots) closeIdle(cutoff time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, slot := range s.slots {
		if !slot.busy.TryLock() {
			continue
		}
		if slot.used.Before(cutoff) {
			if slot.w != nil {
				_ = slot.w.Close()
			}
			delete(s.slots, id)
			n++
		}
		slot.busy.Unlock()
	}
	return n
}

// CloseIdleUploads releases the open writers of upload sessions idle for
// longer than idle (their data stays). The daemon calls it periodically.
func (db *DB) CloseIdleUploads(idle time.Duration) int {
	return db.uploads.closeIdle(db.now().Add(-idle))
}

// UploadSpec describes a new upload session.
type UploadSpec struct {
	// ID is chosen by the client (so it can resume a stream whose response
	// it never saw) or, when zero, by the server.
	ID cas.UUID
	// Declared, if positive, is the expected total size: it is checked
	// against the free-space floor now.
	Declared int64
}

// CreateUpload starts a session owned by the caller's namespace. A taken ID
// is ErrExists.
func (db *DB) CreateUpload(ctx context.Context, c Caller, spec UploadSpec) (Upload, error) {
	if spec.Declared < 0 {
		return Upload{}, invalidf("declared size %d is negative", spec.Declared)
	}
	if err := db.blobs.CheckSpace(spec.Declared); err != nil {
		return Upload{}, err
	}
	if spec.ID.IsZero() {
		spec.ID = cas.NewUUID()
	}
	now := db.now()
	u := Upload{UUID: spec.ID, Namespace: c.Namespace, Who: c.Who(), Created: now, Updated: now, Declared: spec.Declared, Gen: 1}
	w, err := db.blobs.CreateSpool(u.UUID)
	if errors.Is(err, cas.ErrExists) {
		return Upload{}, fmt.Errorf("upload %s: %w", u.UUID, ErrExists)
	}
	if err != nil {
		return Upload{}, err
	}
	if err := w.Close(); err != nil {
		return Upload{}, err
	}
	err = db.update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bucketUploads), u.UUID[:], u) })
	if err != nil {
		_ = db.blobs.RemoveSpool(u.UUID)
		return Upload{}, err
	}
	return u, nil
}

// GetUpload returns a session the caller owns (or any, for system).
func (db *DB) GetUpload(ctx context.Context, c Caller, id cas.UUID) (Upload, error) {
	var u Upload
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		u, err = getUpload(tx, c, id)
		return err
	})
	return u, err
}

func getUpload(tx *bolt.Tx, c Caller, id cas.UUID) (Upload, error) {
	var u Upload
	ok, err := getJSON(tx.Bucket(bucketUploads), id[:], &u)
	if err == nil && (!ok || !c.mayChange(u.Namespace)) {
		err = fmt.Errorf("upload %s: %w", id, ErrNotFound)
	}
	return u, err
}

// withUpload runs fn on the session's writer while holding its slot.
func (db *DB) withUpload(ctx context.Context, c Caller, id cas.UUID, fn func(u *Upload, w *cas.Writer) error) (Upload, error) {
	slot, err := db.uploads.acquire(id, db.now())
	if err != nil {
		return Upload{}, err
	}
	u, err := db.GetUpload(ctx, c, id)
	if err != nil {
		db.uploads.forget(id, slot)
		return Upload{}, err
	}
	if slot.w == nil {
		if slot.w, err = db.blobs.OpenSpool(id, u.Size); err != nil {
			db.uploads.forget(id, slot)
			return Upload{}, fmt.Errorf("upload %s: %w", id, err)
		}
	}
	if err = fn(&u, slot.w); err != nil {
		// The writer may hold a sticky error; the next request reopens the
		// spool at the acknowledged size.
		_ = slot.w.Close()
		slot.w = nil
	}
	slot.busy.Unlock()
	return u, err
}

// AppendOptions control AppendUpload.
type AppendOptions struct {
	// At, if not negative, is the offset the caller believes the session is
	// at; a different size is ErrConflict (the caller must ask and resume).
	At int64
	// KeepPartial keeps the bytes received before r failed, for a stream
	// that will resume from the new size; the size is also recorded every
	// CheckpointEvery bytes, so even a crash of the daemon loses at most
	// that much. Without it a chunk is all or nothing.
	KeepPartial bool
}

// CheckpointEvery is how often a long KeepPartial append records its size.
const CheckpointEvery = 64 << 20

// AppendUpload appends everything r yields to the session and returns the
// session with its new size, which is what the server acknowledges: the
// bytes have reached the file before the size is recorded.
func (db *DB) AppendUpload(ctx context.Context, c Caller, id cas.UUID, r io.Reader, o AppendOptions) (Upload, error) {
	return db.withUpload(ctx, c, id, func(u *Upload, w *cas.Writer) error {
		before := u.Size
		if o.At >= 0 && o.At != before {
			return &OffsetError{Have: before, Want: o.At}
		}
		if !o.KeepPartial {
			_, err := w.ReadFrom(r)
			if err == nil {
				err = w.Flush()
			}
			if err == nil {
				return db.saveUploadSize(u, w.Size())
			}
			if terr := w.Truncate(before); terr != nil {
				return errors.Join(err, terr)
			}
			return err
		}
		for {
			n, err := w.ReadFrom(io.LimitReader(r, CheckpointEvery))
			if ferr := w.Flush(); ferr != nil {
				// What reached the file is unknown: keep the last checkpoint.
				return errors.Join(err, ferr, w.Truncate(u.Size))
			}
			if serr := db.saveUploadSize(u, w.Size()); serr != nil || err != nil {
				return errors.Join(err, serr)
			}
			if n < CheckpointEvery {
				return nil
			}
		}
	})
}

// OffsetError reports an append at the wrong offset; Have is where the
// session is, so the client can resume from there.
type OffsetError struct{ Have, Want int64 }

func (e *OffsetError) Error() string {
	return fmt.Sprintf("upload is at offset %d, not %d: resume from %d", e.Have, e.Want, e.Have)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *OffsetError) Is(target error) bool { return target == ErrConflict }

// TruncateUpload cuts the session to offset bytes (the client resends from
// there). An offset beyond the current size is ErrInvalid.
func (db *DB) TruncateUpload(ctx context.Context, c Caller, id cas.UUID, offset int64) (Upload, error) {
	return db.withUpload(ctx, c, id, func(u *Upload, w *cas.Writer) error {
		if offset < 0 || offset > u.Size {
			return invalidf("offset %d is beyond the end of the upload (%d bytes)", offset, u.Size)
		}
		if err := w.Truncate(offset); err != nil {
			return err
		}
		return db.saveUploadSize(u, offset)
	})
}

func (db *DB) saveUploadSize(u *Upload, size int64) error {
	u.Size, u.Updated = size, db.now()
	u.Gen++
	return db.update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bucketUploads), u.UUID[:], u) })
}

// CommitUpload turns the session's bytes into a blob (IngestBlob) and ends
// the session, whatever the outcome. The returned pin must be released once
// the blob is referenced.
func (db *DB) CommitUpload(ctx context.Context, c Caller, id cas.UUID, opts IngestOptions) (Blob, *cas.Pin, error) {
	var b Blob
	var pin *cas.Pin
	_, err := db.withUpload(ctx, c, id, func(u *Upload, w *cas.Writer) error {
		if u.Declared > 0 && !opts.Expect.SizeOK {
			// A session that declared its size must be complete.
			opts.Expect.Size, opts.Expect.SizeOK = u.Declared, true
		}
		var err error
		b, pin, err = db.IngestBlob(ctx, w, opts)
		return err
	})
	if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
		return b, pin, err
	}
	if derr := db.endUpload(id); derr != nil && err == nil {
		pin.Release()
		return Blob{}, nil, derr
	}
	return b, pin, err
}

// DeleteUpload abandons a session and removes its data. A session another
// request is working on (appending, committing) is ErrConflict: its spool
// file must not vanish under it.
func (db *DB) DeleteUpload(ctx context.Context, c Caller, id cas.UUID) error {
	slot, err := db.uploads.acquire(id, db.now())
	if err != nil {
		return err
	}
	if _, err := db.GetUpload(ctx, c, id); err != nil {
		db.uploads.forget(id, slot)
		return err
	}
	db.uploads.forget(id, slot)
	return db.endUpload(id)
}

// endUpload forgets the session's record, writer and spool file.
func (db *DB) endUpload(id cas.UUID) error {
	if slot, err := db.uploads.acquire(id, db.now()); err == nil {
		db.uploads.forget(id, slot)
	}
	err := db.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketUploads).Delete(id[:]) })
	if err != nil {
		return err
	}
	return db.blobs.RemoveSpool(id)
}

// ListUploads returns every session (system) or the caller's own.
func (db *DB) ListUploads(ctx context.Context, c Caller) ([]Upload, error) {
	out := []Upload{}
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUploads).ForEach(func(k, v []byte) error {
			u, err := getUpload(tx, c, cas.UUID(k))
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			out = append(out, u)
			return err
		})
	})
	return out, err
}
