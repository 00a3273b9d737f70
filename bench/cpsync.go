package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// againstCpSync times publish(src) against the baseline `cp src` into the
// store's filesystem followed by `sync`, alternating the two over rounds of
// fresh random files of n bytes, and returns the medians in seconds.
func againstCpSync(ctx context.Context, e *env, name string, n int64, publish func(src string) error) (value, baseline float64, err error) {
	const rounds = 3
	var vs, bs []float64
	for i := range rounds {
		src, err := e.randomFile(fmt.Sprintf("%s-%d.raw", name, i), n)
		if err != nil {
			return 0, 0, err
		}
		if err := exec.Command("sync").Run(); err != nil {
			return 0, 0, err
		}
		dst := filepath.Join(e.root, "tmp", "baseline.raw")
		b, err := timed(func() error {
			if err := exec.CommandContext(ctx, "cp", src, dst).Run(); err != nil {
				return err
			}
			return exec.CommandContext(ctx, "sync").Run()
		})
		if err != nil {
			return 0, 0, fmt.Errorf("baseline: %w", err)
		}
		os.Remove(dst)
		exec.Command("sync").Run()
		v, err := timed(func() error { return publish(src) })
		if err != nil {
			return 0, 0, err
		}
		os.Remove(src)
		vs, bs = append(vs, v), append(bs, b)
	}
	return median(vs), median(bs), nil
}
