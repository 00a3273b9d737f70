package fusefs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
)

// stageFile is one name in a staging namespace: a label's current version
// (readable), a file being staged (a session), or both.
//
// All fields are guarded by mu, which is held across a commit: other
// requests on the same file wait for it.
type stageFile struct {
	fs.Inode
	s  *staging
	ns string

	mu      sync.Mutex
	name    string
	label   bool // the catalog has a label of this name with a version
	digest  cas.Digest
	size    int64
	mtime   time.Time
	sess    *session
	handles int    // open descriptors of any kind
	writers int    // open descriptors that may write
	owner   uint32 // the process whose descriptors may write (while writers > 0)
}

// session is a file being staged: the spooled bytes in a cas.Writer.
type session struct {
	w *cas.Writer
	// base is content not yet copied into w: a label's version opened for
	// writing without truncation. It is copied on the first write or read;
	// truncating to zero first (cp, O_TRUNC) skips the copy.
	base     cas.Digest
	basePend bool
	dirty    bool // written or resized since it started
	used     time.Time
}

// empty reports whether the session holds no bytes: nothing to publish.
func (s *session) empty() bool { return !s.basePend && s.w.Size() == 0 }

var (
	_ fs.NodeGetattrer = (*stageFile)(nil)
	_ fs.NodeSetattrer = (*stageFile)(nil)
	_ fs.NodeOpener    = (*stageFile)(nil)
)

// refresh brings an idle node up to date with the catalog under name and
// reports whether the name exists (staged, open, or a label).
func (f *stageFile) refresh(ctx context.Context, name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.name = name
	if f.sess != nil {
		return true
	}
	f.label = false
	if !isScratch(name) {
		if a, err := f.s.db.ArtifactByName(ctx, f.s.caller, f.ns, name); err == nil && a.Type == catalog.TypeLabel {
			if v, ok := a.Latest(); ok {
				f.label, f.digest, f.size, f.mtime = true, v.Digest, v.Size, v.Created
			}
		}
	}
	return f.label || f.handles > 0
}

// staged reports whether a session is open on f.
func (f *stageFile) staged() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sess != nil
}

func (f *stageFile) fill(a *fuse.Attr) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fillLocked(a)
}

func (f *stageFile) fillLocked(a *fuse.Attr) {
	size, mtime := f.size, f.mtime
	if f.sess != nil {
		if !f.sess.basePend {
			size = f.sess.w.Size()
		}
		mtime = f.sess.used
	}
	if !f.label && f.sess == nil {
		size = 0
	}
	a.Mode = fuse.S_IFREG | 0o644
	a.Size = uint64(size)
	a.Blocks = (uint64(size) + 511) / 512
	// A large block size makes cp write 1 MiB at a time.
	a.Blksize = maxIO
	a.Nlink = 1
	a.SetTimes(nil, &mtime, &mtime)
}

func (f *stageFile) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	f.fill(&out.Attr)
	return 0
}

// Setattr resizes a staged file (ftruncate, O_TRUNC); mode, owner and time
// changes are accepted and ignored (rsync and cp -p send them). Resizing
// needs a writer: a label is replaced only through an open descriptor.
func (f *stageFile) Setattr(ctx context.Context, fh fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	f.mu.Lock()
	defer f.mu.Unlock()
	if size, ok := in.GetSize(); ok {
		if size > maxStagedSize {
			return syscall.EFBIG
		}
		if errno := f.writableSession(); errno != 0 {
			return errno
		}
		sess := f.sess
		if sess.basePend && size == 0 {
			sess.basePend = false
		}
		if err := f.materialize(f.sess); err != nil {
			return errnoFor(err)
		}
		if err := sess.w.Truncate(int64(size)); err != nil {
			return errnoFor(err)
		}
		sess.dirty, sess.used = true, f.s.now()
	}
	f.fillLocked(&out.Attr)
	return 0
}

