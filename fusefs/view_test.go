package fusefs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
	"golang.org/x/sys/unix"
)

// eventually polls cond until it holds or a generous deadline passes. It
// is for effects that are asynchronous by design (RELEASE runs after
// close returns, notifications after a commit), not a timing assertion.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestView_ReadThroughMount(t *testing.T) {
	for _, pt := range []bool{true, false} {
		t.Run(fmt.Sprintf("passthrough=%v", pt), func(t *testing.T) {
			db := catalogtest.Open(t)
			src := writeRandom(t, t.TempDir(), "src.raw", 8<<20+123)
			b := publishFile(t, db, catalogtest.System, "alpha", src)
			m := testView(t, db, catalog.Caller{}, pt)
			p := filepath.Join(m.Dir(), "system", "alpha")
			run(t, "cmp", src, p)
			if m.Passthrough() != pt {
				t.Logf("passthrough asked %v, active %v (kernel or privileges)", pt, m.Passthrough())
			}
			if reads := m.Stats().DaemonReads; m.Passthrough() && reads != 0 {
				t.Errorf("passthrough is active but the daemon served %d READs", reads)
			} else if !m.Passthrough() && reads == 0 {
				t.Errorf("passthrough is off but the daemon served no READ")
			}
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() != b.Size || fi.Mode() != 0o444 {
				t.Errorf("stat: size %d mode %v, want %d 0444", fi.Size(), fi.Mode(), b.Size)
			}
			names := readdirnames(t, filepath.Join(m.Dir(), "system"))
			if strings.Join(names, ",") != "alpha" {
				t.Errorf("system/ lists %q, want [alpha]", names)
			}
			if root := readdirnames(t, m.Dir()); strings.Join(root, ",") != ".blobs,system" {
				t.Errorf("root lists %q", root)
			}
			// A pread at a huge offset is a short read, not an error or a panic.
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if n, err := f.ReadAt(make([]byte, 10), 1<<62); n != 0 || err != io.EOF {
				t.Errorf("ReadAt(1<<62) = %d, %v; want 0, EOF", n, err)
			}
		})
	}
}

func readdirnames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestView_MoveWhileOpen(t *testing.T) {
	db := catalogtest.Open(t)
	tmp := t.TempDir()
	v1 := writeRandom(t, tmp, "v1", 3<<20)
	v2 := writeRandom(t, tmp, "v2", 2<<20+7)
	b1 := publishFile(t, db, catalogtest.System, "moving", v1)
	m := testView(t, db, catalog.Caller{}, true)
	p := filepath.Join(m.Dir(), "system", "moving")

	old, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := db.Blobs().Pinned(b1.Digest); got != 1 {
		t.Errorf("blob pinned %d times while open, want 1", got)
	}
	// The pin is what garbage collection respects.
	if err := db.Blobs().Remove(b1.Digest, func() error { return nil }); !errors.Is(err, cas.ErrPinned) {
		t.Errorf("Remove of an open blob: %v, want ErrPinned", err)
	}
	publishFile(t, db, catalogtest.System, "moving", v2)

	want1, _ := os.ReadFile(v1)
	got, err := io.ReadAll(old)
	if err != nil || !bytes.Equal(got, want1) {
		t.Fatalf("the open descriptor read %d bytes (%v), not the old version", len(got), err)
	}
	want2, _ := os.ReadFile(v2)
	eventually(t, "a fresh open seeing the new version", func() bool {
		got, err := os.ReadFile(p)
		return err == nil && bytes.Equal(got, want2)
	})
	old.Close()
	eventually(t, "the pin being released", func() bool { return db.Blobs().Pinned(b1.Digest) == 0 })
}

