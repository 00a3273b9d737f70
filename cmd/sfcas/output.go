package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"
)

// output prints v as JSON with --output json, or calls table otherwise.
func output(c *cli.Context, v any, table func()) error {
	switch c.String("output") {
	case "json":
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "table", "":
		table()
		return nil
	}
	return usagef("--output must be table or json")
}

// newTable returns a tab-aligned writer on stdout; call Flush.
func newTable() *tabwriter.Writer { return tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0) }

func row(w *tabwriter.Writer, cols ...any) {
	for i, c := range cols {
		if i > 0 {
			fmt.Fprint(w, "\t")
		}
		fmt.Fprint(w, c)
	}
	fmt.Fprintln(w)
}

func bytesOf(n int64) string { return humanize.IBytes(uint64(max(n, 0))) }
