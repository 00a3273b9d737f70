package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// serveConfig is everything sfcas serve needs, from flags.
type serveConfig struct {
	Root          string
	Listen        string
	LogFormat     string // json, text, or auto (text on a terminal)
	LogLevel      slog.Level
	MinFree       int64
	ShutdownGrace time.Duration
	Mounts        mountConfig
}

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the daemon: REST API (and mounts)",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "listen", Usage: "HOST:PORT of the REST API", EnvVars: []string{"SFCAS_LISTEN"}, Value: defaultListen},
			&cli.StringFlag{Name: "log-format", Usage: "json, text or auto", EnvVars: []string{"SFCAS_LOG_FORMAT"}, Value: "auto"},
			&cli.StringFlag{Name: "log-level", Usage: "debug, info, warn or error", EnvVars: []string{"SFCAS_LOG_LEVEL"}, Value: "info"},
			&cli.Int64Flag{Name: "min-free", Usage: "free-space floor in bytes; writes below it fail", EnvVars: []string{"SFCAS_MIN_FREE"}, Value: 1 << 30},
			&cli.DurationFlag{Name: "shutdown-grace", Usage: "how long SIGTERM waits for requests to finish", Value: 30 * time.Second},
		}, mountFlags()...),
		Action: func(c *cli.Context) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(c.String("log-level"))); err != nil {
				return usagef("--log-level: %v", err)
			}
			return serve(c.Context, serveConfig{
				Root: c.String("root"), Listen: c.String("listen"), LogFormat: c.String("log-format"),
				LogLevel: lvl, MinFree: c.Int64("min-free"), ShutdownGrace: c.Duration("shutdown-grace"),
				Mounts: mountConfigFrom(c),
			})
		},
	}
}

func newLogger(format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "text" || (format == "auto" && term.IsTerminal(int(os.Stderr.Fd()))) {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

// serve runs the daemon until ctx ends (SIGTERM or SIGINT), then drains.
func serve(ctx context.Context, cfg serveConfig) error {
	log := newLogger(cfg.LogFormat, cfg.LogLevel)
	blobs, err := cas.Open(cfg.Root, cas.Options{Logger: log, MinFree: cfg.MinFree})
	if err != nil {
		return err
	}
	db, err := catalog.Open(filepath.Join(cfg.Root, "catalog.db"), blobs, catalog.Options{Logger: log})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := ensureSystemKey(ctx, db, cfg.Root, log); err != nil {
		return err
	}
	ms, err := startMounts(ctx, cfg.Mounts, db, log)
	if err != nil {
		return err
	}
	defer ms.unmount(log)
	api := httpapi.New(httpapi.Options{DB: db, Logger: log, Version: version})
	defer api.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	go janitor(ctx, db)
	log.Info("sfcas serving", "listen", ln.Addr().String(), "root", blobs.Root(), "version", version)

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", cfg.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown", "err", err)
	}
	return nil
}

// janitor closes idle upload writers (their data stays on disk).
func janitor(ctx context.Context, db *catalog.DB) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			db.CloseIdleUploads(5 * time.Minute)
		}
	}
}

// ensureSystemKey makes sure the system namespace exists and that root on
// the node holds a working key for it in <root>/system.key (mode 0600). A
// missing file gets a new key, replacing the old one.
func ensureSystemKey(ctx context.Context, db *catalog.DB, root string, log *slog.Logger) error {
	if err := db.EnsureNamespace(ctx, catalog.SystemNamespace); err != nil {
		return err
	}
	path := filepath.Join(root, systemKeyFile)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	secret := catalog.GenerateKey()
	sys := catalog.Caller{Namespace: catalog.SystemNamespace, Key: "sfcas"}
	if err := db.SetKey(ctx, sys, catalog.SystemNamespace, systemKeyName, []byte(secret)); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(secret+"\n"), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	log.Info("wrote the system key", "path", path)
	return nil
}
