package main

import (
	"context"
	"log/slog"
	"sync/atomic"
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

// idleCheck is how often a switched-off schedule looks whether a reload
// switched it on.
const idleCheck = time.Minute

// schedules holds the background GC and scrub configuration; SIGHUP swaps
// it and wakes the loops, which read it afresh each round.
type schedules struct {
	cfg  atomic.Pointer[scheduleConfig]
	wake chan struct{}
}

func newSchedules(c scheduleConfig) *schedules {
	s := &schedules{wake: make(chan struct{}, 2)}
	s.cfg.Store(&c)
	return s
}

func (s *schedules) get() scheduleConfig { return *s.cfg.Load() }

// set installs a new configuration and wakes both loops.
func (s *schedules) set(c scheduleConfig) {
	s.cfg.Store(&c)
	for range 2 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// sleep waits d, or until a reload; false if ctx ended.
func (s *schedules) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-s.wake:
	}
	return true
}

// runSchedules starts background GC and scrub; they stop with ctx.
func runSchedules(ctx context.Context, db *catalog.DB, s *schedules, log *slog.Logger) {
	go gcLoop(ctx, db, s, log)
	go scrubLoop(ctx, db, s, log)
}

func gcLoop(ctx context.Context, db *catalog.DB, s *schedules, log *slog.Logger) {
	last := time.Now()
	for {
		cfg := s.get()
		wait := idleCheck
		if cfg.GCInterval > 0 {
			wait = time.Until(last.Add(cfg.GCInterval))
		}
		if !s.sleep(ctx, wait) {
			return
		}
		if cfg = s.get(); cfg.GCInterval <= 0 || time.Since(last) < cfg.GCInterval {
			continue // switched off, or woken early by a reload
		}
		last = time.Now()
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
// resuming an unfinished pass at once (after a restart). The rate is read
// again for every batch.
func scrubLoop(ctx context.Context, db *catalog.DB, s *schedules, log *slog.Logger) {
	for {
		cfg := s.get()
		if cfg.ScrubInterval <= 0 {
			if !s.sleep(ctx, idleCheck) {
				return
			}
			continue
		}
		p, err := db.ScrubProgress()
		if err != nil {
			log.Error("background scrub", "err", err)
			return
		}
		if p.Cursor == "" && time.Until(p.LastPass.Add(cfg.ScrubInterval)) > 0 {
			if !s.sleep(ctx, time.Until(p.LastPass.Add(cfg.ScrubInterval))) {
				return
			}
			continue // look at the configuration again
		}
		rate := cfg.ScrubRate
		wait := scrubPace(rate)
		for s.get().ScrubInterval > 0 {
			if r := s.get().ScrubRate; r != rate {
				rate, wait = r, scrubPace(r)
			}
			rep, err := db.Scrub(ctx, catalog.ScrubOptions{Limit: scrubBatch, Wait: wait})
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				log.Error("background scrub", "err", err)
				if !s.sleep(ctx, time.Minute) {
					return
				}
				break
			}
			for _, f := range rep.Quarantined {
				log.Error("scrub quarantined a blob", "blob", f.Object, "kind", f.Kind, "problem", f.Detail)
			}
			if rep.PassComplete {
				log.Info("scrub pass complete", "blobs", rep.Scanned)
				break
			}
		}
	}
}
