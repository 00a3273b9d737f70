package main

import (
	"context"
	"fmt"
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
	v, b, err := againstCpSync(ctx, e, "staging", n, func(src string) error {
		out, err := exec.CommandContext(ctx, "cp", src, filepath.Join(mnt, "system", "bench-staging")).CombinedOutput()
		if err != nil {
			return fmt.Errorf("cp into staging: %v: %s", err, out)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return []result{{
		Name: fmt.Sprintf("staging cp %s random (incl. commit)", bytesOf(n)), Value: v, Baseline: b,
		Unit: "s", Lower: true, Target: "<= 1.3", BaselineIs: "cp + sync into the store's filesystem",
	}}, nil
}
