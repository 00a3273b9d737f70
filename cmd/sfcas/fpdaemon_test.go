package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
	"github.com/sfcas/sfcas/httpapi/client"
	"github.com/zeebo/blake3"
)

// fpDaemon is a running sfcas serve process built with -tags failpoints,
// for the crash tests.
type fpDaemon struct {
	t    testing.TB
	root string
	url  string
	cmd  *exec.Cmd
	done chan struct{}
	log  *bytes.Buffer
	sys  *client.Client
}

// freeAddr returns a loopback address nothing listens on now.
func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startDaemon runs sfcas serve on root with background GC and scrub off,
// no grace period and no free-space floor, plus extra flags and env, and
// waits until it is ready.
func startFPDaemon(t testing.TB, root string, env []string, flags ...string) *fpDaemon {
	t.Helper()
	addr := freeAddr(t)
	args := append([]string{"--root", root, "serve", "--listen", addr, "--log-format", "json", "--min-free", "0",
		"--gc-interval", "0", "--gc-grace", "0", "--scrub-interval", "0"}, flags...)
	cmd := exec.Command(sfcasBinary(t), args...)
	d := &fpDaemon{t: t, root: root, url: "http://" + addr, cmd: cmd, done: make(chan struct{}), log: &bytes.Buffer{}}
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = &lockedWriter{w: d.log}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(d.done) }()
	t.Cleanup(func() { d.kill() })
	for i := 0; ; i++ {
		resp, err := http.Get(d.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-d.done:
			t.Fatalf("sfcas serve exited at start: %s", d.logText())
		default:
		}
		if i > 500 {
			t.Fatalf("sfcas serve not ready after 500 tries: %s", d.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
	key, err := os.ReadFile(filepath.Join(root, systemKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	d.sys = client.New(client.Options{URL: d.url, Namespace: catalog.SystemNamespace, Key: bytes.TrimSpace(key)})
	return d
}

func (d *fpDaemon) logText() string {
	lw := d.cmd.Stderr.(*lockedWriter)
	lw.mu.Lock()
	s := d.log.String()
	lw.mu.Unlock()
	if len(s) > 4000 {
		s = "..." + s[len(s)-4000:]
	}
	return s
}

// kill sends SIGKILL (if still running) and waits for the process.
func (d *fpDaemon) kill() {
	select {
	case <-d.done:
		return
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.done
}

// stop sends SIGTERM and waits for a clean exit.
func (d *fpDaemon) stop() {
	d.t.Helper()
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(time.Minute):
		d.t.Fatal("sfcas serve did not stop on SIGTERM")
	}
}

// waitKilled waits until the process is gone and reports whether SIGKILL
// ended it (a failpoint fired).
func (d *fpDaemon) waitKilled() bool {
	select {
	case <-d.done:
	case <-time.After(time.Minute):
		d.t.Fatal("sfcas serve is still running")
	}
	ws, ok := d.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// call sends one request as system with a JSON body (or raw bytes) and
// decodes a JSON answer into out.
func (d *fpDaemon) call(ctx context.Context, method, path string, body any, out any) error {
	tok, err := d.token(ctx)
	if err != nil {
		return err
	}
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/octet-stream"
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.url+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &httpError{status: resp.StatusCode, body: string(raw)}
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

type httpError struct {
	status int
	body   string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.status, strings.TrimSpace(e.body))
}

func (d *fpDaemon) token(ctx context.Context) (string, error) {
	key, err := os.ReadFile(filepath.Join(d.root, systemKeyFile))
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(map[string]string{"namespace": catalog.SystemNamespace, "key": strings.TrimSpace(string(key))})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, d.url+"/auth", bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok api.Token
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("auth: status %d, %v", resp.StatusCode, err)
	}
	return tok.AccessToken, nil
}

// publish sends data as the body of POST /v1/labels/system/<label>.
func (d *fpDaemon) publish(ctx context.Context, label string, data []byte, query string) (api.Published, error) {
	var p api.Published
	err := d.call(ctx, http.MethodPost, "/v1/labels/system/"+label+"?"+query, data, &p)
	return p, err
}

// readVersion downloads a version's blob and checks its digest.
func (d *fpDaemon) readVersion(ctx context.Context, v api.Version) error {
	rc, _, err := d.sys.BlobData(ctx, v.Digest, 0)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := blake3.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return err
	}
	got := "blake3:" + fmt.Sprintf("%x", h.Sum(nil))
	if got != v.Digest || n != v.Size {
		return fmt.Errorf("%s: read %d bytes hashing to %s, want %d bytes of %s: %w", v.Ref, n, got, v.Size, v.Digest, errWrongBytes)
	}
	return nil
}

// errWrongBytes marks a read that completed with bytes other than the
// digest names: never acceptable.
var errWrongBytes = errors.New("wrong bytes")

// runCLI runs the sfcas binary and returns its stdout and exit code.
func runCLI(t testing.TB, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(sfcasBinary(t), args...)
	cmd.Env = append(os.Environ(), "SFCAS_URL=", "SFCAS_ROOT=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		return out.String() + errb.String(), ee.ExitCode()
	}
	t.Fatalf("running sfcas %v: %v", args, err)
	return "", -1
}

// fsckOffline runs sfcas fsck on root and decodes its report.
func fsckOffline(t testing.TB, root string, repair bool) (catalog.FsckReport, int, string) {
	t.Helper()
	args := []string{"--output", "json", "fsck", "--root", root}
	if repair {
		args = append(args, "--repair")
	}
	out, code := runCLI(t, args...)
	var rep catalog.FsckReport
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&rep); err != nil {
		t.Fatalf("fsck output: %v\n%s", err, out)
	}
	return rep, code, out
}
