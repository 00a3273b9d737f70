// Package catalog is the single source of truth for sfcas metadata, kept in a
// bbolt file: namespaces and their keys, blobs, artifacts (images, snapshots,
// labels, other) with their versions, upload sessions, metadata and events.
// It coordinates with the blob store (package cas) so that a blob file and
// the records that reference it change in a safe order.
//
// # On-disk layout
//
//	catalog.db
//	  meta/              schema_version → uint64 BE; token_secret → 32 bytes;
//	                     scrub_cursor → digest (an unfinished scrub pass);
//	                     scrub_pass_done → RFC 3339 time of the last full pass
//	  namespaces/        <name> → Namespace (JSON)
//	  blobs/             <digest 32B> → Blob (JSON)
//	  blob_uuid/         <uuid 16B> → digest
//	  blob_sha256/       <sha256 32B> → digest
//	  blob_sha512/       <sha512 64B> → digest
//	  blob_refs/         <digest 32B><artifact uuid 16B> → count (uint32 BE)
//	  artifacts/         <uuid 16B> → Artifact (JSON, versions inline)
//	  artifact_name/     <namespace> 0x00 <name> → artifact uuid
//	  artifact_type/     <type> 0x00 <namespace> 0x00 <name> → artifact uuid
//	  artifact_shared/   <namespace> 0x00 <name> → artifact uuid (shared ones)
//	  artifact_grant/    <grantee> 0x00 <namespace> 0x00 <name> → artifact uuid
//	  uploads/           <uuid 16B> → Upload (JSON)
//	  events/            <object key>/ → <seq 8B BE> → Event (JSON)
//
// A name is unique within its namespace across all artifact types, so a
// reference "<ns>/<name>" never means two things.
//
// # Refcounts
//
// A blob's Refs is the number of artifact versions that point at it. It
// changes only inside the transaction that adds or removes those versions,
// together with blob_refs. A blob whose Refs reaches zero keeps its record
// (with ZeroSince set) until the garbage collector removes it after a grace
// period.
//
// # Integrity
//
// GC (gc.go) deletes blobs unreferenced for a grace period, never a pinned
// one, record first and file after. Fsck (fsck.go) checks every invariant of
// this schema against the blob files and repairs what it can. Scrub
// (scrub.go) re-hashes blobs from a checkpoint and quarantines damage
// (quarantine.go); ingesting the same bytes heals. Quotas and upload
// reservations are in quota.go.
//
// # Concurrency
//
// DB is safe for concurrent use. Every access runs in one bbolt transaction
// (db.View or db.Update). Lock order: cas pins are taken before a catalog
// transaction, never inside one.
//
// # Crash safety
//
// Ingest makes a blob durable at its digest path before the transaction that
// records it commits; removal commits the catalog first and unlinks after. A
// crash leaves at worst a blob file no record mentions, which fsck finds.
//
// # Errors
//
// Errors wrap the sentinels in errors.go; match them with errors.Is. bbolt's
// errors never leave the package unwrapped.
package catalog
