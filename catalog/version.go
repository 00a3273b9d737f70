package catalog

import (
	"context"
	"errors"
	"fmt"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// Target selects the artifact a new version goes to, and says how to create
// it if it does not exist.
type Target struct {
	// UUID selects an existing artifact; otherwise Namespace and Name do.
	UUID      cas.UUID
	Namespace string
	Name      string
	// Type must match an existing artifact's type when set; it is required
	// to create one.
	Type ArtifactType
	// Create makes the artifact if it does not exist. Without it a missing
	// artifact is ErrNotFound: nothing is ever made implicitly.
	Create bool
	// MaxVersions sets the version policy when positive (on create, or as an
	// update); zero keeps it (DefaultMaxVersions for a new artifact).
	MaxVersions int
	// Shared and SourceURL apply on create.
	Shared    bool
	SourceURL string
	// SkipIfLatest adds no version when the latest one already has the
	// digest, so repeating a publish changes nothing.
	SkipIfLatest bool
	// Note is recorded with the version (e.g. "rollback to 3").
	Note string
}

// AddVersion makes d, a blob the caller may already read, the newest version
// of the target artifact, creating it if asked, and reaps versions beyond its
// policy; refcounts change in the same transaction. It reports whether a
// version was added. Knowing a digest is not enough: a blob only another
// namespace can read is ErrNotFound.
func (db *DB) AddVersion(ctx context.Context, c Caller, t Target, d cas.Digest) (Artifact, bool, error) {
	return db.addVersionTx(c, t, d, false)
}

// AddIngested is AddVersion for a blob the caller has just ingested (it holds
// the bytes, so it may reference them) and still pins.
func (db *DB) AddIngested(ctx context.Context, c Caller, t Target, pin *cas.Pin) (Artifact, bool, error) {
	return db.addVersionTx(c, t, pin.Digest(), true)
}

func (db *DB) addVersionTx(c Caller, t Target, d cas.Digest, holds bool) (Artifact, bool, error) {
	var a Artifact
	var added bool
	err := db.update(func(tx *bolt.Tx) error {
		if !holds {
			if _, err := db.readableBlob(tx, c, d); err != nil {
				return err
			}
		}
		var err error
		a, added, err = db.addVersion(tx, c, t, d)
		return err
	})
	return a, added, err
}

// Publish ingests w (IngestBlob) and adds it as the target's newest version.
func (db *DB) Publish(ctx context.Context, c Caller, t Target, w *cas.Writer, opts IngestOptions) (Artifact, Blob, bool, error) {
	if err := db.CheckTarget(c, t); err != nil {
		w.Abort()
		return Artifact{}, Blob{}, false, err
	}
	b, pin, err := db.IngestBlob(ctx, w, opts)
	if err != nil {
		return Artifact{}, Blob{}, false, err
	}
	defer pin.Release()
	a, added, err := db.AddIngested(ctx, c, t, pin)
	return a, b, added, err
}

// CheckTarget fails early, before any bytes are received or committed, when
// the target could never accept a version from c.
func (db *DB) CheckTarget(c Caller, t Target) error {
	return db.view(func(tx *bolt.Tx) error {
		_, err := db.findTarget(tx, c, t)
		if errors.Is(err, ErrNotFound) && t.Create && t.UUID.IsZero() {
			if t.Shared && t.Namespace != SystemNamespace {
				return fmt.Errorf("only artifacts of namespace %s can be shared with everyone; grant namespaces instead: %w", SystemNamespace, ErrForbidden)
			}
			return db.checkCreate(tx, c, t.Namespace, t.Name)
		}
		return err
	})
}

// findTarget loads the target artifact for change.
func (db *DB) findTarget(tx *bolt.Tx, c Caller, t Target) (Artifact, error) {
	id := t.UUID
	if id.IsZero() {
		var ok bool
		if id, ok = artifactIDByName(tx, t.Namespace, t.Name); !ok {
			return Artifact{}, fmt.Errorf("artifact %s/%s: %w", clip(t.Namespace), clip(t.Name), ErrNotFound)
		}
	}
	a, err := changeableArtifact(tx, c, id)
	if err != nil {
		return a, err
	}
	if t.Type != "" && a.Type != t.Type {
		return Artifact{}, fmt.Errorf("%s is a %s, not a %s: %w", a.Ref(), a.Type, t.Type, ErrConflict)
	}
	return a, nil
}

// checkCreate validates making <ns>/<name> as c.
func (db *DB) checkCreate(tx *bolt.Tx, c Caller, ns, name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if !c.mayChange(ns) {
		return fmt.Errorf("namespace %s: %w", clip(ns), ErrForbidden)
	}
	if _, err := getNamespace(tx, ns); err != nil {
		return err
	}
	if _, ok := artifactIDByName(tx, ns, name); ok {
		return fmt.Errorf("%s/%s: %w", ns, name, ErrExists)
	}
	return nil
}

// ArtifactSpec describes a new artifact.
type ArtifactSpec struct {
	Namespace   string
	Name        string
	Type        ArtifactType
	MaxVersions int
	Shared      bool
	SourceURL   string
	State       ArtifactState // default StateCreated
	Snapshot    *Snapshot
}

// CreateArtifact makes an artifact with no versions.
func (db *DB) CreateArtifact(ctx context.Context, c Caller, s ArtifactSpec) (Artifact, error) {
	var a Artifact
	err := db.update(func(tx *bolt.Tx) error {
		var err error
		a, err = db.createArtifact(tx, c, s)
		return err
	})
	return a, err
}

func (db *DB) createArtifact(tx *bolt.Tx, c Caller, s ArtifactSpec) (Artifact, error) {
	if _, err := ParseArtifactType(string(s.Type)); err != nil {
		return Artifact{}, err
	}
	if err := db.checkCreate(tx, c, s.Namespace, s.Name); err != nil {
		return Artifact{}, err
	}
	if s.Shared && s.Namespace != SystemNamespace {
		return Artifact{}, fmt.Errorf("only artifacts of namespace %s can be shared with everyone; grant namespaces instead: %w", SystemNamespace, ErrForbidden)
	}
	maxv, err := checkMaxVersions(s.MaxVersions)
	if err != nil {
		return Artifact{}, err
	}
	if s.State == "" {
		s.State = StateCreated
	}
	now := db.now()
	a := Artifact{
		UUID: cas.NewUUID(), Type: s.Type, Namespace: s.Namespace, Name: s.Name, SourceURL: s.SourceURL,
		MaxVersions: maxv, Shared: s.Shared, State: s.State, Created: now, Updated: now,
		NextIndex: 1, Versions: []Version{}, Metadata: Metadata{}, Snapshot: s.Snapshot,
	}
	if err := db.putArtifact(tx, &a, nil); err != nil {
		return a, err
	}
	return a, db.addEvent(tx, artifactKey(&a), Event{Type: EventAudit, Who: c.Who(),
		Message: fmt.Sprintf("%s created", a.Type), Extra: map[string]any{"ref": a.Ref(), "max_versions": maxv}})
}

// checkMaxVersions applies the default and bounds.
func checkMaxVersions(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultMaxVersions, nil
	case n < 0 || n > MaxMaxVersions:
		return 0, invalidf("max_versions must be between 1 and %d", MaxMaxVersions)
	}
	return n, nil
}

