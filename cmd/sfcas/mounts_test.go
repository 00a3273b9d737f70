package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fuseUsable skips t unless this process can mount FUSE, or fails it when
// SF_REQUIRE_FUSE=1 (CI).
func fuseUsable(t *testing.T) {
	t.Helper()
	if defaultMountDir("/x") == "" {
		if os.Getenv("SF_REQUIRE_FUSE") == "1" {
			t.Fatal("SF_REQUIRE_FUSE=1 but this process cannot mount FUSE (root and /dev/fuse needed)")
		}
		t.Skip("FUSE mounts need root and /dev/fuse")
	}
}

// TestServe_MountsAndUnmounts runs the daemon with both mounts, checks
// they serve, and that ending it (SIGTERM's context cancel) unmounts them.
func TestServe_MountsAndUnmounts(t *testing.T) {
	fuseUsable(t)
	dir := t.TempDir()
	view, staging := filepath.Join(dir, "sf"), filepath.Join(dir, "sf-staging")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		cfg := serveConfig{Root: filepath.Join(dir, "store"), Listen: "127.0.0.1:0", LogFormat: "text",
			LogLevel: slog.LevelWarn, ShutdownGrace: time.Second,
			Mounts: mountConfig{View: view, Staging: staging, StagingLease: time.Minute}}
		done <- serve(ctx, cfg, func() (serveConfig, error) { return cfg, nil })
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err1 := os.Stat(filepath.Join(view, "system"))
		_, err2 := os.Stat(filepath.Join(staging, "system"))
		if err1 == nil && err2 == nil {
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve ended: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("mounts did not come up: %v, %v", err1, err2)
		}
		time.Sleep(20 * time.Millisecond)
	}
	data := []byte("not a disk image, but bytes all the same\n")
	if err := os.WriteFile(filepath.Join(staging, "system", "hello"), data, 0o644); err != nil {
		cancel()
		t.Fatalf("write through staging: %v", err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		got, err := os.ReadFile(filepath.Join(view, "system", "hello"))
		if err == nil && string(got) == string(data) {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the view does not show the staged file: %q, %v", got, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	for _, p := range []string{view, staging} {
		if ents, err := os.ReadDir(p); err != nil || len(ents) != 0 {
			t.Errorf("%s after shutdown: %d entries, %v (still mounted?)", p, len(ents), err)
		}
	}
}

// TestMountConfig_Auto checks that "auto" mount points apply only to the
// default store root.
func TestMountConfig_Auto(t *testing.T) {
	c := mountConfig{View: autoMount, Staging: autoMount}
	if got := c.resolved("/tmp/scratch"); got.View != "" || got.Staging != "" {
		t.Errorf("auto on a scratch root: %q %q, want none", got.View, got.Staging)
	}
	want := defaultMountDir(defaultView)
	if got := c.resolved(defaultRoot); got.View != want || got.Staging != defaultMountDir(defaultStaging) {
		t.Errorf("auto on %s: %q %q", defaultRoot, got.View, got.Staging)
	}
	if got := (mountConfig{View: "/x", Staging: ""}).resolved(defaultRoot); got.View != "/x" || got.Staging != "" {
		t.Errorf("explicit mount points changed: %+v", got)
	}
}

// TestServe_MountFailureIsAnError checks that a mount that cannot be made
// stops the start with an error naming the flag.
func TestServe_MountFailureIsAnError(t *testing.T) {
	fuseUsable(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := serveConfig{Root: filepath.Join(dir, "store"), Listen: "127.0.0.1:0", LogFormat: "text",
		LogLevel: slog.LevelError, Mounts: mountConfig{View: filepath.Join(file, "sf")}}
	err := serve(t.Context(), cfg, func() (serveConfig, error) { return cfg, nil })
	if err == nil || !strings.Contains(err.Error(), "--mount") {
		t.Fatalf("serve with an impossible mount point: %v", err)
	}
	if !errors.Is(err, syscall.ENOTDIR) {
		t.Logf("error: %v", err)
	}
}
