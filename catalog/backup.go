package catalog

import (
	"context"
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the catalog file to w while the
// catalog stays in use (one read transaction), returning the bytes written.
// Only system may. The copy opens as a catalog of its own.
func (db *DB) Backup(ctx context.Context, c Caller, w io.Writer) (int64, error) {
	if !c.IsSystem() {
		return 0, fmt.Errorf("catalog backup: only %s may: %w", SystemNamespace, ErrForbidden)
	}
	var n int64
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(ctxWriter{ctx: ctx, w: w})
		return err
	})
	return n, err
}

// BackupSize is the size Backup will write.
func (db *DB) BackupSize() (int64, error) {
	var n int64
	err := db.view(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n, err
}

// ctxWriter stops a long copy when ctx ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
