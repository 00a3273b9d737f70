package fusefs

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
)

// ViewOptions configure the read-only label view.
type ViewOptions struct {
	// DB is the catalog; its blob store serves the bytes. Required.
	DB *catalog.DB
	// Caller is whom the view reads as: only labels it may read appear
	// (catalog.CanRead). The zero value means the system namespace.
	Caller catalog.Caller
	// Passthrough offers kernel FUSE passthrough; the mount reports whether
	// it is active (Mount.Passthrough).
	Passthrough bool
	// Name is the filesystem type suffix (fuse.<Name>); default DefaultName.
	Name string
	// Logger receives problems and the passthrough state. Nil discards.
	Logger *slog.Logger
	// Debug logs every FUSE request at debug level.
	Debug bool
}

// labelCatalog is what the label view asks of the catalog.
type labelCatalog interface {
	ResolveRef(ctx context.Context, c catalog.Caller, r catalog.Ref) (catalog.Resolved, error)
	Blob(ctx context.Context, c catalog.Caller, d cas.Digest) (catalog.Blob, error)
	ListArtifacts(ctx context.Context, c catalog.Caller, o catalog.ListOptions) (catalog.Page, error)
	ListNamespaces(ctx context.Context, c catalog.Caller) ([]catalog.Namespace, error)
	GetNamespace(ctx context.Context, c catalog.Caller, name string) (catalog.Namespace, error)
	Watch() (<-chan catalog.Change, func())
}

var _ labelCatalog = (*catalog.DB)(nil)

// view is the state the label view's nodes share.
type view struct {
	db          labelCatalog
	store       *cas.Store
	caller      catalog.Caller
	log         *slog.Logger
	passthrough atomic.Bool // set once the mount is probed; earlier opens read through the daemon
	stats       counters
}

// Timeouts of the label view: entries may move (a label update), so the
// kernel re-asks within a second, and is told at once on a change; a file
// inode is immutable (it stands for one blob), so its attributes never age.
const (
	viewEntryTimeout = time.Second
	viewAttrTimeout  = time.Hour
)

// MountView mounts the read-only label view at dir:
//
//	dir/<namespace>/<label>       the label's current version (0444)
//	dir/<namespace>/<label>@<n>   version n (found by lookup, not listed)
//	dir/.blobs/blake3:<hex>       a blob by digest (also the bare hex)
//
// Opening a file pins its blob until the descriptor is released. A label
// update reaches new opens at once (the kernel is told through entry
// notifications driven by DB.Watch) and never changes what an open
// descriptor reads.
func MountView(dir string, o ViewOptions) (*Mount, error) {
	if o.DB == nil {
		return nil, errors.New("label view: no catalog")
	}
	if o.Caller.Namespace == "" {
		o.Caller = catalog.Caller{Namespace: catalog.SystemNamespace, Key: "fuse"}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	v := &view{db: o.DB, store: o.DB.Blobs(), caller: o.Caller, log: o.Logger}
	root := &viewRoot{v: v}
	m, err := mount(root, mountConfig{dir: dir, name: o.Name, readOnly: true, passthrough: o.Passthrough,
		debug: o.Debug, log: o.Logger, entry: viewEntryTimeout, attr: viewAttrTimeout})
	if err != nil {
		return nil, fmt.Errorf("label view: %w", err)
	}
	if o.Passthrough {
		ok, why := probePassthrough(m.server, tempDirOf(v.store))
		if !ok {
			o.Logger.Warn("label view: passthrough is off; reads are served by the daemon", "why", why)
		}
		v.passthrough.Store(ok)
		m.passthrough = ok
	}
	m.stats = &v.stats
	o.Logger.Info("label view mounted", "dir", m.dir, "as", o.Caller.Namespace, "passthrough", m.passthrough)
	stop := root.watch()
	m.onUnmount = append(m.onUnmount, stop)
	return m, nil
}

// ino derives a stable inode number from the parts that identify a node,
// so the same content keeps its inode (and page cache) and different
// content never shares one.
func ino(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	n := h.Sum64()
	if n <= 1 { // 1 is the root
		n += 2
	}
	return n
}
