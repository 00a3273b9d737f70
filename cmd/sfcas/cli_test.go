package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfcas/sfcas/httpapi/api"
)

// A new user publishes, labels, rolls back and forward, and reads, without
// ever typing a blob UUID.
func TestCLI_NewUserWorkflow(t *testing.T) {
	d := startDaemon(t, "")
	alice := d.newUser(t, "alice")
	dir := t.TempDir()
	v1 := file(t, dir, "web-1.raw", bytes.Repeat([]byte("one "), 5000))
	v2 := file(t, dir, "web-2.raw", bytes.Repeat([]byte("two "), 7000))

	var p1, p2 api.Published
	alice.json(t, &p1, "publish", v1, "--label", "alice/web")
	alice.json(t, &p2, "publish", v2, "--label", "alice/web", "--max-versions", "5")
	if p1.Version.Index != 1 || p2.Version.Index != 2 || p2.Artifact.MaxVersions != 5 {
		t.Fatalf("published versions %d and %d, max %d", p1.Version.Index, p2.Version.Index, p2.Artifact.MaxVersions)
	}
	var again api.Published
	alice.json(t, &again, "publish", v2, "--label", "alice/web")
	if again.Changed || again.Version.Index != 2 {
		t.Fatalf("republishing the same bytes changed the label: %+v", again.Version)
	}

	// Show and history by bare name (the one rule: alice's namespace, then system).
	var l api.Artifact
	alice.json(t, &l, "label", "show", "web")
	if l.Ref != "alice/web" || l.Current.Digest != p2.Version.Digest {
		t.Fatalf("label show web: %s at %s; published %s then %s (again: %+v); versions %+v", l.Ref, l.Current.Digest, p1.Version.Digest, p2.Version.Digest, again.Version, l.Versions)
	}
	if out := alice.ok(t, "label", "show", "alice/web"); !strings.Contains(out, p2.Version.Digest) || !strings.Contains(out, "keeps 5 versions") {
		t.Fatalf("table output of label show:\n%s", out)
	}

	// Roll back, then forward again.
	var rb api.Published
	alice.json(t, &rb, "label", "rollback", "alice/web")
	if rb.Version.Digest != p1.Version.Digest || rb.Version.Note != "rollback to 1" {
		t.Fatalf("rollback: %+v", rb.Version)
	}
	alice.json(t, &rb, "label", "rollback", "alice/web", "--to", "2")
	if rb.Version.Digest != p2.Version.Digest {
		t.Fatalf("roll forward: %+v", rb.Version)
	}
	var hist []api.HistoryEntry
	alice.json(t, &hist, "label", "history", "web")
	if len(hist) < 4 || !strings.Contains(hist[0].Message, "version 4") || hist[0].From != p1.Version.Digest || hist[0].To != p2.Version.Digest {
		t.Fatalf("history: %+v", hist[0])
	}

	// Read it back by name.
	out := filepath.Join(dir, "copy.raw")
	alice.ok(t, "blob", "get", "web", "-O", out)
	want, _ := os.ReadFile(v2)
	if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
		t.Fatal("blob get web returned other bytes")
	}

	// Update to any reference, version policy, create and delete.
	var up api.Published
	alice.json(t, &up, "label", "update", "web", "alice/web@1")
	if up.Version.Digest != p1.Version.Digest || !up.Changed {
		t.Fatalf("update to alice/web@1: %+v", up)
	}
	alice.json(t, &l, "label", "set-max-versions", "web", "2")
	if len(l.Versions) != 2 || l.MaxVersions != 2 {
		t.Fatalf("set-max-versions 2: %d versions, max %d", len(l.Versions), l.MaxVersions)
	}
	alice.json(t, &l, "label", "create", "alice/empty")
	if len(l.Versions) != 0 || l.Current != nil {
		t.Fatalf("empty label: %+v", l)
	}
	alice.json(t, &l, "label", "create", "copy", "--from", "web")
	if l.Ref != "alice/copy" || l.Current.Digest != p1.Version.Digest {
		t.Fatalf("label create copy --from web: %+v", l)
	}
	alice.fails(t, exitConflict, "label", "create", "alice/copy")
	alice.fails(t, exitNotFound, "label", "create", "alice/ghost", "--from", "nosuch")
	alice.fails(t, exitNotFound, "label", "show", "alice/ghost")
	alice.fails(t, exitNotFound, "label", "update", "alice/ghost", "web")
	alice.ok(t, "label", "delete", "alice/copy")
	alice.fails(t, exitNotFound, "label", "show", "alice/copy")

	var page api.ArtifactPage
	alice.json(t, &page, "label", "list")
	if len(page.Items) != 2 || page.Items[0].Ref != "alice/empty" || page.Items[1].Ref != "alice/web" {
		t.Fatalf("label list: %+v", page.Items)
	}
	alice.json(t, &page, "label", "list", "--prefix", "w", "--limit", "1")
	if len(page.Items) != 1 || page.Next != "" {
		t.Fatalf("label list --prefix w: %+v next %q", page.Items, page.Next)
	}
	if out := alice.ok(t, "label", "list", "--limit", "1"); !strings.Contains(out, "alice/empty") || !strings.Contains(out, "more: --cursor") {
		t.Fatalf("paged table:\n%s", out)
	}
	alice.json(t, &page, "label", "list", "--limit", "1", "--all")
	if len(page.Items) != 2 {
		t.Fatalf("label list --all: %d", len(page.Items))
	}

	// Images: the same one-shot publish, then the artifact commands.
	var img api.Published
	alice.json(t, &img, "publish", v1, "--image", "alice/debian")
	if img.Artifact.Type != "image" {
		t.Fatalf("publish --image made a %s", img.Artifact.Type)
	}
	alice.json(t, &page, "artifact", "list", "--type", "image")
	if len(page.Items) != 1 || page.Items[0].Ref != "alice/debian" {
		t.Fatalf("artifact list --type image: %+v", page.Items)
	}
	var a api.Artifact
	alice.json(t, &a, "artifact", "show", "debian")
	if a.Ref != "alice/debian" || a.Current.Digest != p1.Version.Digest {
		t.Fatalf("artifact show debian: %+v", a)
	}
	alice.fails(t, exitNotFound, "label", "show", "alice/debian")
	alice.ok(t, "artifact", "delete", "alice/debian")
	alice.fails(t, exitNotFound, "artifact", "show", "alice/debian")

	var res api.Resolved
	alice.json(t, &res, "resolve", "web@5")
	if res.Ref != "alice/web@5" || res.Version.Digest != p1.Version.Digest {
		t.Fatalf("resolve web@5: %s", res.Ref)
	}
	if msg := alice.fails(t, exitNotFound, "resolve", "web@2"); !strings.Contains(msg, "alice/web has no version 2") {
		t.Fatalf("resolving a reaped version: %s", msg)
	}
	alice.fails(t, exitUsage, "label", "show")
	alice.fails(t, exitUsage, "label", "set-max-versions", "web", "x")
}

