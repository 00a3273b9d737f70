package fusefs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
)

func TestErrnoFor(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want syscall.Errno
	}{
		{nil, 0},
		{fmt.Errorf("x: %w", catalog.ErrNotFound), syscall.ENOENT},
		{fmt.Errorf("x: %w", cas.ErrNotFound), syscall.ENOENT},
		{&os.PathError{Op: "open", Path: "p", Err: syscall.ENOENT}, syscall.ENOENT},
		{fmt.Errorf("x: %w", catalog.ErrForbidden), syscall.EACCES},
		{fmt.Errorf("x: %w", catalog.ErrExists), syscall.EEXIST},
		{errors.Join(cas.ErrNoSpace, syscall.ENOSPC), syscall.ENOSPC},
		{fmt.Errorf("x: %w", cas.ErrNoSpace), syscall.ENOSPC},
		{fmt.Errorf("x: %w", catalog.ErrUnsafeImage), syscall.EINVAL},
		{fmt.Errorf("x: %w", catalog.ErrConflict), syscall.EBUSY},
		{fmt.Errorf("x: %w", catalog.ErrDegraded), syscall.EIO},
		{fmt.Errorf("x: %w", cas.ErrDigestMismatch), syscall.EIO},
		{context.Canceled, syscall.EINTR},
		{errors.New("anything else"), syscall.EIO},
	} {
		if got := errnoFor(tc.err); got != tc.want {
			t.Errorf("errnoFor(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
