// Package cas is the content-addressed blob store: immutable files named by
// the BLAKE3-256 digest of their bytes.
//
// It knows nothing of the catalog, HTTP or FUSE. A blob's metadata (refcount,
// names, state) lives in the catalog; this package owns only the bytes and the
// rules that keep them correct on disk.
//
// # On-disk layout
//
//	<root>/
//	  blobs/blake3/ab/cd/<hex>   one file per blob, mode 0444
//	  uploads/<id>               resumable spool files (Store.CreateSpool)
//	  tmp/                       private temp files of anonymous writers
//
// The shard directories ab/cd are the first two and next two hex characters
// of the digest; they are created lazily.
//
// # Crash safety
//
// Every blob reaches its digest path through one write path (Writer.Commit):
// bytes go to a temp or spool file on the store's filesystem while they are
// hashed; the file is fsynced, its size and digests are checked against what
// the caller expected, it is made read-only and renamed into place without
// replacing an existing file, and the shard directory is fsynced. A file at a
// digest path therefore always holds exactly the bytes its name claims, unless
// the disk later corrupts it (Store.Verify finds that).
//
// # Concurrency
//
// Store is safe for concurrent use. Two writers of the same bytes each write
// their own temp file; the first to commit links its file, the second finds the
// target present, drops its temp file and reports the same digest. A Writer is
// not safe for concurrent use; its caller serialises calls.
//
// Pins protect blobs from removal: Writer.Commit returns with the digest
// pinned, and readers pin what they serve. Store.Remove refuses a pinned blob
// and, while it runs, makes new pins of that digest wait, so a blob is never
// unlinked between a dedup hit and the catalog transaction that references it.
//
// # Errors
//
// Errors wrap the sentinels in errors.go; match them with errors.Is.
package cas
