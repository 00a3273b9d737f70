package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
	"github.com/urfave/cli/v2"
	"golang.org/x/time/rate"
)

// The maintenance commands (fsck, gc, scrub) work offline on the store at
// --root (the global flag, which may follow the command) whose daemon is
// stopped, or online through a running daemon (--online).

func onlineFlag() cli.Flag {
	return &cli.BoolFlag{Name: "online", Usage: "ask the running daemon (SFCAS_URL) instead of opening the store"}
}

// openOffline opens the store at root for a maintenance command. A running
// daemon holds the catalog: that is ErrLocked, with a message saying what
// to do instead.
func openOffline(root string, readOnly bool) (*catalog.DB, error) {
	path := filepath.Join(root, "catalog.db")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, usagef("no sfcas store at %s (no catalog.db); pass --root", root)
	}
	blobs, err := cas.Open(root, cas.Options{})
	if err != nil {
		return nil, err
	}
	db, err := catalog.Open(path, blobs, catalog.Options{ReadOnly: readOnly, OpenTimeout: time.Second})
	if errors.Is(err, catalog.ErrLocked) {
		return nil, fmt.Errorf("%s is in use by a running sfcas daemon; stop it to work offline, or add --online to go through it: %w", path, err)
	}
	return db, err
}

// maintain runs maintenance operation op through the running daemon
// (--online: POST /v1/<op> with body) or on the store opened offline at
// --root (read-only if readOnly), and returns its report.
func maintain[R any](c *cli.Context, op string, body any, readOnly bool, offline func(*catalog.DB) (R, error)) (R, error) {
	var rep R
	if c.Bool("online") {
		cl, err := newClient(c)
		if err != nil {
			return rep, err
		}
		return rep, cl.Maintenance(c.Context, op, body, &rep)
	}
	db, err := openOffline(c.String("root"), readOnly)
	if err != nil {
		return rep, err
	}
	defer db.Close()
	return offline(db)
}

