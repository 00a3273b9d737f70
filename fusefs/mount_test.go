package fusefs

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
)

// TestMount_StaleMountIsCleared leaves a mount behind a killed daemon (the
// kernel then answers ENOTCONN) and checks that mounting there clears it.
func TestMount_StaleMountIsCleared(t *testing.T) {
	requireFUSE(t)
	dir := filepath.Join(t.TempDir(), "sf")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), helperEnv+"="+dir)
	helper.Dir = os.TempDir()
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		helper.Process.Kill()
		helper.Wait()
		t.Fatalf("helper: %q", line)
	}
	helper.Process.Kill()
	helper.Wait()
	if _, err := os.Stat(dir); !errors.Is(err, syscall.ENOTCONN) {
		t.Fatalf("after killing the daemon, stat of the mount point: %v, want ENOTCONN", err)
	}

	db := catalogtest.Open(t)
	src := writeRandom(t, t.TempDir(), "src", 5000)
	publishFile(t, db, catalogtest.System, "x", src)
	m, err := MountView(dir, ViewOptions{DB: db, Name: testName, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("mount over a stale mount: %v", err)
	}
	cleanupMount(t, m)
	run(t, "cmp", src, filepath.Join(dir, "system", "x"))

	// A live mount is not stale: mounting again there is a clear error.
	if m2, err := MountView(dir, ViewOptions{DB: db, Name: testName}); err == nil {
		m2.Unmount()
		t.Fatal("mounted twice at one directory")
	} else if !strings.Contains(err.Error(), "already mounted") {
		t.Errorf("second mount: %v", err)
	}
}

// TestMount_UnmountWithOpenFile checks that Unmount succeeds (lazily) while
// a descriptor is still open, as on SIGTERM with a VM running.
func TestMount_UnmountWithOpenFile(t *testing.T) {
	requireFUSE(t)
	db := catalogtest.Open(t)
	publishFile(t, db, catalogtest.System, "x", writeRandom(t, t.TempDir(), "src", 5000))
	dir := filepath.Join(t.TempDir(), "sf")
	m, err := MountView(dir, ViewOptions{DB: db, Caller: catalog.Caller{}, Name: testName, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "system", "x"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Unmount() }()
	if err := <-done; err != nil {
		t.Fatalf("unmount with an open file: %v", err)
	}
	f.Close()
	if _, ok, _ := mountedAt(dir); ok {
		t.Error("still mounted after Unmount")
	}
}
