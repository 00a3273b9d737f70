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
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the sfcas binary: run with SFCAS_TEST_MAIN=1
// it is sfcas, so tests start real daemons and real CLI processes without a
// separate build, and can kill them with SIGKILL.
func TestMain(m *testing.M) {
	if os.Getenv("SFCAS_TEST_MAIN") == "1" {
		main()
		return
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// sfcasCmd returns a command running this binary as sfcas.
func sfcasCmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SFCAS_TEST_MAIN=1")
	return cmd
}

// binary is an ordinary (not race-instrumented) sfcas built with -tags
// failpoints, once, on first use: client commands run it (a race binary
// takes a second just to start), and so do the crash tests' daemons.
// Without SFCAS_FAILPOINT it behaves exactly like a release build. Daemons
// started by startDaemon run this test binary instead, under the race
// detector.
var (
	binary    string
	binDir    string
	buildOnce sync.Once
	buildErr  error
)

func sfcasBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "sfcas-bin-"); buildErr != nil {
			return
		}
		binary = filepath.Join(binDir, "sfcas")
		out, err := exec.Command("go", "build", "-tags", "failpoints", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building sfcas with -tags failpoints: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// cliCmd returns a client command (the ordinary build) with a token cache
// private to the daemon under test.
func (d *daemon) cliCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(sfcasBinary(d.t), append([]string{"--url", d.url, "--root", d.root}, args...)...)
	cmd.Env = append(os.Environ(), "SFCAS_TOKEN_CACHE="+d.tokens)
	return cmd
}

// daemon is a running `sfcas serve` on a loopback port.
type daemon struct {
	t      testing.TB
	root   string
	tokens string // the client commands' token cache
	url    string
	cmd    *exec.Cmd
	log    *bytes.Buffer
	args   []string
}

// startDaemon starts sfcas serve on root (a fresh t.TempDir() if empty),
// waits until it is ready and stops it (SIGKILL if need be) at cleanup.
func startDaemon(t testing.TB, root string, extra ...string) *daemon {
	t.Helper()
	if root == "" {
		root = t.TempDir()
	}
	d := &daemon{t: t, root: root, args: extra, tokens: t.TempDir()}
	d.start()
	t.Cleanup(d.stop)
	return d
}

func (d *daemon) start() {
	d.t.Helper()
	os.Remove(filepath.Join(d.root, addrFileName))
	args := append([]string{"--root", d.root, "serve", "--listen", "127.0.0.1:0", "--min-free", "0", "--log-format", "json", "--drain-delay", "0s"}, d.args...)
	d.cmd = sfcasCmd(context.Background(), args...)
	d.log = &bytes.Buffer{}
	d.cmd.Stderr = &lockedWriter{w: d.log}
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(d.root, addrFileName)); err == nil && len(b) > 0 {
			d.url = "http://" + strings.TrimSpace(string(b))
			if resp, err := http.Get(d.url + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.cmd.Process.Kill()
	d.t.Fatalf("daemon did not start; log:\n%s", d.log)
}

// kill sends SIGKILL and waits.
func (d *daemon) kill() {
	if d.cmd != nil && d.cmd.Process != nil {
		d.cmd.Process.Signal(syscall.SIGKILL)
		d.cmd.Wait()
		d.cmd = nil
	}
}

// stop sends SIGTERM, waits a while, then kills.
func (d *daemon) stop() {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		d.cmd.Process.Kill()
		<-done
	}
	d.cmd = nil
}

// systemKey returns the key the daemon wrote for root.
func (d *daemon) systemKey() string {
	b, err := os.ReadFile(filepath.Join(d.root, systemKeyFile))
	if err != nil {
		d.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// cli runs an sfcas client command against d as root on the node and
// returns stdout, stderr and the exit code.
func (d *daemon) cli(env []string, args ...string) (string, string, int) {
	d.t.Helper()
	cmd := d.cliCmd(args...)
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		d.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// lockedWriter serialises writes from the child's stderr copier with reads
// by the test.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// mustJSON decodes b into v or fails.
func mustJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %q: %v", clipBytes(b), err)
	}
}

func clipBytes(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// logText returns what the daemon logged so far.
func (d *daemon) logText() string {
	lw := d.cmd.Stderr.(*lockedWriter)
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return d.log.String()
}
