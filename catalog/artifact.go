package catalog

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// ArtifactType is what an artifact holds.
type ArtifactType string

// Artifact types.
const (
	TypeImage    ArtifactType = "image"
	TypeSnapshot ArtifactType = "snapshot"
	TypeLabel    ArtifactType = "label"
	TypeOther    ArtifactType = "other"
)

// ParseArtifactType validates a type name.
func ParseArtifactType(s string) (ArtifactType, error) {
	switch t := ArtifactType(s); t {
	case TypeImage, TypeSnapshot, TypeLabel, TypeOther:
		return t, nil
	}
	return "", invalidf("artifact type %q is not one of image, snapshot, label, other", clip(s))
}

// ArtifactState is an artifact's life-cycle state.
type ArtifactState string

// Artifact states, as the Shaken Fist API names them.
const (
	StateInitial ArtifactState = "initial" // created, waiting for its first bytes (a fetch)
	StateCreated ArtifactState = "created"
	StateError   ArtifactState = "error" // its last fetch failed; see Error
)

// Artifact is a named, versioned pointer to a sequence of blobs.
type Artifact struct {
	UUID        cas.UUID      `json:"uuid"`
	Type        ArtifactType  `json:"type"`
	Namespace   string        `json:"namespace"`
	Name        string        `json:"name"`
	SourceURL   string        `json:"source_url,omitempty"`
	MaxVersions int           `json:"max_versions"`
	Shared      bool          `json:"shared"`
	Grants      []string      `json:"grants,omitempty"`
	State       ArtifactState `json:"state"`
	Error       string        `json:"error,omitempty"`
	Created     time.Time     `json:"created"`
	Updated     time.Time     `json:"updated"`
	NextIndex   int           `json:"next_index"`
	Versions    []Version     `json:"versions"`
	Metadata    Metadata      `json:"metadata"`
	Snapshot    *Snapshot     `json:"snapshot,omitempty"`
	Gen         int           `json:"gen"` // bumped on every change
}

// Version is one entry of an artifact's history.
type Version struct {
	Index   int        `json:"index"`
	Digest  cas.Digest `json:"digest"`
	Size    int64      `json:"size"`
	Created time.Time  `json:"created"`
	Who     string     `json:"who,omitempty"`
	Note    string     `json:"note,omitempty"`
}

// Snapshot describes where a snapshot artifact came from.
type Snapshot struct {
	SetID    cas.UUID `json:"set_id"`
	Instance string   `json:"instance"`
	Device   string   `json:"device"`
}

// Ref is the explicit "<namespace>/<name>" reference.
func (a *Artifact) Ref() string { return a.Namespace + "/" + a.Name }

// Latest returns the current (highest-index) version.
func (a *Artifact) Latest() (Version, bool) {
	if len(a.Versions) == 0 {
		return Version{}, false
	}
	return a.Versions[len(a.Versions)-1], true
}

// Version returns the version with index i.
func (a *Artifact) Version(i int) (Version, bool) {
	for _, v := range a.Versions {
		if v.Index == i {
			return v, true
		}
	}
	return Version{}, false
}

// canRead is the one visibility rule: system sees everything; a namespace
// sees its own artifacts, shared ones and those granted to it.
func canRead(c Caller, a *Artifact) bool {
	return c.IsSystem() || a.Namespace == c.Namespace || a.Shared || slices.Contains(a.Grants, c.Namespace)
}

// CanRead reports whether c may see a.
func CanRead(c Caller, a *Artifact) bool { return canRead(c, a) }

func getArtifact(tx *bolt.Tx, id cas.UUID) (Artifact, error) {
	var a Artifact
	ok, err := getJSON(tx.Bucket(bucketArtifacts), id[:], &a)
	if err == nil && !ok {
		err = fmt.Errorf("artifact %s: %w", id, ErrNotFound)
	}
	return a, err
}

// artifactIDByName looks up the name index.
func artifactIDByName(tx *bolt.Tx, ns, name string) (cas.UUID, bool) {
	v := tx.Bucket(bucketArtifactName).Get(joinKey(ns, name))
	if len(v) != 16 {
		return cas.UUID{}, false
	}
	return cas.UUID(v), true
}

// readableArtifact loads an artifact the caller may see.
func readableArtifact(tx *bolt.Tx, c Caller, id cas.UUID) (Artifact, error) {
	a, err := getArtifact(tx, id)
	if err != nil {
		return a, err
	}
	if !canRead(c, &a) {
		// Name nothing: the caller may have come by name or checksum and
		// must not learn the UUID of what it cannot see.
		return Artifact{}, fmt.Errorf("artifact: %w", ErrNotFound)
	}
	return a, nil
}

