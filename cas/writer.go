package cas

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Writer receives a blob's bytes, hashing them as they arrive, and commits
// them into the store. Sequential writes (Write, ReadFrom, WriteAt at the end
// of the hashed prefix) are hashed in flight; writes ahead of the prefix are
// remembered and hashed from the file once the gap before them fills; a write
// into bytes already hashed, or a truncation below them, makes Commit re-hash
// the file. The result is always the digest of the file's final bytes.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	store   *Store
	f       *os.File
	path    string
	spool   bool // a persistent upload spool rather than an anonymous temp file
	pool    *chunkPool
	fw      *fileWriter
	sum     *summer // nil: re-hash everything at commit
	hashed  int64   // bytes [0, hashed) have been fed to sum
	size    int64   // logical file size
	pending extents // written ranges beyond hashed
	// cur gathers contiguous small writes (FUSE sends 128 KiB ones) into
	// one full chunk before it enters the pipeline; send dispatches it.
	cur    *chunk
	closed bool
}

// Create returns a Writer on a new anonymous temp file under the store's
// tmp/ directory. Abort or Close removes the temp file; Commit moves it.
func (s *Store) Create() (*Writer, error) {
	if err := s.checkSpace(0); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(tempDir(s.root), "ingest-*")
	if err != nil {
		return nil, fmt.Errorf("create temp: %w", mapNoSpace(err))
	}
	return s.newWriter(f, false, 0), nil
}

func (s *Store) newWriter(f *os.File, spool bool, size int64) *Writer {
	w := &Writer{
		store: s, f: f, path: f.Name(), spool: spool,
		pool: newChunkPool(s.chunks), sum: newSummer(), size: size,
	}
	w.pending = w.pending.add(0, size)
	w.fw = newFileWriter(s, f, size)
	return w
}

// Size returns the logical size: the end of the furthest write or the last
// Truncate.
func (w *Writer) Size() int64 { return w.size }

// Write appends p at the current size.
func (w *Writer) Write(p []byte) (int, error) { return w.WriteAt(p, w.size) }

// WriteAt writes p at off. Errors from the file are sticky and may surface on
// a later call; Commit always reports them.
func (w *Writer) WriteAt(p []byte, off int64) (int, error) {
	if w.closed {
		return 0, ErrClosed
	}
	if off < 0 {
		return 0, fmt.Errorf("write at %d: negative offset", off)
	}
	if err := w.fw.failed(); err != nil {
		return 0, err
	}
	n := 0
	for n < len(p) {
		at := off + int64(n)
		if w.cur != nil && at != w.cur.off+int64(len(w.cur.buf)) {
			w.send() // not contiguous: the gathered bytes go first
		}
		if w.cur == nil {
			w.cur = w.pool.get()
			w.cur.off = at
		}
		m := min(len(p)-n, chunkSize-len(w.cur.buf))
		w.cur.buf = append(w.cur.buf, p[n:n+m]...)
		n += m
		if len(w.cur.buf) == chunkSize {
			w.send()
		}
	}
	w.size = max(w.size, off+int64(n))
	return n, nil
}

// send dispatches the chunk WriteAt is gathering, if any. Everything that
// reads the file, truncates it or finishes the Writer sends first.
func (w *Writer) send() {
	if c := w.cur; c != nil {
		w.cur = nil
		w.dispatch(c)
	}
}

