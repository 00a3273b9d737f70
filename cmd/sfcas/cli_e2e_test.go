package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfcas/sfcas/httpapi/api"
)

// TestCLI_PublishShowGet: one publish per image, the label shown and its
// history, the bytes back, all without a blob UUID.
func TestCLI_PublishShowGet(t *testing.T) {
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "debian.qcow2")
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", img, "2G").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v %s", err, out)
	}

	out, errOut, code := d.cli(nil, "publish", img, "--label", "system/debian-12")
	if code != 0 || !strings.Contains(out, "published system/debian-12 version 1") || !strings.Contains(out, "qcow2") {
		t.Fatalf("publish: %d %q %q", code, out, errOut)
	}
	out, _, code = d.cli(nil, "publish", img, "--label", "system/debian-12")
	if code != 0 || !strings.Contains(out, "unchanged") {
		t.Fatalf("republishing the same bytes: %d %q", code, out)
	}
	raw := filepath.Join(t.TempDir(), "v2.raw")
	os.WriteFile(raw, randomBytes(t, 3<<20), 0o644)
	out, _, code = d.cli(nil, "-o", "json", "publish", raw, "--label", "system/debian-12", "--max-versions", "5")
	var p api.Published
	mustJSON(t, []byte(out), &p)
	if code != 0 || !p.Changed || p.Version.Index != 2 || p.Artifact.MaxVersions != 5 || p.Version.Format != "raw" {
		t.Fatalf("second version: %d %+v", code, p)
	}

	out, _, code = d.cli(nil, "label", "show", "system/debian-12")
	if code != 0 || !strings.Contains(out, "keeps 5 versions") || !strings.Contains(out, p.Version.Digest) {
		t.Fatalf("label show: %d %q", code, out)
	}
	out, _, _ = d.cli(nil, "-o", "json", "label", "history", "system/debian-12")
	var h []api.HistoryEntry
	mustJSON(t, []byte(out), &h)
	if len(h) < 3 || h[0].To != p.Version.Digest || h[0].Who != "system/local" {
		t.Fatalf("history: %+v", h)
	}

	out, _, code = d.cli(nil, "-o", "json", "blob", "show", "debian-12@1")
	var b api.Blob
	mustJSON(t, []byte(out), &b)
	if code != 0 || b.Format != "qcow2" || b.VirtualSize != 2<<30 {
		t.Fatalf("blob show of version 1: %+v", b)
	}
	got := filepath.Join(t.TempDir(), "got.raw")
	if _, e, code := d.cli(nil, "blob", "get", "system/debian-12", "-O", got); code != 0 {
		t.Fatalf("blob get: %d %s", code, e)
	}
	want, _ := os.ReadFile(raw)
	if have, _ := os.ReadFile(got); !bytes.Equal(have, want) {
		t.Fatal("blob get wrote other bytes")
	}
	out, _, code = d.cli(nil, "resolve", "sha256:"+p.Version.SHA256)
	if code != 0 || !strings.Contains(out, p.Version.Digest) {
		t.Fatalf("resolve by sha256: %d %q", code, out)
	}
	out, _, code = d.cli(nil, "-o", "json", "version")
	if code != 0 || !strings.Contains(out, `"version"`) {
		t.Fatalf("version: %d %q", code, out)
	}
}

