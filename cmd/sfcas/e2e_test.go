package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The end-to-end tests run the real sfcas binary: a daemon on a loopback
// port over a store in t.TempDir(), and client commands against it.

var sfcasBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sfcas-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sfcasBin = filepath.Join(dir, "sfcas")
	out, err := exec.Command("go", "build", "-o", sfcasBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building sfcas for the end-to-end tests: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// daemon is a running `sfcas serve`.
type daemon struct {
	root, url string
}

func startDaemon(t *testing.T, extra ...string) *daemon {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	d := &daemon{root: t.TempDir(), url: "http://" + addr}
	var logs bytes.Buffer
	cmd := exec.Command(sfcasBin, append([]string{"--root", d.root, "serve", "--listen", addr, "--min-free", "0",
		"--log-level", "warn", "--log-format", "text"}, extra...)...)
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs.String())
		}
	})
	for i := 0; ; i++ {
		resp, err := http.Get(d.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("daemon exited: %v\n%s", err, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if i > 400 {
			t.Fatalf("daemon not ready at %s\n%s", d.url, logs.String())
		}
	}
}

// user is whom a command runs as: system (the root key file) or a
// namespace with a key.
type user struct {
	d        *daemon
	ns, key  string
	stdinStr string
}

func (d *daemon) system() *user { return &user{d: d} }

// newUser creates namespace ns with a key, as system.
func (d *daemon) newUser(t *testing.T, ns string) *user {
	t.Helper()
	sys := d.system()
	sys.ok(t, "namespace", "create", ns)
	key := ns + "-secret-key"
	sys.stdinStr = key + "\n"
	sys.ok(t, "key", "add", ns, "cli")
	return &user{d: d, ns: ns, key: key}
}

// result is one command's outcome.
type result struct {
	stdout, stderr string
	code           int
}

func (u *user) run(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(sfcasBin, append([]string{"--url", u.d.url, "--root", u.d.root}, args...)...)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if u.ns != "" {
		env = append(env, "SFCAS_NAMESPACE="+u.ns, "SFCAS_KEY="+u.key)
	}
	cmd.Env = env
	cmd.Stdin = strings.NewReader(u.stdinStr)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running sfcas %v: %v", args, err)
	}
	return result{stdout.String(), stderr.String(), code}
}

// ok runs a command that must succeed and returns its standard output.
func (u *user) ok(t *testing.T, args ...string) string {
	t.Helper()
	r := u.run(t, args...)
	if r.code != 0 {
		t.Fatalf("sfcas %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// json runs a command with --output json and decodes its answer into v.
func (u *user) json(t *testing.T, v any, args ...string) {
	t.Helper()
	out := u.ok(t, append([]string{"--output", "json"}, args...)...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("sfcas %s: output is not JSON (%v):\n%s", strings.Join(args, " "), err, out)
	}
}

// fails runs a command that must fail with exit code want; it returns
// standard error.
func (u *user) fails(t *testing.T, want int, args ...string) string {
	t.Helper()
	r := u.run(t, args...)
	if r.code != want {
		t.Fatalf("sfcas %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r.stderr
}

// file writes data to a new file under dir and returns its path.
func file(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
