package fusefs

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/sfcas/sfcas/catalog"
)

// stageRoot lists the namespaces the staging caller may publish to.
// Namespaces are made through the API, never here.
type stageRoot struct {
	fs.Inode
	s *staging
}

var (
	_ fs.NodeLookuper  = (*stageRoot)(nil)
	_ fs.NodeReaddirer = (*stageRoot)(nil)
	_ fs.NodeGetattrer = (*stageRoot)(nil)
	_ fs.NodeMkdirer   = (*stageRoot)(nil)
	_ fs.NodeCreater   = (*stageRoot)(nil)
)

func (r *stageRoot) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = fuse.S_IFDIR | 0o755
	return 0
}

func (r *stageRoot) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if catalog.ValidateIdent("namespace", name) != nil {
		return nil, syscall.ENOENT
	}
	if !r.s.caller.IsSystem() && name != r.s.caller.Namespace {
		return nil, syscall.ENOENT
	}
	if _, err := r.s.db.GetNamespace(ctx, r.s.caller, name); err != nil {
		return nil, errnoFor(err)
	}
	out.Mode = fuse.S_IFDIR | 0o755
	return r.NewInode(ctx, &stageNamespace{s: r.s, ns: name}, fs.StableAttr{Mode: fuse.S_IFDIR, Ino: ino("stage-ns", name)}), 0
}

func (r *stageRoot) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	nss, err := r.s.db.ListNamespaces(ctx, r.s.caller)
	if err != nil {
		return nil, errnoFor(err)
	}
	var list []fuse.DirEntry
	for _, n := range nss {
		list = append(list, fuse.DirEntry{Name: n.Name, Mode: fuse.S_IFDIR, Ino: ino("stage-ns", n.Name)})
	}
	return fs.NewListDirStream(list), 0
}

func (r *stageRoot) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	return nil, syscall.EPERM
}

func (r *stageRoot) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	return nil, nil, 0, syscall.EPERM
}

// janitor drops, every lease/4, staged data nobody has held open for a
// lease, until stop closes.
func (r *stageRoot) janitor(stop <-chan struct{}) {
	t := time.NewTicker(max(r.s.lease/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			r.eachFile(func(f *stageFile) { f.expire(r.s.now().Add(-r.s.lease), false) })
		}
	}
}

// dropAll drops every staged session, open or not (unmount: nothing
// half-written may outlive the mount).
func (r *stageRoot) dropAll() {
	r.s.closed.Store(true)
	r.eachFile(func(f *stageFile) { f.expire(time.Time{}, true) })
}

func (r *stageRoot) eachFile(fn func(*stageFile)) {
	for _, dir := range r.Children() {
		for _, ch := range dir.Children() {
			if f, ok := ch.Operations().(*stageFile); ok {
				fn(f)
			}
		}
	}
}

// stageNamespace is one namespace: its labels (reading one gives the
// current version) and the files being staged.
type stageNamespace struct {
	fs.Inode
	s  *staging
	ns string
	mu sync.Mutex // serialises finding or making a child node
}

var (
	_ fs.NodeLookuper  = (*stageNamespace)(nil)
	_ fs.NodeReaddirer = (*stageNamespace)(nil)
	_ fs.NodeGetattrer = (*stageNamespace)(nil)
	_ fs.NodeCreater   = (*stageNamespace)(nil)
	_ fs.NodeUnlinker  = (*stageNamespace)(nil)
	_ fs.NodeRenamer   = (*stageNamespace)(nil)
	_ fs.NodeMkdirer   = (*stageNamespace)(nil)
	_ fs.NodeMknoder   = (*stageNamespace)(nil)
	_ fs.NodeSymlinker = (*stageNamespace)(nil)
	_ fs.NodeLinker    = (*stageNamespace)(nil)
	_ fs.NodeRmdirer   = (*stageNamespace)(nil)
)

func (d *stageNamespace) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = fuse.S_IFDIR | 0o755
	return 0
}

// node returns the live node for name: a file being staged, or a label's
// current version. It makes one for a label the kernel has not seen.
func (d *stageNamespace) node(ctx context.Context, name string) (*stageFile, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ch := d.GetChild(name); ch != nil {
		if f, ok := ch.Operations().(*stageFile); ok && f.refresh(ctx, name) {
			return f, nil
		}
	}
	f := &stageFile{s: d.s, ns: d.ns}
	if !f.refresh(ctx, name) {
		return nil, syscall.ENOENT
	}
	d.NewInode(ctx, f, fs.StableAttr{Mode: fuse.S_IFREG})
	return f, nil
}

