package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOps_ConfigPrecedence: the daemon runs from a config file; an
// environment variable beats the file and a flag beats both; an unknown key
// fails validation naming the key.
func TestOps_ConfigPrecedence(t *testing.T) {
	root := t.TempDir()
	conf := filepath.Join(t.TempDir(), "sfcas.toml")
	os.WriteFile(conf, []byte(`
listen = "127.0.0.1:1"     # overridden by the flag
token_ttl = "10m"          # overridden by the environment
min_free = "0"

[log]
level = "debug"            # from the file
format = "json"
`), 0o644)
	t.Setenv("SFCAS_TOKEN_TTL", "7m")

	out, e, code := (&daemon{t: t, root: root, tokens: t.TempDir()}).cli(nil, "-o", "json", "config", "show", "--config", conf, "--listen", "127.0.0.1:0")
	if code != 0 {
		t.Fatalf("config show: %d %s", code, e)
	}
	var origins []origin
	mustJSON(t, []byte(out), &origins)
	got := map[string]origin{}
	for _, o := range origins {
		got[o.Key] = o
	}
	for key, want := range map[string][2]string{
		"listen":         {"127.0.0.1:0", "flag --listen"},
		"token_ttl":      {"7m", "env SFCAS_TOKEN_TTL"},
		"log.level":      {"debug", "file " + conf},
		"shutdown_grace": {"30s", "default"},
	} {
		if got[key].Value != want[0] || got[key].Source != want[1] {
			t.Fatalf("%s = %+v, want %v", key, got[key], want)
		}
	}

	d := startDaemon(t, root, "--config", conf, "--listen", "127.0.0.1:0")
	resp, err := http.Post(d.url+"/auth", "application/json", strings.NewReader(`{"namespace":"system","key":"`+d.systemKey()+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		ExpiresIn int `json:"expires_in"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.ExpiresIn != 7*60 {
		t.Fatalf("token lifetime %d s, want 420 (SFCAS_TOKEN_TTL over the file)", tok.ExpiresIn)
	}
	if !strings.Contains(d.logText(), `"level":"DEBUG"`) {
		t.Fatal("log.level from the file did not take effect")
	}

	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("listen = \"x\"\n[log]\ncolour = \"red\"\n"), 0o644)
	if _, e, code := d.cli(nil, "config", "validate", bad); code != exitUsage || !strings.Contains(e, `"log.colour"`) {
		t.Fatalf("validate of an unknown key: %d %q", code, e)
	}
	os.WriteFile(bad, []byte("min_free = \"lots\"\n"), 0o644)
	if _, e, code := d.cli(nil, "config", "validate", bad); code != exitUsage || !strings.Contains(e, "min_free") {
		t.Fatalf("validate of a bad value: %d %q", code, e)
	}
	if out, _, code := d.cli(nil, "config", "validate", conf); code != 0 || !strings.Contains(out, "valid") {
		t.Fatalf("validate of a good file: %d %q", code, out)
	}
}

// TestOps_SIGTERMDrains: SIGTERM during an upload and a staging write makes
// /readyz answer 503, lets both finish or fail with a clear error, unmounts
// the mounts, exits 0, and leaves a catalog that reopens cleanly with the
// upload resumable and nothing half-published.
func TestOps_SIGTERMDrains(t *testing.T) {
	root, view, stage := t.TempDir(), t.TempDir(), t.TempDir()
	d := &daemon{t: t, root: root, tokens: t.TempDir(), args: []string{"--drain-delay", "3s", "--shutdown-grace", "2s", "--mount", view, "--staging", stage}}
	d.start()
	sf := newSFClient(t, d.url, "system", d.systemKey())
	if err := sf.authenticate(); err != nil {
		t.Fatal(err)
	}
	data := randomBytes(t, 8<<20)

	// A streamed publish, cut by the shutdown.
	key := "3d9b7c1e-2f4a-4b6c-8d0e-1f2a3b4c5d6e"
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", d.url+"/v1/labels/system/draining", pr)
	req.Header.Set("Authorization", "Bearer "+sf.token)
	req.Header.Set("Upload-Key", key)
	result := make(chan string, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		result <- fmt.Sprintf("%d %s", resp.StatusCode, b)
	}()
	pw.Write(data[:3<<20])

	// A staging write (dd from a pipe), also cut by the shutdown.
	dd := exec.Command("dd", "of="+filepath.Join(stage, "system", "staged"), "bs=64k", "status=none")
	ddIn, _ := dd.StdinPipe()
	var ddErr bytes.Buffer
	dd.Stderr = &ddErr
	if err := dd.Start(); err != nil {
		t.Fatal(err)
	}
	ddIn.Write(data[:2<<20])
	time.Sleep(200 * time.Millisecond)

	d.cmd.Process.Signal(syscall.SIGTERM)
	saw503 := false
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && !saw503; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(d.url + "/readyz"); err == nil {
			saw503 = resp.StatusCode == 503
			resp.Body.Close()
		}
	}
	if !saw503 {
		t.Fatal("/readyz never answered 503 while draining")
	}
	pw.Write(data[3<<20 : 4<<20]) // still flowing during the grace period
	ddIn.Write(data[2<<20 : 3<<20])
	if err := d.cmd.Wait(); err != nil {
		t.Fatalf("daemon exit after SIGTERM: %v (want status 0)\n%s", err, d.logText())
	}
	d.cmd = nil
	pw.CloseWithError(io.ErrUnexpectedEOF)
	if r := <-result; strings.HasPrefix(r, "200") {
		t.Fatalf("an upload cut by shutdown was published: %s", r)
	}
	ddIn.Close()
	if err := dd.Wait(); err == nil {
		t.Fatal("dd succeeded although the staging mount went away under it")
	} else if ddErr.Len() == 0 {
		t.Fatalf("dd failed without saying why: %v", err)
	}
	mountinfo, _ := os.ReadFile("/proc/self/mountinfo")
	for _, dir := range []string{view, stage} {
		if strings.Contains(string(mountinfo), " "+dir+" ") {
			t.Fatalf("%s is still mounted after the daemon exited", dir)
		}
	}

	d.start()
	t.Cleanup(d.stop)
	sf.base, sf.token = d.url, ""
	u := sf.must("GET", "/v1/uploads/"+key, nil)
	if off := int(u["offset"].(float64)); off < 3<<20 || off > 4<<20 {
		t.Fatalf("after the restart the upload is at %d, want what arrived before the shutdown (3 to 4 MiB)", off)
	}
	if _, err := sf.call("GET", "/label/system/staged", nil); err == nil {
		t.Fatal("the staging write cut by the shutdown was published")
	}
	checkBlobTree(t, root)
}

// TestOps_SIGHUPReloads: SIGHUP re-reads the config file's log level.
func TestOps_SIGHUPReloads(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "sfcas.toml")
	os.WriteFile(conf, []byte("[log]\nlevel = \"warn\"\n"), 0o644)
	d := startDaemon(t, "", "--config", conf)
	if strings.Contains(d.logText(), `"msg":"sfcas serving"`) {
		t.Fatal("info lines logged at level warn")
	}
	os.WriteFile(conf, []byte("[log]\nlevel = \"info\"\n"), 0o644)
	d.cmd.Process.Signal(syscall.SIGHUP)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		http.Get(d.url + "/livez")
		if strings.Contains(d.logText(), `"route":"GET /livez"`) {
			return
		}
	}
	t.Fatalf("after SIGHUP the info level did not take effect:\n%s", d.logText())
}

// TestOps_Metrics: counters move after a publish and a read; promtool
// accepts the exposition.
func TestOps_Metrics(t *testing.T) {
	view, stage := t.TempDir(), t.TempDir()
	d := startDaemon(t, "", "--mount", view, "--staging", stage)
	scrape := func() string {
		resp, err := http.Get(d.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	before := scrape()
	img := filepath.Join(t.TempDir(), "img.raw")
	os.WriteFile(img, randomBytes(t, 2<<20), 0o644)
	if _, e, code := d.cli(nil, "publish", img, "--label", "system/metrics"); code != 0 {
		t.Fatal(e)
	}
	if _, e, code := d.cli(nil, "blob", "get", "system/metrics", "-O", filepath.Join(t.TempDir(), "out")); code != 0 {
		t.Fatal(e)
	}
	// Through the mounts: one staged publish, one read through the view.
	if out, err := exec.Command("cp", img, filepath.Join(stage, "system", "staged")).CombinedOutput(); err != nil {
		t.Fatalf("cp into staging: %v %s", err, out)
	}
	if out, err := exec.Command("cmp", img, filepath.Join(view, "system", "staged")).CombinedOutput(); err != nil {
		t.Fatalf("cmp through the view: %v %s", err, out)
	}
	for _, args := range [][]string{{"gc", "--online"}, {"scrub", "--online"}} {
		if _, e, code := d.cli(nil, args...); code != 0 {
			t.Fatalf("sfcas %v: %d %s", args, code, e)
		}
	}
	// Store gauges refresh at most once a second while the catalog changes.
	var after string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if after = scrape(); strings.Contains(after, "sfcas_blobs 1") {
			break
		}
	}
	for _, want := range []string{
		`sfcas_http_requests_total{code="200",method="POST",route="POST /v1/labels/{ns}/{name}"} 1`,
		`sfcas_http_response_bytes_total{route="GET /v1/blobs/{digest}/data"} 2.097152e+06`,
		"sfcas_ingested_bytes_total 4.194304e+06", // the API publish and the staged one (same bytes)
		"sfcas_blobs 1",
		`sfcas_artifacts{type="label"} 2`,
		"sfcas_free_bytes ",
		"sfcas_gc_runs_total 1",
		"sfcas_scrub_checked_blobs_total 1",
		"sfcas_scrub_checked_bytes_total 2.097152e+06",
		"sfcas_catalog_stats_up 1",
		`sfcas_staging_commits_total{mount="` + stage + `"} 1`,
		`sfcas_staging_committed_bytes_total{mount="` + stage + `"} 2.097152e+06`,
		`sfcas_fuse_opens_total{mount="` + view + `"} 1`,
	} {
		if !strings.Contains(after, want) {
			t.Errorf("metrics lack %q", want)
		}
		if strings.Contains(before, want) && !strings.HasSuffix(want, " ") && !strings.HasSuffix(want, "_up 1") {
			t.Errorf("%q was already there before the publish", want)
		}
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not installed (make deps installs the prometheus package): %v", err)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(after)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestOps_SystemdUnitVerifies runs systemd-analyze verify on the unit, with
// ExecStart pointing at a real binary.
func TestOps_SystemdUnitVerifies(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatalf("systemd-analyze not installed: %v", err)
	}
	unit, err := os.ReadFile("../../packaging/sfcas.service")
	if err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	unit = bytes.ReplaceAll(unit, []byte("/usr/local/bin/sfcas"), []byte(self))
	p := filepath.Join(t.TempDir(), "sfcas.service")
	os.WriteFile(p, unit, 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, sa, "verify", p).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	if _, _, err := loadConfigFile("../../packaging/sfcas.toml"); err != nil {
		t.Fatalf("the packaged default config does not validate: %v", err)
	}
}

// TestOps_CatalogBackup: a hot backup opens as a catalog with the same
// labels.
func TestOps_CatalogBackup(t *testing.T) {
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "img.raw")
	os.WriteFile(img, randomBytes(t, 50000), 0o644)
	if _, e, code := d.cli(nil, "publish", img, "--label", "system/backed-up"); code != 0 {
		t.Fatal(e)
	}
	backup := filepath.Join(t.TempDir(), "catalog.db")
	if out, e, code := d.cli(nil, "catalog", "backup", backup); code != 0 || !strings.Contains(out, "wrote") {
		t.Fatalf("backup: %d %s %s", code, out, e)
	}
	// A daemon on a copy of the store with the backed-up catalog knows the label.
	root2 := t.TempDir()
	if out, err := exec.Command("cp", "-a", filepath.Join(d.root, "blobs"), filepath.Join(d.root, "system.key"), root2).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	b, _ := os.ReadFile(backup)
	os.WriteFile(filepath.Join(root2, "catalog.db"), b, 0o600)
	d2 := startDaemon(t, root2)
	if out, e, code := d2.cli(nil, "label", "show", "system/backed-up"); code != 0 || !strings.Contains(out, "system/backed-up") {
		t.Fatalf("restored catalog: %d %s %s", code, out, e)
	}
	team := newSFClient(t, d.url, "system", d.systemKey())
	team.must("POST", "/auth/namespaces", map[string]any{"namespace": "team", "key_name": "k", "key": "team-secret-1"})
	if _, e, code := d.cli([]string{"SFCAS_NAMESPACE=team", "SFCAS_KEY=team-secret-1"}, "catalog", "backup", backup+"2"); code != exitDenied {
		t.Fatalf("backup by a non-system namespace: %d %s", code, e)
	}
}