func TestView_VersionAndDigestPaths(t *testing.T) {
	db := catalogtest.Open(t)
	tmp := t.TempDir()
	v1 := writeRandom(t, tmp, "v1", 1<<20)
	v2 := writeRandom(t, tmp, "v2", 1<<20+1)
	b1 := publishFile(t, db, catalogtest.System, "centos:7", v1)
	b2 := publishFile(t, db, catalogtest.System, "centos:7", v2)
	m := testView(t, db, catalog.Caller{}, false)
	ns := filepath.Join(m.Dir(), "system")
	run(t, "cmp", v1, filepath.Join(ns, "centos:7@1"))
	run(t, "cmp", v2, filepath.Join(ns, "centos:7@2"))
	run(t, "cmp", v2, filepath.Join(ns, "centos:7"))
	run(t, "cmp", v1, filepath.Join(m.Dir(), ".blobs", b1.Digest.String()))
	run(t, "cmp", v2, filepath.Join(m.Dir(), ".blobs", b2.Digest.Hex()))
	// The label and its current "@n" name are one inode.
	var a, b unix.Stat_t
	if err := unix.Stat(filepath.Join(ns, "centos:7"), &a); err != nil {
		t.Fatal(err)
	}
	if err := unix.Stat(filepath.Join(ns, "centos:7@2"), &b); err != nil {
		t.Fatal(err)
	}
	if a.Ino != b.Ino {
		t.Errorf("centos:7 and centos:7@2 have inodes %d and %d", a.Ino, b.Ino)
	}
	if names := readdirnames(t, ns); strings.Join(names, ",") != "centos:7" {
		t.Errorf("versions are listed: %q", names)
	}
}

func TestView_Errors(t *testing.T) {
	db := catalogtest.Open(t)
	src := writeRandom(t, t.TempDir(), "src", 4096)
	b := publishFile(t, db, catalogtest.System, "img", src)
	m := testView(t, db, catalog.Caller{}, true)
	ns := filepath.Join(m.Dir(), "system")
	p := filepath.Join(ns, "img")

	for _, tc := range []struct {
		what string
		err  error
		want syscall.Errno
	}{
		{"open for write", openErr(p, os.O_WRONLY), syscall.EROFS},
		{"open rdwr", openErr(p, os.O_RDWR), syscall.EROFS},
		{"create", openErr(filepath.Join(ns, "new"), os.O_WRONLY|os.O_CREATE), syscall.EROFS},
		{"truncate", os.Truncate(p, 0), syscall.EROFS},
		{"chmod", os.Chmod(p, 0o644), syscall.EROFS},
		{"rename", os.Rename(p, filepath.Join(ns, "other")), syscall.EROFS},
		{"unlink", os.Remove(p), syscall.EROFS},
		{"mkdir", os.Mkdir(filepath.Join(ns, "d"), 0o755), syscall.EROFS},
		{"setxattr", unix.Setxattr(p, "user.x", []byte("1"), 0), syscall.EROFS},
		{"unknown label", statErr(filepath.Join(ns, "nope")), syscall.ENOENT},
		{"unknown namespace", statErr(filepath.Join(m.Dir(), "nope", "img")), syscall.ENOENT},
		{"unknown version", statErr(filepath.Join(ns, "img@9")), syscall.ENOENT},
		{"version zero", statErr(filepath.Join(ns, "img@0")), syscall.ENOENT},
		{"negative version", statErr(filepath.Join(ns, "img@-1")), syscall.ENOENT},
		{"huge version", statErr(filepath.Join(ns, "img@99999999999999999999")), syscall.ENOENT},
		{"bad version", statErr(filepath.Join(ns, "img@x")), syscall.ENOENT},
		{"double at", statErr(filepath.Join(ns, "img@1@1")), syscall.ENOENT},
		{"dot name", statErr(filepath.Join(ns, ".img")), syscall.ENOENT},
		{"control char", statErr(filepath.Join(ns, "im\x01g")), syscall.ENOENT},
		{"unknown digest", statErr(filepath.Join(m.Dir(), ".blobs", cas.Digest{1}.String())), syscall.ENOENT},
		{"bad digest", statErr(filepath.Join(m.Dir(), ".blobs", "blake3:xyz")), syscall.ENOENT},
		{"sha256 digest", statErr(filepath.Join(m.Dir(), ".blobs", "sha256:"+b.SHA256)), syscall.ENOENT},
		{"long name", statErr(filepath.Join(ns, strings.Repeat("a", 255))), syscall.ENOENT},
		{"too long name", statErr(filepath.Join(ns, strings.Repeat("a", 256))), syscall.ENOENT},
	} {
		if got := errnoOf(tc.err); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.what, tc.err, tc.want)
		}
	}
}

