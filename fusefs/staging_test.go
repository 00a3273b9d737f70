package fusefs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
	"github.com/zeebo/blake3"
)

// stagingEnv is a catalog with the staging mount and the label view on it.
type stagingEnv struct {
	db      *catalog.DB
	staging string // the staging mount
	view    string // the label view
	tmp     string // scratch space outside the mounts
}

func newStaging(t *testing.T, o StagingOptions) *stagingEnv {
	t.Helper()
	requireFUSE(t)
	if o.DB == nil {
		o.DB = catalogtest.Open(t)
	}
	o.Name, o.Logger = testName, testLogger(t)
	o.Debug = os.Getenv("SF_FUSE_DEBUG") == "1"
	dir := filepath.Join(t.TempDir(), "staging")
	m, err := MountStaging(dir, o)
	if err != nil {
		t.Fatalf("mount staging: %v", err)
	}
	cleanupMount(t, m)
	v := testView(t, o.DB, catalog.Caller{}, true)
	return &stagingEnv{db: o.DB, staging: dir, view: v.Dir(), tmp: t.TempDir()}
}

// label returns the current version of system/name, or ok false.
func (e *stagingEnv) label(t *testing.T, ns, name string) (catalog.Artifact, bool) {
	t.Helper()
	a, err := e.db.ArtifactByName(context.Background(), catalogtest.System, ns, name)
	if errors.Is(err, catalog.ErrNotFound) {
		return a, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return a, true
}

// viewShows waits until the label view's file at rel holds the bytes of
// the file at src: the view learns of a new version asynchronously (an
// entry notification after the commit).
func (e *stagingEnv) viewShows(t *testing.T, src, rel string) {
	t.Helper()
	want, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, rel+" showing "+filepath.Base(src), func() bool {
		got, err := os.ReadFile(filepath.Join(e.view, rel))
		return err == nil && bytes.Equal(got, want)
	})
}

// tempFiles lists the store's ingest temp files.
func (e *stagingEnv) tempFiles(t *testing.T) []string {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(e.db.Blobs().Root(), "tmp"))
	var out []string
	for _, d := range ents {
		out = append(out, d.Name())
	}
	return out
}

func TestStaging_Cp(t *testing.T) {
	e := newStaging(t, StagingOptions{})
	data := randomBytes(t, 256<<20)
	src := filepath.Join(e.tmp, "src.raw")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "cp", src, filepath.Join(e.staging, "system", "debian-12"))
	a, ok := e.label(t, "system", "debian-12")
	if !ok || len(a.Versions) != 1 {
		t.Fatalf("label after cp: %v %+v", ok, a.Versions)
	}
	b3 := blake3.Sum256(data)
	if v := a.Versions[0]; v.Digest != b3 || v.Size != int64(len(data)) {
		t.Errorf("published %s (%d bytes), want blake3:%x (%d)", v.Digest, v.Size, b3, len(data))
	}
	blob, err := e.db.Blob(context.Background(), catalogtest.System, a.Versions[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	s256 := sha256.Sum256(data)
	if blob.SHA256 != hex.EncodeToString(s256[:]) {
		t.Errorf("sha256 %s, want %x", blob.SHA256, s256)
	}
	if who := a.Versions[0].Who; who != "system/uid:0" {
		t.Errorf("the version was made by %q, want system/uid:0", who)
	}
	e.viewShows(t, src, "system/debian-12")
	// Reading the staging file gives the current version too.
	run(t, "cmp", src, filepath.Join(e.staging, "system", "debian-12"))
	if got := readdirnames(t, filepath.Join(e.staging, "system")); strings.Join(got, ",") != "debian-12" {
		t.Errorf("staging lists %q", got)
	}
	// Copying over the label (O_TRUNC of an existing file) adds a version.
	src2 := writeRandom(t, e.tmp, "src2.raw", 3<<20+5)
	run(t, "cp", src2, filepath.Join(e.staging, "system", "debian-12"))
	e.viewShows(t, src2, "system/debian-12")
	if a, _ := e.label(t, "system", "debian-12"); len(a.Versions) != 2 {
		t.Errorf("%d versions after a second cp, want 2", len(a.Versions))
	}
	eventually(t, "temp files removed", func() bool { return len(e.tempFiles(t)) == 0 })
}

func TestStaging_Rsync(t *testing.T) {
	requireTool(t, "rsync")
	e := newStaging(t, StagingOptions{})
	src := writeRandom(t, e.tmp, "img", 5<<20+3)
	dst := filepath.Join(e.staging, "system", "img")
	run(t, "rsync", src, dst)
	e.viewShows(t, src, "system/img")
	if got := readdirnames(t, filepath.Join(e.staging, "system")); strings.Join(got, ",") != "img" {
		t.Errorf("after rsync the namespace lists %q (a scratch file left?)", got)
	}
	// --inplace rewrites the label's bytes through one descriptor.
	data, _ := os.ReadFile(src)
	copy(data[1<<20:], bytes.Repeat([]byte{0xee}, 4096))
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "rsync", "--inplace", "--no-whole-file", "--ignore-times", src, dst)
	e.viewShows(t, src, "system/img")
	if a, _ := e.label(t, "system", "img"); len(a.Versions) != 2 {
		t.Errorf("%d versions after two rsyncs, want 2", len(a.Versions))
	}
}

