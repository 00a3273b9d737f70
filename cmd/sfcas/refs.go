package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/sfcas/sfcas/httpapi/api"
	"github.com/sfcas/sfcas/httpapi/client"
	"github.com/urfave/cli/v2"
)

// resolveArtifact resolves REF by the one name rule (GET /v1/resolve) and
// returns the artifact it names; typ, if set, is the type it must have.
func resolveArtifact(c *cli.Context, cl *client.Client, ref, typ string) (api.Artifact, error) {
	r, err := cl.Resolve(c.Context, ref)
	if err != nil {
		return api.Artifact{}, err
	}
	if r.Artifact == nil {
		return api.Artifact{}, notFound("%s is a %s, not an artifact", r.Ref, r.Kind)
	}
	if typ != "" && r.Artifact.Type != typ {
		return api.Artifact{}, notFound("%s is a %s, not a %s", r.Artifact.Ref, r.Artifact.Type, typ)
	}
	return *r.Artifact, nil
}

// notFound is a not-found failure found on the client side (exit code 3).
func notFound(format string, args ...any) error {
	return &client.Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf(format, args...)}
}

// target reads a NAMESPACE/NAME or NAME (in the caller's namespace) that
// names something to create.
func target(cl *client.Client, s string) (string, string, error) {
	if strings.Contains(s, "/") {
		return splitRef(s)
	}
	if cl.Namespace() == "" {
		return "", "", usagef("%q: give NAMESPACE/NAME", s)
	}
	return cl.Namespace(), s, nil
}

// args checks a command's argument count.
func args(c *cli.Context, n int, usage string) error {
	if c.NArg() != n {
		return usagef("usage: sfcas %s %s", c.Command.FullName(), usage)
	}
	return nil
}

// listFlags are the paging flags of list commands.
func listFlags(extra ...cli.Flag) []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "in", Usage: "only artifacts of this namespace"},
		&cli.StringFlag{Name: "prefix", Usage: "only names starting with this"},
		&cli.IntFlag{Name: "limit", Usage: "page size (1 to 1000)", Value: 100},
		&cli.StringFlag{Name: "cursor", Usage: "the next cursor a previous page printed"},
		&cli.BoolFlag{Name: "all", Usage: "follow every page"},
	}, extra...)
}

func listOptions(c *cli.Context) client.ListOptions {
	return client.ListOptions{Namespace: c.String("in"), Prefix: c.String("prefix"),
		Limit: c.Int("limit"), Cursor: c.String("cursor")}
}

// listAll fetches one page, or every page with --all.
func listAll(c *cli.Context, o client.ListOptions, page func(client.ListOptions) (api.ArtifactPage, error)) (api.ArtifactPage, error) {
	out := api.ArtifactPage{Items: []api.Artifact{}}
	for {
		p, err := page(o)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, p.Items...)
		out.Next = p.Next
		if !c.Bool("all") || p.Next == "" {
			return out, nil
		}
		o.Cursor = p.Next
	}
}

func printArtifacts(p api.ArtifactPage) {
	t := newTable()
	row(t, "REF", "TYPE", "VERSION", "DIGEST", "SIZE", "UPDATED")
	for _, a := range p.Items {
		ver, digest, size := "-", "-", "-"
		if a.Current != nil {
			ver, digest, size = fmt.Sprint(a.Current.Index), shortDigest(a.Current.Digest), bytesOf(a.Current.Size)
		}
		row(t, a.Ref, a.Type, ver, digest, size, a.Updated.Local().Format("2006-01-02 15:04:05"))
	}
	t.Flush()
	if p.Next != "" {
		fmt.Printf("more: --cursor %s\n", p.Next)
	}
}

func shortDigest(d string) string {
	if len(d) > 7+16 {
		return d[:7+16]
	}
	return d
}

// clientAction checks that the command has n arguments (usage says which)
// and runs fn with an API client built from the connection settings.
func clientAction(n int, usage string, fn func(c *cli.Context, cl *client.Client) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		if err := args(c, n, usage); err != nil {
			return err
		}
		cl, err := newClient(c)
		if err != nil {
			return err
		}
		return fn(c, cl)
	}
}
