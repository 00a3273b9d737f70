package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// benchPublish times `sfcas publish` of a file of fresh random data against
// `cp` of the same file into the store's filesystem followed by `sync`, in
// alternation, and reports the medians (issue target: ratio <= 1.25).
func benchPublish(ctx context.Context, e *env) ([]result, error) {
	n := e.size(1 << 30)
	const rounds = 3
	var pub, base []float64
	for i := range rounds {
		src, err := e.randomFile(fmt.Sprintf("publish-%d.raw", i), n)
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
		p, err := timed(func() error {
			_, err := e.cli(ctx, "publish", src, "--label", "system/bench-publish", "--no-progress")
			return err
		})
		if err != nil {
			return nil, err
		}
		os.Remove(src)
		pub, base = append(pub, p), append(base, b)
	}
	return []result{{
		Name: fmt.Sprintf("publish %s random (sfcas publish)", bytesOf(n)), Value: median(pub), Baseline: median(base),
		Unit: "s", Lower: true, Target: "<= 1.25", BaselineIs: "cp + sync into the store's filesystem",
	}}, nil
}
