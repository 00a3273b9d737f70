package catalog

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Event is one entry in an object's append-only log.
type Event struct {
	Seq     uint64         `json:"seq"`
	Time    time.Time      `json:"time"`
	Type    string         `json:"type"` // audit, mutate, status, prune, health
	Who     string         `json:"who,omitempty"`
	Node    string         `json:"node,omitempty"`
	Message string         `json:"message"`
	Extra   map[string]any `json:"extra,omitempty"`
}

// Event types.
const (
	EventAudit  = "audit"  // reads and administrative actions
	EventMutate = "mutate" // an object's content changed
	EventStatus = "status" // state changes and progress
	EventPrune  = "prune"  // reaping and garbage collection
	EventHealth = "health" // scrub and fsck findings
)

// ObjectKey names an object's event log.
type ObjectKey string

// Keys of event logs per kind of object.
func artifactKey(a *Artifact) ObjectKey  { return ObjectKey("artifact/" + a.UUID.String()) }
func blobKey(b *Blob) ObjectKey          { return ObjectKey("blob/" + b.Digest.Hex()) }
func namespaceKey(name string) ObjectKey { return ObjectKey("namespace/" + name) }

// addEvent appends e to key's log, dropping the oldest entry beyond the
// bound so the log's cost stays constant.
func (db *DB) addEvent(tx *bolt.Tx, key ObjectKey, e Event) error {
	b, err := tx.Bucket(bucketEvents).CreateBucketIfNotExists([]byte(key))
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.Seq = seq
	if e.Time.IsZero() {
		e.Time = db.now()
	}
	if e.Node == "" {
		e.Node = db.node
	}
	if err := putJSON(b, u64(seq), e); err != nil {
		return err
	}
	if old := int64(seq) - int64(db.events); old > 0 {
		return b.Delete(u64(uint64(old)))
	}
	return nil
}

// dropEvents deletes key's whole log (the object is gone).
func dropEvents(tx *bolt.Tx, key ObjectKey) error {
	err := tx.Bucket(bucketEvents).DeleteBucket([]byte(key))
	if errors.Is(err, berrors.ErrBucketNotFound) {
		return nil
	}
	return err
}

// EventFilter selects events; zero fields select all.
type EventFilter struct {
	Type  string
	Limit int // default 100, at most 1000
}

// events returns key's newest events first.
func (db *DB) eventLog(ctx context.Context, key ObjectKey, f EventFilter) ([]Event, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	out := []Event{}
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents).Bucket([]byte(key))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil && len(out) < f.Limit; k, v = c.Prev() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			if f.Type == "" || e.Type == f.Type {
				e.Seq = binary.BigEndian.Uint64(k)
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}