// ReadFrom appends everything r yields, reading straight into pipeline
// buffers. It returns the bytes read.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if w.closed {
		return 0, ErrClosed
	}
	w.send()
	var n int64
	for {
		if err := w.fw.failed(); err != nil {
			return n, err
		}
		c := w.pool.get()
		m, err := io.ReadFull(r, c.buf[:chunkSize])
		c.buf = c.buf[:m]
		if m > 0 {
			c.off = w.size
			w.dispatch(c)
			n += int64(m)
		} else {
			w.pool.put(c)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// dispatch sends c to the file and, if it continues the hashed prefix, to the
// hashers.
func (w *Writer) dispatch(c *chunk) {
	start, end := c.off, c.off+int64(len(c.buf))
	if w.sum != nil && start < w.hashed {
		w.invalidate()
	}
	inline := w.sum != nil && start == w.hashed
	refs := int32(1)
	if inline {
		refs += summerRefs
	}
	c.refs.Store(refs)
	w.fw.write(c)
	if end > w.size {
		w.size = end
	}
	switch {
	case inline:
		w.sum.feed(c)
		w.hashed = end
		w.pending = w.pending.trimBelow(end)
		w.catchUp()
	case w.sum != nil:
		w.pending = w.pending.add(start, end)
	}
}

// catchUp hashes pending ranges that now continue the hashed prefix, reading
// them back from the file.
func (w *Writer) catchUp() {
	for w.sum != nil && len(w.pending) > 0 && w.pending[0].start == w.hashed {
		e := w.pending[0]
		w.pending = w.pending[1:]
		if err := w.hashFile(e.end); err != nil {
			w.fw.fail(err)
			w.invalidate()
		}
	}
}

// hashFile feeds the file's bytes [hashed, end) to the summer, after the
// file writer (if still running) has written everything queued.
func (w *Writer) hashFile(end int64) error {
	w.send()
	if w.fw != nil {
		if err := w.fw.flush(); err != nil {
			return err
		}
	}
	for w.hashed < end {
		c := w.pool.get()
		m := int(min(end-w.hashed, chunkSize))
		k, err := w.f.ReadAt(c.buf[:m], w.hashed)
		if k < m {
			w.pool.put(c)
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read back %s at %d: %w", w.path, w.hashed, err)
		}
		c.buf = c.buf[:m]
		c.off = w.hashed
		c.refs.Store(summerRefs)
		w.sum.feed(c)
		w.hashed += int64(m)
	}
	return nil
}

// invalidate drops the running hash; Commit will hash the whole file.
func (w *Writer) invalidate() {
	if w.sum != nil {
		w.sum.stop()
	}
	w.sum, w.hashed, w.pending = nil, 0, nil
}

// Truncate sets the file's size. Cutting below the hashed prefix makes Commit
// re-hash, except a cut to zero, which simply starts over.
func (w *Writer) Truncate(size int64) error {
	if w.closed {
		return ErrClosed
	}
	if size < 0 {
		return fmt.Errorf("truncate to %d: negative size", size)
	}
	w.send()
	if err := w.fw.flush(); err != nil {
		return err
	}
	if err := w.f.Truncate(size); err != nil {
		return fmt.Errorf("truncate %s: %w", w.path, mapNoSpace(err))
	}
	w.fw.end, w.fw.size = min(w.fw.end, size), size // the file writer is idle after the flush
	switch {
	case size == 0:
		w.invalidate()
		w.sum = newSummer()
	case w.sum != nil && size < w.hashed:
		w.invalidate()
	default:
		w.pending = w.pending.clip(size)
	}
	w.size = size
	return nil
}

// ReadAt reads back what has been written, for tools that read their output.
func (w *Writer) ReadAt(p []byte, off int64) (int, error) {
	if w.closed {
		return 0, ErrClosed
	}
	w.send()
	if err := w.fw.flush(); err != nil {
		return 0, err
	}
	return w.f.ReadAt(p, off)
}

// Sync makes the bytes written so far durable (for upload sessions whose
// offsets are acknowledged, and fsync from staging writers).
func (w *Writer) Sync() error {
	if w.closed {
		return ErrClosed
	}
	w.send()
	if err := w.fw.flush(); err != nil {
		return err
	}
	return datasync(w.f)
}

// File returns the underlying file for SEEK_DATA/SEEK_HOLE and similar
// read-only queries. Callers must not write through it.
func (w *Writer) File() *os.File { return w.f }

// Close releases the Writer without committing. A spool file stays for a
// later OpenSpool; an anonymous temp file is removed.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.send() // a spool keeps every byte written
	w.closed = true
	var err error
	if w.fw != nil {
		err = w.fw.close()
	}
	if w.sum != nil {
		w.sum.stop()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if !w.spool {
		_ = os.Remove(w.path)
	}
	return err
}

// Abort releases the Writer and removes its file, spool or not.
func (w *Writer) Abort() {
	if !w.closed {
		w.spool = false
		_ = w.Close()
	}
	_ = os.Remove(w.path)
}

// Flush waits until every byte written so far has reached the file (the
// kernel's page cache, not the disk: see Sync) and returns any write error.
func (w *Writer) Flush() error {
	if w.closed {
		return ErrClosed
	}
	w.send()
	return w.fw.flush()
}
