package catalog

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// FsckOptions tune a consistency check.
type FsckOptions struct {
	// Repair fixes what can be fixed: refcounts and indexes are recomputed
	// from the records, orphan blob files are adopted (after re-hashing) or
	// removed, blobs whose file is missing or of the wrong size are
	// quarantined, expired or broken upload sessions and stray temp files are
	// removed. Without it nothing changes.
	Repair bool
	// LeftoverAge skips files in tmp/ and uploads/ younger than this: on a
	// running daemon they may belong to a request in flight. Offline, zero
	// checks every file.
	LeftoverAge time.Duration
}

// Finding kinds; each names one broken invariant.
const (
	FindBlobMissing     = "blob_missing"      // a blob record whose file is absent
	FindBlobSize        = "blob_size"         // a blob file of the wrong size
	FindBlobQuarantined = "blob_quarantined"  // a damaged blob (scrub); republish the bytes to heal it
	FindBlobRecord      = "blob_record"       // a blob record that contradicts its key
	FindRefcount        = "refcount"          // Refs differs from the versions pointing at the blob
	FindZeroSince       = "zero_since"        // ZeroSince disagrees with Refs
	FindBlobRefsIndex   = "blob_refs_index"   // blob_refs disagrees with the versions
	FindBlobIndex       = "blob_index"        // blob_uuid, blob_sha256 or blob_sha512 disagrees with the records
	FindArtifactIndex   = "artifact_index"    // artifact_name, _type, _shared or _grant disagrees with the records
	FindDanglingVersion = "dangling_version"  // a version points at a blob with no record and no file
	FindNamespace       = "missing_namespace" // an artifact's namespace does not exist
	FindOrphanFile      = "orphan_file"       // a file at a digest path without a record
	FindStrayFile       = "stray_file"        // a file in the digest tree whose name is not a digest path
	FindUploadExpired   = "upload_expired"    // an upload session past its TTL
	FindUploadSpool     = "upload_spool"      // an upload session whose spool is missing or short
	FindStraySpool      = "stray_spool"       // a spool file without an upload session
	FindStrayTemp       = "stray_temp"        // a leftover ingest temp file
)

// Finding is one broken invariant.
type Finding struct {
	Kind   string `json:"kind"`
	Object string `json:"object"`
	Detail string `json:"detail"`
	// Repaired is set when Repair fixed it; Repair says how it was (or
	// would be) fixed, empty when fsck cannot.
	Repaired bool   `json:"repaired"`
	Repair   string `json:"repair,omitempty"`
}

// FsckReport is the outcome of a check.
type FsckReport struct {
	Repair    bool      `json:"repair"`
	Blobs     int       `json:"blobs"`
	Artifacts int       `json:"artifacts"`
	Uploads   int       `json:"uploads"`
	Files     int       `json:"files"`
	Findings  []Finding `json:"findings"`
}

// Problems counts the findings not repaired.
func (r *FsckReport) Problems() int {
	n := 0
	for _, f := range r.Findings {
		if !f.Repaired {
			n++
		}
	}
	return n
}

// fsck carries one run's state.
type fsck struct {
	db  *DB
	o   FsckOptions
	rep *FsckReport
}

func (f *fsck) add(kind, object, detail, repair string, repaired bool) {
	f.rep.Findings = append(f.rep.Findings, Finding{Kind: kind, Object: object, Detail: detail,
		Repair: repair, Repaired: repaired && f.o.Repair})
}

// Fsck checks every invariant of the catalog and the blob store it
// describes: each blob record has its file at the digest path with the
// recorded size; refcounts and blob_refs equal what the artifact versions
// say; every index agrees with its records; every file in the digest tree
// has a record; upload sessions are live and have their spool; tmp/ and
// uploads/ hold nothing stray. It is safe on a running daemon: catalog
// checks run in one transaction (a write transaction when repairing), and
// files are touched only through the store's pins.
func (db *DB) Fsck(ctx context.Context, o FsckOptions) (FsckReport, error) {
	rep := FsckReport{Repair: o.Repair, Findings: []Finding{}}
	f := &fsck{db: db, o: o, rep: &rep}
	steps := []func(context.Context) error{f.files, f.records, f.uploads, f.leftovers}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return rep, err
		}
	}
	slices.SortStableFunc(rep.Findings, func(a, b Finding) int {
		return strings.Compare(a.Kind+a.Object, b.Kind+b.Object)
	})
	return rep, nil
}

// hasRecord reports whether d has a blob record now.
func (db *DB) hasRecord(d cas.Digest) bool {
	found := false
	_ = db.view(func(tx *bolt.Tx) error {
		found = tx.Bucket(bucketBlobs).Get(d[:]) != nil
		return nil
	})
	return found
}
