package main

import (
	"fmt"

	"github.com/sfcas/sfcas/httpapi/api"
	"github.com/sfcas/sfcas/httpapi/client"
	"github.com/urfave/cli/v2"
)

func artifactCommand() *cli.Command {
	return &cli.Command{
		Name:  "artifact",
		Usage: "list, show and delete artifacts of any type (REF by the one name rule)",
		Subcommands: []*cli.Command{
			{
				Name: "list", Usage: "list artifacts",
				Flags: listFlags(
					&cli.StringFlag{Name: "type", Usage: "image, snapshot, label or other"},
					&cli.StringFlag{Name: "state", Usage: "initial, created or error"},
					&cli.StringFlag{Name: "metadata", Usage: "only artifacts with this metadata key"},
					&cli.StringFlag{Name: "instance", Usage: "only snapshots of this instance"},
				),
				Action: clientAction(0, "", func(c *cli.Context, cl *client.Client) error {
					o := listOptions(c)
					o.Type, o.State, o.Metadata, o.Instance = c.String("type"), c.String("state"), c.String("metadata"), c.String("instance")
					p, err := listAll(c, o, func(o client.ListOptions) (api.ArtifactPage, error) { return cl.Artifacts(c.Context, o) })
					if err != nil {
						return err
					}
					return output(c, p, func() { printArtifacts(p) })
				}),
			},
			{
				Name: "show", Usage: "show an artifact and its versions", ArgsUsage: "REF",
				Action: artifactAction("", func(c *cli.Context, cl *client.Client, a api.Artifact) error {
					return output(c, a, func() { printArtifact(a) })
				}),
			},
			{
				Name: "delete", Usage: "delete an artifact", ArgsUsage: "REF",
				Action: artifactAction("", deleteArtifact),
			},
			grantCommand("artifact", "grant", "let NAMESPACE read an artifact"),
			grantCommand("artifact", "revoke", "withdraw NAMESPACE's read access to an artifact"),
		},
	}
}

// artifactAction runs fn on the artifact the one REF argument names.
func artifactAction(typ string, fn func(c *cli.Context, cl *client.Client, a api.Artifact) error) cli.ActionFunc {
	return clientAction(1, "REF", func(c *cli.Context, cl *client.Client) error {
		a, err := resolveArtifact(c, cl, c.Args().First(), typ)
		if err != nil {
			return err
		}
		return fn(c, cl, a)
	})
}

func deleteArtifact(c *cli.Context, cl *client.Client, a api.Artifact) error {
	d, err := cl.DeleteArtifact(c.Context, a.Namespace, a.Name)
	if err != nil {
		return err
	}
	return output(c, d, func() { fmt.Printf("deleted %s %s\n", d.Type, d.Ref) })
}
