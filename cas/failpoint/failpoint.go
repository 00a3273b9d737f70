// Package failpoint marks the durable steps of sfcas where crash tests kill
// the process: after a blob is fsynced, after it is linked into place, after
// each catalog commit that matters, and between the catalog delete and the
// unlink of garbage collection.
//
// In a normal build Hit compiles to nothing. Built with -tags failpoints,
// Hit(name) sends SIGKILL to its own process when the environment variable
// SFCAS_FAILPOINT equals name, so no deferred function, buffer flush or
// cleanup runs: the same as a power cut for everything but the page cache.
package failpoint

// EnvVar names the failpoint a failpoints build dies at.
const EnvVar = "SFCAS_FAILPOINT"

// The failpoints, in the order an ingest, a label move, a version reap and a
// garbage collection reach them.
const (
	// IngestAfterSync: the temp file is fsynced, not yet at its digest path.
	IngestAfterSync = "ingest-after-fsync"
	// IngestAfterLink: the blob is at its digest path, the catalog does not
	// know it yet.
	IngestAfterLink = "ingest-after-link"
	// IngestAfterRecord: the blob record is committed, no version points at it.
	IngestAfterRecord = "ingest-after-record"
	// UploadAfterAppend: an upload chunk's new size is committed but not
	// acknowledged.
	UploadAfterAppend = "upload-after-append"
	// UploadAfterIngest: an upload's bytes became a blob; the session record
	// is still there.
	UploadAfterIngest = "upload-after-ingest"
	// VersionAfterCommit: a new version (a publish or a label move) is
	// committed but not acknowledged.
	VersionAfterCommit = "version-after-commit"
	// ReapAfterCommit: a version reap (max_versions lowered, a version
	// deleted) is committed but not acknowledged.
	ReapAfterCommit = "reap-after-commit"
	// RemoveAfterCommit: garbage collection deleted the blob's record; its
	// file is still there.
	RemoveAfterCommit = "gc-after-catalog-delete"
	// RemoveAfterUnlink: the blob's file is unlinked too.
	RemoveAfterUnlink = "gc-after-unlink"
)

// All returns every failpoint name.
func All() []string {
	return []string{IngestAfterSync, IngestAfterLink, IngestAfterRecord, UploadAfterAppend, UploadAfterIngest,
		VersionAfterCommit, ReapAfterCommit, RemoveAfterCommit, RemoveAfterUnlink}
}
