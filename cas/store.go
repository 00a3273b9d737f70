package cas

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// Options configure a Store. The zero value is usable.
type Options struct {
	// Logger receives problems that happen after a blob is durable and so
	// cannot fail the operation. Nil discards them.
	Logger *slog.Logger
	// MinFree is the free-space floor in bytes: writes that would leave less
	// free space on the store's filesystem fail with ErrNoSpace.
	MinFree int64
}

// Store is a content-addressed blob store rooted at one directory. It is safe
// for concurrent use.
type Store struct {
	root    string
	log     *slog.Logger
	minFree atomic.Int64 // the free-space floor; SetMinFree changes it at run time
	pins    *pins
	chunks  *sync.Pool
	zeros   []byte // chunkSize zero bytes, never written to
}

// Open opens (creating if needed) the store rooted at root.
func Open(root string, opts Options) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("store root %s: %w", root, err)
	}
	for _, dir := range []string{blobDir(abs), spoolDir(abs), tempDir(abs)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store root: %w", err)
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{root: abs, log: log, pins: newPins(), chunks: newChunkFree(), zeros: make([]byte, chunkSize)}
	s.minFree.Store(opts.MinFree)
	return s, nil
}

// Root returns the absolute path of the store's root directory.
func (s *Store) Root() string { return s.root }

// SetMinFree changes the free-space floor for writes that start afterwards.
func (s *Store) SetMinFree(n int64) { s.minFree.Store(n) }

// Path returns the path of d's file, whether or not it exists. It is for
// read-only use (FUSE passthrough, qcow2 backing references, fsck).
func (s *Store) Path(d Digest) string { return blobPath(s.root, d) }

// Open opens d's file read-only. The *os.File implements io.ReaderAt and
// io.ReadSeeker; the caller closes it. A missing blob is ErrNotFound.
func (s *Store) Open(d Digest) (*os.File, error) {
	f, err := os.Open(s.Path(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", d, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", d, err)
	}
	return f, nil
}

// Stat returns the size of d's file. A missing blob is ErrNotFound.
func (s *Store) Stat(d Digest) (int64, error) {
	fi, err := os.Stat(s.Path(d))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("blob %s: %w", d, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("blob %s: %w", d, err)
	}
	return fi.Size(), nil
}

// Verify re-hashes d's file and returns its sums and size. If the bytes no
// longer hash to d it returns ErrDigestMismatch (with the sums it found); a
// missing blob is ErrNotFound. It honours ctx between chunks.
func (s *Store) Verify(ctx context.Context, d Digest) (Sums, int64, error) {
	f, err := s.Open(d)
	if err != nil {
		return Sums{}, 0, err
	}
	defer f.Close()
	sums, n, err := s.HashReader(ctx, f)
	if err != nil {
		return Sums{}, 0, fmt.Errorf("verify %s: %w", d, err)
	}
	if sums.BLAKE3 != d {
		return sums, n, fmt.Errorf("verify %s: found %s: %w", d, sums.BLAKE3, ErrDigestMismatch)
	}
	return sums, n, nil
}

// HashReader returns the sums and length of everything r yields, hashing on
// the same pipeline as ingest. It stops early if ctx is done.
func (s *Store) HashReader(ctx context.Context, r io.Reader) (Sums, int64, error) {
	pool := newChunkPool(s.chunks)
	sum := newSummer()
	defer sum.stop()
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return Sums{}, n, err
		}
		c := pool.get()
		m, err := io.ReadFull(r, c.buf[:chunkSize])
		c.buf = c.buf[:m]
		n += int64(m)
		if m > 0 {
			c.refs.Store(summerRefs)
			sum.feed(c)
		} else {
			pool.put(c)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return sum.sum(), n, nil
		}
		if err != nil {
			return Sums{}, n, err
		}
	}
}

// Walk calls fn for every file in the digest tree, in no particular order.
// Files whose names are not digests are reported with ok false so fsck can
// flag them. It stops at the first error fn returns or when ctx is done.
func (s *Store) Walk(ctx context.Context, fn func(path string, d Digest, ok bool, size int64) error) error {
	return filepath.WalkDir(blobDir(s.root), func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		d, perr := ParseDigest(filepath.Base(path))
		ok := perr == nil && blobPath(s.root, d) == path
		return fn(path, d, ok, fi.Size())
	})
}

// unlink removes d's file and fsyncs its shard directory. A missing file is
// not an error.
func (s *Store) unlink(d Digest) error {
	p := s.Path(d)
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove blob %s: %w", d, err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("fsync shard directory after remove", "blob", d, "err", err)
	}
	return nil
}

// checkSpace fails with ErrNoSpace if writing need more bytes would leave
// less than the floor free.
func (s *Store) checkSpace(need int64) error {
	floor := s.minFree.Load()
	if floor <= 0 && need <= 0 {
		return nil
	}
	free, err := freeBytes(s.root)
	if err != nil {
		return err
	}
	if free-need < floor {
		return fmt.Errorf("%d bytes free, %d needed above a floor of %d: %w", free, need, floor, ErrNoSpace)
	}
	return nil
}

// CheckSpace reports, with ErrNoSpace, whether writing need more bytes would
// cross the free-space floor. Callers use it to refuse a declared size early.
func (s *Store) CheckSpace(need int64) error { return s.checkSpace(need) }

// FreeBytes returns the free bytes on the store's filesystem.
func (s *Store) FreeBytes() (int64, error) { return freeBytes(s.root) }

// MinFree returns the free-space floor.
func (s *Store) MinFree() int64 { return s.minFree.Load() }

// isZero reports whether b (at most chunkSize bytes) is all zero bytes.
func (s *Store) isZero(b []byte) bool { return bytes.Equal(b, s.zeros[:len(b)]) }
