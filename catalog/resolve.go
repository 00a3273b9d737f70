package catalog

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// Resolved is what a reference means for one caller.
type Resolved struct {
	// Ref is the explicit reference of what matched; it resolves to the same
	// object for every caller who may see it.
	Ref      string
	Artifact *Artifact
	// Version is the selected version of Artifact: the "@n" one, else the
	// latest; nil for an artifact without versions.
	Version *Version
	// Blob is where the reference ends: the version's blob or the blob named
	// directly; nil if there is none.
	Blob   *Blob
	Upload *Upload
}

// Resolve parses s and looks it up as caller c. It applies the one rule
// every route, command and mount uses: explicit references match at most one
// object; a bare name is looked up in the caller's namespace and in system,
// and matching both is an *AmbiguousError listing both. Nothing invisible to
// c is ever matched, and nothing is fetched.
func (db *DB) Resolve(ctx context.Context, c Caller, s string) (Resolved, error) {
	r, err := ParseRef(s)
	if err != nil {
		return Resolved{}, err
	}
	return db.ResolveRef(ctx, c, r)
}

// ResolveRef is Resolve for a parsed reference.
func (db *DB) ResolveRef(ctx context.Context, c Caller, r Ref) (Resolved, error) {
	var out Resolved
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		out, err = db.resolve(tx, c, r)
		return err
	})
	return out, err
}

func (db *DB) resolve(tx *bolt.Tx, c Caller, r Ref) (Resolved, error) {
	switch r.Kind {
	case RefNamed:
		id, ok := artifactIDByName(tx, r.Namespace, r.Name)
		if !ok {
			return Resolved{}, fmt.Errorf("%s: %w", r, ErrNotFound)
		}
		return db.resolveArtifact(tx, c, id, r)
	case RefBareName:
		return db.resolveBare(tx, c, r)
	case RefArtifactUUID:
		return db.resolveArtifact(tx, c, r.UUID, r)
	case RefBlobUUID:
		d, ok := digestByIndex(tx, bucketBlobUUID, r.UUID[:])
		if !ok {
			return Resolved{}, fmt.Errorf("%s: %w", r, ErrNotFound)
		}
		return db.resolveBlob(tx, c, d)
	case RefDigest:
		return db.resolveDigest(tx, c, r)
	case RefUpload:
		u, err := getUpload(tx, c, r.UUID)
		if err != nil {
			return Resolved{}, err
		}
		return Resolved{Ref: r.String(), Upload: &u}, nil
	case RefUUID:
		return db.resolveUUID(tx, c, r)
	}
	return Resolved{}, invalidf("unsupported reference %q", r)
}

// resolveBare looks a bare name up in the caller's namespace and in system.
func (db *DB) resolveBare(tx *bolt.Tx, c Caller, r Ref) (Resolved, error) {
	var found []Resolved
	var missing error // a match without the asked-for version
	for _, ns := range uniq(c.Namespace, SystemNamespace) {
		id, ok := artifactIDByName(tx, ns, r.Name)
		if !ok {
			continue
		}
		res, err := db.resolveArtifact(tx, c, id, Ref{Kind: RefNamed, Namespace: ns, Name: r.Name, Version: r.Version})
		if errors.Is(err, ErrNotFound) {
			if r.Version > 0 && missing == nil {
				if a, aerr := readableArtifact(tx, c, id); aerr == nil {
					if _, has := a.Version(r.Version); !has {
						missing = err
					}
				}
			}
			continue
		}
		if err != nil {
			return Resolved{}, err
		}
		found = append(found, res)
	}
	switch len(found) {
	case 0:
		if missing != nil {
			return Resolved{}, missing
		}
		if c.IsSystem() {
			return Resolved{}, fmt.Errorf("%q is not in namespace %s: %w", clip(r.String()), SystemNamespace, ErrNotFound)
		}
		return Resolved{}, fmt.Errorf("%q is in neither namespace %s nor %s: %w", clip(r.String()), c.Namespace, SystemNamespace, ErrNotFound)
	case 1:
		return found[0], nil
	}
	amb := &AmbiguousError{Ref: r.String()}
	for _, f := range found {
		amb.Candidates = append(amb.Candidates, f.Ref)
	}
	return Resolved{}, amb
}

func uniq(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

// resolveUUID finds an artifact or a blob by UUID.
func (db *DB) resolveUUID(tx *bolt.Tx, c Caller, r Ref) (Resolved, error) {
	art, aerr := db.resolveArtifact(tx, c, r.UUID, Ref{Kind: RefArtifactUUID, UUID: r.UUID})
	var blob Resolved
	berr := fmt.Errorf("%s: %w", r, ErrNotFound)
	if d, ok := digestByIndex(tx, bucketBlobUUID, r.UUID[:]); ok {
		blob, berr = db.resolveBlob(tx, c, d)
	}
	switch {
	case aerr == nil && berr == nil:
		return Resolved{}, &AmbiguousError{Ref: r.String(), Candidates: []string{"sf://artifact/" + r.UUID.String(), "sf://blob/" + r.UUID.String()}}
	case aerr == nil:
		return art, nil
	case berr == nil:
		return blob, nil
	case !errors.Is(aerr, ErrNotFound):
		return Resolved{}, aerr
	}
	return Resolved{}, berr
}

func (db *DB) resolveDigest(tx *bolt.Tx, c Caller, r Ref) (Resolved, error) {
	key, _ := hex.DecodeString(r.Hex)
	var d cas.Digest
	switch r.Alg {
	case AlgBLAKE3:
		d = cas.Digest(key)
	default:
		bucket := map[string][]byte{AlgSHA256: bucketBlobSHA256, AlgSHA512: bucketBlobSHA512}[r.Alg]
		var ok bool
		if d, ok = digestByIndex(tx, bucket, key); !ok {
			return Resolved{}, fmt.Errorf("%s: %w", r, ErrNotFound)
		}
	}
	return db.resolveBlob(tx, c, d)
}

func (db *DB) resolveBlob(tx *bolt.Tx, c Caller, d cas.Digest) (Resolved, error) {
	b, err := db.readableBlob(tx, c, d)
	if err != nil {
		return Resolved{}, err
	}
	return Resolved{Ref: d.String(), Blob: &b}, nil
}

// resolveArtifact loads a visible artifact and selects r's version.
func (db *DB) resolveArtifact(tx *bolt.Tx, c Caller, id cas.UUID, r Ref) (Resolved, error) {
	a, err := readableArtifact(tx, c, id)
	if err != nil {
		return Resolved{}, err
	}
	if (r.LabelOnly && a.Type != TypeLabel) || (r.SnapshotOnly && a.Type != TypeSnapshot) {
		return Resolved{}, fmt.Errorf("%s is a %s: %w", a.Ref(), a.Type, ErrNotFound)
	}
	out := Resolved{Ref: a.Ref(), Artifact: &a}
	var v Version
	var ok bool
	if r.Version > 0 {
		if v, ok = a.Version(r.Version); !ok {
			return Resolved{}, fmt.Errorf("%s has no version %d: %w", a.Ref(), r.Version, ErrNotFound)
		}
		out.Ref = fmt.Sprintf("%s@%d", a.Ref(), r.Version)
	} else {
		v, ok = a.Latest()
	}
	if ok {
		out.Version = &v
		b, err := getBlob(tx, v.Digest)
		if err != nil {
			return Resolved{}, err
		}
		out.Blob = &b
	}
	return out, nil
}
