package main

import (
	"fmt"
	"strconv"

	"github.com/sfcas/sfcas/httpapi/api"
	"github.com/sfcas/sfcas/httpapi/client"
	"github.com/urfave/cli/v2"
)

// labelAction runs fn on the label REF (first argument) names, resolved by
// the one name rule.
func labelAction(n int, usage string, fn func(c *cli.Context, cl *client.Client, l api.Artifact) error) cli.ActionFunc {
	return clientAction(n, usage, func(c *cli.Context, cl *client.Client) error {
		l, err := resolveArtifact(c, cl, c.Args().First(), "label")
		if err != nil {
			return err
		}
		return fn(c, cl, l)
	})
}

func labelCommand() *cli.Command {
	return &cli.Command{
		Name:  "label",
		Usage: "create, show, move, roll back and delete labels (LABEL is ns/name, or a name in your namespace or system)",
		Subcommands: []*cli.Command{
			{
				Name: "list", Usage: "list labels", Flags: listFlags(&cli.StringFlag{Name: "state", Usage: "initial, created or error"}),
				Action: clientAction(0, "", func(c *cli.Context, cl *client.Client) error {
					o := listOptions(c)
					o.State = c.String("state")
					p, err := listAll(c, o, func(o client.ListOptions) (api.ArtifactPage, error) { return cl.Labels(c.Context, o) })
					if err != nil {
						return err
					}
					return output(c, p, func() { printArtifacts(p) })
				}),
			},
			{
				Name: "create", Usage: "create a label, empty or pointing at what --from names", ArgsUsage: "NAMESPACE/NAME",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "from", Usage: "reference of the first version's content"},
					&cli.IntFlag{Name: "max-versions", Usage: "versions the label keeps (default 3)"},
					&cli.BoolFlag{Name: "shared", Usage: "readable by every namespace (system only)"},
				},
				Action: clientAction(1, "NAMESPACE/NAME", func(c *cli.Context, cl *client.Client) error {
					ns, name, err := target(cl, c.Args().First())
					if err != nil {
						return err
					}
					a, err := cl.CreateLabel(c.Context, ns, name, api.LabelCreate{From: c.String("from"),
						MaxVersions: c.Int("max-versions"), Shared: c.Bool("shared")})
					if err != nil {
						return err
					}
					return output(c, a, func() { printArtifact(a) })
				}),
			},
			{
				Name: "show", Usage: "show a label and its versions", ArgsUsage: "LABEL",
				Action: labelAction(1, "LABEL", func(c *cli.Context, cl *client.Client, l api.Artifact) error {
					return output(c, l, func() { printArtifact(l) })
				}),
			},
			{
				Name: "history", Usage: "show every move of a label, newest first", ArgsUsage: "LABEL",
				Flags: []cli.Flag{&cli.IntFlag{Name: "limit", Value: 100}},
				Action: labelAction(1, "LABEL", func(c *cli.Context, cl *client.Client, l api.Artifact) error {
					h, err := cl.LabelHistory(c.Context, l.Namespace, l.Name, c.Int("limit"))
					if err != nil {
						return err
					}
					return output(c, h, func() { printHistory(h) })
				}),
			},
			{
				Name: "update", Usage: "point a label at what REF names (an artifact, ns/name@3, a digest, another label)",
				ArgsUsage: "LABEL REF", Flags: []cli.Flag{&cli.IntFlag{Name: "max-versions", Usage: "also set the version policy"}},
				Action: labelAction(2, "LABEL REF", func(c *cli.Context, cl *client.Client, l api.Artifact) error {
					p, err := cl.UpdateLabel(c.Context, l.Namespace, l.Name, api.LabelUpdate{Ref: c.Args().Get(1), MaxVersions: c.Int("max-versions")})
					if err != nil {
						return err
					}
					return output(c, p, func() { printPublished(p) })
				}),
			},
			{
				Name: "rollback", Usage: "make an earlier version's content current again (default: the last different one)",
				ArgsUsage: "LABEL", Flags: []cli.Flag{&cli.IntFlag{Name: "to", Usage: "version to return to"}},
				Action: labelAction(1, "LABEL", func(c *cli.Context, cl *client.Client, l api.Artifact) error {
					p, err := cl.RollbackLabel(c.Context, l.Namespace, l.Name, c.Int("to"))
					if err != nil {
						return err
					}
					return output(c, p, func() { printPublished(p) })
				}),
			},
			{
				Name: "delete", Usage: "delete a label (the content stays while other artifacts use it)", ArgsUsage: "LABEL",
				Action: labelAction(1, "LABEL", func(c *cli.Context, cl *client.Client, l api.Artifact) error {
					a, err := cl.DeleteLabel(c.Context, l.Namespace, l.Name)
					if err != nil {
						return err
					}
					return output(c, a, func() { fmt.Printf("deleted %s\n", a.Ref) })
				}),
			},
			{
				Name: "set-max-versions", Usage: "set how many versions a label keeps (older ones are reaped at once)", ArgsUsage: "LABEL N",
				Action: labelAction(2, "LABEL N", func(c *cli.Context, cl *client.Client, l api.Artifact) error {
					n, err := strconv.Atoi(c.Args().Get(1))
					if err != nil || n < 1 {
						return usagef("N must be a positive integer")
					}
					p, err := cl.UpdateLabel(c.Context, l.Namespace, l.Name, api.LabelUpdate{MaxVersions: n})
					if err != nil {
						return err
					}
					return output(c, p.Artifact, func() { printArtifact(p.Artifact) })
				}),
			},
			grantCommand("label", "grant", "let NAMESPACE read a label"),
			grantCommand("label", "revoke", "withdraw NAMESPACE's read access to a label"),
		},
	}
}

