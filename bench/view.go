package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// benchView reads a 2 GiB label through the label view and the same blob
// file directly, sequentially (warm and cold page cache) and with 4 KiB
// random O_DIRECT reads (fio), with kernel passthrough on and off. Issue
// targets with passthrough: sequential >= 0.9, random >= 0.8 of native.
func benchView(ctx context.Context, e *env) ([]result, error) {
	n := e.size(2 << 30)
	src, err := e.randomFile("view.raw", n)
	if err != nil {
		return nil, err
	}
	defer os.Remove(src)
	if _, err := e.cli(ctx, "publish", src, "--label", "system/bench-view", "--no-progress"); err != nil {
		return nil, err
	}
	blob, err := e.blobPath(ctx, "system/bench-view")
	if err != nil {
		return nil, err
	}
	mnt := filepath.Join(e.dir, "sf")
	label := filepath.Join(mnt, "system", "bench-view")
	var rows []result
	for _, pt := range []bool{true, false} {
		mode, target, rtarget := "passthrough", ">= 0.9", ">= 0.8"
		flags := []string{"--mount", mnt}
		if !pt {
			mode, target, rtarget = "no passthrough", "(stated)", "(stated)"
			flags = append(flags, "--no-passthrough")
		}
		if err := e.restart(ctx, flags); err != nil {
			return nil, err
		}
		if _, err := os.Stat(label); err != nil {
			return nil, fmt.Errorf("label view: %w", err)
		}
		for _, cold := range []bool{false, true} {
			temp := "warm"
			if cold {
				temp = "cold"
			}
			var v, b []float64
			// Alternate which goes first: the virtual disk's host cache
			// favours whichever reads the same blocks second.
			for i := range 5 {
				first, second := label, blob
				if i%2 == 1 {
					first, second = blob, label
				}
				x, err := seqRead(first, cold)
				if err != nil {
					return nil, err
				}
				y, err := seqRead(second, cold)
				if err != nil {
					return nil, err
				}
				if i%2 == 1 {
					x, y = y, x
				}
				v, b = append(v, x), append(b, y)
			}
			rows = append(rows, result{Name: fmt.Sprintf("view seq read %s %s (%s)", bytesOf(n), temp, mode),
				Value: median(v) / 1e6, Baseline: median(b) / 1e6, Unit: "MB/s", Target: target,
				BaselineIs: "reading the blob file directly"})
		}
		if _, err := exec.LookPath("fio"); err != nil {
			fmt.Fprintln(os.Stderr, "bench: fio is not installed; skipping random reads (make deps installs it)")
			continue
		}
		x, err := fioRandRead(ctx, label)
		if err != nil {
			return nil, err
		}
		y, err := fioRandRead(ctx, blob)
		if err != nil {
			return nil, err
		}
		rows = append(rows, result{Name: fmt.Sprintf("view 4 KiB random O_DIRECT reads (%s)", mode),
			Value: x, Baseline: y, Unit: "IOPS", Target: rtarget, BaselineIs: "fio on the blob file directly"})
	}
	return rows, e.restart(ctx, nil)
}

// seqRead reads p start to end in 1 MiB reads and returns bytes/s; cold
// drops the page cache first, warm reads it once before timing.
func seqRead(p string, cold bool) (float64, error) {
	if cold {
		if err := dropCaches(); err != nil {
			return 0, err
		}
	} else if _, err := readAll(p); err != nil {
		return 0, err
	}
	start := time.Now()
	n, err := readAll(p)
	return float64(n) / time.Since(start).Seconds(), err
}

func readAll(p string) (int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		m, err := f.Read(buf)
		n += int64(m)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// fioRandRead runs 4 KiB random O_DIRECT reads (libaio, queue depth 16)
// for a few seconds and returns IOPS.
func fioRandRead(ctx context.Context, p string) (float64, error) {
	out, err := exec.CommandContext(ctx, "fio", "--name=randread", "--filename="+p, "--readonly",
		"--rw=randread", "--bs=4k", "--direct=1", "--ioengine=libaio", "--iodepth=16",
		"--runtime=8", "--time_based", "--output-format=json").Output()
	if err != nil {
		return 0, fmt.Errorf("fio %s: %w", p, err)
	}
	var res struct {
		Jobs []struct {
			Read struct {
				IOPS float64 `json:"iops"`
			} `json:"read"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Jobs) == 0 {
		return 0, fmt.Errorf("fio output: %v", err)
	}
	return res.Jobs[0].Read.IOPS, nil
}

// blobPath returns the store path of a label's current blob.
func (e *env) blobPath(ctx context.Context, label string) (string, error) {
	out, err := e.cli(ctx, "--output", "json", "resolve", label)
	if err != nil {
		return "", err
	}
	i := strings.Index(out, "blake3:")
	if i < 0 || len(out) < i+7+64 {
		return "", fmt.Errorf("no digest in %q", out)
	}
	h := out[i+7 : i+7+64]
	return filepath.Join(e.root, "blobs", "blake3", h[0:2], h[2:4], h), nil
}

// dropCaches writes back and drops the page cache (needs root).
func dropCaches() error {
	if err := exec.Command("sync").Run(); err != nil {
		return err
	}
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0o200)
}
