package fusefs

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
	"golang.org/x/sys/unix"
)

// viewFile is one immutable blob as a read-only file: a label version or a
// .blobs entry. Its fields never change, so its attributes never age.
type viewFile struct {
	fs.Inode
	v       *view
	digest  cas.Digest
	size    int64
	mtime   time.Time
	label   string // "<ns>/<name>" for a label file, "" for .blobs
	version int
}

var (
	_ fs.NodeGetattrer   = (*viewFile)(nil)
	_ fs.NodeOpener      = (*viewFile)(nil)
	_ fs.NodeGetxattrer  = (*viewFile)(nil)
	_ fs.NodeListxattrer = (*viewFile)(nil)
)

func (f *viewFile) fill(a *fuse.Attr) {
	a.Mode = fuse.S_IFREG | 0o444
	a.Size = uint64(f.size)
	a.Blocks = (uint64(f.size) + 511) / 512
	a.Blksize = 4096
	a.Nlink = 1
	a.SetTimes(nil, &f.mtime, &f.mtime)
}

func (f *viewFile) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	f.fill(&out.Attr)
	return 0
}

// Open pins the blob, checks that the catalog still trusts it and that the
// file has the recorded size, and opens it read-only. A quarantined,
// missing or wrong-sized blob is EIO: never wrong bytes.
func (f *viewFile) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_ACCMODE != syscall.O_RDONLY || flags&syscall.O_TRUNC != 0 {
		return nil, 0, syscall.EROFS
	}
	h, err := f.v.openBlob(ctx, f.digest, f.size)
	if err != nil {
		f.v.stats.refusedOpens.Add(1)
		f.v.log.Warn("label view: open refused", "digest", f.digest, "label", f.label, "err", err)
		return nil, 0, errnoFor(err)
	}
	return h, fuse.FOPEN_KEEP_CACHE, 0
}

// openBlob returns a handle on d's file with d pinned.
func (v *view) openBlob(ctx context.Context, d cas.Digest, size int64) (*blobHandle, error) {
	pin := v.store.Pin(d)
	b, err := v.db.Blob(ctx, v.caller, d)
	if err != nil {
		pin.Release()
		return nil, err
	}
	if b.State != catalog.BlobCreated || b.Size != size {
		pin.Release()
		return nil, fmt.Errorf("blob %s is %s: %w", d, b.State, catalog.ErrDegraded)
	}
	file, err := v.store.Open(d)
	if err != nil {
		pin.Release()
		return nil, fmt.Errorf("%v: %w", err, catalog.ErrDegraded)
	}
	fi, err := file.Stat()
	if err != nil || fi.Size() != size {
		file.Close()
		pin.Release()
		return nil, fmt.Errorf("blob %s file does not have its recorded size %d: %w", d, size, catalog.ErrDegraded)
	}
	h := &blobHandle{f: file, pin: pin, passthrough: v.passthrough.Load(), reads: &v.stats.daemonReads}
	v.stats.opens.Add(1)
	if h.passthrough {
		v.stats.passthroughOpens.Add(1)
	}
	return h, nil
}

const (
	xattrDigest  = "user.sf.digest"
	xattrVersion = "user.sf.version"
	xattrLabel   = "user.sf.label"
)

func (f *viewFile) xattrs() map[string]string {
	m := map[string]string{xattrDigest: f.digest.String()}
	if f.label != "" {
		m[xattrLabel] = f.label
		m[xattrVersion] = itoa(f.version)
	}
	return m
}

func (f *viewFile) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	val, ok := f.xattrs()[attr]
	if !ok {
		return 0, syscall.ENODATA
	}
	return copyXattr(dest, []byte(val))
}

func (f *viewFile) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	var buf []byte
	for _, name := range []string{xattrDigest, xattrLabel, xattrVersion} {
		if _, ok := f.xattrs()[name]; ok {
			buf = append(append(buf, name...), 0)
		}
	}
	return copyXattr(dest, buf)
}

// copyXattr follows getxattr(2): an empty dest asks for the size; a short
// one is ERANGE.
func copyXattr(dest, val []byte) (uint32, syscall.Errno) {
	if len(dest) == 0 {
		return uint32(len(val)), 0
	}
	if len(dest) < len(val) {
		return uint32(len(val)), syscall.ERANGE
	}
	return uint32(copy(dest, val)), 0
}

// blobHandle is one open descriptor: the blob file (read-only) and the pin
// that keeps it from garbage collection until release.
type blobHandle struct {
	f           *os.File
	pin         *cas.Pin
	passthrough bool
	reads       *atomic.Int64
}

var (
	_ fs.FileReader          = (*blobHandle)(nil)
	_ fs.FileLseeker         = (*blobHandle)(nil)
	_ fs.FileReleaser        = (*blobHandle)(nil)
	_ fs.FilePassthroughFder = (*blobHandle)(nil)
)

// PassthroughFd offers the blob file to the kernel, which then reads it
// without asking the daemon.
func (h *blobHandle) PassthroughFd() (int, bool) { return int(h.f.Fd()), h.passthrough }

// Read serves bytes from the blob file (spliced when the kernel allows).
func (h *blobHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if off < 0 {
		return nil, syscall.EINVAL
	}
	h.reads.Add(1)
	return fuse.ReadResultFd(h.f.Fd(), off, len(dest)), 0
}

// Lseek answers SEEK_DATA and SEEK_HOLE from the blob file, so sparse
// images stay sparse for the tools that copy them.
func (h *blobHandle) Lseek(ctx context.Context, off uint64, whence uint32) (uint64, syscall.Errno) {
	return seekFile(h.f, off, whence)
}

// seekFile runs lseek on f for SEEK_DATA and SEEK_HOLE queries.
func seekFile(f *os.File, off uint64, whence uint32) (uint64, syscall.Errno) {
	if off > 1<<62 {
		return 0, syscall.ENXIO
	}
	n, err := unix.Seek(int(f.Fd()), int64(off), int(whence))
	if err != nil {
		return 0, errnoFor(err)
	}
	return uint64(n), 0
}

// Release closes the file and drops the pin.
func (h *blobHandle) Release(ctx context.Context) syscall.Errno {
	h.f.Close()
	h.pin.Release()
	return 0
}

func itoa(n int) string { return strconv.Itoa(n) }
