package catalog

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/cas/failpoint"
	bolt "go.etcd.io/bbolt"
)

// BlobState is the health of a blob's bytes.
type BlobState string

const (
	// BlobCreated: the bytes are at their digest path and were verified when
	// written (or last scrubbed).
	BlobCreated BlobState = "created"
	// BlobQuarantined: scrub or fsck found the file damaged or missing. Its
	// bytes are never served; re-ingesting the same bytes heals it.
	BlobQuarantined BlobState = "quarantined"
)

// Blob is the catalog's record of one blob.
type Blob struct {
	Digest      cas.Digest `json:"digest"`
	UUID        cas.UUID   `json:"uuid"`
	SHA256      string     `json:"sha256"`
	SHA512      string     `json:"sha512"`
	Size        int64      `json:"size"`
	State       BlobState  `json:"state"`
	Problem     string     `json:"problem,omitempty"` // why quarantined
	Refs        int        `json:"refs"`
	Format      string     `json:"format"`
	VirtualSize int64      `json:"virtual_size"`
	Created     time.Time  `json:"created"`
	// ZeroSince is when Refs last became zero; GC waits a grace period after
	// it. Zero while Refs > 0.
	ZeroSince time.Time `json:"zero_since,omitzero"`
	Metadata  Metadata  `json:"metadata"`
	Gen       int       `json:"gen"` // bumped on every change
}

// IngestOptions are the checks applied to new bytes.
type IngestOptions struct {
	// Expect is what the bytes must match (size, digests).
	Expect cas.Expect
	// AllowExternal admits qcow2 images whose header names a backing file or
	// an external data file. Otherwise they are ErrUnsafeImage.
	AllowExternal bool
}

// IngestBlob probes w's format, commits its bytes to the blob store and
// records the blob (with no references yet). It returns the record with the
// digest pinned: the caller references it (AddVersion) and then releases the
// pin. On failure w's file is gone and nothing is recorded.
func (db *DB) IngestBlob(ctx context.Context, w *cas.Writer, opts IngestOptions) (Blob, *cas.Pin, error) {
	// Surface write failures (a full disk) as such before reading the header.
	if err := w.Flush(); err != nil {
		w.Abort()
		return Blob{}, nil, fmt.Errorf("writing the blob: %w", err)
	}
	facts, err := probe(w, w.Size())
	if err == nil && facts.NamesOtherFiles() && !opts.AllowExternal {
		err = fmt.Errorf("qcow2 image names another file (backing %q, data file %q): %w",
			clip(facts.BackingFile), clip(facts.DataFile), ErrUnsafeImage)
	}
	if err != nil {
		w.Abort()
		return Blob{}, nil, err
	}
	info, pin, err := w.Commit(ctx, opts.Expect, db.needsHeal)
	if err != nil {
		return Blob{}, nil, err
	}
	var rec Blob
	err = db.update(func(tx *bolt.Tx) error {
		var err error
		rec, err = db.recordBlob(tx, info, facts.Format, facts.VirtualSize)
		return err
	})
	if err != nil {
		pin.Release()
		return Blob{}, nil, fmt.Errorf("record blob %s: %w", info.BLAKE3, err)
	}
	failpoint.Hit(failpoint.IngestAfterRecord)
	db.counters.ingestedBlobs.Add(1)
	db.counters.ingestedBytes.Add(info.Size)
	return rec, pin, nil
}

// needsHeal reports whether an existing file at d's path must be replaced by
// freshly verified bytes: the catalog knows it is damaged.
func (db *DB) needsHeal(d cas.Digest) bool {
	heal := false
	_ = db.view(func(tx *bolt.Tx) error {
		b, err := getBlob(tx, d)
		heal = err == nil && b.State == BlobQuarantined
		return nil
	})
	return heal
}