// writableSession makes sure a session exists for a write or resize: one
// is started (from the current content) when a writer is open after a
// commit. Without an open writer it is EPERM.
func (f *stageFile) writableSession() syscall.Errno {
	if f.sess != nil {
		return 0
	}
	if f.writers == 0 {
		return syscall.EPERM
	}
	return f.startSession()
}

func (f *stageFile) startSession() syscall.Errno {
	if f.s.closed.Load() {
		return syscall.EIO
	}
	w, err := f.s.store.Create()
	if err != nil {
		return errnoFor(err)
	}
	f.sess = &session{w: w, base: f.digest, basePend: f.label, used: f.s.now()}
	return 0
}

// materialize copies a pending base version into sess.
func (f *stageFile) materialize(sess *session) error {
	if sess == nil || !sess.basePend {
		return nil
	}
	sess.basePend = false
	pin := f.s.store.Pin(sess.base)
	defer pin.Release()
	src, err := f.s.store.Open(sess.base)
	if err != nil {
		return fmt.Errorf("copy the current version: %v: %w", err, catalog.ErrDegraded)
	}
	defer src.Close()
	if _, err := sess.w.ReadFrom(src); err != nil {
		return err
	}
	return nil
}

// Open opens the current content for reading, or starts (or joins) the
// session for writing. Descriptors of one process may share a session; a
// writer from another process while one is open is EBUSY.
func (f *stageFile) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	h, errno := f.open(ctx, flags, false)
	if errno != 0 {
		return nil, 0, errno
	}
	return h, fuse.FOPEN_DIRECT_IO, 0
}