// changeableArtifact loads an artifact the caller may change: ErrNotFound if
// it cannot even see it, ErrForbidden if it can see but not change it.
func changeableArtifact(tx *bolt.Tx, c Caller, id cas.UUID) (Artifact, error) {
	a, err := readableArtifact(tx, c, id)
	if err != nil {
		return a, err
	}
	if !c.mayChange(a.Namespace) {
		return Artifact{}, fmt.Errorf("artifact %s belongs to namespace %s: %w", a.Ref(), a.Namespace, ErrForbidden)
	}
	return a, nil
}

// putArtifact stores a and brings its indexes from old's state to a's. old
// is nil for a new artifact.
func (db *DB) putArtifact(tx *bolt.Tx, a *Artifact, old *Artifact) error {
	a.Gen++
	db.notify(tx, changeOf(a, false))
	if err := putJSON(tx.Bucket(bucketArtifacts), a.UUID[:], a); err != nil {
		return err
	}
	if old != nil {
		if err := dropIndexes(tx, old); err != nil {
			return err
		}
	}
	return addIndexes(tx, a)
}

func addIndexes(tx *bolt.Tx, a *Artifact) error {
	id := a.UUID[:]
	if err := tx.Bucket(bucketArtifactName).Put(joinKey(a.Namespace, a.Name), id); err != nil {
		return err
	}
	if err := tx.Bucket(bucketArtifactType).Put(joinKey(string(a.Type), a.Namespace, a.Name), id); err != nil {
		return err
	}
	if a.Shared {
		if err := tx.Bucket(bucketArtifactShared).Put(joinKey(a.Namespace, a.Name), id); err != nil {
			return err
		}
	}
	for _, g := range a.Grants {
		if err := tx.Bucket(bucketArtifactGrant).Put(joinKey(g, a.Namespace, a.Name), id); err != nil {
			return err
		}
	}
	return nil
}

func dropIndexes(tx *bolt.Tx, a *Artifact) error {
	keys := []struct {
		b []byte
		k []byte
	}{
		{bucketArtifactName, joinKey(a.Namespace, a.Name)},
		{bucketArtifactType, joinKey(string(a.Type), a.Namespace, a.Name)},
		{bucketArtifactShared, joinKey(a.Namespace, a.Name)},
	}
	for _, g := range a.Grants {
		keys = append(keys, struct {
			b []byte
			k []byte
		}{bucketArtifactGrant, joinKey(g, a.Namespace, a.Name)})
	}
	for _, k := range keys {
		if err := tx.Bucket(k.b).Delete(k.k); err != nil {
			return err
		}
	}
	return nil
}

// GetArtifact returns the artifact with that UUID if the caller may see it.
func (db *DB) GetArtifact(ctx context.Context, c Caller, id cas.UUID) (Artifact, error) {
	var a Artifact
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		a, err = readableArtifact(tx, c, id)
		return err
	})
	return a, err
}

// ArtifactByName returns the artifact "<ns>/<name>" if the caller may see it.
func (db *DB) ArtifactByName(ctx context.Context, c Caller, ns, name string) (Artifact, error) {
	var a Artifact
	err := db.view(func(tx *bolt.Tx) error {
		id, ok := artifactIDByName(tx, ns, name)
		if !ok {
			return fmt.Errorf("artifact %s/%s: %w", clip(ns), clip(name), ErrNotFound)
		}
		var err error
		a, err = readableArtifact(tx, c, id)
		return err
	})
	return a, err
}

// ArtifactEvents returns an artifact's event log, newest first.
func (db *DB) ArtifactEvents(ctx context.Context, c Caller, id cas.UUID, f EventFilter) ([]Event, error) {
	a, err := db.GetArtifact(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return db.eventLog(ctx, artifactKey(&a), f)
}

// VersionBlobs returns the records of the blobs a's versions point at.
func (db *DB) VersionBlobs(ctx context.Context, a *Artifact) (map[cas.Digest]Blob, error) {
	out := make(map[cas.Digest]Blob, len(a.Versions))
	err := db.view(func(tx *bolt.Tx) error {
		for _, v := range a.Versions {
			b, err := getBlob(tx, v.Digest)
			if err != nil {
				return err
			}
			out[v.Digest] = b
		}
		return nil
	})
	return out, err
}
