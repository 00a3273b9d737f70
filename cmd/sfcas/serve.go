package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
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
	DrainDelay    time.Duration
	TokenTTL      time.Duration
	SnapshotDirs  []string
	Schedule      scheduleConfig
	Mounts        mountConfig
}

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the daemon: REST API (and mounts)",
		Description: "Settings come from flags, then SFCAS_* environment variables, then the config file\n" +
			"(--config, SFCAS_CONFIG or " + defaultConfigFile + "), then defaults; see sfcas config show.",
		Flags: settingFlags(),
		Action: func(c *cli.Context) error {
			cfg, _, err := resolveConfig(c)
			if err != nil {
				return err
			}
			return serve(c.Context, cfg, func() (serveConfig, error) {
				next, _, err := resolveConfig(c)
				return next, err
			})
		},
	}
}

func newLogger(format string, level slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "text" || (format == "auto" && term.IsTerminal(int(os.Stderr.Fd()))) {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

// serve runs the daemon until ctx ends (SIGTERM or SIGINT), then drains:
// /readyz answers 503, in-flight requests get cfg.ShutdownGrace to finish,
// then connections are closed and the catalog is closed. SIGHUP calls
// reload and applies what can change at run time (log level, free-space
// floor). It tells systemd (Type=notify) when it is ready and stopping, and
// feeds the watchdog while the catalog answers.
func serve(ctx context.Context, cfg serveConfig, reload func() (serveConfig, error)) error {
	level := new(slog.LevelVar)
	level.Set(cfg.LogLevel)
	log := newLogger(cfg.LogFormat, level)
	log.Debug("configuration", "config", cfg)
	blobs, err := cas.Open(cfg.Root, cas.Options{Logger: log, MinFree: cfg.MinFree})
	if err != nil {
		return err
	}
	db, err := catalog.Open(filepath.Join(cfg.Root, "catalog.db"), blobs, catalog.Options{Logger: log})
	if err != nil {
		return err
	}
	defer db.Close()
	removeTempLeftovers(blobs, log)
	if err := ensureSystemKey(ctx, db, cfg.Root, log); err != nil {
		return err
	}
	ms, err := startMounts(ctx, cfg.Mounts.resolved(cfg.Root), db, log)
	if err != nil {
		return err
	}
	defer ms.unmount(log)
	var ready atomic.Bool
	m := newMetrics(log, db, blobs, ms)
	dirs, err := snapshotDirs(cfg.SnapshotDirs)
	if err != nil {
		return err
	}
	api := httpapi.New(httpapi.Options{DB: db, Logger: log, Version: version, TokenTTL: cfg.TokenTTL,
		Observe: m.observe, SnapshotDirs: dirs,
		Integrity: httpapi.IntegrityOptions{GCGrace: cfg.Schedule.GCGrace, ScrubWait: scrubPace(cfg.Schedule.ScrubRate)}})
	api.SetReady(ready.Load)
	defer api.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{Handler: m.handler(api.Handler()), ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	go janitor(ctx, db)
	addrFile := filepath.Join(cfg.Root, addrFileName)
	if err := os.WriteFile(addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", addrFile, err)
	}
	defer os.Remove(addrFile)

	ready.Store(true)
	sdNotify(log, sd.SdNotifyReady)
	go watchdog(ctx, log, db)
	sched := newSchedules(cfg.Schedule)
	runSchedules(ctx, db, sched, log)
	log.Info("sfcas serving", "listen", ln.Addr().String(), "root", blobs.Root(), "version", version)

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for running := true; running; {
		select {
		case err := <-served:
			return fmt.Errorf("http server: %w", err)
		case <-hup:
			sdNotify(log, sd.SdNotifyReloading)
			next, err := reload()
			if err != nil {
				log.Error("reload refused; keeping the running configuration", "err", err)
			} else {
				level.Set(next.LogLevel)
				blobs.SetMinFree(next.MinFree)
				sched.set(next.Schedule)
				log.Info("configuration reloaded", "log_level", next.LogLevel, "min_free", next.MinFree,
					"gc_interval", next.Schedule.GCInterval, "scrub_interval", next.Schedule.ScrubInterval, "scrub_rate", next.Schedule.ScrubRate)
			}
			sdNotify(log, sd.SdNotifyReady)
		case <-ctx.Done():
			running = false
		}
	}

	ready.Store(false)
	sdNotify(log, sd.SdNotifyStopping)
	log.Info("draining", "delay", cfg.DrainDelay, "grace", cfg.ShutdownGrace)
	time.Sleep(cfg.DrainDelay) // let load balancers see /readyz fail before the listener closes
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("requests still running after the grace period; closing their connections", "err", err)
		srv.Close()
	}
	api.Close()
	log.Info("stopped")
	return nil
}

// sdNotify tells systemd about a state change; outside systemd it does
// nothing.
func sdNotify(log *slog.Logger, state string) {
	if _, err := sd.SdNotify(false, state); err != nil {
		log.Warn("sd_notify", "state", state, "err", err)
	}
}

// watchdog feeds systemd's watchdog at half its interval while the catalog
// answers; a wedged daemon stops feeding it and gets restarted.
func watchdog(ctx context.Context, log *slog.Logger, db *catalog.DB) {
	interval, err := sd.SdWatchdogEnabled(false)
	if err != nil || interval == 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, cancel := context.WithTimeout(ctx, interval/4)
			err := db.Ping(pctx)
			cancel()
			if err != nil {
				log.Error("health check failed; not feeding the watchdog", "err", err)
				continue
			}
			sdNotify(log, sd.SdNotifyWatchdog)
		}
	}
}

// snapshotDirs checks the --snapshot-dirs directories and makes them
// absolute.
func snapshotDirs(in []string) ([]string, error) {
	var out []string
	for _, d := range in {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, usagef("--snapshot-dirs %s: %v", d, err)
		}
		if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
			return nil, usagef("--snapshot-dirs %s is not a directory", d)
		}
		out = append(out, abs)
	}
	return out, nil
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

// removeTempLeftovers deletes the anonymous temp files a crashed daemon left
// in tmp/. With the catalog open (bbolt holds an exclusive lock) no other
// sfcas process can be writing there. Upload spools stay: they belong to
// sessions that may resume; GC and fsck deal with expired ones.
func removeTempLeftovers(blobs *cas.Store, log *slog.Logger) {
	left, err := blobs.Leftovers()
	if err != nil {
		log.Warn("listing temp files", "err", err)
		return
	}
	for _, l := range left {
		if l.Spool {
			continue
		}
		if err := blobs.RemoveLeftover(l); err != nil {
			log.Warn("removing a temp file", "file", l.Path, "err", err)
			continue
		}
		log.Info("removed a temp file left by an earlier run", "file", l.Path, "size", l.Size)
	}
}