func (f *stageFile) open(ctx context.Context, flags uint32, created bool) (*stageHandle, syscall.Errno) {
	caller, _ := fuse.FromContext(ctx)
	var pid, uid uint32
	if caller != nil {
		pid, uid = caller.Pid, caller.Uid
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	h := &stageHandle{f: f, uid: uid}
	if flags&syscall.O_ACCMODE == syscall.O_RDONLY {
		if f.sess == nil && f.label {
			pin := f.s.store.Pin(f.digest)
			file, err := f.s.store.Open(f.digest)
			if err != nil {
				pin.Release()
				return nil, syscall.EIO
			}
			if fi, err := file.Stat(); err != nil || fi.Size() != f.size {
				file.Close()
				pin.Release()
				return nil, syscall.EIO
			}
			h.blob, h.pin = file, pin
		}
		f.handles++
		return h, 0
	}
	proc := processOf(pid)
	if f.writers > 0 && f.owner != proc {
		return nil, syscall.EBUSY
	}
	if f.sess == nil {
		if !created && !f.label {
			// The name was dropped (unlinked, lease expired) since lookup.
			return nil, syscall.ENOENT
		}
		if errno := f.startSession(); errno != 0 {
			return nil, errno
		}
	}
	if created || flags&syscall.O_TRUNC != 0 {
		f.sess.basePend = false
		if f.sess.w.Size() != 0 {
			if err := f.sess.w.Truncate(0); err != nil {
				return nil, errnoFor(err)
			}
			f.sess.dirty = true
		}
	}
	h.write = true
	f.owner = proc
	f.writers++
	f.handles++
	return h, 0
}

// commit publishes the session as the newest version of label name and
// ends it, whatever the outcome. It runs to the end even if the request is
// interrupted (Go clients are interrupted spuriously).
func (f *stageFile) commit(name string, uid uint32) syscall.Errno {
	sess := f.sess
	f.sess = nil
	if f.s.closed.Load() {
		sess.w.Abort()
		return f.refused(name, errors.New("the staging mount is shutting down"))
	}
	if err := f.materialize(sess); err != nil {
		sess.w.Abort()
		return f.refused(name, err)
	}
	if sess.w.Size() == 0 {
		sess.w.Abort()
		return f.refused(name, fmt.Errorf("the file is empty: %w", catalog.ErrInvalid))
	}
	if err := f.s.store.CheckSpace(0); err != nil {
		sess.w.Abort()
		return f.refused(name, err)
	}
	who := f.s.who(uid)
	a, b, added, err := f.s.db.Publish(context.Background(), who,
		catalog.Target{Namespace: f.ns, Name: name, Type: catalog.TypeLabel, Create: true, SkipIfLatest: true},
		sess.w, catalog.IngestOptions{})
	if err != nil {
		return f.refused(name, err)
	}
	v, _ := a.Latest()
	f.s.stats.commits.Add(1)
	f.s.stats.committedBytes.Add(b.Size)
	f.label, f.digest, f.size, f.mtime = true, b.Digest, b.Size, v.Created
	f.s.log.Info("staging: published", "label", a.Ref(), "version", v.Index, "digest", b.Digest,
		"size", b.Size, "who", who.Who(), "new_version", added)
	return 0
}

// refused logs why a commit failed and returns its errno.
func (f *stageFile) refused(name string, err error) syscall.Errno {
	f.s.stats.refusedCommits.Add(1)
	errno := errnoFor(err)
	f.s.log.Warn("staging: nothing published", "label", f.ns+"/"+name, "errno", errno.Error(), "err", err)
	return errno
}

// flush commits at the close of the last descriptor that may write, if
// anything changed and the name is not a scratch name. A dying writer (its
// files closed by exit, e.g. killed) publishes nothing.
func (f *stageFile) flush(h *stageHandle, pid uint32) syscall.Errno {
	if !h.write {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sess == nil || !f.sess.dirty || f.writers > 1 || isScratch(f.name) || f.sess.empty() {
		return 0
	}
	if exiting(pid) {
		f.s.log.Warn("staging: the writer exited without closing; nothing published", "label", f.ns+"/"+f.name, "pid", pid)
		f.drop()
		return syscall.EIO
	}
	return f.commit(f.name, h.uid)
}

// release ends a descriptor. When no writer is left, an uncommitted session
// on a label name is dropped (its writer died or its commit failed); a
// scratch session waits for its rename, and an empty file (just created,
// as qemu-img does before it reopens it) for its writer, for a lease.
func (f *stageFile) release(h *stageHandle) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if h.blob != nil {
		h.blob.Close()
		h.pin.Release()
	}
	f.handles--
	if h.write {
		f.writers--
	}
	if f.writers == 0 && f.sess != nil {
		if isScratch(f.name) || f.sess.empty() {
			f.sess.used = f.s.now()
		} else {
			if f.sess.dirty {
				f.s.log.Warn("staging: writes were never committed; dropped", "label", f.ns+"/"+f.name)
			}
			f.drop()
		}
	}
}

// drop discards the session's data.
func (f *stageFile) drop() {
	if f.sess != nil {
		f.sess.w.Abort()
		f.sess = nil
	}
}

// expire drops a session nobody holds open that was last used before
// cutoff; force drops it even if descriptors are open (unmount).
func (f *stageFile) expire(cutoff time.Time, force bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sess != nil && (force || f.handles == 0 && f.sess.used.Before(cutoff)) {
		f.s.log.Info("staging: lease expired; staged data dropped", "name", f.ns+"/"+f.name)
		f.drop()
	}
}

// unlink drops staged data; deleting a label needs AllowUnlink.
func (f *stageFile) unlink(ctx context.Context) syscall.Errno {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.label {
		f.drop()
		return 0
	}
	if !f.s.allowUnlink {
		return syscall.EPERM
	}
	if f.sess != nil {
		return syscall.EBUSY
	}
	a, err := f.s.db.ArtifactByName(ctx, f.s.caller, f.ns, f.name)
	if err != nil {
		return errnoFor(err)
	}
	uid := uint32(0)
	if c, ok := fuse.FromContext(ctx); ok {
		uid = c.Uid
	}
	if _, err := f.s.db.DeleteArtifact(ctx, f.s.who(uid), a.UUID); err != nil {
		return errnoFor(err)
	}
	f.label = false
	return 0
}

// rename moves a staged file to newName; onto a label name it commits.
func (f *stageFile) rename(ctx context.Context, newName string) syscall.Errno {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.sess == nil && f.label:
		return syscall.EPERM // a label is renamed by publishing, not here
	case f.sess == nil:
		return syscall.ENOENT
	case f.writers > 0:
		return syscall.EBUSY
	case isScratch(newName):
		f.name = newName
		return 0
	}
	uid := uint32(0)
	if c, ok := fuse.FromContext(ctx); ok {
		uid = c.Uid
	}
	if errno := f.commit(newName, uid); errno != 0 {
		return errno
	}
	f.name = newName
	return 0
}

