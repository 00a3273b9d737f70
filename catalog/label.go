package catalog

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// LabelSpec describes a new label.
type LabelSpec struct {
	Namespace string
	Name      string
	// MaxVersions is the version policy; zero means DefaultMaxVersions.
	MaxVersions int
	// From, if set, is a reference (resolved by the one rule as the caller)
	// whose content becomes version 1. Empty makes a label with no versions.
	From string
	// Shared makes the label readable by every namespace (system only).
	Shared bool
}

// CreateLabel makes a label, empty or pointing at what From names, in one
// transaction: a reference that does not resolve leaves no label behind. A
// taken name is ErrExists.
func (db *DB) CreateLabel(ctx context.Context, c Caller, s LabelSpec) (Artifact, error) {
	var ref Ref
	if s.From != "" {
		var err error
		if ref, err = ParseRef(s.From); err != nil {
			return Artifact{}, err
		}
	}
	var a Artifact
	err := db.update(func(tx *bolt.Tx) error {
		var err error
		a, err = db.createArtifact(tx, c, ArtifactSpec{Namespace: s.Namespace, Name: s.Name, Type: TypeLabel,
			MaxVersions: s.MaxVersions, Shared: s.Shared})
		if err != nil || s.From == "" {
			return err
		}
		res, err := db.resolve(tx, c, ref)
		if err != nil {
			return err
		}
		if res.Blob == nil {
			return fmt.Errorf("%s has no version to point at: %w", res.Ref, ErrNotFound)
		}
		a, _, err = db.addVersion(tx, c, Target{UUID: a.UUID, Type: TypeLabel, Note: "created from " + res.Ref}, res.Blob.Digest)
		return err
	})
	return a, err
}

// LabelUpdate changes a label: a new current version from a reference, a
// new version policy, or both.
type LabelUpdate struct {
	// Ref, if set, names the new content: an artifact, a version
	// ("ns/name@3"), a digest or another label, by the one rule.
	Ref string
	// MaxVersions, if positive, is the new version policy.
	MaxVersions int
}

// UpdateLabel points the existing label <ns>/<name> at what u.Ref names
// and/or changes its version policy, in one transaction. A label that does
// not exist is ErrNotFound: updating never creates one. Pointing a label at
// its current content adds no version and reports false.
func (db *DB) UpdateLabel(ctx context.Context, c Caller, ns, name string, u LabelUpdate) (Artifact, bool, error) {
	if u.Ref == "" && u.MaxVersions == 0 {
		return Artifact{}, false, invalidf("give a reference to point the label at, a max_versions, or both")
	}
	if _, err := checkMaxVersions(u.MaxVersions); err != nil {
		return Artifact{}, false, err
	}
	var ref Ref
	if u.Ref != "" {
		var err error
		if ref, err = ParseRef(u.Ref); err != nil {
			return Artifact{}, false, err
		}
	}
	var a Artifact
	var added bool
	err := db.update(func(tx *bolt.Tx) error {
		t := Target{Namespace: ns, Name: name, Type: TypeLabel, MaxVersions: u.MaxVersions, SkipIfLatest: true}
		cur, err := db.findTarget(tx, c, t)
		if err != nil {
			return err
		}
		if u.Ref == "" {
			old := cur
			cur.MaxVersions = u.MaxVersions
			if err := db.addEvent(tx, artifactKey(&cur), Event{Type: EventAudit, Who: c.Who(),
				Message: fmt.Sprintf("max_versions set to %d", cur.MaxVersions)}); err != nil {
				return err
			}
			if err := db.reap(tx, c, &cur); err != nil {
				return err
			}
			cur.Updated = db.now()
			a = cur
			return db.putArtifact(tx, &a, &old)
		}
		res, err := db.resolve(tx, c, ref)
		if err != nil {
			return err
		}
		if res.Blob == nil {
			return fmt.Errorf("%s has no version to point at: %w", res.Ref, ErrNotFound)
		}
		t.UUID, t.Note = cur.UUID, "set to "+res.Ref
		a, added, err = db.addVersion(tx, c, t, res.Blob.Digest)
		return err
	})
	return a, added, err
}

// ErrNothingToRollBack is returned (wrapping ErrConflict) when a label has
// no earlier content to return to.
var ErrNothingToRollBack = fmt.Errorf("nothing to roll back to: %w", ErrConflict)

// RollbackLabel makes an earlier version's content current again, as a new
// version noted "rollback to <n>" (so rolling forward is another rollback,
// and history keeps every move). to selects the version; zero means the
// newest version whose content differs from the current one.
func (db *DB) RollbackLabel(ctx context.Context, c Caller, ns, name string, to int) (Artifact, error) {
	if to < 0 {
		return Artifact{}, invalidf("version %d is not a version", to)
	}
	var a Artifact
	err := db.update(func(tx *bolt.Tx) error {
		cur, err := db.findTarget(tx, c, Target{Namespace: ns, Name: name, Type: TypeLabel})
		if err != nil {
			return err
		}
		latest, ok := cur.Latest()
		if !ok {
			return fmt.Errorf("%s has no versions: %w", cur.Ref(), ErrNothingToRollBack)
		}
		var target Version
		switch {
		case to > 0:
			if target, ok = cur.Version(to); !ok {
				return fmt.Errorf("%s has no version %d (it keeps %d): %w", cur.Ref(), to, cur.MaxVersions, ErrNotFound)
			}
			if to == latest.Index {
				return fmt.Errorf("version %d of %s is already current: %w", to, cur.Ref(), ErrConflict)
			}
		default:
			found := false
			for i := len(cur.Versions) - 2; i >= 0 && !found; i-- {
				if cur.Versions[i].Digest != latest.Digest {
					target, found = cur.Versions[i], true
				}
			}
			if !found {
				return fmt.Errorf("%s: every kept version has the current content: %w", cur.Ref(), ErrNothingToRollBack)
			}
		}
		a, _, err = db.addVersion(tx, c, Target{UUID: cur.UUID, Type: TypeLabel,
			Note: fmt.Sprintf("rollback to %d", target.Index)}, target.Digest)
		return err
	})
	return a, err
}

// LabelByName returns the label <ns>/<name>; another type of artifact under
// that name is ErrNotFound (with a message saying what it is).
func (db *DB) LabelByName(ctx context.Context, c Caller, ns, name string) (Artifact, error) {
	a, err := db.ArtifactByName(ctx, c, ns, name)
	if err == nil && a.Type != TypeLabel {
		return Artifact{}, fmt.Errorf("%s is a %s, not a label: %w", a.Ref(), a.Type, ErrNotFound)
	}
	return a, err
}
