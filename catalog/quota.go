package catalog

import (
	"bytes"
	"context"
	"fmt"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// Capacity: the blob store refuses writes below its free-space floor
// (cas.Store.CheckSpace); on top of that, upload sessions reserve what they
// declared and have not yet received, and a namespace may have a quota on
// the bytes its versions and reservations hold. Every refusal wraps
// cas.ErrNoSpace (insufficient storage).

// Usage is what a namespace holds.
type Usage struct {
	Namespace string `json:"namespace"`
	// Bytes is the size of the distinct blobs its artifacts' versions point
	// at (a blob two of its versions share counts once).
	Bytes int64 `json:"bytes"`
	// Reserved is what its upload sessions declared and have not received.
	Reserved int64 `json:"reserved"`
	// Quota is its limit in bytes; 0 means none.
	Quota int64 `json:"quota"`
}

// reservation is what one session still holds back.
func (u *Upload) reservation() int64 { return max(u.Declared-u.Size, 0) }

// reserved sums the reservations of every session (ns "") or of ns's.
func reserved(tx *bolt.Tx, ns string) (int64, error) {
	var n int64
	err := tx.Bucket(bucketUploads).ForEach(func(k, _ []byte) error {
		var u Upload
		if _, err := getJSON(tx.Bucket(bucketUploads), k, &u); err != nil {
			return err
		}
		if ns == "" || u.Namespace == ns {
			n += u.reservation()
		}
		return nil
	})
	return n, err
}

// CheckSpace fails with cas.ErrNoSpace if writing need more bytes, on top
// of what upload sessions have reserved, would cross the free-space floor.
func (db *DB) CheckSpace(need int64) error {
	var res int64
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		res, err = reserved(tx, "")
		return err
	})
	if err != nil {
		return err
	}
	if err := db.blobs.CheckSpace(need + res); err != nil {
		return fmt.Errorf("%d bytes are reserved by upload sessions: %w", res, err)
	}
	return nil
}

// usage computes ns's usage inside tx; extra digests (a version about to be
// added) count too if ns does not hold them yet.
func usage(tx *bolt.Tx, ns string) (Usage, map[cas.Digest]bool, error) {
	u := Usage{Namespace: ns}
	n, err := getNamespace(tx, ns)
	if err != nil {
		return u, nil, err
	}
	u.Quota = n.Quota
	held := map[cas.Digest]bool{}
	prefix := joinKey(ns, "")
	c := tx.Bucket(bucketArtifactName).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(v) != 16 {
			continue
		}
		a, err := getArtifact(tx, cas.UUID(v))
		if err != nil {
			return u, nil, err
		}
		for _, ver := range a.Versions {
			if !held[ver.Digest] {
				held[ver.Digest] = true
				u.Bytes += ver.Size
			}
		}
	}
	if u.Reserved, err = reserved(tx, ns); err != nil {
		return u, nil, err
	}
	return u, held, nil
}

// checkQuota fails with cas.ErrNoSpace if ns has a quota that adding more
// bytes (a new blob, d, unless ns already holds it; or a reservation, with
// d zero) would exceed.
func checkQuota(tx *bolt.Tx, ns string, d cas.Digest, more int64) error {
	u, held, err := usage(tx, ns)
	if err != nil || u.Quota <= 0 || (!d.IsZero() && held[d]) {
		return err
	}
	if u.Bytes+u.Reserved+more > u.Quota {
		return fmt.Errorf("namespace %s holds %d bytes and reserves %d; %d more would exceed its quota of %d: %w",
			ns, u.Bytes, u.Reserved, more, u.Quota, cas.ErrNoSpace)
	}
	return nil
}

// NamespaceUsage returns what ns holds, for ns itself or system.
func (db *DB) NamespaceUsage(ctx context.Context, c Caller, ns string) (Usage, error) {
	if !c.mayChange(ns) {
		return Usage{}, fmt.Errorf("namespace %s: %w", clip(ns), ErrNotFound)
	}
	var u Usage
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		u, _, err = usage(tx, ns)
		return err
	})
	return u, err
}

// SetQuota sets ns's quota in bytes (0 removes it). Only system may. A
// quota below the current usage refuses new bytes but deletes nothing.
func (db *DB) SetQuota(ctx context.Context, c Caller, ns string, quota int64) (Usage, error) {
	if !c.IsSystem() {
		return Usage{}, fmt.Errorf("quota of %s: only %s may set it: %w", clip(ns), SystemNamespace, ErrForbidden)
	}
	if quota < 0 {
		return Usage{}, invalidf("quota %d is negative", quota)
	}
	var u Usage
	err := db.update(func(tx *bolt.Tx) error {
		n, err := getNamespace(tx, ns)
		if err != nil {
			return err
		}
		n.Quota = quota
		if err := putJSON(tx.Bucket(bucketNamespaces), []byte(ns), n); err != nil {
			return err
		}
		if u, _, err = usage(tx, ns); err != nil {
			return err
		}
		return db.addEvent(tx, namespaceKey(ns), Event{Type: EventAudit, Who: c.Who(),
			Message: fmt.Sprintf("quota set to %d bytes", quota), Extra: map[string]any{"quota": quota, "used": u.Bytes}})
	})
	return u, err
}
