package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
)

// kill9Iterations is how often TestKill9_MixedLoad kills the daemon.
const kill9Iterations = 20

// ackLog records what the daemon acknowledged: per label, every version it
// answered 200 for.
type ackLog struct {
	mu     sync.Mutex
	acks   map[string][]api.Version
	count  atomic.Int64
	reads  atomic.Int64
	gcRuns atomic.Int64
}

func (a *ackLog) add(label string, v *api.Version) {
	if v == nil {
		return
	}
	a.mu.Lock()
	a.acks[label] = append(a.acks[label], *v)
	a.mu.Unlock()
	a.count.Add(1)
}

// TestKill9_MixedLoad SIGKILLs the real daemon kill9Iterations times while
// 4 publishers, a label mover, 2 readers and GC (no grace) work on it. After
// each kill: offline fsck must find nothing a crash cannot legitimately
// leave (leftover temp or spool files, an orphan blob file) and nothing it
// cannot repair, and be clean after --repair; then, restarted, the daemon
// must hold every acknowledged label version that the label's version policy
// keeps, readable with its digest. A read that completes must never return
// bytes other than the digest names.
func TestKill9_MixedLoad(t *testing.T) {
	root := t.TempDir()
	log := &ackLog{acks: map[string][]api.Version{}}
	rng := rand.New(rand.NewPCG(1, 2))
	findings := map[string]int{}
	for it := range kill9Iterations {
		d := startFPDaemon(t, root, nil)
		killAfter := int64(8 + rng.IntN(24)) // acknowledged writes this iteration
		base := log.count.Load()
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		var badRead atomic.Pointer[error]
		for p := range 4 {
			wg.Go(func() {
				label := fmt.Sprintf("pub%d", p)
				for ctx.Err() == nil {
					data := randomData(t, 16<<10+rand.IntN(512<<10))
					pub, err := d.publish(ctx, label, data, "max_versions=2")
					if err == nil {
						log.add(label, pub.Version)
					}
				}
			})
		}
		wg.Go(func() { // label mover
			for i := 0; ctx.Err() == nil; i++ {
				var pub api.Published
				err := d.call(ctx, http.MethodPost, "/v1/labels/system/moved", map[string]any{
					"ref": fmt.Sprintf("system/pub%d", i%4), "max_versions": 2}, &pub)
				if err == nil {
					log.add("moved", pub.Version)
				}
			}
		})
		for r := range 2 {
			wg.Go(func() {
				for i := 0; ctx.Err() == nil; i++ {
					a, err := d.sys.Label(ctx, "system", fmt.Sprintf("pub%d", (i+r)%4))
					if err != nil || a.Current == nil {
						continue
					}
					err = d.readVersion(ctx, *a.Current)
					if errors.Is(err, errWrongBytes) {
						badRead.Store(&err)
					}
					if err == nil {
						log.reads.Add(1)
					}
				}
			})
		}
		wg.Go(func() {
			for ctx.Err() == nil {
				if d.call(ctx, http.MethodPost, "/v1/gc", map[string]any{}, nil) == nil {
					log.gcRuns.Add(1)
				}
			}
		})
		for log.count.Load()-base < killAfter {
			select {
			case <-d.done:
				t.Fatalf("iteration %d: the daemon died by itself: %s", it, d.logText())
			case <-time.After(5 * time.Millisecond):
			}
		}
		d.kill()
		cancel()
		wg.Wait()
		if p := badRead.Load(); p != nil {
			t.Fatalf("iteration %d: a read returned wrong bytes: %v", it, *p)
		}

		rep, _, out := fsckOffline(t, root, false)
		for _, f := range rep.Findings {
			findings[f.Kind]++
			switch f.Kind {
			case catalog.FindStrayTemp, catalog.FindStraySpool, catalog.FindOrphanFile, catalog.FindUploadSpool:
			default:
				t.Fatalf("iteration %d: after SIGKILL fsck finds %s, which a crash must never cause:\n%s", it, f.Kind, out)
			}
		}
		if rep.Problems() > 0 {
			if rep, code, out := fsckOffline(t, root, true); code != 0 || rep.Problems() != 0 {
				t.Fatalf("iteration %d: fsck --repair: exit %d\n%s", it, code, out)
			}
		}
		if rep, code, out := fsckOffline(t, root, false); code != 0 || len(rep.Findings) != 0 {
			t.Fatalf("iteration %d: fsck not clean: exit %d\n%s", it, code, out)
		}
		d = startFPDaemon(t, root, nil)
		checkAcked(t, d, log, it)
		d.stop()
	}
	t.Logf("kill -9 loop: %d iterations, %d acknowledged writes checked, %d verified reads, %d GC runs; fsck findings after kills (all repaired): %v",
		kill9Iterations, log.count.Load(), log.reads.Load(), log.gcRuns.Load(), findings)
}

// checkAcked verifies every acknowledged version the label still keeps: a
// label keeps its newest max_versions (2) versions, so every acknowledged
// version at least as new as the second newest present must be there, and
// every version present must read back with its digest.
func checkAcked(t *testing.T, d *fpDaemon, log *ackLog, it int) {
	t.Helper()
	ctx := t.Context()
	log.mu.Lock()
	defer log.mu.Unlock()
	labels := make([]string, 0, len(log.acks))
	for l := range log.acks {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, label := range labels {
		a, err := d.sys.Label(ctx, "system", label)
		if err != nil {
			t.Fatalf("iteration %d: acknowledged label %s: %v", it, label, err)
		}
		if len(a.Versions) == 0 {
			t.Fatalf("iteration %d: %s has no versions", it, label)
		}
		oldest := a.Versions[0].Index
		for _, v := range log.acks[label] {
			if v.Index < oldest {
				continue // reaped by a newer version, as the policy says
			}
			if !slices.ContainsFunc(a.Versions, func(x api.Version) bool { return x.Index == v.Index && x.Digest == v.Digest }) {
				t.Fatalf("iteration %d: acknowledged %s@%d (%s) is missing: %+v", it, label, v.Index, v.Digest, a.Versions)
			}
		}
		newest := log.acks[label][len(log.acks[label])-1]
		if a.Versions[len(a.Versions)-1].Index < newest.Index {
			t.Fatalf("iteration %d: %s is at version %d, older than the acknowledged %d", it, label, a.Versions[len(a.Versions)-1].Index, newest.Index)
		}
		for _, v := range a.Versions {
			if err := d.readVersion(ctx, v); err != nil {
				t.Fatalf("iteration %d: %v", it, err)
			}
		}
	}
}
