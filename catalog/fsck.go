package catalog

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
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

// files walks the digest tree for files without a record and stray names.
// Repair adopts an orphan whose bytes hash to its name (GC removes it after
// the grace period unless something references it) and removes one that
// does not.
func (f *fsck) files(ctx context.Context) error {
	type orphan struct {
		d    cas.Digest
		size int64
	}
	var orphans []orphan
	var strays []string
	err := f.db.blobs.Walk(ctx, func(path string, d cas.Digest, ok bool, size int64) error {
		f.rep.Files++
		switch {
		case !ok:
			strays = append(strays, path)
		case !f.db.hasRecord(d):
			orphans = append(orphans, orphan{d, size})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk blob files: %w", err)
	}
	for _, p := range strays {
		repaired := false
		if f.o.Repair {
			if err := f.db.blobs.RemoveStray(p); err != nil {
				return err
			}
			repaired = true
		}
		f.add(FindStrayFile, p, "a file in the digest tree whose name is not a digest path", "remove", repaired)
	}
	for _, o := range orphans {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.orphan(ctx, o.d, o.size); err != nil {
			return err
		}
	}
	return nil
}

// orphan checks (and with Repair adopts or removes) one file with no record.
func (f *fsck) orphan(ctx context.Context, d cas.Digest, size int64) error {
	pin := f.db.blobs.Pin(d)
	defer pin.Release()
	if f.db.blobs.Pinned(d) > 1 || f.db.hasRecord(d) {
		return nil // an ingest in flight, or recorded meanwhile
	}
	detail := fmt.Sprintf("%d bytes at the digest path, no catalog record", size)
	if !f.o.Repair {
		f.add(FindOrphanFile, d.String(), detail, "adopt if it re-hashes to its name, else remove", false)
		return nil
	}
	sums, n, err := f.db.blobs.Verify(ctx, d)
	if errors.Is(err, cas.ErrNotFound) {
		return nil // removed meanwhile
	}
	if err != nil && !errors.Is(err, cas.ErrDigestMismatch) {
		return err
	}
	if err == nil {
		err = f.db.adopt(d, sums, n)
		if err != nil {
			return err
		}
		f.add(FindOrphanFile, d.String(), detail, "adopted: re-hashed to its name and recorded", true)
		return nil
	}
	pin.Release()
	err = f.db.blobs.Remove(d, func() error {
		if f.db.hasRecord(d) {
			return fmt.Errorf("blob %s: %w", d, errStillWanted)
		}
		return nil
	})
	if err != nil && !errors.Is(err, cas.ErrPinned) && !errors.Is(err, errStillWanted) {
		return err
	}
	f.add(FindOrphanFile, d.String(), detail+"; its bytes do not hash to its name", "removed", err == nil)
	return nil
}

// adopt records an orphan file whose bytes were just verified.
func (db *DB) adopt(d cas.Digest, sums cas.Sums, size int64) error {
	fl, err := db.blobs.Open(d)
	if err != nil {
		return err
	}
	facts, perr := probe(fl, size)
	fl.Close()
	if perr != nil {
		facts.Format, facts.VirtualSize = "raw", size
	}
	return db.update(func(tx *bolt.Tx) error {
		_, err := db.recordBlob(tx, cas.Info{Sums: sums, Size: size}, facts.Format, facts.VirtualSize)
		return err
	})
}

// refKey is a blob_refs key: digest then artifact UUID.
func refKey(d cas.Digest, id cas.UUID) string { return string(d[:]) + string(id[:]) }

// records checks blobs, artifacts and every index against each other in
// one transaction.
func (f *fsck) records(ctx context.Context) error {
	run := f.db.view
	if f.o.Repair {
		run = f.db.update
	}
	var missing []cas.Digest
	err := run(func(tx *bolt.Tx) error {
		want, err := f.artifacts(ctx, tx)
		if err != nil {
			return err
		}
		if missing, err = f.blobs(ctx, tx, want); err != nil {
			return err
		}
		if err := f.blobRefs(tx, want); err != nil {
			return err
		}
		return f.blobIndexes(tx)
	})
	if err != nil || f.o.Repair {
		return err
	}
	// Without the write lock a blob may have been collected since the
	// snapshot was taken: only a record that still exists is missing its file.
	kept := f.rep.Findings[:0]
	for _, fd := range f.rep.Findings {
		if fd.Kind == FindBlobMissing {
			d, _ := cas.ParseDigest(fd.Object)
			if slices.Contains(missing, d) && !f.db.hasRecord(d) {
				continue
			}
		}
		kept = append(kept, fd)
	}
	f.rep.Findings = kept
	return nil
}

// artifacts checks each artifact and its index entries and returns the
// blob_refs every version implies.
func (f *fsck) artifacts(ctx context.Context, tx *bolt.Tx) (map[string]int, error) {
	want := map[string]int{}
	expect := map[string]map[string][]byte{} // bucket → key → uuid
	for _, b := range [][]byte{bucketArtifactName, bucketArtifactType, bucketArtifactShared, bucketArtifactGrant} {
		expect[string(b)] = map[string][]byte{}
	}
	err := tx.Bucket(bucketArtifacts).ForEach(func(k, v []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		f.rep.Artifacts++
		a, err := getArtifact(tx, cas.UUID(k))
		if err != nil {
			return err
		}
		if _, err := getNamespace(tx, a.Namespace); err != nil {
			f.add(FindNamespace, a.Ref(), "the artifact's namespace does not exist", "", false)
		}
		for _, ver := range a.Versions {
			want[refKey(ver.Digest, a.UUID)]++
		}
		id := append([]byte(nil), a.UUID[:]...)
		expect[string(bucketArtifactName)][string(joinKey(a.Namespace, a.Name))] = id
		expect[string(bucketArtifactType)][string(joinKey(string(a.Type), a.Namespace, a.Name))] = id
		if a.Shared {
			expect[string(bucketArtifactShared)][string(joinKey(a.Namespace, a.Name))] = id
		}
		for _, g := range a.Grants {
			expect[string(bucketArtifactGrant)][string(joinKey(g, a.Namespace, a.Name))] = id
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for bucket, keys := range expect {
		if err := f.index(tx, []byte(bucket), keys, FindArtifactIndex); err != nil {
			return nil, err
		}
	}
	return want, nil
}

// index makes bucket hold exactly keys (with their values).
func (f *fsck) index(tx *bolt.Tx, bucket []byte, keys map[string][]byte, kind string) error {
	b := tx.Bucket(bucket)
	var extra [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if want, ok := keys[string(k)]; !ok || !bytes.Equal(want, v) {
			extra = append(extra, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range extra {
		f.add(kind, indexEntry(bucket, k), "an index entry no record implies", "delete (or correct) it", true)
		if f.o.Repair {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
	}
	for k, v := range keys {
		if got := b.Get([]byte(k)); bytes.Equal(got, v) {
			continue
		}
		if !slices.ContainsFunc(extra, func(e []byte) bool { return string(e) == k }) {
			f.add(kind, indexEntry(bucket, []byte(k)), "a record's index entry is missing", "add it", true)
		}
		if f.o.Repair {
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
	}
	return nil
}

// indexEntry names an index entry readably: name keys with "/" between
// their parts, binary keys in hex.
func indexEntry(bucket, k []byte) string {
	switch string(bucket) {
	case string(bucketArtifactName), string(bucketArtifactType), string(bucketArtifactShared), string(bucketArtifactGrant):
		return string(bucket) + ":" + strings.ReplaceAll(string(k), string(rune(sep)), "/")
	}
	return string(bucket) + ":" + hex.EncodeToString(k)
}

// blobs checks each blob record against its file and its refcount against
// the versions; it returns the digests whose file is missing.
func (f *fsck) blobs(ctx context.Context, tx *bolt.Tx, want map[string]int) ([]cas.Digest, error) {
	refs := map[cas.Digest]int{}
	for k, n := range want {
		refs[cas.Digest([]byte(k)[:cas.DigestSize])] += n
	}
	seen := map[cas.Digest]bool{}
	var missing []cas.Digest
	var keys [][]byte
	err := tx.Bucket(bucketBlobs).ForEach(func(k, _ []byte) error {
		keys = append(keys, append([]byte(nil), k...))
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f.rep.Blobs++
		d := cas.Digest(k)
		seen[d] = true
		b, err := getBlob(tx, d)
		if err != nil {
			return nil, err
		}
		if b.Digest != d || b.UUID != d.UUID() {
			f.add(FindBlobRecord, d.String(), "the record's digest or UUID is not its key's", "correct them", true)
			b.Digest, b.UUID = d, d.UUID()
			if f.o.Repair {
				if err := putBlob(tx, &b); err != nil {
					return nil, err
				}
			}
		}
		gone, err := f.blobFile(tx, &b, refs[d])
		if err != nil {
			return nil, err
		}
		if gone {
			missing = append(missing, d)
			continue
		}
		if err := f.refcount(tx, &b, refs[d]); err != nil {
			return nil, err
		}
	}
	for d, n := range refs {
		if seen[d] {
			continue
		}
		detail := fmt.Sprintf("%d version(s) point at a blob with no record", n)
		if _, err := f.db.blobs.Stat(d); err == nil {
			detail += "; its file exists (fsck --repair adopts it first)"
		}
		f.add(FindDanglingVersion, d.String(), detail, "", false)
	}
	return missing, nil
}

// blobFile checks b's file; versions is how many versions point at it. It
// returns true if the record is (or, dry, would be) gone: a missing file
// nothing references.
func (f *fsck) blobFile(tx *bolt.Tx, b *Blob, versions int) (bool, error) {
	size, err := f.db.blobs.Stat(b.Digest)
	kind, why := "", ""
	switch {
	case errors.Is(err, cas.ErrNotFound):
		kind, why = FindBlobMissing, "file missing"
	case err != nil:
		return false, err
	case size != b.Size:
		kind, why = FindBlobSize, fmt.Sprintf("file holds %d bytes, the record says %d", size, b.Size)
	}
	if kind == "" {
		if b.State == BlobQuarantined {
			f.add(FindBlobQuarantined, b.Digest.String(), b.Problem, "", false)
		}
		return false, nil
	}
	if b.State == BlobQuarantined {
		if !strings.Contains(b.Problem, why) {
			why = b.Problem + "; now " + why
		}
		f.add(FindBlobQuarantined, b.Digest.String(), why, "", false)
		return false, nil
	}
	if b.Refs == 0 && versions == 0 {
		f.add(kind, b.Digest.String(), why+"; nothing references it", "delete the record", true)
		if f.o.Repair {
			return true, deleteBlobRecord(tx, b)
		}
		return kind == FindBlobMissing, nil
	}
	f.add(kind, b.Digest.String(), why, "quarantine (republish the bytes to heal)", true)
	if f.o.Repair {
		return false, f.db.quarantine(tx, b, why)
	}
	return kind == FindBlobMissing, nil
}

// refcount compares b.Refs with n, the versions pointing at it.
func (f *fsck) refcount(tx *bolt.Tx, b *Blob, n int) error {
	fix := false
	if b.Refs != n {
		f.add(FindRefcount, b.Digest.String(), fmt.Sprintf("refs %d, versions pointing at it %d", b.Refs, n), "set to the recount", true)
		if n == 0 || b.Refs == 0 {
			b.ZeroSince = time.Time{}
			if n == 0 {
				b.ZeroSince = f.db.now()
			}
		}
		b.Refs, fix = n, true
	}
	if (b.Refs == 0) == b.ZeroSince.IsZero() {
		f.add(FindZeroSince, b.Digest.String(), fmt.Sprintf("refs %d with zero_since %v", b.Refs, b.ZeroSince), "correct it", true)
		b.ZeroSince, fix = time.Time{}, true
		if b.Refs == 0 {
			b.ZeroSince = f.db.now()
		}
	}
	if !fix || !f.o.Repair {
		return nil
	}
	b.Gen++
	return putBlob(tx, b)
}

// blobRefs makes blob_refs equal to what the versions imply.
func (f *fsck) blobRefs(tx *bolt.Tx, want map[string]int) error {
	keys := make(map[string][]byte, len(want))
	for k, n := range want {
		if tx.Bucket(bucketBlobs).Get([]byte(k)[:cas.DigestSize]) != nil {
			keys[k] = u32(uint32(n))
		}
	}
	return f.index(tx, bucketBlobRefs, keys, FindBlobRefsIndex)
}

// blobIndexes makes blob_uuid, blob_sha256 and blob_sha512 agree with the
// blob records.
func (f *fsck) blobIndexes(tx *bolt.Tx) error {
	byUUID, by256, by512 := map[string][]byte{}, map[string][]byte{}, map[string][]byte{}
	err := tx.Bucket(bucketBlobs).ForEach(func(k, _ []byte) error {
		b, err := getBlob(tx, cas.Digest(k))
		if err != nil {
			return err
		}
		d := append([]byte(nil), k...)
		byUUID[string(b.UUID[:])] = d
		if s, err := hex.DecodeString(b.SHA256); err == nil && len(s) == 32 {
			by256[string(s)] = d
		}
		if s, err := hex.DecodeString(b.SHA512); err == nil && len(s) == 64 {
			by512[string(s)] = d
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, ix := range []struct {
		bucket []byte
		keys   map[string][]byte
	}{{bucketBlobUUID, byUUID}, {bucketBlobSHA256, by256}, {bucketBlobSHA512, by512}} {
		if err := f.index(tx, ix.bucket, ix.keys, FindBlobIndex); err != nil {
			return err
		}
	}
	return nil
}

// uploads checks upload sessions: expired ones, and ones whose spool is
// missing or shorter than what was acknowledged, are ended by Repair.
func (f *fsck) uploads(ctx context.Context) error {
	type bad struct {
		u         Upload
		kind, why string
	}
	var found []bad
	err := f.db.view(func(tx *bolt.Tx) error {
		now := f.db.now()
		return tx.Bucket(bucketUploads).ForEach(func(k, _ []byte) error {
			f.rep.Uploads++
			var u Upload
			if _, err := getJSON(tx.Bucket(bucketUploads), k, &u); err != nil {
				return err
			}
			size, err := f.db.blobs.SpoolSize(u.UUID)
			switch {
			case errors.Is(err, cas.ErrNotFound):
				found = append(found, bad{u, FindUploadSpool, "the session's spool file is missing"})
			case err != nil:
				return err
			case size < u.Size:
				found = append(found, bad{u, FindUploadSpool, fmt.Sprintf("spool holds %d of %d acknowledged bytes", size, u.Size)})
			case !u.Expires(f.db.ttl).After(now):
				found = append(found, bad{u, FindUploadExpired, "idle since " + u.Updated.UTC().Format(time.RFC3339)})
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, b := range found {
		if !f.o.Repair && !f.db.uploadIdle(b.u.UUID) {
			continue // a request is on it (a commit ends it right after)
		}
		repaired := false
		if f.o.Repair {
			if ok, err := f.db.endBrokenUpload(b.u.UUID); err != nil {
				return err
			} else if !ok {
				continue // busy or changed: a live session after all
			}
			repaired = true
		}
		f.add(b.kind, "upload/"+b.u.UUID.String(), b.why, "end the session (the client starts again)", repaired)
	}
	return ctx.Err()
}

// uploadIdle reports whether no request holds session id and it still
// exists.
func (db *DB) uploadIdle(id cas.UUID) bool {
	slot, err := db.uploads.acquire(id, db.now())
	if err != nil {
		return false
	}
	defer slot.busy.Unlock()
	return db.uploadExists(id)
}

// endBrokenUpload ends a session unless a request holds it.
func (db *DB) endBrokenUpload(id cas.UUID) (bool, error) {
	slot, err := db.uploads.acquire(id, db.now())
	if err != nil {
		return false, nil
	}
	defer db.uploads.forget(id, slot)
	err = db.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketUploads).Delete(id[:]) })
	if err != nil {
		return false, err
	}
	return true, db.blobs.RemoveSpool(id)
}

// leftovers finds temp files and spools without a session.
func (f *fsck) leftovers(ctx context.Context) error {
	ls, err := f.db.blobs.Leftovers()
	if err != nil {
		return err
	}
	cutoff := time.Now().Add(-f.o.LeftoverAge)
	for _, l := range ls {
		if err := ctx.Err(); err != nil {
			return err
		}
		if f.o.LeftoverAge > 0 && l.Modified.After(cutoff) {
			continue
		}
		kind, why := FindStrayTemp, "an ingest temp file no process is writing"
		if l.Spool {
			if l.IDOK && f.db.uploadExists(l.ID) {
				continue
			}
			kind, why = FindStraySpool, "a spool file without an upload session"
		}
		repaired := false
		if f.o.Repair {
			if err := f.db.blobs.RemoveLeftover(l); err != nil {
				return err
			}
			repaired = true
		}
		f.add(kind, l.Path, fmt.Sprintf("%s (%d bytes)", why, l.Size), "remove", repaired)
	}
	return nil
}

func (db *DB) uploadExists(id cas.UUID) bool {
	found := false
	_ = db.view(func(tx *bolt.Tx) error {
		found = tx.Bucket(bucketUploads).Get(id[:]) != nil
		return nil
	})
	return found
}
