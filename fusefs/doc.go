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