// The plan's motivating case (#3271): system/centos:7 resolves from system;
// from a namespace with its own centos:7 the bare name is ambiguous and both
// candidates are named; nothing is fetched.
func TestCLI_CentosAmbiguity(t *testing.T) {
	d := startDaemon(t, "")
	sys := d.system()
	alice := d.newUser(t, "alice")
	dir := t.TempDir()
	var sp api.Published
	sys.json(t, &sp, "publish", file(t, dir, "c7-sys", []byte("system centos 7")), "--label", "system/centos:7", "--shared")

	var res api.Resolved
	sys.json(t, &res, "resolve", "centos:7")
	if res.Ref != "system/centos:7" || res.Artifact.Current.Digest != sp.Version.Digest {
		t.Fatalf("system resolves centos:7 to %s", res.Ref)
	}
	alice.json(t, &res, "resolve", "centos:7")
	if res.Ref != "system/centos:7" {
		t.Fatalf("alice resolves centos:7 to %s before she has her own", res.Ref)
	}
	alice.ok(t, "publish", file(t, dir, "c7-alice", []byte("alice centos 7")), "--label", "alice/centos:7")
	msg := alice.fails(t, exitConflict, "resolve", "centos:7")
	if !strings.Contains(msg, "alice/centos:7") || !strings.Contains(msg, "system/centos:7") {
		t.Fatalf("ambiguity does not name both candidates:\n%s", msg)
	}
	alice.fails(t, exitConflict, "label", "show", "centos:7")
	for _, c := range []string{"alice/centos:7", "system/centos:7", "sf://label/system/centos:7"} {
		alice.json(t, &res, "resolve", c)
	}
	sys.json(t, &res, "resolve", "centos:7")
	if res.Ref != "system/centos:7" {
		t.Fatalf("system resolves centos:7 to %s after alice's publish", res.Ref)
	}
	// A URL is never fetched because of a reference.
	alice.fails(t, exitInvalid, "resolve", "https://cloud.centos.org/centos/7/images/x.qcow2")
	// Only the owner (or system) moves a label (#1386).
	alice.fails(t, exitDenied, "label", "update", "system/centos:7", "alice/centos:7")
}