// graceFlag turns a --grace of 0 (none) into catalog's "no grace".
func graceFlag(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// errProblems is the outcome of a check that found something wrong.
var errProblems = errors.New("problems found")

func fsckCommand() *cli.Command {
	return &cli.Command{
		Name:  "fsck",
		Usage: "check (and with --repair fix) the catalog against the blob files",
		Description: "Checks that every referenced blob exists with its recorded size, refcounts equal the\n" +
			"versions pointing at blobs, indexes agree with their records, every blob file has a record,\n" +
			"and no expired upload or stray temp file is left. Exits non-zero if a problem remains.",
		Flags: []cli.Flag{onlineFlag(),
			&cli.BoolFlag{Name: "repair", Usage: "fix what can be fixed"}},
		Action: func(c *cli.Context) error {
			repair := c.Bool("repair")
			rep, err := maintain(c, "fsck", api.FsckRequest{Repair: repair}, !repair, func(db *catalog.DB) (catalog.FsckReport, error) {
				return db.Fsck(c.Context, catalog.FsckOptions{Repair: repair})
			})
			if err != nil {
				return err
			}
			if err := output(c, rep, func() { printFsck(rep) }); err != nil {
				return err
			}
			if n := rep.Problems(); n > 0 {
				return fmt.Errorf("fsck: %d problem(s) remain: %w", n, errProblems)
			}
			return nil
		},
	}
}

func printFsck(rep catalog.FsckReport) {
	t := newTable()
	for _, f := range rep.Findings {
		state := "PROBLEM"
		switch {
		case f.Repaired:
			state = "repaired"
		case f.Repair != "":
			state = "repairable"
		}
		row(t, state, f.Kind, f.Object, f.Detail)
	}
	t.Flush()
	fmt.Printf("checked %d blobs, %d artifacts, %d uploads, %d files: %d finding(s), %d repaired, %d problem(s)\n",
		rep.Blobs, rep.Artifacts, rep.Uploads, rep.Files, len(rep.Findings), len(rep.Findings)-rep.Problems(), rep.Problems())
}

func gcCommand() *cli.Command {
	return &cli.Command{
		Name:  "gc",
		Usage: "delete blobs unreferenced for the grace period, and expired uploads",
		Flags: []cli.Flag{onlineFlag(),
			&cli.BoolFlag{Name: "dry-run", Usage: "report what would be deleted; delete nothing"},
			&cli.DurationFlag{Name: "grace", Usage: "how long a blob must have been unreferenced (offline; online uses the daemon's)", Value: catalog.DefaultGCGrace}},
		Action: func(c *cli.Context) error {
			dry := c.Bool("dry-run")
			rep, err := maintain(c, "gc", api.GCRequest{DryRun: dry}, false, func(db *catalog.DB) (catalog.GCReport, error) {
				return db.GC(c.Context, catalog.GCOptions{Grace: graceFlag(c.Duration("grace")), DryRun: dry})
			})
			if err != nil {
				return err
			}
			if err := output(c, rep, func() { printGC(rep) }); err != nil {
				return err
			}
			if len(rep.Errors) > 0 {
				return fmt.Errorf("gc: %d error(s): %s", len(rep.Errors), strings.Join(rep.Errors, "; "))
			}
			return nil
		},
	}
}

func printGC(rep catalog.GCReport) {
	verb := "deleted"
	if rep.DryRun {
		verb = "would delete"
	}
	for _, d := range rep.Deleted {
		fmt.Printf("%s %s\n", verb, d)
	}
	for _, u := range rep.UploadsReaped {
		fmt.Printf("%s expired upload %s\n", verb, u)
	}
	fmt.Printf("%s %d blob(s), %s; %d waiting for their grace period, %d pinned, %d referenced again; %d expired upload(s)\n",
		verb, len(rep.Deleted), bytesOf(rep.DeletedBytes), rep.Waiting, rep.Pinned, rep.Rereferenced, len(rep.UploadsReaped))
}

func scrubCommand() *cli.Command {
	return &cli.Command{
		Name:  "scrub",
		Usage: "re-hash blobs and quarantine damaged ones (resumes from its checkpoint)",
		Flags: []cli.Flag{onlineFlag(),
			&cli.IntFlag{Name: "limit", Usage: "stop after this many blobs (0: to the end of the pass)"},
			&cli.BoolFlag{Name: "restart", Usage: "start a new pass instead of resuming"},
			&cli.Int64Flag{Name: "rate", Usage: "bytes per second to read (offline; 0: unlimited; online uses the daemon's)"}},
		Action: func(c *cli.Context) error {
			body := api.ScrubRequest{Limit: int64(c.Int("limit")), Restart: c.Bool("restart")}
			rep, err := maintain(c, "scrub", body, false, func(db *catalog.DB) (catalog.ScrubReport, error) {
				return db.Scrub(c.Context, catalog.ScrubOptions{Limit: c.Int("limit"), Restart: c.Bool("restart"), Wait: scrubPace(c.Int64("rate"))})
			})
			if err != nil {
				return err
			}
			if err := output(c, rep, func() { printScrub(rep) }); err != nil {
				return err
			}
			if n := len(rep.Quarantined); n > 0 {
				return fmt.Errorf("scrub: %d damaged blob(s) quarantined; republish their bytes to heal them: %w", n, catalog.ErrDegraded)
			}
			return nil
		},
	}
}

// scrubPace returns a pacing function reading at most bps bytes per
// second; nil (full speed) for bps <= 0.
func scrubPace(bps int64) func(context.Context, int) error {
	if bps <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(bps), catalog.ScrubReadSize).WaitN
}

func printScrub(rep catalog.ScrubReport) {
	for _, f := range rep.Quarantined {
		fmt.Printf("QUARANTINED %s %s: %s\n", f.Kind, f.Object, f.Detail)
	}
	where := "pass not finished; the next run resumes"
	if rep.PassComplete {
		where = "pass complete"
	}
	fmt.Printf("verified %d blob(s), %s; %d newly quarantined, %d already quarantined; %s\n",
		rep.Scanned, bytesOf(rep.Bytes), len(rep.Quarantined), rep.AlreadyQuarantined, where)
}