func TestStaging_OutOfOrderWrites(t *testing.T) {
	e := newStaging(t, StagingOptions{})
	src := writeRandom(t, e.tmp, "src", 8<<20)
	dst := filepath.Join(e.staging, "system", "dd")
	// Blocks written back to front, each by its own dd into the same file.
	for _, blk := range []string{"6", "2", "4", "0"} {
		run(t, "dd", "if="+src, "of="+dst, "bs=1M", "count=2", "skip="+blk, "seek="+blk, "conv=notrunc", "status=none")
	}
	e.viewShows(t, src, "system/dd")

	// One process writing backwards over its own bytes forces a re-hash.
	requireTool(t, "qemu-io")
	dst = filepath.Join(e.staging, "system", "qio")
	run(t, "truncate", "-s", "8M", dst)
	run(t, "qemu-io", "-f", "raw", "-c", "write -P 0x44 6M 1M", "-c", "write -P 0x33 1M 2M", "-c", "write -P 0x55 2M 4k", dst)
	ref := filepath.Join(e.tmp, "ref")
	run(t, "truncate", "-s", "8M", ref)
	run(t, "qemu-io", "-f", "raw", "-c", "write -P 0x44 6M 1M", "-c", "write -P 0x33 1M 2M", "-c", "write -P 0x55 2M 4k", ref)
	e.viewShows(t, ref, "system/qio")
	a, _ := e.label(t, "system", "qio")
	want, _ := os.ReadFile(ref)
	if v, _ := a.Latest(); v.Digest != blake3.Sum256(want) {
		t.Errorf("digest after out-of-order writes is not the file's")
	}
}

func TestStaging_QemuImgConvert(t *testing.T) {
	requireTool(t, "qemu-img")
	requireTool(t, "qemu-io")
	e := newStaging(t, StagingOptions{})
	src := filepath.Join(e.tmp, "src.raw")
	run(t, "qemu-img", "create", "-q", "-f", "raw", src, "64M")
	run(t, "qemu-io", "-f", "raw", "-c", "write -P 0x33 1M 2M", "-c", "write -P 0x44 40M 1M", src)
	run(t, "qemu-img", "convert", "-O", "qcow2", src, filepath.Join(e.staging, "system", "conv"))
	eventually(t, "the view showing conv", func() bool {
		_, err := runErr(t, "qemu-img", "compare", src, filepath.Join(e.view, "system", "conv"))
		return err == nil
	})
	// Converting to a scratch name and renaming publishes one version.
	run(t, "qemu-img", "convert", "-O", "qcow2", src, filepath.Join(e.staging, "system", "once.partial"))
	if _, ok := e.label(t, "system", "once.partial"); ok {
		t.Error("a scratch name was published")
	}
	run(t, "mv", filepath.Join(e.staging, "system", "once.partial"), filepath.Join(e.staging, "system", "once"))
	eventually(t, "the view showing once", func() bool {
		_, err := runErr(t, "qemu-img", "compare", src, filepath.Join(e.view, "system", "once"))
		return err == nil
	})
	if a, _ := e.label(t, "system", "once"); len(a.Versions) != 1 {
		t.Errorf("%d versions after convert + mv, want 1", len(a.Versions))
	}
}

func TestStaging_KilledWriterPublishesNothing(t *testing.T) {
	e := newStaging(t, StagingOptions{})
	src := writeRandom(t, e.tmp, "big", 512<<20)
	dst := filepath.Join(e.staging, "system", "killed")
	cp := exec.Command("cp", src, dst)
	cp.Dir = e.tmp
	if err := cp.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "cp writing", func() bool {
		fi, err := os.Stat(dst)
		return err == nil && fi.Size() > 0
	})
	cp.Process.Kill()
	if err := cp.Wait(); err == nil {
		t.Fatal("cp finished before it was killed; use a bigger file")
	}
	if _, ok := e.label(t, "system", "killed"); ok {
		t.Fatal("a killed cp published a version")
	}
	eventually(t, "the half-written data being dropped", func() bool { return len(e.tempFiles(t)) == 0 })
	eventually(t, "the killed copy's name going away", func() bool { return errors.Is(statErr(dst), syscall.ENOENT) })
}

