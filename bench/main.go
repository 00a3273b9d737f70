// Command bench runs the sfcas benchmarks and prints one table: every
// figure next to a baseline measured in the same run on the same machine,
// and their ratio. `make bench` runs it with sizes that fit a 2-core VM.
//
// Benchmarks drive the real daemon (./bin/sfcas) on a store under -root,
// which must be on the filesystem being measured.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"
)

// benchmark is one named measurement; it returns one or more results.
type benchmark struct {
	name string
	run  func(ctx context.Context, e *env) ([]result, error)
}

// benchmarks lists every benchmark, in the order the table shows them.
func benchmarks() []benchmark {
	return []benchmark{
		{"publish", benchPublish},
		{"view", benchView},
		{"staging", benchStaging},
		{"list", benchList},
	}
}

// result is one row of the table.
type result struct {
	Name       string
	Value      float64 // the measured figure
	Baseline   float64 // the same-run baseline figure
	Unit       string  // "s", "MB/s", "ops/s"
	Lower      bool    // lower is better (times)
	Target     string  // the target for the ratio, e.g. "<= 1.25"
	BaselineIs string  // what the baseline measured
}

func main() {
	root := flag.String("root", "bench/out", "scratch directory on the filesystem to measure")
	bin := flag.String("sfcas", "bin/sfcas", "sfcas binary")
	only := flag.String("only", "", "run only benchmarks whose name contains this")
	scale := flag.Float64("scale", 1, "multiply data sizes (use <1 for a quick run)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e, err := newEnv(ctx, *root, *bin, *scale)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	defer e.close()
	var rows []result
	failed := false
	for _, b := range benchmarks() {
		if *only != "" && !strings.Contains(b.name, *only) {
			continue
		}
		start := time.Now()
		fmt.Fprintf(os.Stderr, "bench: %s ...\n", b.name)
		rs, err := b.run(ctx, e)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s failed: %v\n", b.name, err)
			failed = true
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: %s done in %s\n", b.name, time.Since(start).Round(time.Second))
		rows = append(rows, rs...)
	}
	printTable(rows)
	if failed {
		os.Exit(1)
	}
}

func printTable(rows []result) {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "benchmark\tvalue\tbaseline\tratio\ttarget\tbaseline is\t")
	for _, r := range rows {
		ratio := r.Value / r.Baseline
		fmt.Fprintf(w, "%s\t%.3g %s\t%.3g %s\t%.2f\t%s\t%s\t\n", r.Name, r.Value, r.Unit, r.Baseline, r.Unit, ratio, r.Target, r.BaselineIs)
	}
	w.Flush()
}
