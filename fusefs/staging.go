package fusefs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
)

// StagingOptions configure the writable staging mount.
type StagingOptions struct {
	// DB is the catalog; its blob store holds the spooled bytes. Required.
	DB *catalog.DB
	// Caller is the namespace publishes act as; the zero value means
	// system. Events name the writing local user as its key ("uid:<n>").
	Caller catalog.Caller
	// Lease is how long a staged file nobody holds open survives before
	// its data is dropped (a scratch file waiting for its rename, a write
	// whose commit failed); default 15 minutes.
	Lease time.Duration
	// AllowUnlink lets unlink(2) of a label delete it (and all its
	// versions); otherwise it is EPERM.
	AllowUnlink bool
	// AllowOther lets users other than the mounting one (root) use the
	// mount; file permissions still apply (directories are 0755 root).
	AllowOther bool
	// Name is the filesystem type suffix (fuse.<Name>); default DefaultName.
	Name string
	// Logger receives commits and problems. Nil discards.
	Logger *slog.Logger
	// Debug logs every FUSE request at debug level.
	Debug bool
}

// stagingCatalog is what the staging mount asks of the catalog.
type stagingCatalog interface {
	ArtifactByName(ctx context.Context, c catalog.Caller, ns, name string) (catalog.Artifact, error)
	CheckTarget(c catalog.Caller, t catalog.Target) error
	Publish(ctx context.Context, c catalog.Caller, t catalog.Target, w *cas.Writer, opts catalog.IngestOptions) (catalog.Artifact, catalog.Blob, bool, error)
	DeleteArtifact(ctx context.Context, c catalog.Caller, id cas.UUID) (catalog.Artifact, error)
	ListArtifacts(ctx context.Context, c catalog.Caller, o catalog.ListOptions) (catalog.Page, error)
	ListNamespaces(ctx context.Context, c catalog.Caller) ([]catalog.Namespace, error)
	GetNamespace(ctx context.Context, c catalog.Caller, name string) (catalog.Namespace, error)
}

var _ stagingCatalog = (*catalog.DB)(nil)

// staging is the state the staging mount's nodes share.
type staging struct {
	db          stagingCatalog
	store       *cas.Store
	caller      catalog.Caller
	log         *slog.Logger
	lease       time.Duration
	allowUnlink bool
	now         func() time.Time
	// closed is set when the mount goes away: nothing is staged or
	// committed after that (a writer cut off by shutdown publishes nothing).
	closed atomic.Bool
	stats  counters
}

// maxStagedSize bounds a staged file (writes and truncates beyond it are
// EFBIG): far above any disk image, far below offsets that overflow.
const maxStagedSize = 1 << 44

// scratchSuffix marks names that never publish by themselves, like
// dot-names: write "x.partial", then rename it to "x".
const scratchSuffix = ".partial"

// isScratch reports whether name is a scratch name: a dot-name (rsync's
// ".label.XXXXXX", editors' temp files) or a *.partial name. Scratch files
// publish only when renamed to a label name.
func isScratch(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasSuffix(name, scratchSuffix)
}

// MountStaging mounts the writable staging mount at dir:
//
//	dir/<namespace>/<label>   write it to publish a new version of the label
//
// Creating or truncating a label and writing it spools the bytes into a
// cas.Writer, which hashes them as they arrive. The FLUSH of the last
// descriptor that wrote (close(2)) commits: the bytes become a blob and the
// blob the label's newest version (created if needed), and close returns
// the commit's error. Scratch names (dot-names and *.partial) never commit
// by themselves; renaming one to a label name commits it, and rename(2)
// returns the error. A writer killed before it closed publishes nothing.
// See the package doc for the rules.
func MountStaging(dir string, o StagingOptions) (*Mount, error) {
	if o.DB == nil {
		return nil, errors.New("staging mount: no catalog")
	}
	if o.Caller.Namespace == "" {
		o.Caller = catalog.Caller{Namespace: catalog.SystemNamespace}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Lease <= 0 {
		o.Lease = 15 * time.Minute
	}
	s := &staging{db: o.DB, store: o.DB.Blobs(), caller: o.Caller, log: o.Logger, lease: o.Lease,
		allowUnlink: o.AllowUnlink, now: time.Now}
	root := &stageRoot{s: s}
	m, err := mount(root, mountConfig{dir: dir, name: o.Name, debug: o.Debug, log: o.Logger,
		noAllowOther: !o.AllowOther})
	if err != nil {
		return nil, fmt.Errorf("staging mount: %w", err)
	}
	m.stats = &s.stats
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		root.janitor(stop)
	}()
	m.onUnmount = append(m.onUnmount, func() {
		close(stop)
		<-done
		root.dropAll()
	})
	o.Logger.Info("staging mount mounted", "dir", m.dir, "as", o.Caller.Namespace, "lease", o.Lease)
	return m, nil
}

// who is the caller a request from local user uid publishes as.
func (s *staging) who(uid uint32) catalog.Caller {
	return catalog.Caller{Namespace: s.caller.Namespace, Key: fmt.Sprintf("uid:%d", uid)}
}
