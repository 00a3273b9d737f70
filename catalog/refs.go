package catalog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// Refcounts change only here, and only inside the transaction that adds or
// removes the artifact version responsible.

// addRef counts one more version of a pointing at d.
func (db *DB) addRef(tx *bolt.Tx, d cas.Digest, a *Artifact) error {
	b, err := getBlob(tx, d)
	if err != nil {
		return err
	}
	b.Refs++
	b.ZeroSince = time.Time{}
	b.Gen++
	if err := putBlob(tx, &b); err != nil {
		return err
	}
	return bumpRefIndex(tx, d, a.UUID, +1)
}

// dropRef counts one version fewer of a pointing at d; a blob reaching zero
// starts its GC grace period.
func (db *DB) dropRef(tx *bolt.Tx, d cas.Digest, a *Artifact) error {
	b, err := getBlob(tx, d)
	if err != nil {
		return err
	}
	if b.Refs <= 0 {
		return fmt.Errorf("blob %s refcount would go below zero: %w", d, ErrConflict)
	}
	b.Refs--
	if b.Refs == 0 {
		b.ZeroSince = db.now()
	}
	b.Gen++
	if err := putBlob(tx, &b); err != nil {
		return err
	}
	return bumpRefIndex(tx, d, a.UUID, -1)
}

// bumpRefIndex adjusts blob_refs[d+artifact] by delta, deleting it at zero.
func bumpRefIndex(tx *bolt.Tx, d cas.Digest, id cas.UUID, delta int) error {
	bucket := tx.Bucket(bucketBlobRefs)
	key := append(append(make([]byte, 0, 48), d[:]...), id[:]...)
	n := 0
	if v := bucket.Get(key); len(v) == 4 {
		n = int(binary.BigEndian.Uint32(v))
	}
	n += delta
	if n <= 0 {
		return bucket.Delete(key)
	}
	return bucket.Put(key, u32(uint32(n)))
}

// blobReferrers returns the artifacts referencing d with their version
// counts.
func blobReferrers(tx *bolt.Tx, d cas.Digest) (map[cas.UUID]int, error) {
	out := map[cas.UUID]int{}
	c := tx.Bucket(bucketBlobRefs).Cursor()
	for k, v := c.Seek(d[:]); k != nil && bytes.HasPrefix(k, d[:]); k, v = c.Next() {
		if len(k) != 48 || len(v) != 4 {
			return nil, fmt.Errorf("blob_refs entry %x is malformed: %w", k, ErrInvalid)
		}
		out[cas.UUID(k[32:])] = int(binary.BigEndian.Uint32(v))
	}
	return out, nil
}

// blobReferencedBy reports whether an artifact satisfying pred references d.
func blobReferencedBy(tx *bolt.Tx, d cas.Digest, pred func(*Artifact) bool) (bool, error) {
	refs, err := blobReferrers(tx, d)
	if err != nil {
		return false, err
	}
	for id := range refs {
		a, err := getArtifact(tx, id)
		if err != nil {
			return false, err
		}
		if pred(&a) {
			return true, nil
		}
	}
	return false, nil
}
