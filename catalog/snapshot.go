package catalog

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// MaxSnapshotDisks bounds the disks of one snapshot operation.
const MaxSnapshotDisks = 64

// SnapshotSpec describes one snapshot operation: the disks of one instance,
// each already ingested and pinned by the caller.
type SnapshotSpec struct {
	Namespace string
	// Instance names the instance the disks belong to (a UUID or a name).
	Instance string
	// Name, if set, prefixes the artifacts' names ("<name>:<device>");
	// default "<instance>:<set-id prefix>".
	Name        string
	MaxVersions int
	Disks       []SnapshotDisk
}

// SnapshotDisk is one disk of a snapshot: its device name and its bytes.
type SnapshotDisk struct {
	Device string
	Pin    *cas.Pin
}

// ValidateInstance checks an instance name: a non-empty name that could
// also be an artifact name, at most 128 bytes.
func ValidateInstance(s string) error {
	if len(s) > 128 {
		return invalidf("instance is %d bytes long; the limit is 128", len(s))
	}
	if err := ValidateName(s); err != nil {
		return invalidf("instance %q: use letters, digits and '-', '.', ':' or '_'", clip(s))
	}
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return invalidf("instance %q contains white space", clip(s))
	}
	return nil
}

// CheckSnapshot fails early, before any bytes are read, when c could not
// create the snapshot set s describes (Pins are not looked at).
func (db *DB) CheckSnapshot(c Caller, s SnapshotSpec) error {
	if err := ValidateInstance(s.Instance); err != nil {
		return err
	}
	if len(s.Disks) == 0 || len(s.Disks) > MaxSnapshotDisks {
		return invalidf("a snapshot takes 1 to %d disks", MaxSnapshotDisks)
	}
	seen := map[string]bool{}
	for _, d := range s.Disks {
		if err := ValidateIdent("device", d.Device); err != nil {
			return err
		}
		if seen[d.Device] {
			return invalidf("device %s is named twice", d.Device)
		}
		seen[d.Device] = true
	}
	if _, err := checkMaxVersions(s.MaxVersions); err != nil {
		return err
	}
	return db.view(func(tx *bolt.Tx) error {
		for _, name := range snapshotNames(s, cas.UUID{}) {
			if err := db.checkCreate(tx, c, s.Namespace, name); err != nil {
				return err
			}
		}
		return nil
	})
}

// snapshotNames returns the artifact name of each disk.
func snapshotNames(s SnapshotSpec, set cas.UUID) []string {
	prefix := s.Name
	if prefix == "" {
		prefix = s.Instance + ":" + set.String()[:8]
	}
	out := make([]string, len(s.Disks))
	for i, d := range s.Disks {
		out[i] = prefix + ":" + d.Device
	}
	return out
}

// CreateSnapshots records one snapshot artifact per disk, all under one new
// snapshot-set ID, in one transaction: either every disk's artifact exists
// afterwards or none does. The caller keeps and releases the pins.
func (db *DB) CreateSnapshots(ctx context.Context, c Caller, s SnapshotSpec) ([]Artifact, error) {
	if err := db.CheckSnapshot(c, s); err != nil {
		return nil, err
	}
	set := cas.NewUUID()
	names := snapshotNames(s, set)
	var out []Artifact
	err := db.update(func(tx *bolt.Tx) error {
		out = out[:0]
		for i, d := range s.Disks {
			if d.Pin == nil {
				return invalidf("device %s has no content", d.Device)
			}
			a, err := db.createArtifact(tx, c, ArtifactSpec{Namespace: s.Namespace, Name: names[i], Type: TypeSnapshot,
				MaxVersions: s.MaxVersions, Snapshot: &Snapshot{SetID: set, Instance: s.Instance, Device: d.Device}})
			if err != nil {
				return err
			}
			a, _, err = db.addVersion(tx, c, Target{UUID: a.UUID, Type: TypeSnapshot,
				Note: fmt.Sprintf("snapshot of %s %s", s.Instance, d.Device)}, d.Pin.Digest())
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}