func (db *DB) addVersion(tx *bolt.Tx, c Caller, t Target, d cas.Digest) (Artifact, bool, error) {
	b, err := getBlob(tx, d)
	if err != nil {
		return Artifact{}, false, err
	}
	if b.State != BlobCreated {
		return Artifact{}, false, fmt.Errorf("blob %s is %s: %w", d, b.State, ErrDegraded)
	}
	a, err := db.findTarget(tx, c, t)
	if errors.Is(err, ErrNotFound) && t.Create && t.UUID.IsZero() {
		a, err = db.createArtifact(tx, c, ArtifactSpec{Namespace: t.Namespace, Name: t.Name, Type: t.Type,
			MaxVersions: t.MaxVersions, Shared: t.Shared, SourceURL: t.SourceURL})
		t.MaxVersions = 0
	}
	if err != nil {
		return Artifact{}, false, err
	}
	old := a
	if t.MaxVersions > 0 {
		if a.MaxVersions, err = checkMaxVersions(t.MaxVersions); err != nil {
			return Artifact{}, false, err
		}
	}
	latest, hasLatest := a.Latest()
	if t.SkipIfLatest && hasLatest && latest.Digest == d {
		if a.MaxVersions != old.MaxVersions {
			if err := db.reap(tx, c, &a); err != nil {
				return a, false, err
			}
			return a, false, db.putArtifact(tx, &a, &old)
		}
		return a, false, nil
	}
	v := Version{Index: a.NextIndex, Digest: d, Size: b.Size, Created: db.now(), Who: c.Who(), Note: t.Note}
	a.Versions = append(a.Versions, v)
	a.NextIndex++
	a.State, a.Error, a.Updated = StateCreated, "", v.Created
	if err := db.addRef(tx, d, &a); err != nil {
		return a, false, err
	}
	extra := map[string]any{"index": v.Index, "to": d.String(), "size": b.Size}
	if hasLatest {
		extra["from"] = latest.Digest.String()
	}
	if t.Note != "" {
		extra["note"] = t.Note
	}
	if err := db.addEvent(tx, artifactKey(&a), Event{Type: EventMutate, Who: c.Who(),
		Message: fmt.Sprintf("version %d added", v.Index), Extra: extra}); err != nil {
		return a, false, err
	}
	if err := db.reap(tx, c, &a); err != nil {
		return a, false, err
	}
	return a, true, db.putArtifact(tx, &a, &old)
}

