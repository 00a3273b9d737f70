package fusefs

import (
	"context"
	"errors"
	"io/fs"
	"syscall"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
)

// errnoFor is the one mapping from errors to the errno a FUSE request
// returns. Anything unknown is EIO: a reader gets an error, never wrong
// bytes.
func errnoFor(err error) syscall.Errno {
	var errno syscall.Errno
	switch {
	case err == nil:
		return 0
	case errors.As(err, &errno):
		return errno
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, cas.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return syscall.ENOENT
	case errors.Is(err, catalog.ErrForbidden), errors.Is(err, catalog.ErrUnauthenticated), errors.Is(err, fs.ErrPermission):
		return syscall.EACCES
	case errors.Is(err, catalog.ErrExists), errors.Is(err, cas.ErrExists):
		return syscall.EEXIST
	case errors.Is(err, cas.ErrNoSpace):
		return syscall.ENOSPC
	case errors.Is(err, catalog.ErrUnsafeImage), errors.Is(err, catalog.ErrInvalid), errors.Is(err, catalog.ErrAmbiguous):
		return syscall.EINVAL
	case errors.Is(err, catalog.ErrConflict), errors.Is(err, cas.ErrPinned), errors.Is(err, catalog.ErrLocked):
		return syscall.EBUSY
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return syscall.EINTR
	}
	// ErrDegraded, digest and size mismatches, I/O errors.
	return syscall.EIO
}
