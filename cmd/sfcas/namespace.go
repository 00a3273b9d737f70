package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sfcas/sfcas/httpapi/api"
	"github.com/sfcas/sfcas/httpapi/client"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

func namespaceCommand() *cli.Command {
	return &cli.Command{
		Name:  "namespace",
		Usage: "create, list, clean up and delete namespaces (system only, except list and cleanup of your own)",
		Subcommands: []*cli.Command{
			cleanupCommand(),
			{
				Name: "create", ArgsUsage: "NAME", Usage: "create a namespace",
				Action: clientAction(1, "NAME", func(c *cli.Context, cl *client.Client) error {
					name := c.Args().First()
					ns, err := cl.CreateNamespace(c.Context, name)
					if err != nil {
						return err
					}
					return output(c, ns, func() { fmt.Printf("created namespace %s\n", ns.Name) })
				}),
			},
			{
				Name: "list", Usage: "list namespaces",
				Action: clientAction(0, "", func(c *cli.Context, cl *client.Client) error {
					nss, err := cl.Namespaces(c.Context)
					if err != nil {
						return err
					}
					return output(c, nss, func() { printNamespaces(nss) })
				}),
			},
			{
				Name: "delete", ArgsUsage: "NAME", Usage: "delete an empty namespace",
				Action: clientAction(1, "NAME", func(c *cli.Context, cl *client.Client) error {
					name := c.Args().First()
					if err := cl.DeleteNamespace(c.Context, name); err != nil {
						return err
					}
					return output(c, map[string]string{"deleted": name}, func() { fmt.Printf("deleted namespace %s\n", name) })
				}),
			},
		},
	}
}

func cleanupCommand() *cli.Command {
	return &cli.Command{
		Name: "cleanup", ArgsUsage: "NAMESPACE",
		Usage: "delete a namespace's artifacts, labels first; keeps what other namespaces can read unless --force",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Usage: "only say what would be deleted and kept"},
			&cli.BoolFlag{Name: "force", Usage: "delete shared and granted artifacts too"},
		},
		Action: clientAction(1, "NAMESPACE", func(c *cli.Context, cl *client.Client) error {
			ns := c.Args().First()
			rep, err := cl.Cleanup(c.Context, ns, api.CleanupRequest{DryRun: c.Bool("dry-run"), Force: c.Bool("force")})
			if err != nil {
				return err
			}
			return output(c, rep, func() { printCleanup(rep) })
		}),
	}
}

func printCleanup(rep api.CleanupReport) {
	verb := "deleted"
	if rep.DryRun {
		verb = "would delete"
	}
	t := newTable()
	row(t, "ACTION", "REF", "TYPE", "WHY")
	for _, it := range rep.Deleted {
		row(t, verb, it.Ref, it.Type, it.Reason)
	}
	for _, it := range rep.Kept {
		row(t, "keep", it.Ref, it.Type, it.Reason)
	}
	t.Flush()
	fmt.Printf("%s: %d %s, %d kept, %d upload sessions abandoned\n", rep.Namespace, len(rep.Deleted), verb, len(rep.Kept), rep.Uploads)
}

func printNamespaces(nss []api.Namespace) {
	t := newTable()
	row(t, "NAMESPACE", "KEYS")
	for _, n := range nss {
		row(t, n.Name, strings.Join(n.Keys, ","))
	}
	t.Flush()
}

func keyCommand() *cli.Command {
	return &cli.Command{
		Name:  "key",
		Usage: "manage namespace keys",
		Subcommands: []*cli.Command{
			{
				Name: "add", ArgsUsage: "NAMESPACE KEYNAME",
				Usage: "add or replace a key; the secret is read from standard input or --secret-file, never from the command line",
				Flags: []cli.Flag{&cli.StringFlag{Name: "secret-file", Usage: "file holding the new secret"}},
				Action: clientAction(2, "NAMESPACE KEYNAME", func(c *cli.Context, cl *client.Client) error {
					secret, err := readSecret(c)
					if err != nil {
						return err
					}
					ns, key := c.Args().Get(0), c.Args().Get(1)
					if err := cl.SetKey(c.Context, ns, key, secret); err != nil {
						return err
					}
					return output(c, map[string]string{"namespace": ns, "key": key}, func() {
						fmt.Printf("key %s of namespace %s set; tokens of an older secret under that name are revoked\n", key, ns)
					})
				}),
			},
		},
	}
}

// readSecret reads a new key from --secret-file or standard input (one
// line; prompted without echo on a terminal).
func readSecret(c *cli.Context) ([]byte, error) {
	if p := c.String("secret-file"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
		fmt.Fprint(os.Stderr, "secret: ")
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		return b, err
	}
	line, err := bufio.NewReader(io.LimitReader(os.Stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return nil, err
	}
	if s := strings.TrimSpace(line); s != "" {
		return []byte(s), nil
	}
	return nil, usagef("no secret on standard input")
}
