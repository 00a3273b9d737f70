package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/sfcas/sfcas/catalog"
)

// scheduleConfig is when the daemon collects garbage and scrubs.
type scheduleConfig struct {
	GCInterval    time.Duration // 0: no background GC
	GCGrace       time.Duration
	ScrubInterval time.Duration // pause between complete passes; 0: no background scrub
	ScrubRate     int64         // bytes per second
}

// scrubBatch is how many blobs one background scrub run checks before it
// saves its checkpoint and looks at ctx again.
const scrubBatch = 64

// runSchedules starts background GC and scrub; they stop with ctx.
func runSchedules(ctx context.Context, db *catalog.DB, cfg scheduleConfig, log *slog.Logger) {
	if cfg.GCInterval > 0 {
		go gcLoop(ctx, db, cfg, log)
	}
	if cfg.ScrubInterval > 0 {
		go scrubLoop(ctx, db, cfg, log)
	}
}

func gcLoop(ctx context.Context, db *catalog.DB, cfg scheduleConfig, log *slog.Logger) {
	t := time.NewTicker(cfg.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rep, err := db.GC(ctx, catalog.GCOptions{Grace: cfg.GCGrace})
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("background gc", "err", err)
		case len(rep.Deleted) > 0 || len(rep.UploadsReaped) > 0 || len(rep.Errors) > 0:
			log.Info("background gc", "deleted", len(rep.Deleted), "bytes", rep.DeletedBytes,
				"waiting", rep.Waiting, "pinned", rep.Pinned, "uploads_reaped", len(rep.UploadsReaped), "errors", rep.Errors)
		}
	}
}

// scrubLoop runs a scrub pass every ScrubInterval after the last one ended,
// resuming an unfinished pass at once (after a restart).
func scrubLoop(ctx context.Context, db *catalog.DB, cfg scheduleConfig, log *slog.Logger) {
	wait := scrubPace(cfg.ScrubRate)
	for {
		p, err := db.ScrubProgress()
		if err != nil {
			log.Error("background scrub", "err", err)
			return
		}
		if p.Cursor == "" {
			if !sleep(ctx, time.Until(p.LastPass.Add(cfg.ScrubInterval))) {
				return
			}
		}
		for {
			rep, err := db.Scrub(ctx, catalog.ScrubOptions{Limit: scrubBatch, Wait: wait})
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				log.Error("background scrub", "err", err)
				if !sleep(ctx, time.Minute) {
					return
				}
				break
			}
			for _, f := range rep.Quarantined {
				log.Error("scrub quarantined a blob", "blob", f.Object, "kind", f.Kind, "problem", f.Detail)
			}
			if rep.PassComplete {
				log.Info("scrub pass complete")
				break
			}
		}
	}
}

// sleep waits d (nothing if d <= 0); false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
