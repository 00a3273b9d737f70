package cas

import (
	"fmt"
	"sync"

	"github.com/sfcas/sfcas/cas/failpoint"
)

// pins counts holds on digests and marks digests being removed.
//
// Lock order: a caller must not hold a catalog transaction while it calls
// Store.Pin, because Store.Remove runs a catalog transaction while the digest
// is marked and Pin waits for that mark to clear.
type pins struct {
	mu       sync.Mutex
	cond     *sync.Cond
	held     map[Digest]int
	removing map[Digest]bool
}

func newPins() *pins {
	p := &pins{held: map[Digest]int{}, removing: map[Digest]bool{}}
	p.cond = sync.NewCond(&p.mu)
	return p
}

// Pin is a hold on one blob: while any Pin of a digest is unreleased,
// Store.Remove of that digest fails with ErrPinned.
type Pin struct {
	p    *pins
	d    Digest
	once sync.Once
}

// Digest returns the pinned digest.
func (p *Pin) Digest() Digest { return p.d }

// Release drops the hold. It is idempotent and safe on a nil Pin.
func (p *Pin) Release() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		p.p.mu.Lock()
		if p.p.held[p.d]--; p.p.held[p.d] <= 0 {
			delete(p.p.held, p.d)
		}
		p.p.mu.Unlock()
	})
}

// Pin holds d until the returned Pin is released. If d is being removed, Pin
// waits until the removal has finished (the caller then finds the blob gone,
// or re-creates it). The blob need not exist.
func (s *Store) Pin(d Digest) *Pin {
	s.pins.mu.Lock()
	for s.pins.removing[d] {
		s.pins.cond.Wait()
	}
	s.pins.held[d]++
	s.pins.mu.Unlock()
	return &Pin{p: s.pins, d: d}
}

// Pinned reports how many holds d has now.
func (s *Store) Pinned(d Digest) int {
	s.pins.mu.Lock()
	defer s.pins.mu.Unlock()
	return s.pins.held[d]
}

// PinCount returns the number of pinned digests.
func (s *Store) PinCount() int {
	s.pins.mu.Lock()
	defer s.pins.mu.Unlock()
	return len(s.pins.held)
}

// Remove deletes the blob d in the order that keeps the catalog honest: it
// fails with ErrPinned if d is pinned; otherwise it marks d (new pins wait),
// calls commit (the caller's catalog transaction that forgets d), and only if
// commit succeeds unlinks the file. A crash after commit and before the unlink
// leaves an unreferenced file, which fsck reports and removes.
//
// A missing file is not an error: the catalog is what counts.
func (s *Store) Remove(d Digest, commit func() error) error {
	s.pins.mu.Lock()
	if s.pins.held[d] > 0 || s.pins.removing[d] {
		s.pins.mu.Unlock()
		return fmt.Errorf("remove %s: %w", d, ErrPinned)
	}
	s.pins.removing[d] = true
	s.pins.mu.Unlock()
	defer func() {
		s.pins.mu.Lock()
		delete(s.pins.removing, d)
		s.pins.cond.Broadcast()
		s.pins.mu.Unlock()
	}()
	if err := commit(); err != nil {
		return err
	}
	failpoint.Hit(failpoint.RemoveAfterCommit)
	err := s.unlink(d)
	failpoint.Hit(failpoint.RemoveAfterUnlink)
	return err
}