func openErr(p string, flag int) error {
	f, err := os.OpenFile(p, flag, 0o644)
	if err == nil {
		f.Close()
	}
	return err
}

func statErr(p string) error {
	_, err := os.Stat(p)
	return err
}

func TestView_Xattrs(t *testing.T) {
	db := catalogtest.Open(t)
	src := writeRandom(t, t.TempDir(), "src", 4096)
	publishFile(t, db, catalogtest.System, "x", writeRandom(t, t.TempDir(), "v1", 10))
	b := publishFile(t, db, catalogtest.System, "x", src)
	m := testView(t, db, catalog.Caller{}, true)
	p := filepath.Join(m.Dir(), "system", "x")
	for name, want := range map[string]string{
		"user.sf.digest": b.Digest.String(), "user.sf.version": "2", "user.sf.label": "system/x",
	} {
		buf := make([]byte, 256)
		n, err := unix.Getxattr(p, name, buf)
		if err != nil || string(buf[:n]) != want {
			t.Errorf("getxattr %s = %q, %v; want %q", name, buf[:max(n, 0)], err, want)
		}
	}
	if _, err := unix.Getxattr(p, "user.sf.digest", make([]byte, 3)); !errors.Is(err, unix.ERANGE) {
		t.Errorf("getxattr into a short buffer: %v, want ERANGE", err)
	}
	if _, err := unix.Getxattr(p, "user.other", make([]byte, 64)); !errors.Is(err, unix.ENODATA) {
		t.Errorf("getxattr of an unknown name: %v, want ENODATA", err)
	}
	buf := make([]byte, 256)
	n, err := unix.Listxattr(p, buf)
	if err != nil || string(buf[:n]) != "user.sf.digest\x00user.sf.label\x00user.sf.version\x00" {
		t.Errorf("listxattr = %q, %v", buf[:max(n, 0)], err)
	}
	bp := filepath.Join(m.Dir(), ".blobs", b.Digest.String())
	n, err = unix.Getxattr(bp, "user.sf.digest", buf)
	if err != nil || string(buf[:n]) != b.Digest.String() {
		t.Errorf("getxattr on .blobs = %q, %v", buf[:max(n, 0)], err)
	}
	if _, err := unix.Getxattr(bp, "user.sf.label", buf); !errors.Is(err, unix.ENODATA) {
		t.Errorf("a blob has a label xattr: %v", err)
	}
}

func TestView_SeekHole(t *testing.T) {
	for _, pt := range []bool{true, false} {
		t.Run(fmt.Sprintf("passthrough=%v", pt), func(t *testing.T) {
			db := catalogtest.Open(t)
			tmp := t.TempDir()
			src := filepath.Join(tmp, "sparse.raw")
			data := randomBytes(t, 1<<20)
			f, err := os.Create(src)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt(data, 32<<20)
			f.Truncate(64 << 20)
			f.Close()
			b := publishFile(t, db, catalogtest.System, "sparse", src)
			// Ingest writes every byte; store the same bytes sparsely, as a
			// sparse-aware ingest would, so the hole is there to find.
			sparsify(t, db.Blobs().Path(b.Digest))

			m := testView(t, db, catalog.Caller{}, pt)
			mf, err := os.Open(filepath.Join(m.Dir(), "system", "sparse"))
			if err != nil {
				t.Fatal(err)
			}
			defer mf.Close()
			fd := int(mf.Fd())
			if off, err := unix.Seek(fd, 0, unix.SEEK_DATA); err != nil || off != 32<<20 {
				t.Errorf("SEEK_DATA from 0 = %d, %v; want %d", off, err, 32<<20)
			}
			if off, err := unix.Seek(fd, 32<<20, unix.SEEK_HOLE); err != nil || off != 33<<20 {
				t.Errorf("SEEK_HOLE from 32 MiB = %d, %v; want %d", off, err, 33<<20)
			}
			if _, err := unix.Seek(fd, 40<<20, unix.SEEK_DATA); !errors.Is(err, unix.ENXIO) {
				t.Errorf("SEEK_DATA past the last data: %v, want ENXIO", err)
			}
			if _, err := unix.Seek(fd, 1<<62, unix.SEEK_HOLE); !errors.Is(err, unix.ENXIO) {
				t.Errorf("SEEK_HOLE at a huge offset: %v, want ENXIO", err)
			}
			run(t, "cmp", src, mf.Name())
		})
	}
}

