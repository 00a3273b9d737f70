package catalog

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// quarantine marks b's bytes as not to be trusted: its state becomes
// BlobQuarantined with why as its Problem, the blob's event log says so,
// and so does the log of every artifact with a version pointing at it
// (those artifacts are degraded; watchers are told to look again). Nothing
// serves a quarantined blob's bytes; ingesting the same bytes again heals it
// (recordBlob).
func (db *DB) quarantine(tx *bolt.Tx, b *Blob, why string) error {
	b.State, b.Problem = BlobQuarantined, why
	b.Gen++
	if err := putBlob(tx, b); err != nil {
		return err
	}
	if err := db.addEvent(tx, blobKey(b), Event{Type: EventHealth, Message: "quarantined: " + why}); err != nil {
		return err
	}
	refs, err := blobReferrers(tx, b.Digest)
	if err != nil {
		return err
	}
	for id := range refs {
		a, err := getArtifact(tx, id)
		if err != nil {
			return err
		}
		var idx []int
		for _, v := range a.Versions {
			if v.Digest == b.Digest {
				idx = append(idx, v.Index)
			}
		}
		if err := db.addEvent(tx, artifactKey(&a), Event{Type: EventHealth,
			Message: fmt.Sprintf("degraded: blob %s of version %v is quarantined: %s", b.Digest, idx, why),
			Extra:   map[string]any{"digest": b.Digest.String(), "versions": idx, "problem": why}}); err != nil {
			return err
		}
		db.notify(tx, changeOf(&a, false))
	}
	db.log.Warn("blob quarantined", "blob", b.Digest, "problem", why, "artifacts", len(refs))
	return nil
}

// healed records that b, quarantined, holds good bytes again.
func (db *DB) healed(tx *bolt.Tx, b *Blob) error {
	const msg = "healed: the same bytes were ingested again"
	if err := db.addEvent(tx, blobKey(b), Event{Type: EventHealth, Message: msg}); err != nil {
		return err
	}
	refs, err := blobReferrers(tx, b.Digest)
	if err != nil {
		return err
	}
	for id := range refs {
		a, err := getArtifact(tx, id)
		if err != nil {
			return err
		}
		if err := db.addEvent(tx, artifactKey(&a), Event{Type: EventHealth,
			Message: fmt.Sprintf("blob %s %s", b.Digest, msg), Extra: map[string]any{"digest": b.Digest.String()}}); err != nil {
			return err
		}
		db.notify(tx, changeOf(&a, false))
	}
	return nil
}
