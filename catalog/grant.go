package catalog

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// MaxGrants bounds the namespaces one artifact is granted to, so its record
// stays small.
const MaxGrants = 256

// Grant lets namespace grantee read artifact id: it then sees the artifact
// in lists, resolves it by "<ns>/<name>" and reads its blobs. Only the
// owner namespace or system may grant. Granting again changes nothing.
func (db *DB) Grant(ctx context.Context, c Caller, id cas.UUID, grantee string) (Artifact, error) {
	if err := ValidateIdent("namespace", grantee); err != nil {
		return Artifact{}, err
	}
	return db.changeArtifact(c, id, func(tx *bolt.Tx, a *Artifact) error {
		if grantee == a.Namespace {
			return invalidf("%s already belongs to namespace %s", a.Ref(), grantee)
		}
		if slices.Contains(a.Grants, grantee) {
			return nil
		}
		if _, err := getNamespace(tx, grantee); err != nil {
			return err
		}
		if len(a.Grants) >= MaxGrants {
			return invalidf("%s is granted to %d namespaces already; the limit is %d", a.Ref(), len(a.Grants), MaxGrants)
		}
		a.Grants = append(a.Grants, grantee)
		slices.Sort(a.Grants)
		return db.addEvent(tx, artifactKey(a), Event{Type: EventAudit, Who: c.Who(),
			Message: "granted to " + grantee, Extra: map[string]any{"grantee": grantee}})
	})
}

// Revoke withdraws a grant; a namespace that holds none is ErrNotFound.
func (db *DB) Revoke(ctx context.Context, c Caller, id cas.UUID, grantee string) (Artifact, error) {
	return db.changeArtifact(c, id, func(tx *bolt.Tx, a *Artifact) error {
		i := slices.Index(a.Grants, grantee)
		if i < 0 {
			return fmt.Errorf("%s is not granted to %s: %w", a.Ref(), clip(grantee), ErrNotFound)
		}
		a.Grants = slices.Delete(a.Grants, i, i+1)
		return db.addEvent(tx, artifactKey(a), Event{Type: EventAudit, Who: c.Who(),
			Message: "grant to " + grantee + " revoked", Extra: map[string]any{"grantee": grantee}})
	})
}

// Grants returns the namespaces an artifact is granted to. Only the owner
// or system may list them: a grantee learns nothing about other grantees.
func (db *DB) Grants(ctx context.Context, c Caller, id cas.UUID) ([]string, error) {
	var out []string
	err := db.view(func(tx *bolt.Tx) error {
		a, err := changeableArtifact(tx, c, id)
		if err != nil {
			return err
		}
		out = append([]string{}, a.Grants...)
		return nil
	})
	return out, err
}

// dropGrantsTo withdraws every grant to namespace ns (it is being deleted),
// so that a namespace created later under the same name inherits nothing.
func (db *DB) dropGrantsTo(tx *bolt.Tx, ns string) error {
	prefix := joinKey(ns, "")
	var ids []cas.UUID
	c := tx.Bucket(bucketArtifactGrant).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(v) == 16 {
			ids = append(ids, cas.UUID(v))
		}
	}
	for _, id := range ids {
		a, err := getArtifact(tx, id)
		if err != nil {
			return err
		}
		old := a
		old.Grants = slices.Clone(a.Grants)
		a.Grants = slices.DeleteFunc(a.Grants, func(g string) bool { return g == ns })
		if err := db.addEvent(tx, artifactKey(&a), Event{Type: EventAudit, Who: "sfcas",
			Message: "grant to " + ns + " withdrawn: the namespace was deleted", Extra: map[string]any{"grantee": ns}}); err != nil {
			return err
		}
		if err := db.putArtifact(tx, &a, &old); err != nil {
			return err
		}
	}
	return nil
}
