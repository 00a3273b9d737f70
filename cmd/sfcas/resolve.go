package main

import (
	"fmt"

	"github.com/sfcas/sfcas/httpapi/api"
	"github.com/sfcas/sfcas/httpapi/client"
	"github.com/urfave/cli/v2"
)

func resolveCommand() *cli.Command {
	return &cli.Command{
		Name:      "resolve",
		Usage:     "show what a reference means (name, ns/name[@n], digest, UUID, sf:// URL)",
		ArgsUsage: "REF",
		Action: clientAction(1, "REF", func(c *cli.Context, cl *client.Client) error {
			ref := c.Args().First()
			r, err := cl.Resolve(c.Context, ref)
			if err != nil {
				return err
			}
			return output(c, r, func() { printResolved(r) })
		}),
	}
}

func printResolved(r api.Resolved) {
	fmt.Printf("%s is %s %s\n", "reference", article(r.Kind), r.Ref)
	switch {
	case r.Artifact != nil:
		a := r.Artifact
		fmt.Printf("  %s %s in namespace %s\n", a.Type, a.Name, a.Namespace)
		if r.Version != nil {
			fmt.Printf("  version %d: %s (%s, %s)\n", r.Version.Index, r.Version.Digest, bytesOf(r.Version.Size), r.Version.Format)
		} else {
			fmt.Println("  no versions yet")
		}
	case r.Blob != nil:
		fmt.Printf("  blob %s (%s, %s)\n", r.Blob.Digest, bytesOf(r.Blob.Size), r.Blob.Format)
	case r.Upload != nil:
		fmt.Printf("  upload session at offset %d\n", r.Upload.Offset)
	}
}

func article(kind string) string {
	if kind == "artifact" || kind == "upload" {
		return "an " + kind
	}
	return "a " + kind
}
