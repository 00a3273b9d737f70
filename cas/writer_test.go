package cas_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/cas/castest"
	"github.com/zeebo/blake3"
)

// sumsOf computes the expected sums with the reference libraries directly.
func sumsOf(b []byte) cas.Sums {
	return cas.Sums{BLAKE3: blake3.Sum256(b), SHA256: sha256.Sum256(b), SHA512: sha512.Sum512(b)}
}

func readAll(t *testing.T, s *cas.Store, d cas.Digest) []byte {
	t.Helper()
	f, err := s.Open(d)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWriter_Sums(t *testing.T) {
	s := castest.New(t)
	for _, n := range []int{0, 1, 4095, 1 << 20, 1<<20 + 7, 5<<20 + 3} {
		data := castest.RandomBytes(t, n)
		info := castest.Put(t, s, data)
		if info.Sums != sumsOf(data) || info.Size != int64(n) {
			t.Fatalf("size %d: sums or size differ from the reference", n)
		}
		if got := readAll(t, s, info.BLAKE3); !bytes.Equal(got, data) {
			t.Fatalf("size %d: stored bytes differ", n)
		}
		fi, err := os.Stat(s.Path(info.BLAKE3))
		if err != nil || fi.Mode().Perm() != 0o444 {
			t.Fatalf("size %d: blob mode %v, %v; want 0444", n, fi.Mode(), err)
		}
		h := info.BLAKE3.Hex()
		if want := filepath.Join(s.Root(), "blobs", "blake3", h[:2], h[2:4], h); s.Path(info.BLAKE3) != want {
			t.Fatalf("path %s, want %s", s.Path(info.BLAKE3), want)
		}
	}
}

// writeSteps applies a sequence of writes and truncations and returns the
// committed info together with the bytes a plain file would hold.
type step struct {
	off   int64
	n     int
	trunc int64 // when n == 0 and trunc >= 0: Truncate(trunc)
}

func TestWriter_OutOfOrder(t *testing.T) {
	const mb = 1 << 20
	cases := map[string][]step{
		"sequential":         {{0, 3 * mb, -1}, {3 * mb, 100, -1}},
		"forward gap filled": {{0, mb, -1}, {2 * mb, mb, -1}, {mb, mb, -1}},
		"hole at end":        {{0, mb, -1}, {0, 0, 5 * mb}},
		"hole never filled":  {{0, 1000, -1}, {3 * mb, 1000, -1}},
		"overwrite hashed":   {{0, 2 * mb, -1}, {100, 4096, -1}, {2 * mb, 10, -1}},
		"truncate below":     {{0, 2 * mb, -1}, {0, 0, mb / 2}, {mb / 2, 300, -1}},
		"truncate to zero":   {{0, 2 * mb, -1}, {0, 0, 0}, {0, mb + 1, -1}},
		"backwards blocks":   {{3 * mb, mb, -1}, {2 * mb, mb, -1}, {mb, mb, -1}, {0, mb, -1}},
		"qemu-img pattern":   {{0, 0, 4 * mb}, {0, 4096, -1}, {65536, mb, -1}, {0, 512, -1}, {24, 8, -1}},
	}
	var small []step // FUSE-sized sequential writes, then a rewrite of one
	for off := int64(0); off < 5*mb; off += 128 << 10 {
		small = append(small, step{off, 128 << 10, -1})
	}
	cases["128 KiB sequential"] = small
	cases["128 KiB then rewrite"] = append(append([]step{}, small...), step{3 * mb, 4096, -1})
	for name, steps := range cases {
		t.Run(name, func(t *testing.T) {
			s := castest.New(t)
			w, err := s.Create()
			if err != nil {
				t.Fatal(err)
			}
			var model []byte
			for _, st := range steps {
				if st.n == 0 && st.trunc >= 0 {
					if err := w.Truncate(st.trunc); err != nil {
						t.Fatal(err)
					}
					model = resize(model, st.trunc)
					continue
				}
				p := castest.RandomBytes(t, st.n)
				if _, err := w.WriteAt(p, st.off); err != nil {
					t.Fatal(err)
				}
				if end := st.off + int64(st.n); int64(len(model)) < end {
					model = resize(model, end)
				}
				copy(model[st.off:], p)
			}
			info, pin, err := w.Commit(t.Context(), cas.Expect{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			pin.Release()
			if info.Sums != sumsOf(model) || info.Size != int64(len(model)) {
				t.Fatalf("digest of committed blob differs from the digest of the written bytes")
			}
			if !bytes.Equal(readAll(t, s, info.BLAKE3), model) {
				t.Fatal("stored bytes differ")
			}
		})
	}
}

func resize(b []byte, n int64) []byte {
	if int64(len(b)) >= n {
		return b[:n]
	}
	return append(b, make([]byte, n-int64(len(b)))...)
}

func TestWriter_ConcurrentSameBytes(t *testing.T) {
	s := castest.New(t)
	data := castest.RandomBytes(t, 3<<20)
	const n = 8
	infos := make([]cas.Info, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			w, err := s.Create()
			if err != nil {
				t.Error(err)
				return
			}
			w.ReadFrom(bytes.NewReader(data))
			info, pin, err := w.Commit(context.Background(), cas.Expect{}, nil)
			if err != nil {
				t.Error(err)
				return
			}
			pin.Release()
			infos[i] = info
		})
	}
	wg.Wait()
	existed := 0
	for _, in := range infos {
		if in.BLAKE3 != infos[0].BLAKE3 {
			t.Fatal("concurrent ingests of the same bytes gave different digests")
		}
		if in.Existed {
			existed++
		}
	}
	if existed != n-1 {
		t.Fatalf("%d ingests found the blob present, want %d", existed, n-1)
	}
	if left, _ := os.ReadDir(filepath.Join(s.Root(), "tmp")); len(left) != 0 {
		t.Fatalf("temp files left behind: %v", left)
	}
}

func TestWriter_ExpectMismatchLeavesNothing(t *testing.T) {
	s := castest.New(t)
	data := castest.RandomBytes(t, 10000)
	other := sumsOf([]byte("other"))
	for name, want := range map[string]cas.Expect{
		"size":   {Size: 9999, SizeOK: true},
		"blake3": {BLAKE3: other.BLAKE3},
		"sha256": {SHA256: other.SHA256},
		"sha512": {SHA512: other.SHA512},
	} {
		w, _ := s.Create()
		w.Write(data)
		_, _, err := w.Commit(t.Context(), want, nil)
		if !errors.Is(err, cas.ErrDigestMismatch) && !errors.Is(err, cas.ErrSizeMismatch) {
			t.Fatalf("%s: err %v, want a mismatch", name, err)
		}
		if _, err := s.Stat(sumsOf(data).BLAKE3); !errors.Is(err, cas.ErrNotFound) {
			t.Fatalf("%s: a blob reached its digest path after a failed commit", name)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(s.Root(), "tmp")); len(left) != 0 {
		t.Fatalf("temp files left behind: %v", left)
	}
}

func TestWriter_HealsDamagedCopy(t *testing.T) {
	s := castest.New(t)
	data := castest.RandomBytes(t, 50000)
	info := castest.Put(t, s, data)
	p := s.Path(info.BLAKE3)
	os.Chmod(p, 0o644)
	if err := os.Truncate(p, 100); err != nil {
		t.Fatal(err)
	}
	again := castest.Put(t, s, data)
	if again.Existed {
		t.Fatal("a truncated copy was kept as if it were the blob")
	}
	if _, _, err := s.Verify(t.Context(), info.BLAKE3); err != nil {
		t.Fatalf("after re-ingest: %v", err)
	}
	// Same size, flipped byte: only an explicit replace heals it.
	os.Chmod(p, 0o644)
	f, _ := os.OpenFile(p, os.O_WRONLY, 0)
	f.WriteAt([]byte{data[10] ^ 0xff}, 10)
	f.Close()
	if _, _, err := s.Verify(t.Context(), info.BLAKE3); !errors.Is(err, cas.ErrDigestMismatch) {
		t.Fatalf("verify of a flipped byte: %v", err)
	}
	w, _ := s.Create()
	w.Write(data)
	_, pin, err := w.Commit(t.Context(), cas.Expect{}, func(cas.Digest) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	pin.Release()
	if _, _, err := s.Verify(t.Context(), info.BLAKE3); err != nil {
		t.Fatalf("after replace: %v", err)
	}
}

func TestSpool_ResumeAfterReopen(t *testing.T) {
	s := castest.New(t)
	id := cas.NewUUID()
	data := castest.RandomBytes(t, 3<<20+5)
	w, err := s.CreateSpool(id)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data[:1<<20])
	w.Write([]byte("junk that was never acknowledged"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSpool(id); !errors.Is(err, cas.ErrExists) {
		t.Fatalf("second CreateSpool: %v", err)
	}
	w, err = s.OpenSpool(id, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data[1<<20:])
	info, pin, err := w.Commit(t.Context(), cas.Expect{Size: int64(len(data)), SizeOK: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pin.Release()
	if info.Sums != sumsOf(data) {
		t.Fatal("resumed spool hashed wrong")
	}
	if _, err := s.SpoolSize(id); !errors.Is(err, cas.ErrNotFound) {
		t.Fatal("spool file still present after commit")
	}
	if _, err := s.OpenSpool(cas.NewUUID(), 0); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("open of a missing spool: %v", err)
	}
}

func TestStore_RemoveRespectsPins(t *testing.T) {
	s := castest.New(t)
	info := castest.Put(t, s, []byte("pinned bytes"))
	pin := s.Pin(info.BLAKE3)
	called := false
	err := s.Remove(info.BLAKE3, func() error { called = true; return nil })
	if !errors.Is(err, cas.ErrPinned) || called {
		t.Fatalf("remove of a pinned blob: err %v, commit called %v", err, called)
	}
	pin.Release()
	pin.Release() // idempotent
	if err := s.Remove(info.BLAKE3, func() error { return errors.New("catalog says no") }); err == nil {
		t.Fatal("remove succeeded although the catalog step failed")
	}
	if _, err := s.Stat(info.BLAKE3); err != nil {
		t.Fatal("file removed although the catalog step failed")
	}
	if err := s.Remove(info.BLAKE3, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(info.BLAKE3); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("after remove: %v", err)
	}
}

func TestStore_PinWaitsForRemove(t *testing.T) {
	s := castest.New(t)
	info := castest.Put(t, s, []byte("racing"))
	inCommit := make(chan struct{})
	finish := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- s.Remove(info.BLAKE3, func() error { close(inCommit); <-finish; return nil })
	}()
	<-inCommit
	pinned := make(chan *cas.Pin)
	go func() { pinned <- s.Pin(info.BLAKE3) }()
	select {
	case <-pinned:
		t.Fatal("Pin returned while a Remove of the same digest was in progress")
	default:
	}
	close(finish)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	p := <-pinned
	defer p.Release()
	if _, err := s.Stat(info.BLAKE3); !errors.Is(err, cas.ErrNotFound) {
		t.Fatal("blob should be gone when the waiting Pin returns")
	}
}

func TestDigest_ParseAndUUID(t *testing.T) {
	d := sumsOf([]byte("x")).BLAKE3
	for _, s := range []string{d.String(), d.Hex()} {
		p, err := cas.ParseDigest(s)
		if err != nil || p != d {
			t.Fatalf("ParseDigest(%q) = %v, %v", s, p, err)
		}
	}
	for _, bad := range []string{"", "blake3:", "blake3:zz", d.String() + "0", "sha256:" + d.Hex(), "blake3:" + d.Hex()[:63] + "g"} {
		if _, err := cas.ParseDigest(bad); !errors.Is(err, cas.ErrInvalidDigest) {
			t.Fatalf("ParseDigest(%q) accepted", bad)
		}
	}
	u := d.UUID().String()
	if u[14] != '8' || !bytes.ContainsAny([]byte{u[19]}, "89ab") {
		t.Fatalf("uuid %s is not version 8 / variant 10", u)
	}
	back, err := cas.ParseUUID(u)
	if err != nil || back != d.UUID() {
		t.Fatalf("ParseUUID(%s) = %v, %v", u, back, err)
	}
	if _, err := cas.ParseUUID("not-a-uuid-at-all-not-a-uuid-at-all"); err == nil {
		t.Fatal("ParseUUID accepted junk")
	}
}

// TestWriter_SparseZeros: runs of zeros are holes in the stored blob, which
// still reads back (and hashes) as the bytes written, in streams, at the
// tail, and after a truncation.
func TestWriter_SparseZeros(t *testing.T) {
	s := castest.New(t)
	const mb = 1 << 20
	data := append(append(castest.RandomBytes(t, mb), make([]byte, 16*mb)...), castest.RandomBytes(t, mb)...)
	data = append(data, make([]byte, 3*mb+5)...) // zeros at the tail too
	info := castest.Put(t, s, data)
	if info.Sums != sumsOf(data) || info.Size != int64(len(data)) {
		t.Fatal("sparse blob hashes differently")
	}
	if !bytes.Equal(readAll(t, s, info.BLAKE3), data) {
		t.Fatal("sparse blob reads back other bytes")
	}
	var st syscall.Stat_t
	if err := syscall.Stat(s.Path(info.BLAKE3), &st); err != nil {
		t.Fatal(err)
	}
	if allocated := st.Blocks * 512; allocated > 4*mb {
		t.Fatalf("blob of %d bytes with 19 MiB of zeros allocates %d bytes; want holes", len(data), allocated)
	}

	// Zeros written over data are written, not skipped.
	w, _ := s.Create()
	w.Write(castest.RandomBytes(t, 2*mb))
	w.WriteAt(make([]byte, mb), 0)
	model := append(make([]byte, mb), make([]byte, mb)...)
	copy(model[mb:], readBackTail(t, w, mb, mb))
	info2, pin, err := w.Commit(t.Context(), cas.Expect{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pin.Release()
	if got := readAll(t, s, info2.BLAKE3); !bytes.Equal(got[:mb], make([]byte, mb)) || info2.Sums != sumsOf(got) {
		t.Fatal("zeros over data were lost")
	}

	// A zero tail beyond a truncation reads back as zeros before commit.
	w, _ = s.Create()
	w.Write(castest.RandomBytes(t, mb))
	w.Truncate(mb / 2)
	w.WriteAt(make([]byte, 2*mb), mb)
	buf := make([]byte, 3*mb)
	if n, err := w.ReadAt(buf, 0); n != 3*mb || err != nil && err != io.EOF {
		t.Fatalf("read back %d bytes: %v", n, err)
	}
	if !bytes.Equal(buf[mb/2:], make([]byte, 3*mb-mb/2)) {
		t.Fatal("a truncated then zero-extended range reads back non-zero")
	}
	w.Abort()
}

func readBackTail(t *testing.T, w *cas.Writer, off, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := w.ReadAt(b, int64(off)); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	return b
}

// TestWriter_SmallWritesReadBackAndSpool: gathered small writes are visible
// to ReadAt at once, and a spool closed mid-chunk keeps them.
func TestWriter_SmallWritesReadBackAndSpool(t *testing.T) {
	s := castest.New(t)
	id := cas.NewUUID()
	w, err := s.CreateSpool(id)
	if err != nil {
		t.Fatal(err)
	}
	data := castest.RandomBytes(t, 300<<10)
	w.Write(data[:100<<10])
	w.Write(data[100<<10:])
	got := make([]byte, len(data))
	if n, err := w.ReadAt(got, 0); n != len(data) || (err != nil && err != io.EOF) || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v)", n, err)
	}
	w.Write([]byte("tail"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SpoolSize(id); err != nil || n != int64(len(data)+4) {
		t.Fatalf("spool after Close holds %d bytes (%v), want %d", n, err, len(data)+4)
	}
}
