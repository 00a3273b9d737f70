package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sfcas/sfcas/cas"
	bolt "go.etcd.io/bbolt"
)

// Keys of the scrub checkpoint in the meta bucket.
var (
	keyScrubCursor   = []byte("scrub_cursor")    // digest of the last blob verified in this pass
	keyScrubPassDone = []byte("scrub_pass_done") // RFC 3339 time the last pass ended
)

// ScrubOptions tune one scrub run.
type ScrubOptions struct {
	// Wait paces the reading: it is called with the number of bytes about
	// to be read and blocks until they may be (a rate limiter's WaitN). Nil
	// reads at full speed. It is never asked for more than ScrubReadSize.
	Wait func(ctx context.Context, n int) error
	// Limit stops the run after this many blobs; zero runs to the end of
	// the pass. The checkpoint lets the next run continue.
	Limit int
	// Restart starts a new pass at the first blob, ignoring the checkpoint.
	Restart bool
}

// ScrubReadSize is the most bytes a scrub reads at once.
const ScrubReadSize = 256 << 10

// ScrubReport says what one run checked and found.
type ScrubReport struct {
	// After is the checkpoint the run resumed after ("" for a new pass);
	// Cursor is the one it left for the next run ("" after a full pass).
	After   string `json:"after,omitempty"`
	Cursor  string `json:"cursor,omitempty"`
	Scanned int    `json:"scanned"`
	Bytes   int64  `json:"bytes"`
	// Quarantined are the blobs found damaged (blob_missing, blob_size or
	// digest_mismatch) and quarantined by this run.
	Quarantined []Finding `json:"quarantined"`
	// AlreadyQuarantined counts damaged blobs found before, not re-read.
	AlreadyQuarantined int `json:"already_quarantined"`
	// PassComplete is set when the run reached the last blob; the next run
	// starts a new pass.
	PassComplete bool      `json:"pass_complete"`
	LastPass     time.Time `json:"last_pass,omitzero"`
}

// FindDigestMismatch is the kind of a blob whose bytes no longer hash to
// its digest.
const FindDigestMismatch = "digest_mismatch"

// checkpointEvery is how many blobs a scrub verifies between checkpoints.
const checkpointEvery = 32

// Scrub re-reads blobs in digest order from the checkpoint and re-hashes
// them. A blob whose file is missing, has the wrong size or no longer hashes
// to its digest is quarantined (see quarantine): its bytes are never served
// again and the artifacts pointing at it show as degraded until the same
// bytes are ingested again. A blob is pinned while it is read, so garbage
// collection never races the check into a false alarm.
func (db *DB) Scrub(ctx context.Context, o ScrubOptions) (ScrubReport, error) {
	rep, err := db.scrub(ctx, o)
	db.counters.scrubbedBlobs.Add(int64(rep.Scanned))
	db.counters.scrubbedBytes.Add(rep.Bytes)
	db.counters.scrubQuarantined.Add(int64(len(rep.Quarantined)))
	if rep.PassComplete {
		db.counters.scrubPasses.Add(1)
	}
	return rep, err
}

func (db *DB) scrub(ctx context.Context, o ScrubOptions) (ScrubReport, error) {
	rep := ScrubReport{Quarantined: []Finding{}}
	var after []byte
	err := db.view(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if c := meta.Get(keyScrubCursor); len(c) == cas.DigestSize && !o.Restart {
			after = append([]byte(nil), c...)
		}
		rep.LastPass, _ = time.Parse(time.RFC3339Nano, string(meta.Get(keyScrubPassDone)))
		return nil
	})
	if err != nil {
		return rep, err
	}
	if after != nil {
		rep.After = cas.Digest(after).String()
	}
	sinceSave := 0
	for n := 0; o.Limit <= 0 || n < o.Limit; n++ {
		if err := ctx.Err(); err != nil {
			return rep, errors.Join(err, db.saveScrubCursor(after))
		}
		d, ok, err := db.nextBlobAfter(after)
		if err != nil {
			return rep, err
		}
		if !ok {
			rep.PassComplete, rep.Cursor = true, ""
			rep.LastPass = db.now()
			return rep, db.endScrubPass()
		}
		if err := db.scrubOne(ctx, d, o.Wait, &rep); err != nil {
			return rep, errors.Join(err, db.saveScrubCursor(after))
		}
		after = d[:]
		rep.Cursor = d.String()
		if sinceSave++; sinceSave >= checkpointEvery {
			sinceSave = 0
			if err := db.saveScrubCursor(after); err != nil {
				return rep, err
			}
		}
	}
	return rep, db.saveScrubCursor(after)
}

// nextBlobAfter returns the first blob digest after `after` (nil: the first).
func (db *DB) nextBlobAfter(after []byte) (cas.Digest, bool, error) {
	var d cas.Digest
	found := false
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketBlobs).Cursor()
		var k []byte
		if after == nil {
			k, _ = c.First()
		} else {
			k, _ = c.Seek(after)
			if k != nil && bytes.Equal(k, after) {
				k, _ = c.Next()
			}
		}
		if len(k) == cas.DigestSize {
			d, found = cas.Digest(k), true
		}
		return nil
	})
	return d, found, err
}