func TestCLI_GrantsAndCleanup(t *testing.T) {
	d := startDaemon(t, "")
	alice := d.newUser(t, "alice")
	bob := d.newUser(t, "bob")
	dir := t.TempDir()
	alice.ok(t, "publish", file(t, dir, "a", []byte("alice private")), "--label", "alice/private")
	alice.ok(t, "publish", file(t, dir, "b", []byte("alice golden")), "--label", "alice/golden")
	alice.ok(t, "publish", file(t, dir, "c", []byte("alice image")), "--image", "alice/img")

	bob.fails(t, exitNotFound, "label", "show", "alice/golden")
	var g api.Grants
	alice.json(t, &g, "label", "grant", "golden", "bob")
	if len(g.Grants) != 1 || g.Grants[0] != "bob" {
		t.Fatalf("grant: %+v", g)
	}
	alice.json(t, &g, "artifact", "grant", "img", "bob")
	alice.json(t, &g, "artifact", "revoke", "img", "bob")
	if len(g.Grants) != 0 {
		t.Fatalf("revoke: %+v", g)
	}
	var l api.Artifact
	bob.json(t, &l, "label", "show", "alice/golden")
	if len(l.Grants) != 0 {
		t.Fatalf("a grantee sees the grant list %v", l.Grants)
	}
	var page api.ArtifactPage
	bob.json(t, &page, "artifact", "list")
	if len(page.Items) != 1 || page.Items[0].Ref != "alice/golden" {
		t.Fatalf("bob lists %+v", page.Items)
	}
	bob.fails(t, exitDenied, "label", "update", "alice/golden", "alice/golden@1")
	bob.fails(t, exitDenied, "namespace", "cleanup", "alice")
	bob.fails(t, exitNotFound, "label", "grant", "alice/private", "bob")

	var rep api.CleanupReport
	alice.json(t, &rep, "namespace", "cleanup", "alice", "--dry-run")
	if !rep.DryRun || len(rep.Deleted) != 2 || len(rep.Kept) != 1 || rep.Kept[0].Ref != "alice/golden" {
		t.Fatalf("dry run: %+v", rep)
	}
	alice.json(t, &page, "artifact", "list")
	if len(page.Items) != 3 {
		t.Fatalf("the dry run deleted something: %d left", len(page.Items))
	}
	if out := alice.ok(t, "namespace", "cleanup", "alice"); !strings.Contains(out, "keep") || !strings.Contains(out, "granted to bob") {
		t.Fatalf("cleanup table:\n%s", out)
	}
	alice.json(t, &page, "artifact", "list")
	if len(page.Items) != 1 || page.Items[0].Ref != "alice/golden" {
		t.Fatalf("after cleanup: %+v", page.Items)
	}
	bob.json(t, &l, "label", "show", "alice/golden")
	alice.ok(t, "label", "revoke", "golden", "bob")
	bob.fails(t, exitNotFound, "label", "show", "alice/golden")
	d.system().json(t, &rep, "namespace", "cleanup", "alice", "--force")
	d.system().ok(t, "namespace", "delete", "alice")
}