func (d *stageNamespace) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if !isScratch(name) && catalog.ValidateName(name) != nil {
		return nil, syscall.ENOENT
	}
	f, err := d.node(ctx, name)
	if err != nil {
		return nil, errnoFor(err)
	}
	f.fill(&out.Attr)
	return f.EmbeddedInode(), 0
}

func (d *stageNamespace) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	var list []fuse.DirEntry
	seen := map[string]bool{}
	for name, ch := range d.Children() {
		if f, ok := ch.Operations().(*stageFile); ok && f.staged() {
			list = append(list, fuse.DirEntry{Name: name, Mode: fuse.S_IFREG, Ino: ch.StableAttr().Ino})
			seen[name] = true
		}
	}
	o := catalog.ListOptions{Namespace: d.ns, Type: catalog.TypeLabel, Limit: catalog.MaxPage}
	for {
		page, err := d.s.db.ListArtifacts(ctx, d.s.caller, o)
		if err != nil {
			return nil, errnoFor(err)
		}
		for _, a := range page.Artifacts {
			if _, ok := a.Latest(); ok && !seen[a.Name] {
				list = append(list, fuse.DirEntry{Name: a.Name, Mode: fuse.S_IFREG})
			}
		}
		if page.Next == "" {
			break
		}
		o.Cursor = page.Next
	}
	return fs.NewListDirStream(list), 0
}

// Create starts staging name. A label name must be one the caller may
// publish to (else EACCES, or EEXIST when another kind of artifact has the
// name); a scratch name may be anything.
func (d *stageNamespace) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	if !isScratch(name) {
		if err := catalog.ValidateName(name); err != nil {
			return nil, nil, 0, syscall.EINVAL
		}
		err := d.s.db.CheckTarget(d.s.caller, catalog.Target{Namespace: d.ns, Name: name, Type: catalog.TypeLabel, Create: true})
		if errors.Is(err, catalog.ErrConflict) {
			return nil, nil, 0, syscall.EEXIST
		}
		if err != nil {
			return nil, nil, 0, errnoFor(err)
		}
	}
	d.mu.Lock()
	var f *stageFile
	if ch := d.GetChild(name); ch != nil {
		if old, ok := ch.Operations().(*stageFile); ok && old.refresh(ctx, name) {
			f = old
		}
	}
	if f != nil && flags&syscall.O_EXCL != 0 {
		d.mu.Unlock()
		return nil, nil, 0, syscall.EEXIST
	}
	if f == nil {
		f = &stageFile{s: d.s, ns: d.ns, name: name}
		d.NewInode(ctx, f, fs.StableAttr{Mode: fuse.S_IFREG})
	}
	d.mu.Unlock()
	h, errno := f.open(ctx, flags|syscall.O_TRUNC, true)
	if errno != 0 {
		return nil, nil, 0, errno
	}
	f.fill(&out.Attr)
	return f.EmbeddedInode(), h, fuse.FOPEN_DIRECT_IO, 0
}

// Unlink drops a staged file's data. A label itself is EPERM unless the
// mount allows deleting labels.
func (d *stageNamespace) Unlink(ctx context.Context, name string) syscall.Errno {
	f, err := d.node(ctx, name)
	if err != nil {
		return errnoFor(err)
	}
	return f.unlink(ctx)
}

// Rename of a staged file onto a label name publishes it (the rsync and
// editor pattern); between scratch names it only moves. Everything else is
// refused: a label cannot be renamed, nor can files cross namespaces.
func (d *stageNamespace) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	to, ok := newParent.(*stageNamespace)
	if !ok || to.ns != d.ns {
		return syscall.EXDEV
	}
	if flags&fs.RENAME_EXCHANGE != 0 {
		return syscall.EINVAL
	}
	if !isScratch(newName) && catalog.ValidateName(newName) != nil {
		return syscall.EINVAL
	}
	f, err := d.node(ctx, name)
	if err != nil {
		return errnoFor(err)
	}
	if flags&unixRenameNoreplace != 0 {
		if _, err := d.node(ctx, newName); err == nil {
			return syscall.EEXIST
		}
	}
	return f.rename(ctx, newName)
}

// unixRenameNoreplace is RENAME_NOREPLACE.
const unixRenameNoreplace = 0x1

func (d *stageNamespace) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	return nil, syscall.EPERM
}

func (d *stageNamespace) Mknod(ctx context.Context, name string, mode uint32, dev uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	return nil, syscall.EPERM
}

func (d *stageNamespace) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	return nil, syscall.EPERM
}

func (d *stageNamespace) Link(ctx context.Context, target fs.InodeEmbedder, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	return nil, syscall.EPERM
}

func (d *stageNamespace) Rmdir(ctx context.Context, name string) syscall.Errno {
	return syscall.ENOTDIR
}
