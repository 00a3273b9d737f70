// Command sfcas is the sfcas daemon (sfcas serve) and its command-line
// client. Client commands talk to the daemon over REST.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Build information, stamped with -ldflags by the Makefile.
var (
	version = "dev"
	commit  = "unknown"
	built   = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	app := newApp()
	err := app.RunContext(ctx, interspersed(app, os.Args))
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sfcas:", err)
	}
	os.Exit(exitCode(err))
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "sfcas",
		Usage:   "content-addressed storage for VM images",
		Version: fmt.Sprintf("%s (commit %s, built %s)", version, commit, built),
		Flags:   connectionFlags(),
		Commands: []*cli.Command{
			serveCommand(),
			mountCommand(),
			publishCommand(),
			labelCommand(),
			blobCommand(),
			namespaceCommand(),
			keyCommand(),
			resolveCommand(),
			configCommand(),
			catalogCommand(),
			artifactCommand(),
			snapshotCommand(),
			fsckCommand(),
			gcCommand(),
			scrubCommand(),
			versionCommand(),
		},
		ExitErrHandler:       func(*cli.Context, error) {},
		EnableBashCompletion: true,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
	}
}

// usageError marks a command-line mistake (exit code 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print version, commit and build date",
		Action: func(c *cli.Context) error {
			return output(c, map[string]string{"version": version, "commit": commit, "built": built}, func() {
				fmt.Printf("sfcas %s\ncommit %s\nbuilt  %s\n", version, commit, built)
			})
		},
	}
}
