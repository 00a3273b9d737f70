package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The CLI end-to-end tests run client commands (this test binary as sfcas,
// see TestMain) against a real daemon (startDaemon), as a given user.

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
	cmd := u.d.cliCmd(args...)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "SFCAS_TOKEN_CACHE=" + u.d.tokens}
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