// grantCommand is "<noun> grant|revoke REF NAMESPACE".
func grantCommand(typ, verb, usage string) *cli.Command {
	return &cli.Command{
		Name: verb, Usage: usage, ArgsUsage: "REF NAMESPACE",
		Action: clientAction(2, "REF NAMESPACE", func(c *cli.Context, cl *client.Client) error {
			want := typ
			if want == "artifact" {
				want = ""
			}
			a, err := resolveArtifact(c, cl, c.Args().First(), want)
			if err != nil {
				return err
			}
			change := cl.Grant
			if verb == "revoke" {
				change = cl.Revoke
			}
			g, err := change(c.Context, a.Namespace, a.Name, c.Args().Get(1))
			if err != nil {
				return err
			}
			return output(c, g, func() {
				fmt.Printf("%s is granted to: %s\n", g.Artifact, orNone(g.Grants))
			})
		}),
	}
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "(no namespace)"
	}
	s := xs[0]
	for _, x := range xs[1:] {
		s += ", " + x
	}
	return s
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
	if len(a.Grants) > 0 {
		fmt.Print(", granted to ", orNone(a.Grants))
	}
	fmt.Println(")")
	if a.Snapshot != nil {
		fmt.Printf("snapshot of %s %s, set %s\n", a.Snapshot.Instance, a.Snapshot.Device, a.Snapshot.SetID)
	}
	if a.Error != "" {
		fmt.Println("error:", a.Error)
	}
	t := newTable()
	row(t, "", "VERSION", "DIGEST", "SIZE", "FORMAT", "CREATED", "BY", "NOTE")
	for i := len(a.Versions) - 1; i >= 0; i-- {
		v := a.Versions[i]
		mark := ""
		if i == len(a.Versions)-1 {
			mark = "*"
		}
		if v.Degraded {
			mark += "!"
		}
		row(t, mark, v.Index, v.Digest, bytesOf(v.Size), v.Format, v.Created.Local().Format("2006-01-02 15:04:05"), v.Who, v.Note)
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