func TestStaging_NoSpaceFailsAtClose(t *testing.T) {
	src := writeRandom(t, t.TempDir(), "src", 256<<20)
	root := t.TempDir()
	var st syscall.Statfs_t
	if err := syscall.Statfs(root, &st); err != nil {
		t.Fatal(err)
	}
	// The floor sits 16 MiB under the free space: a 256 MiB copy crosses it.
	free := int64(st.Bavail) * st.Bsize
	blobs, err := cas.Open(root, cas.Options{MinFree: free - 16<<20})
	if err != nil {
		t.Fatal(err)
	}
	db, err := catalog.Open(filepath.Join(root, "catalog.db"), blobs, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.EnsureNamespace(t.Context(), catalog.SystemNamespace); err != nil {
		t.Fatal(err)
	}
	e := newStaging(t, StagingOptions{DB: db})
	out, err := runErr(t, "cp", src, filepath.Join(e.staging, "system", "full"))
	// The write that crosses the floor fails, and so does close(2).
	if err == nil || !strings.Contains(out, "failed to close") || !strings.Contains(out, "No space left on device") {
		t.Fatalf("cp over the floor: %v\n%s", err, out)
	}
	if _, ok := e.label(t, "system", "full"); ok {
		t.Error("a copy that ran out of space published a version")
	}
	eventually(t, "temp files removed", func() bool { return len(e.tempFiles(t)) == 0 })
}

func TestStaging_ConcurrentWriters(t *testing.T) {
	e := newStaging(t, StagingOptions{})
	srcs := []string{writeRandom(t, e.tmp, "a", 64<<20), writeRandom(t, e.tmp, "b", 64<<20+1)}
	dst := filepath.Join(e.staging, "system", "race")
	for round := range 3 {
		var wg sync.WaitGroup
		outs := make([]string, 2)
		errs := make([]error, 2)
		for i, src := range srcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i], errs[i] = runErr(t, "cp", src, dst)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil && !strings.Contains(outs[i], "Device or resource busy") && !strings.Contains(outs[i], "File exists") {
				t.Errorf("round %d: cp %d failed unclearly: %v\n%s", round, i, err, outs[i])
			}
		}
		if errs[0] != nil && errs[1] != nil {
			t.Errorf("round %d: both copies failed", round)
		}
		got, err := os.ReadFile(filepath.Join(e.view, "system", "race"))
		if err != nil {
			t.Fatal(err)
		}
		a, _ := os.ReadFile(srcs[0])
		b, _ := os.ReadFile(srcs[1])
		if !bytes.Equal(got, a) && !bytes.Equal(got, b) {
			t.Fatalf("round %d: the label holds a mix of both copies", round)
		}
	}
}

func TestStaging_Refusals(t *testing.T) {
	e := newStaging(t, StagingOptions{})
	ns := filepath.Join(e.staging, "system")
	src := writeRandom(t, e.tmp, "src", 4096)
	run(t, "cp", src, filepath.Join(ns, "lbl"))
	catalogtest.Namespace(t, e.db, "other")

	evil := filepath.Join(e.tmp, "evil.qcow2")
	if _, err := exec.LookPath("qemu-img"); err == nil {
		run(t, "qemu-img", "create", "-q", "-f", "qcow2", "-b", "/etc/passwd", "-F", "raw", evil)
		out, err := runErr(t, "cp", evil, filepath.Join(ns, "evil"))
		if err == nil || !strings.Contains(out, "Invalid argument") {
			t.Errorf("cp of a qcow2 naming a host file: %v\n%s", err, out)
		}
		if _, ok := e.label(t, "system", "evil"); ok {
			t.Error("an unsafe image was published")
		}
	}
	for _, tc := range []struct {
		what string
		err  error
		want syscall.Errno
	}{
		{"unknown namespace", openErr(filepath.Join(e.staging, "nope", "x"), os.O_WRONLY|os.O_CREATE), syscall.ENOENT},
		{"mkdir in root", os.Mkdir(filepath.Join(e.staging, "newns"), 0o755), syscall.EPERM},
		{"mkdir in namespace", os.Mkdir(filepath.Join(ns, "d"), 0o755), syscall.EPERM},
		{"symlink", os.Symlink("lbl", filepath.Join(ns, "sym")), syscall.EPERM},
		{"unlink a label", os.Remove(filepath.Join(ns, "lbl")), syscall.EPERM},
		{"rename a label", os.Rename(filepath.Join(ns, "lbl"), filepath.Join(ns, "lbl2")), syscall.EPERM},
		{"rename across namespaces", os.Rename(filepath.Join(ns, "lbl"), filepath.Join(e.staging, "other", "lbl")), syscall.EXDEV},
		{"bad name", openErr(filepath.Join(ns, "a@1"), os.O_WRONLY|os.O_CREATE), syscall.EINVAL},
		{"trailing space", openErr(filepath.Join(ns, "a "), os.O_WRONLY|os.O_CREATE), syscall.EINVAL},
		{"truncate without a writer", os.Truncate(filepath.Join(ns, "lbl"), 10), syscall.EPERM},
	} {
		if got := errnoOf(tc.err); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.what, tc.err, tc.want)
		}
	}
	// A write at an offset past any disk image is EFBIG, not a panic.
	out, err := runErr(t, "dd", "if="+src, "of="+filepath.Join(ns, "huge"), "bs=4k", "count=1", "seek=9999999999999", "status=none")
	if err == nil || !strings.Contains(out, "too large") {
		t.Errorf("dd far past the end: %v\n%s", err, out)
	}
	// An empty file publishes nothing.
	run(t, "touch", filepath.Join(ns, "empty"))
	if _, ok := e.label(t, "system", "empty"); ok {
		t.Error("touch published an empty label")
	}
	e.viewShows(t, src, "system/lbl")
}