// reap drops the oldest versions beyond a's policy, releasing their blobs.
func (db *DB) reap(tx *bolt.Tx, c Caller, a *Artifact) error {
	for len(a.Versions) > a.MaxVersions {
		v := a.Versions[0]
		a.Versions = a.Versions[1:]
		if err := db.dropRef(tx, v.Digest, a); err != nil {
			return err
		}
		if err := db.addEvent(tx, artifactKey(a), Event{Type: EventPrune, Who: c.Who(),
			Message: fmt.Sprintf("version %d reaped (max_versions %d)", v.Index, a.MaxVersions),
			Extra:   map[string]any{"index": v.Index, "digest": v.Digest.String()}}); err != nil {
			return err
		}
	}
	return nil
}

// SetMaxVersions changes an artifact's version policy, reaping at once.
func (db *DB) SetMaxVersions(ctx context.Context, c Caller, id cas.UUID, n int) (Artifact, error) {
	return db.changeArtifact(c, id, func(tx *bolt.Tx, a *Artifact) error {
		var err error
		if a.MaxVersions, err = checkMaxVersions(n); err != nil {
			return err
		}
		if err := db.addEvent(tx, artifactKey(a), Event{Type: EventAudit, Who: c.Who(),
			Message: fmt.Sprintf("max_versions set to %d", a.MaxVersions)}); err != nil {
			return err
		}
		return db.reap(tx, c, a)
	})
}

// DeleteVersion removes one version, releasing its blob.
func (db *DB) DeleteVersion(ctx context.Context, c Caller, id cas.UUID, index int) (Artifact, error) {
	return db.changeArtifact(c, id, func(tx *bolt.Tx, a *Artifact) error {
		i := slicesIndex(a.Versions, index)
		if i < 0 {
			return fmt.Errorf("%s has no version %d: %w", a.Ref(), index, ErrNotFound)
		}
		v := a.Versions[i]
		a.Versions = append(a.Versions[:i:i], a.Versions[i+1:]...)
		if err := db.dropRef(tx, v.Digest, a); err != nil {
			return err
		}
		return db.addEvent(tx, artifactKey(a), Event{Type: EventMutate, Who: c.Who(),
			Message: fmt.Sprintf("version %d deleted", index), Extra: map[string]any{"digest": v.Digest.String()}})
	})
}

func slicesIndex(vs []Version, index int) int {
	for i, v := range vs {
		if v.Index == index {
			return i
		}
	}
	return -1
}