func TestCLI_Snapshots(t *testing.T) {
	snaps := t.TempDir()
	d := startDaemon(t, "", "--snapshot-dirs", snaps)
	sys := d.system()
	vda := file(t, snaps, "vda.raw", bytes.Repeat([]byte{1}, 1<<16))
	vdb := file(t, snaps, "vdb.raw", bytes.Repeat([]byte{2}, 1<<15))
	var set api.SnapshotSet
	sys.json(t, &set, "snapshot", "create", "--instance", "vm-1", "--disk", "vda="+vda, "--disk", "vdb="+vdb)
	if len(set.Artifacts) != 2 || set.SetID == "" || set.Artifacts[1].Snapshot.Device != "vdb" {
		t.Fatalf("snapshot set: %+v", set)
	}
	var page api.ArtifactPage
	sys.json(t, &page, "snapshot", "list", "--instance", "vm-1")
	if len(page.Items) != 2 {
		t.Fatalf("snapshot list: %d", len(page.Items))
	}
	sys.json(t, &page, "artifact", "list", "--type", "snapshot", "--instance", "vm-1")
	if len(page.Items) != 2 {
		t.Fatalf("artifact list --type snapshot: %d", len(page.Items))
	}
	sys.json(t, &page, "snapshot", "list", "--set", set.SetID)
	if len(page.Items) != 2 {
		t.Fatalf("snapshot list --set: %d", len(page.Items))
	}
	ref := set.Artifacts[0].Ref
	var a api.Artifact
	sys.json(t, &a, "snapshot", "show", ref)
	if a.Snapshot == nil || a.Snapshot.Instance != "vm-1" || a.Current.Size != 1<<16 {
		t.Fatalf("snapshot show: %+v", a)
	}
	// Published to a label through the ordinary label commands.
	var l api.Artifact
	sys.json(t, &l, "label", "create", "system/vm-1-root", "--from", ref)
	if l.Current.Digest != a.Current.Digest {
		t.Fatal("a label made from a snapshot has other content")
	}
	sys.fails(t, exitNotFound, "snapshot", "show", "system/vm-1-root")
	sys.ok(t, "snapshot", "delete", ref)
	sys.fails(t, exitNotFound, "snapshot", "show", ref)

	outside := file(t, t.TempDir(), "secret", []byte("not for snapshots"))
	sys.fails(t, exitDenied, "snapshot", "create", "--instance", "vm-1", "--disk", "vda="+outside)
	sys.fails(t, exitDenied, "snapshot", "create", "--instance", "vm-1", "--disk", "vda="+snaps+"/../"+filepath.Base(filepath.Dir(outside)))
	if err := os.Symlink(outside, filepath.Join(snaps, "link")); err != nil {
		t.Fatal(err)
	}
	sys.fails(t, exitDenied, "snapshot", "create", "--instance", "vm-2", "--disk", "vda="+filepath.Join(snaps, "link"))
	sys.fails(t, exitNotFound, "snapshot", "create", "--instance", "vm-2", "--disk", "vda="+filepath.Join(snaps, "nosuch"))
	sys.fails(t, exitUsage, "snapshot", "create", "--instance", "vm-2", "--disk", "vda")
	sys.json(t, &page, "snapshot", "list", "--instance", "vm-2")
	if len(page.Items) != 0 {
		t.Fatalf("refused snapshots left %d artifacts", len(page.Items))
	}
	alice := d.newUser(t, "alice")
	alice.fails(t, exitDenied, "snapshot", "create", "--instance", "vm-3", "--disk", "vda="+vda)
}

// The remaining commands: publish from a URL (fetched by the daemon from a
// loopback origin) and its typed failures, publish --other, blob show,
// namespace list, version.
func TestCLI_PublishURLAndTheRest(t *testing.T) {
	d := startDaemon(t, "")
	sys := d.system()
	image := bytes.Repeat([]byte("served over loopback "), 1000)
	origin := http.NewServeMux()
	origin.HandleFunc("/img.raw", func(w http.ResponseWriter, r *http.Request) { w.Write(image) })
	origin.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	srv := httptest.NewServer(origin)
	defer srv.Close()

	var p api.Published
	sys.json(t, &p, "publish", srv.URL+"/img.raw", "--image", "system/fetched")
	if p.Artifact.Type != "image" || p.Version.Size != int64(len(image)) {
		t.Fatalf("publish URL: %+v", p.Version)
	}
	for path, code := range map[string]string{"/nosuch": "answered 404", "/loop": "too many redirects"} {
		msg := sys.fails(t, exitFailure, "publish", srv.URL+path, "--label", "system/broken")
		if !strings.Contains(msg, code) {
			t.Fatalf("publish %s: %s", path, msg)
		}
	}
	sys.fails(t, exitInvalid, "publish", srv.URL+"/img.raw", "--label", "system/broken", "--digest", "sha256:"+strings.Repeat("ab", 32))
	sys.fails(t, exitNotFound, "label", "show", "system/broken")

	sys.json(t, &p, "publish", file(t, t.TempDir(), "notes.txt", []byte("release notes")), "--other", "system/notes")
	if p.Artifact.Type != "other" {
		t.Fatalf("publish --other made a %s", p.Artifact.Type)
	}
	var b api.Blob
	sys.json(t, &b, "blob", "show", "system/fetched")
	if b.Size != int64(len(image)) || !strings.HasPrefix(b.Digest, "blake3:") {
		t.Fatalf("blob show: %+v", b)
	}
	d.newUser(t, "carol")
	var nss []api.Namespace
	sys.json(t, &nss, "namespace", "list")
	if len(nss) != 2 || nss[0].Name != "carol" || nss[1].Name != "system" {
		t.Fatalf("namespace list: %+v", nss)
	}
	var v map[string]string
	sys.json(t, &v, "version")
	if v["version"] == "" {
		t.Fatalf("version: %v", v)
	}
	sys.fails(t, exitUsage, "publish", "x", "--label", "system/a", "--image", "system/b")
	sys.fails(t, exitUsage, "label", "list", "--output", "yaml")
}
