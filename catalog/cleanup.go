package catalog

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// CleanupOptions control CleanupNamespace.
type CleanupOptions struct {
	// DryRun reports what would happen and changes nothing.
	DryRun bool
	// Force deletes artifacts other namespaces can read too.
	Force bool
}

// CleanupItem is one artifact a cleanup deleted or kept, and why.
type CleanupItem struct {
	Ref    string       `json:"ref"`
	UUID   cas.UUID     `json:"uuid"`
	Type   ArtifactType `json:"type"`
	Reason string       `json:"reason"`
}

// CleanupReport says what a cleanup deleted (or, in a dry run, would
// delete) and what it kept, in the order it went.
type CleanupReport struct {
	Namespace string        `json:"namespace"`
	DryRun    bool          `json:"dry_run"`
	Deleted   []CleanupItem `json:"deleted"`
	Kept      []CleanupItem `json:"kept"`
	// Uploads is how many of the namespace's upload sessions were (or
	// would be) abandoned.
	Uploads int `json:"uploads"`
}

// cleanupOrder is the safe order: labels first (what readers resolve), then
// snapshots, images and the rest, so nothing a reader can still reach by
// name loses its content before the name goes.
var cleanupOrder = []ArtifactType{TypeLabel, TypeSnapshot, TypeImage, TypeOther}

// cleanupBatch bounds the deletions of one transaction.
const cleanupBatch = 128

// CleanupNamespace deletes every artifact of namespace ns, in the safe
// order, except those other namespaces can read (shared, or granted) unless
// o.Force; and abandons its upload sessions. Blobs other namespaces still
// reference stay (their refcounts say so). Only the namespace itself or
// system may. Each artifact's keep-or-delete decision is made again inside
// the transaction that deletes it, so a grant made meanwhile is honoured.
func (db *DB) CleanupNamespace(ctx context.Context, c Caller, ns string, o CleanupOptions) (CleanupReport, error) {
	rep := CleanupReport{Namespace: ns, DryRun: o.DryRun, Deleted: []CleanupItem{}, Kept: []CleanupItem{}}
	if err := ValidateIdent("namespace", ns); err != nil {
		return rep, err
	}
	if !c.mayChange(ns) {
		return rep, fmt.Errorf("cleanup of namespace %s: %w", ns, ErrForbidden)
	}
	for _, typ := range cleanupOrder {
		var ids []cas.UUID
		err := db.view(func(tx *bolt.Tx) error {
			if _, err := getNamespace(tx, ns); err != nil {
				return err
			}
			prefix := joinKey(string(typ), ns, "")
			cur := tx.Bucket(bucketArtifactType).Cursor()
			for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
				if len(v) == 16 {
					ids = append(ids, cas.UUID(v))
				}
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
		for len(ids) > 0 {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			batch := ids[:min(cleanupBatch, len(ids))]
			ids = ids[len(batch):]
			if err := db.cleanupBatch(c, batch, o, &rep); err != nil {
				return rep, err
			}
		}
	}
	ups, err := db.ListUploads(ctx, c)
	if err != nil {
		return rep, err
	}
	for _, u := range ups {
		if u.Namespace != ns {
			continue
		}
		rep.Uploads++
		if !o.DryRun {
			if err := db.DeleteUpload(ctx, c, u.UUID); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

func (db *DB) cleanupBatch(c Caller, ids []cas.UUID, o CleanupOptions, rep *CleanupReport) error {
	var deleted, kept []CleanupItem
	fn := func(tx *bolt.Tx) error {
		deleted, kept = nil, nil
		for _, id := range ids {
			a, err := getArtifact(tx, id)
			if err != nil {
				continue // deleted meanwhile
			}
			item := CleanupItem{Ref: a.Ref(), UUID: a.UUID, Type: a.Type}
			if why := othersRead(&a); why != "" && !o.Force {
				item.Reason = why + "; pass force to delete it"
				kept = append(kept, item)
				continue
			} else if why != "" {
				item.Reason = why + "; deleted because of force"
			} else {
				item.Reason = "only " + a.Namespace + " can read it"
			}
			if !o.DryRun {
				if err := db.deleteArtifact(tx, &a); err != nil {
					return err
				}
			}
			deleted = append(deleted, item)
		}
		return nil
	}
	var err error
	if o.DryRun {
		err = db.view(fn)
	} else {
		err = db.update(fn)
	}
	if err == nil {
		rep.Deleted = append(rep.Deleted, deleted...)
		rep.Kept = append(rep.Kept, kept...)
	}
	return err
}

// othersRead says which other namespaces can read a, or "" if none can.
func othersRead(a *Artifact) string {
	switch {
	case a.Shared && len(a.Grants) > 0:
		return "shared with every namespace and granted to " + strings.Join(a.Grants, ", ")
	case a.Shared:
		return "shared with every namespace"
	case len(a.Grants) > 0:
		return "granted to " + strings.Join(a.Grants, ", ")
	}
	return ""
}
