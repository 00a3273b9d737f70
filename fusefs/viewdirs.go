package fusefs

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
)

// blobsDirName is the directory of blobs by digest. Label names cannot
// start with '.', and namespace names cannot either, so it never clashes.
const blobsDirName = ".blobs"

// viewRoot lists the namespaces with labels the caller may read, and
// .blobs.
type viewRoot struct {
	fs.Inode
	v *view
}

var (
	_ fs.NodeLookuper  = (*viewRoot)(nil)
	_ fs.NodeReaddirer = (*viewRoot)(nil)
	_ fs.NodeGetattrer = (*viewRoot)(nil)
)

func (r *viewRoot) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = fuse.S_IFDIR | 0o555
	return 0
}

func (r *viewRoot) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if name == blobsDirName {
		out.Mode = fuse.S_IFDIR | 0o555
		return r.NewInode(ctx, &viewBlobs{v: r.v}, fs.StableAttr{Mode: fuse.S_IFDIR, Ino: ino(blobsDirName)}), 0
	}
	if catalog.ValidateIdent("namespace", name) != nil || !r.v.namespaceVisible(ctx, name) {
		return nil, syscall.ENOENT
	}
	out.Mode = fuse.S_IFDIR | 0o555
	return r.NewInode(ctx, &viewNamespace{v: r.v, ns: name}, fs.StableAttr{Mode: fuse.S_IFDIR, Ino: ino("ns", name)}), 0
}

func (r *viewRoot) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	names, err := r.v.namespaces(ctx)
	if err != nil {
		return nil, errnoFor(err)
	}
	list := []fuse.DirEntry{{Name: blobsDirName, Mode: fuse.S_IFDIR, Ino: ino(blobsDirName)}}
	for _, n := range names {
		list = append(list, fuse.DirEntry{Name: n, Mode: fuse.S_IFDIR, Ino: ino("ns", n)})
	}
	return fs.NewListDirStream(list), 0
}

// namespaceVisible reports whether ns appears in the root: system sees
// every namespace, others their own and those holding a label they may
// read.
func (v *view) namespaceVisible(ctx context.Context, ns string) bool {
	if v.caller.IsSystem() || ns == v.caller.Namespace {
		_, err := v.db.GetNamespace(ctx, v.caller, ns)
		return err == nil
	}
	page, err := v.db.ListArtifacts(ctx, v.caller, catalog.ListOptions{Namespace: ns, Type: catalog.TypeLabel, Limit: 1})
	return err == nil && len(page.Artifacts) > 0
}

// namespaces lists the namespaces the root shows, sorted.
func (v *view) namespaces(ctx context.Context) ([]string, error) {
	if v.caller.IsSystem() {
		nss, err := v.db.ListNamespaces(ctx, v.caller)
		out := make([]string, 0, len(nss))
		for _, n := range nss {
			out = append(out, n.Name)
		}
		return out, err
	}
	seen := map[string]bool{v.caller.Namespace: true}
	err := v.eachLabel(ctx, "", func(a *catalog.Artifact) { seen[a.Namespace] = true })
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out, err
}

// eachLabel calls fn for every label (of namespace ns, or all if empty) the
// caller may read, page by page.
func (v *view) eachLabel(ctx context.Context, ns string, fn func(a *catalog.Artifact)) error {
	o := catalog.ListOptions{Namespace: ns, Type: catalog.TypeLabel, Limit: catalog.MaxPage}
	for {
		page, err := v.db.ListArtifacts(ctx, v.caller, o)
		if err != nil {
			return err
		}
		for i := range page.Artifacts {
			fn(&page.Artifacts[i])
		}
		if page.Next == "" {
			return nil
		}
		o.Cursor = page.Next
	}
}

// viewNamespace lists one namespace's labels; "<label>@<n>" is found by
// lookup only.
type viewNamespace struct {
	fs.Inode
	v  *view
	ns string
}

var (
	_ fs.NodeLookuper  = (*viewNamespace)(nil)
	_ fs.NodeReaddirer = (*viewNamespace)(nil)
	_ fs.NodeGetattrer = (*viewNamespace)(nil)
)

func (d *viewNamespace) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = fuse.S_IFDIR | 0o555
	return 0
}

func (d *viewNamespace) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	var list []fuse.DirEntry
	err := d.v.eachLabel(ctx, d.ns, func(a *catalog.Artifact) {
		if v, ok := a.Latest(); ok {
			list = append(list, fuse.DirEntry{Name: a.Name, Mode: fuse.S_IFREG, Ino: labelIno(a, v)})
		}
	})
	if err != nil {
		return nil, errnoFor(err)
	}
	return fs.NewListDirStream(list), 0
}

func (d *viewNamespace) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	ref, err := catalog.ParseRef(d.ns + "/" + name)
	if err != nil || ref.Kind != catalog.RefNamed || ref.Namespace != d.ns || strings.Contains(ref.Name, "/") {
		return nil, syscall.ENOENT
	}
	ref.LabelOnly = true
	res, err := d.v.db.ResolveRef(ctx, d.v.caller, ref)
	if err != nil {
		return nil, errnoFor(err)
	}
	if res.Artifact == nil || res.Version == nil || res.Blob == nil {
		return nil, syscall.ENOENT
	}
	a, ver := res.Artifact, *res.Version
	node := &viewFile{v: d.v, digest: ver.Digest, size: res.Blob.Size, mtime: ver.Created,
		label: a.Ref(), version: ver.Index}
	node.fill(&out.Attr)
	return d.NewInode(ctx, node, fs.StableAttr{Mode: fuse.S_IFREG, Ino: labelIno(a, ver)}), 0
}

// labelIno names one version of one label: the label file and its "@n"
// name share it, and a moved label gets a new one.
func labelIno(a *catalog.Artifact, v catalog.Version) uint64 {
	return ino("label", a.UUID.String(), itoa(v.Index), v.Digest.Hex())
}

// viewBlobs is .blobs: blobs by digest, found by lookup only (it is not
// listed: a node may hold many).
type viewBlobs struct {
	fs.Inode
	v *view
}

var (
	_ fs.NodeLookuper  = (*viewBlobs)(nil)
	_ fs.NodeReaddirer = (*viewBlobs)(nil)
	_ fs.NodeGetattrer = (*viewBlobs)(nil)
)

func (d *viewBlobs) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = fuse.S_IFDIR | 0o555
	return 0
}

func (d *viewBlobs) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	return fs.NewListDirStream(nil), 0
}

func (d *viewBlobs) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if len(name) == 2*cas.DigestSize {
		name = "blake3:" + name
	}
	dg, err := cas.ParseDigest(name)
	if err != nil || !strings.HasPrefix(name, "blake3:") {
		return nil, syscall.ENOENT
	}
	b, err := d.v.db.Blob(ctx, d.v.caller, dg)
	if err != nil {
		return nil, errnoFor(err)
	}
	node := &viewFile{v: d.v, digest: dg, size: b.Size, mtime: b.Created}
	node.fill(&out.Attr)
	return d.NewInode(ctx, node, fs.StableAttr{Mode: fuse.S_IFREG, Ino: ino("blob", dg.Hex())}), 0
}

// tempDirOf is where the passthrough probe file goes: the store's own
// filesystem.
func tempDirOf(s *cas.Store) string { return filepath.Join(s.Root(), "tmp") }