// recordBlob inserts a new blob record with its indexes, or heals an
// existing quarantined one.
func (db *DB) recordBlob(tx *bolt.Tx, info cas.Info, format string, vsize int64) (Blob, error) {
	b, err := getBlob(tx, info.BLAKE3)
	switch {
	case err == nil && b.State == BlobQuarantined:
		b.State, b.Problem = BlobCreated, ""
		b.Gen++
		if err := putBlob(tx, &b); err != nil {
			return b, err
		}
		return b, db.healed(tx, &b)
	case err == nil:
		return b, nil
	case !errors.Is(err, ErrNotFound):
		return b, err
	}
	now := db.now()
	b = Blob{
		Digest: info.BLAKE3, UUID: info.BLAKE3.UUID(), SHA256: info.SHA256Hex(), SHA512: info.SHA512Hex(),
		Size: info.Size, State: BlobCreated, Format: format, VirtualSize: vsize,
		Created: now, ZeroSince: now, Metadata: Metadata{}, Gen: 1,
	}
	if err := putBlob(tx, &b); err != nil {
		return b, err
	}
	for _, ix := range []struct {
		bucket []byte
		key    []byte
	}{
		{bucketBlobUUID, b.UUID[:]},
		{bucketBlobSHA256, info.SHA256[:]},
		{bucketBlobSHA512, info.SHA512[:]},
	} {
		if err := tx.Bucket(ix.bucket).Put(ix.key, b.Digest[:]); err != nil {
			return b, err
		}
	}
	return b, db.addEvent(tx, blobKey(&b), Event{Type: EventStatus, Message: "blob created",
		Extra: map[string]any{"size": b.Size, "format": format}})
}

func getBlob(tx *bolt.Tx, d cas.Digest) (Blob, error) {
	var b Blob
	ok, err := getJSON(tx.Bucket(bucketBlobs), d[:], &b)
	if err == nil && !ok {
		err = fmt.Errorf("blob %s: %w", d, ErrNotFound)
	}
	return b, err
}

func putBlob(tx *bolt.Tx, b *Blob) error { return putJSON(tx.Bucket(bucketBlobs), b.Digest[:], b) }

// digestByIndex maps a UUID or checksum index key to a digest.
func digestByIndex(tx *bolt.Tx, bucket, key []byte) (cas.Digest, bool) {
	v := tx.Bucket(bucket).Get(key)
	if len(v) != cas.DigestSize {
		return cas.Digest{}, false
	}
	return cas.Digest(v), true
}

// Blob returns the record of d if the caller may read it.
func (db *DB) Blob(ctx context.Context, c Caller, d cas.Digest) (Blob, error) {
	var b Blob
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		b, err = db.readableBlob(tx, c, d)
		return err
	})
	return b, err
}

// BlobByUUID returns the record of the blob with that derived UUID.
func (db *DB) BlobByUUID(ctx context.Context, c Caller, u cas.UUID) (Blob, error) {
	var b Blob
	err := db.view(func(tx *bolt.Tx) error {
		d, ok := digestByIndex(tx, bucketBlobUUID, u[:])
		if !ok {
			return fmt.Errorf("blob %s: %w", u, ErrNotFound)
		}
		var err error
		b, err = db.readableBlob(tx, c, d)
		return err
	})
	return b, err
}

// Checksum algorithms BlobByChecksum accepts.
const (
	AlgBLAKE3 = "blake3"
	AlgSHA256 = "sha256"
	AlgSHA512 = "sha512"
)

// BlobByChecksum finds a blob by a hex checksum. It finds only blobs the
// caller may already read: knowing a hash is not proof of holding the bytes.
// A quarantined blob is not found either (its bytes cannot be trusted).
func (db *DB) BlobByChecksum(ctx context.Context, c Caller, alg, hexsum string) (Blob, error) {
	size, bucket := 0, []byte(nil)
	switch alg {
	case AlgBLAKE3:
		size = cas.DigestSize
	case AlgSHA256:
		size, bucket = 32, bucketBlobSHA256
	case AlgSHA512:
		size, bucket = 64, bucketBlobSHA512
	default:
		return Blob{}, invalidf("unknown hash algorithm %q (use sha256, sha512 or blake3)", clip(alg))
	}
	key, err := hex.DecodeString(hexsum)
	if err != nil || len(key) != size {
		return Blob{}, invalidf("%s checksum must be %d hex characters", alg, 2*size)
	}
	var b Blob
	err = db.view(func(tx *bolt.Tx) error {
		var d cas.Digest
		if bucket == nil {
			d = cas.Digest(key)
		} else {
			var ok bool
			if d, ok = digestByIndex(tx, bucket, key); !ok {
				return fmt.Errorf("blob with %s %s: %w", alg, clip(hexsum), ErrNotFound)
			}
		}
		var err error
		if b, err = db.readableBlob(tx, c, d); err != nil {
			return err
		}
		if b.State != BlobCreated {
			return fmt.Errorf("blob %s is %s: %w", d, b.State, ErrNotFound)
		}
		return nil
	})
	return b, err
}

