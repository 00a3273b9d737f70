package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// env is a running daemon on a scratch store, plus helpers.
type env struct {
	dir    string // scratch directory (same filesystem as the store)
	root   string // the daemon's store root
	bin    string
	url    string
	scale  float64
	daemon *exec.Cmd
}

func newEnv(ctx context.Context, dir, bin string, scale float64) (*env, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.RemoveAll(abs); err != nil {
		return nil, err
	}
	e := &env{dir: abs, root: filepath.Join(abs, "store"), bin: bin, scale: scale}
	if err := os.MkdirAll(e.root, 0o755); err != nil {
		return nil, err
	}
	return e, e.start(ctx, nil)
}

// start runs `sfcas serve` on a free loopback port with extra flags.
func (e *env) start(ctx context.Context, extra []string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	// No mounts unless a benchmark asks (serve mounts /sf by default as root).
	args := append([]string{"--root", e.root, "serve", "--listen", addr, "--min-free", "0", "--log-level", "warn",
		"--mount=", "--staging="}, extra...) // explicit, whatever the defaults
	e.daemon = exec.Command(e.bin, args...)
	e.daemon.Stderr = os.Stderr
	if err := e.daemon.Start(); err != nil {
		return err
	}
	e.url = "http://" + addr
	for i := 0; i < 100; i++ {
		if resp, err := http.Get(e.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("daemon did not become ready at %s", e.url)
}

// restart stops the daemon and starts it again with extra serve flags.
func (e *env) restart(ctx context.Context, extra []string) error {
	e.close()
	return e.start(ctx, extra)
}

func (e *env) close() {
	if e.daemon != nil && e.daemon.Process != nil {
		e.daemon.Process.Signal(os.Interrupt)
		e.daemon.Wait()
	}
}

// cli runs an sfcas client command as root on the node.
func (e *env) cli(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, e.bin, append([]string{"--url", e.url, "--root", e.root}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("sfcas %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// size scales n by -scale.
func (e *env) size(n int64) int64 { return int64(float64(n) * e.scale) }

// randomFile writes n fresh random bytes to a file under the scratch dir.
func (e *env) randomFile(name string, n int64) (string, error) {
	p := filepath.Join(e.dir, name)
	f, err := os.Create(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.CopyN(f, rand.Reader, n); err != nil {
		return "", err
	}
	return p, f.Sync()
}

// timed runs fn and returns its duration in seconds.
func timed(fn func() error) (float64, error) {
	start := time.Now()
	err := fn()
	return time.Since(start).Seconds(), err
}

// median returns the median of xs (xs is sorted in place).
func median(xs []float64) float64 {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
	return xs[len(xs)/2]
}

func bytesOf(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.3g GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.3g MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d B", n)
}
