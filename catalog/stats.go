package catalog

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Stats is a snapshot of the catalog for monitoring.
type Stats struct {
	Blobs             int64 // blob records
	BlobBytes         int64 // their total size
	UnreferencedBlobs int64 // refcount zero, awaiting GC
	UnreferencedBytes int64
	QuarantinedBlobs  int64
	Artifacts         map[ArtifactType]int64
	DegradedLabels    int64 // labels whose current version's blob is quarantined
	Uploads           int64 // open upload sessions
	// Counters since the process started.
	IngestedBlobs int64 // blobs committed (new or deduplicated)
	IngestedBytes int64
	Taken         time.Time
}

// counters are the catalog's running totals.
type counters struct {
	ingestedBlobs atomic.Int64
	ingestedBytes atomic.Int64
}

// statsCache keeps the last scan so scrapes do not walk the catalog each
// time; stale is set by every committed write.
type statsCache struct {
	mu    sync.Mutex
	last  Stats
	stale atomic.Bool
}

// Stats returns catalog statistics. A scan costs time proportional to the
// catalog, so the last one is reused while nothing changed, and at most one
// scan runs per minAge however busy the catalog is.
func (db *DB) Stats(ctx context.Context, minAge time.Duration) (Stats, error) {
	db.stats.mu.Lock()
	defer db.stats.mu.Unlock()
	age := db.now().Sub(db.stats.last.Taken)
	if !db.stats.last.Taken.IsZero() && (!db.stats.stale.Load() || age < minAge) {
		return db.withCounters(db.stats.last), nil
	}
	db.stats.stale.Store(false)
	s := Stats{Artifacts: map[ArtifactType]int64{}, Taken: db.now()}
	err := db.view(func(tx *bolt.Tx) error {
		quarantined := map[string]bool{}
		err := tx.Bucket(bucketBlobs).ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var b Blob
			if err := json.Unmarshal(v, &b); err != nil {
				return err
			}
			s.Blobs++
			s.BlobBytes += b.Size
			if b.Refs == 0 {
				s.UnreferencedBlobs++
				s.UnreferencedBytes += b.Size
			}
			if b.State == BlobQuarantined {
				s.QuarantinedBlobs++
				quarantined[string(k)] = true
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketArtifacts).ForEach(func(_, v []byte) error {
			var a Artifact
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			s.Artifacts[a.Type]++
			if cur, ok := a.Latest(); ok && a.Type == TypeLabel && quarantined[string(cur.Digest[:])] {
				s.DegradedLabels++
			}
			return nil
		})
		if err != nil {
			return err
		}
		s.Uploads = int64(tx.Bucket(bucketUploads).Stats().KeyN)
		return nil
	})
	if err != nil {
		return Stats{}, err
	}
	db.stats.last = s
	return db.withCounters(s), nil
}

func (db *DB) withCounters(s Stats) Stats {
	s.IngestedBlobs = db.counters.ingestedBlobs.Load()
	s.IngestedBytes = db.counters.ingestedBytes.Load()
	return s
}
