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

// The records: refcounts, blob_refs and every index agree with the
// artifacts and blobs they describe, and every blob has its file.

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