// stageHandle is one open descriptor of a stageFile.
type stageHandle struct {
	f     *stageFile
	uid   uint32
	write bool
	blob  *os.File // reading a label's version while nothing is staged
	pin   *cas.Pin
}

var (
	_ fs.FileReader    = (*stageHandle)(nil)
	_ fs.FileWriter    = (*stageHandle)(nil)
	_ fs.FileFlusher   = (*stageHandle)(nil)
	_ fs.FileReleaser  = (*stageHandle)(nil)
	_ fs.FileFsyncer   = (*stageHandle)(nil)
	_ fs.FileLseeker   = (*stageHandle)(nil)
	_ fs.FileAllocater = (*stageHandle)(nil)
)

func (h *stageHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if off < 0 {
		return nil, syscall.EINVAL
	}
	if h.blob != nil {
		return fuse.ReadResultFd(h.blob.Fd(), off, len(dest)), 0
	}
	f := h.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sess == nil {
		return fuse.ReadResultData(nil), 0
	}
	if err := f.materialize(f.sess); err != nil {
		return nil, errnoFor(err)
	}
	n, err := f.sess.w.ReadAt(dest, off)
	if err != nil && n == 0 && !errors.Is(err, io.EOF) {
		return nil, errnoFor(err)
	}
	return fuse.ReadResultData(dest[:n]), 0
}

func (h *stageHandle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	if !h.write {
		return 0, syscall.EBADF
	}
	if off < 0 || off > maxStagedSize-int64(len(data)) {
		return 0, syscall.EFBIG
	}
	f := h.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if errno := f.writableSession(); errno != 0 {
		return 0, errno
	}
	if err := f.materialize(f.sess); err != nil {
		return 0, errnoFor(err)
	}
	n, err := f.sess.w.WriteAt(data, off)
	if err != nil {
		return uint32(n), errnoFor(err)
	}
	f.sess.dirty, f.sess.used = true, f.s.now()
	return uint32(n), 0
}

func (h *stageHandle) Flush(ctx context.Context) syscall.Errno {
	var pid uint32
	if c, ok := fuse.FromContext(ctx); ok {
		pid = c.Pid
	}
	return h.f.flush(h, pid)
}

func (h *stageHandle) Release(ctx context.Context) syscall.Errno {
	h.f.release(h)
	return 0
}

func (h *stageHandle) Fsync(ctx context.Context, flags uint32) syscall.Errno {
	f := h.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sess == nil {
		return 0
	}
	return errnoFor(f.sess.w.Sync())
}

// Lseek answers SEEK_DATA and SEEK_HOLE from the spooled file or the
// label's blob.
func (h *stageHandle) Lseek(ctx context.Context, off uint64, whence uint32) (uint64, syscall.Errno) {
	if off > maxStagedSize {
		return 0, syscall.ENXIO
	}
	if h.blob != nil {
		return seekFile(h.blob, off, whence)
	}
	f := h.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sess == nil {
		return 0, syscall.ENXIO
	}
	if err := f.materialize(f.sess); err != nil {
		return 0, errnoFor(err)
	}
	if err := f.sess.w.Flush(); err != nil {
		return 0, errnoFor(err)
	}
	return seekFile(f.sess.w.File(), off, whence)
}

// Allocate is not supported: cp tolerates EOPNOTSUPP for hole punching.
func (h *stageHandle) Allocate(ctx context.Context, off uint64, size uint64, mode uint32) syscall.Errno {
	return syscall.EOPNOTSUPP
}
