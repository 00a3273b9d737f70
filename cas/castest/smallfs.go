package castest

import (
	"os"
	"syscall"
	"testing"
)

// SmallFilesystem mounts a fresh tmpfs of the given size ("64m") on a new
// temporary directory and returns it; cleanup unmounts it. Tests of a full
// disk (the API's, and the staging mount's once fusefs lands) put their
// store root inside it. Mounting needs root, which this project's machines
// and CI have; elsewhere the test is skipped with that reason.
func SmallFilesystem(t testing.TB, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; this project's machines and CI run tests as root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size="+size+",mode=0755"); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}
