// Package fusefs serves sfcas over FUSE (go-fuse v2): the read-only label
// view that hypervisors boot from and the writable staging mount that
// publishes what is copied into it.
//
// # Label view
//
//	<dir>/
//	  .blobs/blake3:<hex>        a blob by digest (the bare hex works too); not listed
//	  <namespace>/<label>        the label's current version, mode 0444
//	  <namespace>/<label>@<n>    version n; found by lookup, not listed
//
// The view reads as one catalog.Caller: only labels it may read appear
// (catalog.CanRead), and a namespace appears when it holds one.
//
// Every file node stands for one immutable blob: a label version's inode
// number derives from (label UUID, version, digest) and a .blobs entry's
// from the digest, so a node's size and bytes never change. Moving a label
// makes its name point at another node; DB.Watch drives entry
// notifications so the kernel looks the name up again at once (and the
// entry timeout is one second in case a change is missed).
//
// Opening a file pins its blob (cas.Store.Pin) until the descriptor is
// released, checks that the catalog still trusts the blob (not
// quarantined) and that the file has its recorded size; otherwise the open
// is EIO, never wrong bytes. Reads then go through kernel passthrough when
// the kernel and privileges allow it (Mount.Passthrough), or are served
// from the blob file with the page cache kept across opens. SEEK_DATA and
// SEEK_HOLE are answered from the blob file. Extended attributes
// user.sf.digest, user.sf.label and user.sf.version describe a file.
// Everything that would change the view is EROFS.
//
// # Staging mount
//
//	<dir>/<namespace>/<label>   write it to publish; read it for the current version
//
// Creating or truncating a file and writing it spools the bytes into a
// cas.Writer on the store's filesystem, which hashes sequential writes as
// they arrive and re-hashes at commit only after a write went backwards.
// Descriptors are FOPEN_DIRECT_IO: no page cache, errors are synchronous.
//
// When to publish:
//
//   - At the FLUSH of the last open descriptor that may write, if anything
//     was written or resized since the session started, the name is a label
//     name and the file is not empty: the session is committed with
//     catalog.DB.Publish (type label, created if needed) and close(2)
//     returns the commit's errno. RELEASE never commits (its errors are
//     invisible).
//   - A FLUSH from a process that is exiting (PF_EXITING: killed, or exiting
//     without closing) publishes nothing and drops the data.
//   - Scratch names, dot-names (rsync's .label.XXXXXX, editors' temp files)
//     and *.partial, never publish by themselves; rename(2) onto a label name
//     publishes and returns the commit's errno.
//   - Data nobody holds open that was not published (a scratch file never
//     renamed, an empty file) is dropped after StagingOptions.Lease; data of
//     a label name whose writers are all gone without a commit is dropped at
//     once. Unmounting drops everything and commits nothing more.
//
// Writers are serialised per file: descriptors of one process share the
// session (qemu-img opens its target several times); a writer from another
// process while one is open gets EBUSY. A name created while another
// process creates it gets EEXIST from O_EXCL.
//
// Refusals: an unknown or foreign namespace is ENOENT; mkdir, symlink,
// link, renaming a label and (unless allowed) unlinking a label are EPERM;
// an invalid label name is EINVAL; renames across namespaces are EXDEV;
// offsets beyond 16 TiB are EFBIG; truncating a label without an open
// writer is EPERM.
//
// The mount is root-only (no allow_other) unless StagingOptions.AllowOther;
// publishes act as StagingOptions.Caller with the local uid as key, so the
// catalog's permission rules apply and events say who.
//
// # Locks and O_DIRECT
//
// The mount does not take part in locking: the kernel keeps POSIX and OFD
// locks locally, which is what QEMU's image locking needs on one host.
// O_DIRECT opens work; with passthrough they are O_DIRECT on the blob file.
//
// # Lifecycle
//
// Mounting clears a stale mount (fuse.<name>, ENOTCONN) left at the mount
// point by a daemon that died, and refuses to mount over a live one.
// Mount.Unmount detaches, lazily if files are still open.
//
// # Errors
//
// errnoFor is the one mapping from package errors to errnos.
package fusefs
