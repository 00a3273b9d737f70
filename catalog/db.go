package catalog

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Options configure a DB. Zero fields take the documented defaults.
type Options struct {
	// Logger receives background problems. Nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Node names this host in events and views; default os.Hostname().
	Node string
	// EventsPerObject bounds each object's event log; default 200.
	EventsPerObject int
	// UploadTTL is how long an idle upload session lives; default 24h.
	UploadTTL time.Duration
	// OpenTimeout is how long Open waits for another process's lock; default
	// 1s, after which it fails with ErrLocked.
	OpenTimeout time.Duration
	// ReadOnly opens the catalog without writing (offline inspection).
	ReadOnly bool
}

// DefaultMaxVersions is the version policy of an artifact created without
// one, as in Shaken Fist.
const DefaultMaxVersions = 3

// MaxMaxVersions bounds max_versions so that an artifact record stays small.
const MaxMaxVersions = 1000

// DB is the catalog. Create it with Open; it is safe for concurrent use.
type DB struct {
	bolt   *bolt.DB
	blobs  *cas.Store
	log    *slog.Logger
	now    func() time.Time
	node   string
	events int
	ttl    time.Duration
	secret []byte

	uploads  uploadSlots
	watch    watchers
	stats    statsCache
	counters counters
}

// Open opens (creating if needed) the catalog at path, bound to the blob
// store it describes, and runs pending migrations.
func Open(path string, blobs *cas.Store, opts Options) (*DB, error) {
	if opts.OpenTimeout == 0 {
		opts.OpenTimeout = time.Second
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.OpenTimeout, ReadOnly: opts.ReadOnly})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", path, err)
	}
	db := &DB{bolt: b, blobs: blobs, log: opts.Logger, now: opts.Now, node: opts.Node,
		events: opts.EventsPerObject, ttl: opts.UploadTTL}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if db.now == nil {
		db.now = time.Now
	}
	if db.node == "" {
		db.node, _ = os.Hostname()
	}
	if db.events <= 0 {
		db.events = 200
	}
	if db.ttl <= 0 {
		db.ttl = 24 * time.Hour
	}
	if !opts.ReadOnly {
		if err := b.Update(migrate); err != nil {
			b.Close()
			return nil, fmt.Errorf("migrate %s: %w", path, err)
		}
	}
	err = b.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return fmt.Errorf("catalog %s has no schema: %w", path, ErrInvalid)
		}
		if v := schemaVersion(tx); v != currentSchema {
			return fmt.Errorf("catalog schema %d, this build reads %d: %w", v, currentSchema, ErrInvalid)
		}
		db.secret = append([]byte(nil), meta.Get(keyTokenSecret)...)
		return nil
	})
	if err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// Close releases open upload writers (their data stays) and closes the bbolt
// file. It waits for open transactions.
func (db *DB) Close() error {
	db.uploads.closeIdle(db.now().Add(time.Hour))
	return db.bolt.Close()
}

// Blobs returns the blob store the catalog describes.
func (db *DB) Blobs() *cas.Store { return db.blobs }

// Node returns the node name used in events and views.
func (db *DB) Node() string { return db.node }

// Now returns the catalog's clock reading.
func (db *DB) Now() time.Time { return db.now() }

// TokenSecret returns the key that signs API tokens; it is created with the
// catalog and never leaves it except through this call.
func (db *DB) TokenSecret() []byte { return db.secret }

// RotateTokenSecret replaces the token signing key, which revokes every
// token issued so far. The new key takes effect for this DB at once.
func (db *DB) RotateTokenSecret() error {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyTokenSecret, secret)
	})
	if err == nil {
		db.secret = secret
	}
	return err
}

// update and view run fn in a read-write or read-only transaction.
func (db *DB) update(fn func(tx *bolt.Tx) error) error {
	err := db.bolt.Update(fn)
	if err == nil {
		db.stats.stale.Store(true)
	}
	return err
}
func (db *DB) view(fn func(tx *bolt.Tx) error) error { return db.bolt.View(fn) }

// UploadTTL is how long an idle upload session lives.
func (db *DB) UploadTTL() time.Duration { return db.ttl }

// Ping checks that the catalog answers a read transaction (health checks).
func (db *DB) Ping(ctx context.Context) error {
	return db.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return fmt.Errorf("catalog has no meta bucket: %w", ErrInvalid)
		}
		return ctx.Err()
	})
}
