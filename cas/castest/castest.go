// Package castest provides helpers for tests that need a real blob store.
// Import it only from _test.go files.
package castest

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"

	"github.com/sfcas/sfcas/cas"
)

// New returns a store rooted in a fresh t.TempDir().
func New(t testing.TB) *cas.Store {
	t.Helper()
	s, err := cas.Open(t.TempDir(), cas.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return s
}

// RandomBytes returns n bytes from crypto/rand.
func RandomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// Put ingests data and returns its info, releasing the commit pin.
func Put(t testing.TB, s *cas.Store, data []byte) cas.Info {
	t.Helper()
	w, err := s.Create()
	if err != nil {
		t.Fatalf("create writer: %v", err)
	}
	if _, err := w.ReadFrom(bytes.NewReader(data)); err != nil {
		t.Fatalf("write: %v", err)
	}
	info, pin, err := w.Commit(context.Background(), cas.Expect{}, nil)
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	pin.Release()
	return info
}
