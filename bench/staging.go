package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// benchStaging times `cp` of a file of fresh random data into the staging
// mount (the commit included: cp returns after close) against `cp` of the
// same file into the store's filesystem followed by `sync`, in
// alternation, and reports the medians (issue target: ratio <= 1.3).
func benchStaging(ctx context.Context, e *env) ([]result, error) {
	n := e.size(1 << 30)
	mnt := filepath.Join(e.dir, "sf-staging")
	if err := e.restart(ctx, []string{"--staging", mnt}); err != nil {
		return nil, err
	}
	defer e.restart(ctx, nil)
	const rounds = 3
	var st, base []float64
	for i := range rounds {
		src, err := e.randomFile(fmt.Sprintf("staging-%d.raw", i), n)
		if err != nil {
			return nil, err
		}
		if err := exec.Command("sync").Run(); err != nil {
			return nil, err
		}
		dst := filepath.Join(e.root, "tmp", "baseline.raw")
		b, err := timed(func() error {
			if err := exec.CommandContext(ctx, "cp", src, dst).Run(); err != nil {
				return err
			}
			return exec.CommandContext(ctx, "sync").Run()
		})
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		os.Remove(dst)
		exec.Command("sync").Run()
		s, err := timed(func() error {
			out, err := exec.CommandContext(ctx, "cp", src, filepath.Join(mnt, "system", "bench-staging")).CombinedOutput()
			if err != nil {
				return fmt.Errorf("cp into staging: %v: %s", err, out)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		os.Remove(src)
		st, base = append(st, s), append(base, b)
	}
	return []result{{
		Name: fmt.Sprintf("staging cp %s random (incl. commit)", bytesOf(n)), Value: median(st), Baseline: median(base),
		Unit: "s", Lower: true, Target: "<= 1.3", BaselineIs: "cp + sync into the store's filesystem",
	}}, nil
}
