package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sfcas/sfcas/httpapi/client"
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
				Action: clientAction(1, "FILE", func(c *cli.Context, cl *client.Client) error {
					path := c.Args().First()
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
				}),
			},
		},
	}
}
