package fusefs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/sfcas/sfcas/cas/castest"
	"github.com/sfcas/sfcas/catalog"
	"golang.org/x/sys/unix"
)

// testName is the filesystem name of test mounts (fuse.sftest), so that
// leftovers of a killed test run can be found and removed.
const testName = "sftest"

// fuseSkip is why FUSE tests cannot run here ("" when they can).
var fuseSkip string

// TestMain probes once whether a FUSE mount can be made. If not, the mount
// tests skip with the reason, unless SF_REQUIRE_FUSE=1 (CI) makes that a
// failure. It clears stale test mounts before and after.
func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		mountHelper(dir)
		return
	}
	clearTestMounts()
	fuseSkip = probeFUSE()
	if fuseSkip != "" && os.Getenv("SF_REQUIRE_FUSE") == "1" {
		fmt.Fprintln(os.Stderr, "SF_REQUIRE_FUSE=1 but FUSE is unusable:", fuseSkip)
		os.Exit(1)
	}
	code := m.Run()
	clearTestMounts()
	os.Exit(code)
}

// helperEnv makes the test binary a mount helper process (see
// TestMount_StaleMountIsCleared): it mounts an empty filesystem at the
// directory given, prints "ready" and waits to be killed.
const helperEnv = "SFCAS_TEST_MOUNT_HELPER"

func mountHelper(dir string) {
	if _, err := mount(&fs.Inode{}, mountConfig{dir: dir, name: testName, readOnly: true}); err != nil {
		fmt.Println("mount failed:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	select {}
}

func probeFUSE() string {
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return fmt.Sprintf("cannot open /dev/fuse: %v", err)
	}
	f.Close()
	dir, err := os.MkdirTemp("", "sfcas-fuse-probe-")
	if err != nil {
		return err.Error()
	}
	defer os.Remove(dir)
	m, err := mount(&fs.Inode{}, mountConfig{dir: dir, name: testName, readOnly: true})
	if err != nil {
		return fmt.Sprintf("probe mount failed: %v", err)
	}
	if err := m.Unmount(); err != nil {
		return fmt.Sprintf("probe unmount failed: %v", err)
	}
	return ""
}

// clearTestMounts lazily unmounts every fuse.sftest mount.
func clearTestMounts() {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if ok && len(fields) >= 5 && len(tail) >= 1 && tail[0] == "fuse."+testName {
			_ = unix.Unmount(unescapeMountinfo(fields[4]), unix.MNT_DETACH)
		}
	}
}

// requireFUSE skips t if no mount can be made here.
func requireFUSE(t *testing.T) {
	t.Helper()
	if fuseSkip != "" {
		t.Skip("FUSE unusable here (set SF_REQUIRE_FUSE=1 to fail instead): " + fuseSkip)
	}
}

// requireTool skips t if a command-line tool is missing, unless
// SF_REQUIRE_FUSE=1 (CI must have it: make deps installs it).
func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("SF_REQUIRE_FUSE") == "1" {
			t.Fatalf("%s is not installed (make deps installs it)", name)
		}
		t.Skipf("%s is not installed (make deps installs it)", name)
	}
}

// cleanupMount unmounts m at the end of t, lazily if files are still open.
func cleanupMount(t *testing.T, m *Mount) {
	t.Cleanup(func() {
		if err := m.Unmount(); err != nil {
			t.Errorf("unmount: %v", err)
			_ = unix.Unmount(m.Dir(), unix.MNT_DETACH)
		}
	})
}

// testView mounts the label view of db at a fresh directory as caller c
// (zero: system).
func testView(t *testing.T, db *catalog.DB, c catalog.Caller, passthrough bool) *Mount {
	t.Helper()
	requireFUSE(t)
	dir := filepath.Join(t.TempDir(), "sf")
	m, err := MountView(dir, ViewOptions{DB: db, Caller: c, Passthrough: passthrough, Name: testName,
		Debug: os.Getenv("SF_FUSE_DEBUG") == "1", Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("mount label view: %v", err)
	}
	cleanupMount(t, m)
	return m
}

// publishFile ingests the file at path as a new version of label ns/name.
func publishFile(t *testing.T, db *catalog.DB, c catalog.Caller, name, path string) catalog.Blob {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := db.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ReadFrom(f); err != nil {
		t.Fatal(err)
	}
	_, b, _, err := db.Publish(context.Background(), c,
		catalog.Target{Namespace: c.Namespace, Name: name, Type: catalog.TypeLabel, Create: true}, w, catalog.IngestOptions{})
	if err != nil {
		t.Fatalf("publish %s: %v", name, err)
	}
	return b
}

// run runs a command outside the mount and fails t with its output if it
// fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := runErr(t, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func runErr(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = os.TempDir()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// writeRandom writes n random bytes to a new file in dir.
func writeRandom(t *testing.T, dir, name string, n int) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, randomBytes(t, n), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func randomBytes(t *testing.T, n int) []byte { return castest.RandomBytes(t, n) }

// errnoOf returns the errno inside err, or 0.
func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	errors.As(err, &e)
	return e
}

// testLogger sends the mount's log to t.Log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
