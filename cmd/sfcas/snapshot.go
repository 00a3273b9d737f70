package main

import (
	"fmt"
	"strings"

	"github.com/sfcas/sfcas/httpapi/api"
	"github.com/sfcas/sfcas/httpapi/client"
	"github.com/urfave/cli/v2"
)

func snapshotCommand() *cli.Command {
	return &cli.Command{
		Name:  "snapshot",
		Usage: "snapshot an instance's disks and manage the snapshots",
		Subcommands: []*cli.Command{
			{
				Name:  "create",
				Usage: "snapshot disks: one snapshot per disk, grouped under one set ID (files: system only, under the daemon's --snapshot-dirs)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "instance", Usage: "instance the disks belong to", Required: true},
					&cli.StringSliceFlag{Name: "disk", Usage: "DEVICE=/node/local/file or DEVICE=upload:ID (repeat per disk)", Required: true},
					&cli.StringFlag{Name: "in", Usage: "namespace to create them in (default: yours)"},
					&cli.StringFlag{Name: "name", Usage: "name prefix (default INSTANCE:SET)"},
					&cli.IntFlag{Name: "max-versions", Usage: "versions each snapshot keeps"},
					&cli.BoolFlag{Name: "allow-external", Usage: "accept qcow2 disks that name a backing or data file"},
				},
				Action: func(c *cli.Context) error {
					if err := args(c, 0, "--instance ID --disk DEVICE=PATH ..."); err != nil {
						return err
					}
					body := api.SnapshotCreate{Namespace: c.String("in"), Instance: c.String("instance"), Name: c.String("name"),
						MaxVersions: c.Int("max-versions"), AllowExternal: c.Bool("allow-external")}
					for _, d := range c.StringSlice("disk") {
						dev, src, ok := strings.Cut(d, "=")
						if !ok || dev == "" || src == "" {
							return usagef("--disk %q: expected DEVICE=PATH or DEVICE=upload:ID", d)
						}
						disk := api.SnapshotDisk{Device: dev, Path: src}
						if id, ok := strings.CutPrefix(src, "upload:"); ok {
							disk = api.SnapshotDisk{Device: dev, Upload: id}
						}
						body.Disks = append(body.Disks, disk)
					}
					cl, err := newClient(c)
					if err != nil {
						return err
					}
					set, err := cl.CreateSnapshots(c.Context, body)
					if err != nil {
						return err
					}
					return output(c, set, func() {
						fmt.Printf("snapshot set %s of %s\n", set.SetID, set.Instance)
						printArtifacts(api.ArtifactPage{Items: set.Artifacts})
					})
				},
			},
			{
				Name: "list", Usage: "list snapshots",
				Flags: listFlags(
					&cli.StringFlag{Name: "instance", Usage: "only snapshots of this instance"},
					&cli.StringFlag{Name: "set", Usage: "only snapshots of this set ID"},
				),
				Action: clientAction(0, "", func(c *cli.Context, cl *client.Client) error {
					o := listOptions(c)
					o.Instance, o.Set = c.String("instance"), c.String("set")
					p, err := listAll(c, o, func(o client.ListOptions) (api.ArtifactPage, error) { return cl.Snapshots(c.Context, o) })
					if err != nil {
						return err
					}
					return output(c, p, func() { printArtifacts(p) })
				}),
			},
			{
				Name: "show", Usage: "show a snapshot", ArgsUsage: "REF",
				Action: artifactAction("snapshot", func(c *cli.Context, cl *client.Client, a api.Artifact) error {
					return output(c, a, func() { printArtifact(a) })
				}),
			},
			{
				Name: "delete", Usage: "delete a snapshot", ArgsUsage: "REF",
				Action: artifactAction("snapshot", deleteArtifact),
			},
		},
	}
}