// saveScrubCursor stores the checkpoint (nil: nothing verified yet).
func (db *DB) saveScrubCursor(after []byte) error {
	if after == nil {
		return nil
	}
	return db.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyScrubCursor, after) })
}

// endScrubPass records a finished pass; the next run starts a new one.
func (db *DB) endScrubPass() error {
	return db.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(keyScrubPassDone, []byte(db.now().UTC().Format(time.RFC3339Nano))); err != nil {
			return err
		}
		return meta.Delete(keyScrubCursor)
	})
}

// scrubOne verifies one blob and quarantines it if it is damaged.
func (db *DB) scrubOne(ctx context.Context, d cas.Digest, wait func(context.Context, int) error, rep *ScrubReport) error {
	pin := db.blobs.Pin(d)
	defer pin.Release()
	var b Blob
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		b, err = getBlob(tx, d)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return nil // collected since it was listed
	}
	if err != nil {
		return err
	}
	if b.State == BlobQuarantined {
		rep.AlreadyQuarantined++
		return nil
	}
	rep.Scanned++
	kind, why, file, err := db.checkBlobFile(ctx, &b, wait, rep)
	if err != nil || kind == "" {
		return err
	}
	if file != nil {
		// The file at the path was replaced (healed) while it was read: the
		// next pass checks the new one.
		if now, err := os.Stat(db.blobs.Path(d)); err == nil && !os.SameFile(now, file) {
			return nil
		}
	}
	quarantined := false
	err = db.update(func(tx *bolt.Tx) error {
		cur, err := getBlob(tx, d)
		if errors.Is(err, ErrNotFound) || err == nil && cur.State != BlobCreated {
			return nil
		}
		if err != nil {
			return err
		}
		quarantined = true
		return db.quarantine(tx, &cur, why)
	})
	if err == nil && quarantined {
		rep.Quarantined = append(rep.Quarantined, Finding{Kind: kind, Object: d.String(), Detail: why,
			Repaired: false, Repair: "quarantined; republish the same bytes to heal"})
	}
	return err
}

// checkBlobFile re-hashes b's file. It returns the kind of damage and why
// (empty when the file is good) and the file's identity as it was read.
func (db *DB) checkBlobFile(ctx context.Context, b *Blob, wait func(context.Context, int) error, rep *ScrubReport) (string, string, os.FileInfo, error) {
	f, err := db.blobs.Open(b.Digest)
	if errors.Is(err, cas.ErrNotFound) {
		return FindBlobMissing, "file missing", nil, nil
	}
	if err != nil {
		return "", "", nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", "", nil, err
	}
	if fi.Size() != b.Size {
		return FindBlobSize, fmt.Sprintf("file holds %d bytes, the record says %d", fi.Size(), b.Size), fi, nil
	}
	var r io.Reader = f
	if wait != nil {
		r = &pacedReader{ctx: ctx, r: f, wait: wait}
	}
	sums, n, err := db.blobs.HashReader(ctx, r)
	rep.Bytes += n
	if err != nil {
		return "", "", nil, fmt.Errorf("scrub %s: %w", b.Digest, err)
	}
	switch {
	case n != b.Size:
		return FindBlobSize, fmt.Sprintf("read %d bytes, the record says %d", n, b.Size), fi, nil
	case sums.BLAKE3 != b.Digest:
		return FindDigestMismatch, fmt.Sprintf("bytes hash to %s", sums.BLAKE3), fi, nil
	case sums.SHA256Hex() != b.SHA256 || sums.SHA512Hex() != b.SHA512:
		return FindDigestMismatch, "sha256 or sha512 differs from the record", fi, nil
	}
	return "", "", fi, nil
}

// pacedReader asks wait before every read, reading at most ScrubReadSize.
type pacedReader struct {
	ctx  context.Context
	r    io.Reader
	wait func(context.Context, int) error
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if len(b) > ScrubReadSize {
		b = b[:ScrubReadSize]
	}
	if err := p.wait(p.ctx, len(b)); err != nil {
		return 0, err
	}
	return p.r.Read(b)
}

// ScrubProgress is where scrubbing stands.
type ScrubProgress struct {
	// Cursor is the checkpoint of an unfinished pass ("" if none).
	Cursor string `json:"cursor,omitempty"`
	// LastPass is when the last complete pass ended (zero: never).
	LastPass time.Time `json:"last_pass,omitzero"`
}

// ScrubProgress reads the checkpoint, for schedulers.
func (db *DB) ScrubProgress() (ScrubProgress, error) {
	var p ScrubProgress
	err := db.view(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if c := meta.Get(keyScrubCursor); len(c) == cas.DigestSize {
			p.Cursor = cas.Digest(c).String()
		}
		p.LastPass, _ = time.Parse(time.RFC3339Nano, string(meta.Get(keyScrubPassDone)))
		return nil
	})
	return p, err
}
