package cas

import (
	"errors"
	"os"
	"sync/atomic"
	"syscall"
)

// writebackEvery is how many bytes a fileWriter writes before it asks the
// kernel to start writing dirty pages back. Starting writeback early lets the
// disk work while hashing still runs, so the final fsync waits for little.
const writebackEvery = 32 << 20

// spaceCheckEvery is how many bytes a fileWriter writes between free-space
// checks against the store's floor.
const spaceCheckEvery = 64 << 20

// fileWriter writes chunks to a file at their offsets on its own goroutine,
// so that a Writer's caller can read the next chunk while this one reaches the
// page cache. The first error is sticky: later chunks are dropped and every
// flush reports it.
type fileWriter struct {
	f     *os.File
	store *Store
	in    chan fwReq
	err   atomic.Pointer[error] // first failure, readable without a flush
	quit  chan struct{}
	// end is where the bytes written so far end. An all-zero chunk at or
	// beyond it is not written: that range of the file is a hole already,
	// so blobs of disk images stay sparse; the file is only extended (a
	// cheap ftruncate) so that it still reads back as zeros. size is the
	// file's length. Only the goroutine touches them, except while it is
	// idle after a flush (Writer.Truncate).
	end, size int64
}

type fwReq struct {
	c     *chunk
	flush chan error
}

func newFileWriter(s *Store, f *os.File, end int64) *fileWriter {
	fw := &fileWriter{f: f, store: s, in: make(chan fwReq, chunksInFlight), quit: make(chan struct{}), end: end, size: end}
	go fw.run()
	return fw
}

func (fw *fileWriter) run() {
	defer close(fw.quit)
	var sinceWriteback, sinceCheck int64
	for req := range fw.in {
		if c := req.c; c != nil {
			if fw.failed() == nil {
				fw.put(c)
				sinceWriteback += int64(len(c.buf))
				sinceCheck += int64(len(c.buf))
			}
			c.done()
			if sinceWriteback >= writebackEvery {
				sinceWriteback = 0
				startWriteback(fw.f)
			}
			if sinceCheck >= spaceCheckEvery {
				sinceCheck = 0
				if err := fw.store.checkSpace(0); err != nil {
					fw.fail(err)
				}
			}
		}
		if req.flush != nil {
			req.flush <- fw.failed()
		}
	}
}

// put writes c, or only extends the file if c is zeros over a hole.
func (fw *fileWriter) put(c *chunk) {
	end := c.off + int64(len(c.buf))
	if c.off >= fw.end && fw.store.isZero(c.buf) {
		if end > fw.size {
			if err := fw.f.Truncate(end); err != nil {
				fw.fail(mapNoSpace(err))
				return
			}
			fw.size = end
		}
		return
	}
	if _, err := fw.f.WriteAt(c.buf, c.off); err != nil {
		fw.fail(mapNoSpace(err))
		return
	}
	fw.end, fw.size = max(fw.end, end), max(fw.size, end)
}

func (fw *fileWriter) fail(err error) {
	fw.err.CompareAndSwap(nil, &err)
}

// failed returns the sticky error, if any, without waiting.
func (fw *fileWriter) failed() error {
	if p := fw.err.Load(); p != nil {
		return *p
	}
	return nil
}

// write queues c; the caller must have counted this consumer in c.refs.
func (fw *fileWriter) write(c *chunk) { fw.in <- fwReq{c: c} }

// flush waits until every queued chunk is written and returns the sticky
// error.
func (fw *fileWriter) flush() error {
	ch := make(chan error, 1)
	fw.in <- fwReq{flush: ch}
	return <-ch
}

// close flushes and stops the goroutine; it returns the sticky error.
func (fw *fileWriter) close() error {
	err := fw.flush()
	close(fw.in)
	<-fw.quit
	return err
}

// mapNoSpace turns the errors a full filesystem or quota gives into one
// that is ErrNoSpace (and still the errno underneath) but whose text names
// no path: it may reach a client.
func mapNoSpace(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return &noSpaceError{cause: err}
	}
	return err
}

type noSpaceError struct{ cause error }

func (e *noSpaceError) Error() string {
	if errors.Is(e.cause, syscall.EDQUOT) {
		return ErrNoSpace.Error() + ": disk quota exceeded on the store's filesystem"
	}
	return ErrNoSpace.Error() + ": the store's filesystem is full"
}

func (e *noSpaceError) Unwrap() []error { return []error{ErrNoSpace, e.cause} }
