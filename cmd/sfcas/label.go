package main

import (
	"fmt"

	"github.com/sfcas/sfcas/httpapi/api"
	"github.com/urfave/cli/v2"
)

func labelCommand() *cli.Command {
	return &cli.Command{
		Name:  "label",
		Usage: "show and manage labels",
		Subcommands: []*cli.Command{
			{
				Name: "show", Usage: "show a label and its versions", ArgsUsage: "NAMESPACE/NAME",
				Action: func(c *cli.Context) error {
					ns, name, err := oneRef(c)
					if err != nil {
						return err
					}
					cl, err := newClient(c)
					if err != nil {
						return err
					}
					a, err := cl.Label(c.Context, ns, name)
					if err != nil {
						return err
					}
					return output(c, a, func() { printArtifact(a) })
				},
			},
			{
				Name: "history", Usage: "show every move of a label, newest first", ArgsUsage: "NAMESPACE/NAME",
				Flags: []cli.Flag{&cli.IntFlag{Name: "limit", Value: 100}},
				Action: func(c *cli.Context) error {
					ns, name, err := oneRef(c)
					if err != nil {
						return err
					}
					cl, err := newClient(c)
					if err != nil {
						return err
					}
					h, err := cl.LabelHistory(c.Context, ns, name, c.Int("limit"))
					if err != nil {
						return err
					}
					return output(c, h, func() { printHistory(h) })
				},
			},
		},
	}
}

// oneRef reads the single NAMESPACE/NAME argument.
func oneRef(c *cli.Context) (string, string, error) {
	if c.NArg() != 1 {
		return "", "", usagef("%s takes one NAMESPACE/NAME", c.Command.FullName())
	}
	return splitRef(c.Args().First())
}

func printArtifact(a api.Artifact) {
	fmt.Printf("%s  (%s, %s", a.Ref, a.Type, a.State)
	if a.Degraded {
		fmt.Print(", DEGRADED")
	}
	fmt.Printf(", keeps %d versions", a.MaxVersions)
	if a.Shared {
		fmt.Print(", shared")
	}
	fmt.Println(")")
	if a.Error != "" {
		fmt.Println("error:", a.Error)
	}
	t := newTable()
	row(t, "", "VERSION", "DIGEST", "SIZE", "FORMAT", "CREATED", "BY")
	for i := len(a.Versions) - 1; i >= 0; i-- {
		v := a.Versions[i]
		mark := ""
		if i == len(a.Versions)-1 {
			mark = "*"
		}
		if v.Degraded {
			mark += "!"
		}
		row(t, mark, v.Index, v.Digest, bytesOf(v.Size), v.Format, v.Created.Local().Format("2006-01-02 15:04:05"), v.Who)
	}
	t.Flush()
}

func printHistory(h []api.HistoryEntry) {
	t := newTable()
	row(t, "TIME", "WHO", "WHAT", "FROM", "TO")
	for _, e := range h {
		row(t, e.Time.Local().Format("2006-01-02 15:04:05"), e.Who, e.Message, orDash(e.From), orDash(e.To))
	}
	t.Flush()
}

func orDash(v any) any {
	if v == nil {
		return "-"
	}
	return v
}
