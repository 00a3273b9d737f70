package cas

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to begin writing f's dirty pages without
// waiting for them. Failure is harmless: fsync at commit does the same work.
func startWriteback(f *os.File) {
	_ = unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
}

// datasync flushes f's data (and the metadata needed to read it back).
func datasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != unix.EINTR {
			return mapNoSpace(err)
		}
	}
}

// errTargetExists reports that linkNoReplace found its target present.
var errTargetExists = errors.New("target exists")

// linkNoReplace renames from to to unless to exists, in which case it returns
// errTargetExists and leaves both files alone. Filesystems without
// RENAME_NOREPLACE fall back to link(2) + unlink(2), which is equally atomic
// about never replacing the target.
func linkNoReplace(from, to string) error {
	err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return errTargetExists
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		if err := os.Link(from, to); err != nil {
			if errors.Is(err, os.ErrExist) {
				return errTargetExists
			}
			return err
		}
		return os.Remove(from)
	default:
		return fmt.Errorf("rename %s: %w", to, err)
	}
}

// syncDir fsyncs a directory so that entries renamed into it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// freeBytes returns the bytes available to unprivileged writers on the
// filesystem holding path.
func freeBytes(path string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	return int64(st.Bavail) * st.Bsize, nil
}