// DeleteArtifact removes an artifact and releases all its blobs.
func (db *DB) DeleteArtifact(ctx context.Context, c Caller, id cas.UUID) (Artifact, error) {
	var a Artifact
	err := db.update(func(tx *bolt.Tx) error {
		var err error
		if a, err = changeableArtifact(tx, c, id); err != nil {
			return err
		}
		return db.deleteArtifact(tx, &a)
	})
	return a, err
}

func (db *DB) deleteArtifact(tx *bolt.Tx, a *Artifact) error {
	for _, v := range a.Versions {
		if err := db.dropRef(tx, v.Digest, a); err != nil {
			return err
		}
	}
	if err := dropIndexes(tx, a); err != nil {
		return err
	}
	db.notify(tx, changeOf(a, true))
	if err := tx.Bucket(bucketArtifacts).Delete(a.UUID[:]); err != nil {
		return err
	}
	return dropEvents(tx, artifactKey(a))
}

// SetShared sets the legacy everyone-may-read flag; only artifacts of the
// system namespace may be shared with everyone.
func (db *DB) SetShared(ctx context.Context, c Caller, id cas.UUID, shared bool) (Artifact, error) {
	return db.changeArtifact(c, id, func(tx *bolt.Tx, a *Artifact) error {
		if shared && a.Namespace != SystemNamespace {
			return fmt.Errorf("only artifacts of namespace %s can be shared with everyone; grant namespaces instead: %w", SystemNamespace, ErrForbidden)
		}
		if !shared && !a.Shared {
			return fmt.Errorf("%s is not shared: %w", a.Ref(), ErrConflict)
		}
		a.Shared = shared
		verb := "unshared"
		if shared {
			verb = "shared"
		}
		return db.addEvent(tx, artifactKey(a), Event{Type: EventAudit, Who: c.Who(), Message: verb})
	})
}

// SetArtifactMetadata sets one metadata key.
func (db *DB) SetArtifactMetadata(ctx context.Context, c Caller, id cas.UUID, key string, value []byte) error {
	_, err := db.changeArtifact(c, id, func(tx *bolt.Tx, a *Artifact) error { return a.Metadata.set(key, value) })
	return err
}

// DeleteArtifactMetadata removes one metadata key.
func (db *DB) DeleteArtifactMetadata(ctx context.Context, c Caller, id cas.UUID, key string) error {
	_, err := db.changeArtifact(c, id, func(tx *bolt.Tx, a *Artifact) error { return a.Metadata.del(key) })
	return err
}

// changeArtifact loads an artifact for change, applies fn and stores it.
func (db *DB) changeArtifact(c Caller, id cas.UUID, fn func(tx *bolt.Tx, a *Artifact) error) (Artifact, error) {
	var a Artifact
	err := db.update(func(tx *bolt.Tx) error {
		var err error
		if a, err = changeableArtifact(tx, c, id); err != nil {
			return err
		}
		old := a
		old.Grants = append([]string(nil), a.Grants...)
		if a.Metadata == nil {
			a.Metadata = Metadata{}
		}
		if err := fn(tx, &a); err != nil {
			return err
		}
		a.Updated = db.now()
		return db.putArtifact(tx, &a, &old)
	})
	return a, err
}

// SetArtifactState records the outcome of background work on an artifact (a
// fetch starting, failing or finishing without a new version).
func (db *DB) SetArtifactState(ctx context.Context, c Caller, id cas.UUID, state ArtifactState, msg string) (Artifact, error) {
	return db.changeArtifact(c, id, func(tx *bolt.Tx, a *Artifact) error {
		a.State, a.Error = state, msg
		return db.addEvent(tx, artifactKey(a), Event{Type: EventStatus, Who: c.Who(),
			Message: "state " + string(state), Extra: map[string]any{"detail": msg}})
	})
}

// ArtifactProgress appends a status event (download progress and the like)
// to an artifact's log without changing it.
func (db *DB) ArtifactProgress(ctx context.Context, id cas.UUID, msg string, extra map[string]any) error {
	return db.update(func(tx *bolt.Tx) error {
		a, err := getArtifact(tx, id)
		if err != nil {
			return err
		}
		return db.addEvent(tx, artifactKey(&a), Event{Type: EventStatus, Message: msg, Extra: extra})
	})
}
