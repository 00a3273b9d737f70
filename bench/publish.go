package main

import (
	"context"
	"fmt"
)

// benchPublish times `sfcas publish` of a file of fresh random data against
// `cp` of the same file into the store's filesystem followed by `sync`, in
// alternation, and reports the medians (issue target: ratio <= 1.25).
func benchPublish(ctx context.Context, e *env) ([]result, error) {
	n := e.size(1 << 30)
	v, b, err := againstCpSync(ctx, e, "publish", n, func(src string) error {
		_, err := e.cli(ctx, "publish", src, "--label", "system/bench-publish", "--no-progress")
		return err
	})
	if err != nil {
		return nil, err
	}
	return []result{{
		Name: fmt.Sprintf("publish %s random (sfcas publish)", bytesOf(n)), Value: v, Baseline: b,
		Unit: "s", Lower: true, Target: "<= 1.25", BaselineIs: "cp + sync into the store's filesystem",
	}}, nil
}