// sparsify rewrites the blob file at p with holes where it is zero.
func sparsify(t *testing.T, p string) {
	t.Helper()
	tmp := p + ".sparse"
	run(t, "cp", "--sparse=always", p, tmp)
	if err := os.Chmod(tmp, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
}

func TestView_DamagedBlobIsEIO(t *testing.T) {
	db := catalogtest.Open(t)
	tmp := t.TempDir()
	shortSrc, goneSrc := writeRandom(t, tmp, "a", 64<<10), writeRandom(t, tmp, "b", 64<<10)
	short := publishFile(t, db, catalogtest.System, "short", shortSrc)
	gone := publishFile(t, db, catalogtest.System, "gone", goneSrc)
	m := testView(t, db, catalog.Caller{}, true)
	p := db.Blobs().Path(short.Digest)
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 1000); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(db.Blobs().Path(gone.Digest)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"short", "gone"} {
		_, err := os.ReadFile(filepath.Join(m.Dir(), "system", name))
		if !errors.Is(err, syscall.EIO) {
			t.Errorf("reading a %s blob: %v, want EIO", name, err)
		}
	}
	if n := db.Blobs().PinCount(); n != 0 {
		t.Errorf("%d pins left after refused opens", n)
	}
	// Publishing the same bytes puts good copies back (and leaves the
	// store consistent for the cleanup's fsck).
	publishFile(t, db, catalogtest.System, "short", shortSrc)
	publishFile(t, db, catalogtest.System, "gone", goneSrc)
	for name, src := range map[string]string{"short": shortSrc, "gone": goneSrc} {
		want, _ := os.ReadFile(src)
		if got, err := os.ReadFile(filepath.Join(m.Dir(), "system", name)); err != nil || string(got) != string(want) {
			t.Errorf("%s after republishing: %v", name, err)
		}
	}
}

func TestView_MountAs(t *testing.T) {
	db := catalogtest.Open(t)
	ctx := context.Background()
	tmp := t.TempDir()
	alice := catalogtest.Namespace(t, db, "alice")
	bob := catalogtest.Namespace(t, db, "bob")
	catalogtest.Namespace(t, db, "carol")
	own := publishFile(t, db, alice, "mine", writeRandom(t, tmp, "a", 100))
	hidden := publishFile(t, db, bob, "private", writeRandom(t, tmp, "b", 101))
	publishFile(t, db, bob, "granted", writeRandom(t, tmp, "c", 102))
	granted, err := db.ArtifactByName(ctx, bob, "bob", "granted")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Grant(ctx, bob, granted.UUID, "alice"); err != nil {
		t.Fatal(err)
	}
	shared := publishFile(t, db, catalogtest.System, "base", writeRandom(t, tmp, "d", 103))
	sysArt, err := db.ArtifactByName(ctx, catalogtest.System, "system", "base")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetShared(ctx, catalogtest.System, sysArt.UUID, true); err != nil {
		t.Fatal(err)
	}

	m := testView(t, db, alice, true)
	if got := strings.Join(readdirnames(t, m.Dir()), ","); got != ".blobs,alice,bob,system" {
		t.Errorf("root as alice lists %q", got)
	}
	if got := strings.Join(readdirnames(t, filepath.Join(m.Dir(), "bob")), ","); got != "granted" {
		t.Errorf("bob/ as alice lists %q", got)
	}
	for _, p := range []string{"alice/mine", "bob/granted", "system/base", ".blobs/" + own.Digest.String(), ".blobs/" + shared.Digest.String()} {
		if _, err := os.ReadFile(filepath.Join(m.Dir(), p)); err != nil {
			t.Errorf("alice cannot read %s: %v", p, err)
		}
	}
	for _, p := range []string{"bob/private", "carol", ".blobs/" + hidden.Digest.String()} {
		if err := statErr(filepath.Join(m.Dir(), p)); !errors.Is(err, syscall.ENOENT) {
			t.Errorf("alice sees %s: %v", p, err)
		}
	}
}
