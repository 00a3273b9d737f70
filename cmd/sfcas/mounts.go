package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/fusefs"
	"github.com/urfave/cli/v2"
)

// mountConfig is the FUSE part of serveConfig.
type mountConfig struct {
	View          string // label view mount point; "" disables it
	ViewAs        string // namespace the view reads as; "" is system
	NoPassthrough bool
	FUSEDebug     bool
	Staging       string // staging mount point; "" disables it
	StagingAs     string // namespace staged publishes act as; "" is system
	StagingLease  time.Duration
	AllowUnlink   bool
	StagingOthers bool
}

// defaultMountDir is dir when this process can mount FUSE (root with a
// usable /dev/fuse), else "" (disabled).
func defaultMountDir(dir string) string {
	if os.Geteuid() != 0 {
		return ""
	}
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return ""
	}
	f.Close()
	return dir
}

// Default mount points. They are the node's: "auto" takes them only for a
// daemon serving the default store root, so scratch daemons (tests,
// benchmarks, demos) never fight over /sf.
const (
	defaultView    = "/sf"
	defaultStaging = "/sf-staging"
	autoMount      = "auto"
)

// resolved replaces "auto" mount points for a daemon serving root.
func (c mountConfig) resolved(root string) mountConfig {
	auto := func(v, dir string) string {
		if v != autoMount {
			return v
		}
		if root != defaultRoot {
			return ""
		}
		return defaultMountDir(dir)
	}
	c.View, c.Staging = auto(c.View, defaultView), auto(c.Staging, defaultStaging)
	return c
}

// mounts are the FUSE mounts a daemon serves.
type mounts []*fusefs.Mount

// startMounts mounts what cfg asks for. A mount that cannot be made is an
// error: the daemon must not run without a view the operator asked for.
func startMounts(ctx context.Context, cfg mountConfig, db *catalog.DB, log *slog.Logger) (mounts, error) {
	var ms mounts
	if cfg.View != "" {
		caller, err := mountCaller(ctx, db, cfg.ViewAs)
		if err != nil {
			return nil, fmt.Errorf("--mount-as %s: %w", cfg.ViewAs, err)
		}
		m, err := fusefs.MountView(cfg.View, fusefs.ViewOptions{DB: db, Caller: caller,
			Passthrough: !cfg.NoPassthrough, Logger: log, Debug: cfg.FUSEDebug})
		if err != nil {
			return nil, fmt.Errorf("--mount %s: %w", cfg.View, err)
		}
		ms = append(ms, m)
	}
	if cfg.Staging != "" {
		caller, err := mountCaller(ctx, db, cfg.StagingAs)
		if err != nil {
			ms.unmount(log)
			return nil, fmt.Errorf("--staging-as %s: %w", cfg.StagingAs, err)
		}
		m, err := fusefs.MountStaging(cfg.Staging, fusefs.StagingOptions{DB: db, Caller: caller, Lease: cfg.StagingLease,
			AllowUnlink: cfg.AllowUnlink, AllowOther: cfg.StagingOthers, Logger: log, Debug: cfg.FUSEDebug})
		if err != nil {
			ms.unmount(log)
			return nil, fmt.Errorf("--staging %s: %w", cfg.Staging, err)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// mountCaller is the caller a mount acts as: system, or namespace ns.
func mountCaller(ctx context.Context, db *catalog.DB, ns string) (catalog.Caller, error) {
	sys := catalog.Caller{Namespace: catalog.SystemNamespace, Key: "fuse"}
	if ns == "" {
		return sys, nil
	}
	if _, err := db.GetNamespace(ctx, sys, ns); err != nil {
		return catalog.Caller{}, err
	}
	return catalog.Caller{Namespace: ns, Key: "fuse"}, nil
}

// unmount detaches every mount (lazily where files are open).
func (ms mounts) unmount(log *slog.Logger) {
	for _, m := range ms {
		if err := m.Unmount(); err != nil {
			log.Error("unmount", "dir", m.Dir(), "err", err)
		} else {
			log.Info("unmounted", "dir", m.Dir())
		}
	}
}

// mountCommand is `sfcas mount DIR`: the label view without the REST API,
// for a node where no daemon runs (the catalog allows one process).
func mountCommand() *cli.Command {
	return &cli.Command{
		Name:      "mount",
		Usage:     "mount the read-only label view without running the daemon (sfcas serve --mount does both)",
		ArgsUsage: "DIR",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "as", Usage: "namespace the view reads as (default system)"},
			&cli.BoolFlag{Name: "no-passthrough", Usage: "serve reads from this process instead of kernel passthrough"},
			&cli.BoolFlag{Name: "fuse-debug", Usage: "log every FUSE request"},
			&cli.StringFlag{Name: "log-format", Value: "auto"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 || c.Args().First() == "" {
				return usagef("usage: sfcas mount DIR")
			}
			log := newLogger(c.String("log-format"), slog.LevelInfo)
			root := c.String("root")
			blobs, err := cas.Open(root, cas.Options{Logger: log})
			if err != nil {
				return err
			}
			db, err := catalog.Open(filepath.Join(root, "catalog.db"), blobs, catalog.Options{Logger: log})
			if err != nil {
				if errors.Is(err, catalog.ErrLocked) {
					return fmt.Errorf("%w: a daemon is running on %s; use sfcas serve --mount instead", err, root)
				}
				return err
			}
			defer db.Close()
			ms, err := startMounts(c.Context, mountConfig{View: c.Args().First(), ViewAs: c.String("as"),
				NoPassthrough: c.Bool("no-passthrough"), FUSEDebug: c.Bool("fuse-debug")}, db, log)
			if err != nil {
				return err
			}
			<-c.Context.Done()
			ms.unmount(log)
			return nil
		},
	}
}
