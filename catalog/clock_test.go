package catalog_test

import (
	"sync"
	"testing"
	"time"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/catalog/catalogtest"
)

// testClock is a clock tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// openClocked opens a catalog in a fresh directory on a test clock.
func openClocked(t *testing.T) (*catalog.DB, *testClock, string) {
	t.Helper()
	clk := &testClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	root := t.TempDir()
	db := catalogtest.OpenWith(t, root, catalog.Options{Now: clk.Now, UploadTTL: time.Hour})
	return db, clk, root
}