func TestStaging_ScratchLease(t *testing.T) {
	e := newStaging(t, StagingOptions{Lease: 300 * time.Millisecond})
	scratch := filepath.Join(e.staging, "system", ".img.XXXXXX")
	src := writeRandom(t, e.tmp, "src", 1<<20)
	run(t, "cp", src, scratch)
	if _, ok := e.label(t, "system", ".img.XXXXXX"); ok {
		t.Fatal("a scratch name was published")
	}
	eventually(t, "the lease expiring", func() bool { return len(e.tempFiles(t)) == 0 && statErr(scratch) != nil })
	if err := statErr(scratch); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("expired scratch file: %v", err)
	}
	// Unlinking a scratch file drops its data at once.
	run(t, "cp", src, scratch)
	if err := os.Remove(scratch); err != nil {
		t.Fatal(err)
	}
	if n := len(e.tempFiles(t)); n != 0 {
		t.Errorf("%d temp files after unlinking the scratch file", n)
	}
}

func TestStaging_As(t *testing.T) {
	db := catalogtest.Open(t)
	alice := catalogtest.Namespace(t, db, "alice")
	e := newStaging(t, StagingOptions{DB: db, Caller: alice})
	src := writeRandom(t, t.TempDir(), "src", 1000)
	run(t, "cp", src, filepath.Join(e.staging, "alice", "mine"))
	a, ok := e.label(t, "alice", "mine")
	if !ok || a.Versions[0].Who != "alice/uid:0" {
		t.Fatalf("alice's publish: %v %+v", ok, a.Versions)
	}
	if err := openErr(filepath.Join(e.staging, "system", "x"), os.O_WRONLY|os.O_CREATE); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("alice writing to system: %v, want ENOENT", err)
	}
	if got := strings.Join(readdirnames(t, e.staging), ","); got != "alice" {
		t.Errorf("staging as alice lists %q", got)
	}
}

// TestStaging_UnmountDuringWrite stops the mount while cp writes: the copy
// fails and nothing is published, not even the part already written.
func TestStaging_UnmountDuringWrite(t *testing.T) {
	requireFUSE(t)
	db := catalogtest.Open(t)
	dir := filepath.Join(t.TempDir(), "staging")
	m, err := MountStaging(dir, StagingOptions{DB: db, Name: testName, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	cleanupMount(t, m)
	src := writeRandom(t, t.TempDir(), "big", 512<<20)
	dst := filepath.Join(dir, "system", "cut")
	cp := exec.Command("cp", src, dst)
	cp.Dir = os.TempDir()
	if err := cp.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "cp writing", func() bool {
		fi, err := os.Stat(dst)
		return err == nil && fi.Size() > 0
	})
	if err := m.Unmount(); err != nil {
		t.Fatal(err)
	}
	if err := cp.Wait(); err == nil {
		t.Fatal("cp succeeded across an unmount")
	}
	if a, err := db.ArtifactByName(t.Context(), catalogtest.System, "system", "cut"); err == nil {
		t.Fatalf("a copy cut off by unmount published %+v", a.Versions)
	}
}