// readableBlob returns d's record if c may read it: system always, others
// when an artifact they may read references it.
func (db *DB) readableBlob(tx *bolt.Tx, c Caller, d cas.Digest) (Blob, error) {
	b, err := getBlob(tx, d)
	if err != nil {
		return b, err
	}
	if c.IsSystem() {
		return b, nil
	}
	ok, err := blobReferencedBy(tx, d, func(a *Artifact) bool { return canRead(c, a) })
	if err != nil {
		return b, err
	}
	if !ok {
		// Name nothing: the caller may have come by UUID or checksum and must
		// not learn the digest of bytes it cannot read.
		return Blob{}, fmt.Errorf("blob: %w", ErrNotFound)
	}
	return b, nil
}

// ListBlobs returns every blob record, by digest. Only system may.
func (db *DB) ListBlobs(ctx context.Context, c Caller) ([]Blob, error) {
	if !c.IsSystem() {
		return nil, fmt.Errorf("list blobs: only %s may: %w", SystemNamespace, ErrForbidden)
	}
	out := []Blob{}
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBlobs).ForEach(func(k, _ []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			b, err := getBlob(tx, cas.Digest(k))
			out = append(out, b)
			return err
		})
	})
	return out, err
}

// BlobEvents returns d's event log, newest first.
func (db *DB) BlobEvents(ctx context.Context, c Caller, d cas.Digest, f EventFilter) ([]Event, error) {
	b, err := db.Blob(ctx, c, d)
	if err != nil {
		return nil, err
	}
	return db.eventLog(ctx, blobKey(&b), f)
}

// SetBlobMetadata sets one metadata key on a blob. Blobs are shared by every
// namespace that holds the same bytes, so only system or a namespace owning
// an artifact that references the blob may change it.
func (db *DB) SetBlobMetadata(ctx context.Context, c Caller, d cas.Digest, key string, value []byte) error {
	return db.changeBlobMetadata(c, d, func(m Metadata) error { return m.set(key, value) })
}

// DeleteBlobMetadata removes one metadata key from a blob.
func (db *DB) DeleteBlobMetadata(ctx context.Context, c Caller, d cas.Digest, key string) error {
	return db.changeBlobMetadata(c, d, func(m Metadata) error { return m.del(key) })
}

func (db *DB) changeBlobMetadata(c Caller, d cas.Digest, fn func(Metadata) error) error {
	return db.update(func(tx *bolt.Tx) error {
		b, err := db.readableBlob(tx, c, d)
		if err != nil {
			return err
		}
		if !c.IsSystem() {
			owns, err := blobReferencedBy(tx, d, func(a *Artifact) bool { return a.Namespace == c.Namespace })
			if err != nil {
				return err
			}
			if !owns {
				return fmt.Errorf("blob %s metadata: %w", d, ErrForbidden)
			}
		}
		if b.Metadata == nil {
			b.Metadata = Metadata{}
		}
		if err := fn(b.Metadata); err != nil {
			return err
		}
		b.Gen++
		return putBlob(tx, &b)
	})
}

// BlobReferrers returns the artifacts the caller may see that reference d.
func (db *DB) BlobReferrers(ctx context.Context, c Caller, d cas.Digest) ([]Artifact, error) {
	out := []Artifact{}
	err := db.view(func(tx *bolt.Tx) error {
		refs, err := blobReferrers(tx, d)
		if err != nil {
			return err
		}
		for id := range refs {
			a, err := getArtifact(tx, id)
			if err != nil {
				return err
			}
			if canRead(c, &a) {
				out = append(out, a)
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b Artifact) int { return strings.Compare(a.Ref(), b.Ref()) })
	return out, err
}