// TestCLI_NamespacesKeysAndExitCodes: namespaces and keys from the CLI, a
// user acting in its own namespace, and the documented exit codes.
func TestCLI_NamespacesKeysAndExitCodes(t *testing.T) {
	d := startDaemon(t, "")
	if out, e, code := d.cli(nil, "namespace", "create", "team"); code != 0 || !strings.Contains(out, "created namespace team") {
		t.Fatalf("namespace create: %d %q %q", code, out, e)
	}
	cmd := d.cliCmd("key", "add", "team", "ci")
	cmd.Stdin = strings.NewReader("team-secret-1\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("key add: %v %s", err, out)
	}
	out, _, _ := d.cli(nil, "-o", "json", "namespace", "list")
	var nss []api.Namespace
	mustJSON(t, []byte(out), &nss)
	if len(nss) != 2 || nss[1].Name != "team" || len(nss[1].Keys) != 1 || nss[1].Keys[0] != "ci" {
		t.Fatalf("namespace list: %+v", nss)
	}

	team := []string{"SFCAS_NAMESPACE=team", "SFCAS_KEY=team-secret-1"}
	img := filepath.Join(t.TempDir(), "img.raw")
	os.WriteFile(img, randomBytes(t, 100000), 0o644)
	if _, e, code := d.cli(team, "publish", img, "--label", "team/app"); code != 0 {
		t.Fatalf("team publishes into its namespace: %d %s", code, e)
	}
	if _, e, code := d.cli(team, "publish", img, "--label", "system/app"); code != exitDenied {
		t.Fatalf("team publishing into system: exit %d (%s), want %d", code, e, exitDenied)
	}
	d.cli(nil, "publish", img, "--label", "system/app")
	// system/app is not shared, so for team "app" means only team/app.
	if out, e, code := d.cli(team, "resolve", "app"); code != 0 || !strings.Contains(out, "team/app") {
		t.Fatalf("resolve app as team: %d %q %q", code, out, e)
	}
	if _, e, code := d.cli(nil, "namespace", "delete", "team"); code != exitConflict || !strings.Contains(e, "still owns") {
		t.Fatalf("deleting a namespace that owns artifacts: %d %q", code, e)
	}

	for _, c := range []struct {
		args []string
		env  []string
		code int
	}{
		{[]string{"label", "show", "system/missing"}, nil, exitNotFound},
		{[]string{"label", "show"}, nil, exitUsage},
		{[]string{"label", "show", "no-such-label"}, nil, exitNotFound},
		{[]string{"publish"}, nil, exitUsage},
		{[]string{"publish", img, "--label", "system/x", "--digest", "blake3:" + strings.Repeat("ab", 32)}, nil, exitInvalid},
		{[]string{"publish", img, "--label", "system/x", "--digest", "sha256:" + strings.Repeat("0", 64)}, nil, exitInvalid},
		{[]string{"resolve", "http://example.com/x"}, nil, exitInvalid},
		{[]string{"label", "show", "system/app"}, []string{"SFCAS_NAMESPACE=team", "SFCAS_KEY=wrong-secret"}, exitDenied},
		{[]string{"--url", "http://127.0.0.1:1", "label", "show", "system/app"}, nil, exitUnavailable},
	} {
		if _, e, code := d.cli(c.env, c.args...); code != c.code {
			t.Fatalf("sfcas %s: exit %d (%s), want %d", strings.Join(c.args, " "), code, e, c.code)
		}
	}
	// A refused publish (wrong digest) left nothing behind.
	if _, _, code := d.cli(nil, "label", "show", "system/x"); code != exitNotFound {
		t.Fatal("a publish refused for its digest created the label")
	}
}

// TestCLI_TokenCache: a command logs in once and later commands reuse the
// token (mode 0600 file); a token the daemon no longer accepts is replaced
// by logging in again, without the user noticing.
func TestCLI_TokenCache(t *testing.T) {
	d := startDaemon(t, "")
	auths := func() int { return strings.Count(d.logText(), `"route":"POST /auth"`) }
	for range 3 {
		if _, e, code := d.cli(nil, "namespace", "list"); code != 0 {
			t.Fatal(e)
		}
	}
	if n := auths(); n != 1 {
		t.Fatalf("3 commands logged in %d times, want 1", n)
	}
	files, _ := filepath.Glob(filepath.Join(d.tokens, "*.json"))
	if len(files) != 1 {
		t.Fatalf("token cache holds %d files", len(files))
	}
	if fi, _ := os.Stat(files[0]); fi.Mode().Perm() != 0o600 {
		t.Fatalf("token cache file mode %v", fi.Mode())
	}
	os.WriteFile(files[0], []byte(`{"token":"not.a.token","expires":"2999-01-01T00:00:00Z"}`), 0o600)
	if _, e, code := d.cli(nil, "namespace", "list"); code != 0 {
		t.Fatalf("a bad cached token was not replaced: %s", e)
	}
	if n := auths(); n != 2 {
		t.Fatalf("after a refused cached token: %d logins, want 2", n)
	}
	if _, _, code := d.cli([]string{"SFCAS_TOKEN_CACHE=off"}, "namespace", "list"); code != 0 || auths() != 3 {
		t.Fatal("SFCAS_TOKEN_CACHE=off still used the cache")
	}
}
