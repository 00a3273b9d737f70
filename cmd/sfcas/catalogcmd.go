package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"
)

func catalogCommand() *cli.Command {
	return &cli.Command{
		Name:  "catalog",
		Usage: "operator tools for the catalog",
		Subcommands: []*cli.Command{
			{
				Name: "backup", ArgsUsage: "FILE",
				Usage: "write a consistent copy of the running daemon's catalog.db to FILE (system only)",
				Action: func(c *cli.Context) error {
					path, err := oneArg(c, "FILE")
					if err != nil {
						return err
					}
					cl, err := newClient(c)
					if err != nil {
						return err
					}
					f, err := os.CreateTemp(filepath.Dir(path), ".catalog-backup-*")
					if err != nil {
						return err
					}
					defer os.Remove(f.Name())
					defer f.Close()
					n, err := cl.BackupCatalog(c.Context, f)
					if err != nil {
						return err
					}
					if err := f.Sync(); err != nil {
						return err
					}
					if err := os.Rename(f.Name(), path); err != nil {
						return err
					}
					return output(c, map[string]any{"file": path, "bytes": n}, func() {
						fmt.Printf("wrote %s (%s)\n", path, bytesOf(n))
					})
				},
			},
		},
	}
}
