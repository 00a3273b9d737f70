package cas

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sfcas/sfcas/cas/failpoint"
)

// Expect is what a committed blob must match. Zero fields are not checked.
type Expect struct {
	Size   int64
	SizeOK bool // Size is checked only when SizeOK is set
	BLAKE3 Digest
	SHA256 [32]byte
	SHA512 [64]byte
}

// Info describes a committed blob.
type Info struct {
	Sums
	Size int64
	// Existed is true when the store already had the blob and this writer's
	// copy was discarded.
	Existed bool
}

// Commit finishes the blob: it hashes whatever is not hashed yet, fsyncs the
// file, checks want, makes the file read-only and renames it to its digest
// path unless a file is already there, then fsyncs the shard directory.
//
// On success the digest is pinned; the caller must Release the Pin once the
// catalog references the blob (or it has decided not to). If a file is
// already at the digest path it is kept when it has the right size and heal
// (if not nil) returns false for the digest; otherwise it is replaced
// atomically, which repairs a copy known or found to be damaged. heal runs
// with the digest pinned and must not wait on a catalog write transaction
// that waits for this pin.
//
// Whatever the outcome, the Writer is finished; on failure its file is
// removed, spool or not. ctx bounds only the hashing of bytes not yet hashed.
func (w *Writer) Commit(ctx context.Context, want Expect, heal func(Digest) bool) (Info, *Pin, error) {
	if w.closed {
		return Info{}, nil, ErrClosed
	}
	info, err := w.finish(ctx, want)
	if err != nil {
		w.Abort()
		return Info{}, nil, err
	}
	w.closed = true
	failpoint.Hit(failpoint.IngestAfterSync)
	pin, existed, err := w.link(info.BLAKE3, info.Size, heal)
	w.f.Close()
	if err != nil {
		_ = os.Remove(w.path)
		return Info{}, nil, err
	}
	info.Existed = existed
	return info, pin, nil
}

// finish drains the pipeline, completes the hash, fsyncs and verifies.
func (w *Writer) finish(ctx context.Context, want Expect) (Info, error) {
	w.send()
	if err := w.fw.close(); err != nil {
		return Info{}, fmt.Errorf("write %s: %w", w.path, err)
	}
	w.fw = nil
	if w.sum == nil {
		w.sum, w.hashed = newSummer(), 0
	}
	for w.hashed < w.size {
		if err := ctx.Err(); err != nil {
			return Info{}, err
		}
		if err := w.hashFile(min(w.size, w.hashed+64*chunkSize)); err != nil {
			return Info{}, err
		}
	}
	sums := w.sum.sum()
	w.sum = nil
	if err := datasync(w.f); err != nil {
		return Info{}, fmt.Errorf("fsync %s: %w", w.path, err)
	}
	info := Info{Sums: sums, Size: w.size}
	return info, Check(info, want)
}

// Check compares a blob's facts with what a caller expected: ErrSizeMismatch
// or ErrDigestMismatch on a difference.
func Check(got Info, want Expect) error {
	switch {
	case want.SizeOK && got.Size != want.Size:
		return fmt.Errorf("got %d bytes, want %d: %w", got.Size, want.Size, ErrSizeMismatch)
	case !want.BLAKE3.IsZero() && got.BLAKE3 != want.BLAKE3:
		return fmt.Errorf("got %s, want %s: %w", got.BLAKE3, want.BLAKE3, ErrDigestMismatch)
	case want.SHA256 != [32]byte{} && got.SHA256 != want.SHA256:
		return fmt.Errorf("sha256 got %s: %w", got.SHA256Hex(), ErrDigestMismatch)
	case want.SHA512 != [64]byte{} && got.SHA512 != want.SHA512:
		return fmt.Errorf("sha512 got %s: %w", got.SHA512Hex(), ErrDigestMismatch)
	}
	return nil
}

// link moves the finished file to d's path, pinning d first so that a
// concurrent Remove cannot delete the file between a dedup hit and the
// caller's catalog transaction.
func (w *Writer) link(d Digest, size int64, heal func(Digest) bool) (*Pin, bool, error) {
	if err := w.f.Chmod(0o444); err != nil {
		return nil, false, fmt.Errorf("chmod %s: %w", w.path, err)
	}
	pin := w.store.Pin(d)
	replace := heal != nil && heal(d)
	dst := w.store.Path(d)
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		pin.Release()
		return nil, false, fmt.Errorf("shard dir: %w", mapNoSpace(err))
	}
	existed := false
	err := errTargetExists
	if !replace {
		err = linkNoReplace(w.path, dst)
	}
	if errors.Is(err, errTargetExists) {
		have, serr := w.store.Stat(d)
		if !replace && serr == nil && have == size {
			existed = true
			err = os.Remove(w.path)
		} else {
			// A damaged copy (or the caller asked): replace it atomically.
			err = os.Rename(w.path, dst)
		}
	}
	if err != nil {
		pin.Release()
		return nil, false, fmt.Errorf("link %s: %w", d, err)
	}
	if err := syncDir(dir); err != nil {
		w.store.log.Warn("fsync shard directory after link", "blob", d, "err", err)
	}
	failpoint.Hit(failpoint.IngestAfterLink)
	return pin, existed, nil
}
