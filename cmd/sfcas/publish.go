package main

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/schollz/progressbar/v3"
	"github.com/sfcas/sfcas/httpapi/api"
	"github.com/sfcas/sfcas/httpapi/client"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

func publishCommand() *cli.Command {
	return &cli.Command{
		Name:      "publish",
		Usage:     "publish a file or URL as a label's (or an image's) new version, in one call",
		ArgsUsage: "FILE|URL",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "label", Aliases: []string{"l"}, Usage: "NAMESPACE/NAME of the label"},
			&cli.StringFlag{Name: "image", Usage: "NAMESPACE/NAME of an image to publish into instead of a label"},
			&cli.StringFlag{Name: "other", Usage: "NAMESPACE/NAME of an 'other' artifact to publish into instead of a label"},
			&cli.IntFlag{Name: "max-versions", Usage: "versions the label keeps (default 3 for a new label)"},
			&cli.BoolFlag{Name: "shared", Usage: "let every namespace read a new label (system only)"},
			&cli.StringFlag{Name: "digest", Usage: "digest the content must have (blake3:, sha256: or sha512:)"},
			&cli.BoolFlag{Name: "allow-external", Usage: "accept a qcow2 image that names a backing or data file"},
			&cli.BoolFlag{Name: "no-progress", Usage: "do not draw a progress bar"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("usage: sfcas publish FILE|URL --label NAMESPACE/NAME")
			}
			dest, typ := "", ""
			for _, f := range []string{"label", "image", "other"} {
				if v := c.String(f); v != "" {
					if dest != "" {
						return usagef("give one of --label, --image and --other")
					}
					dest, typ = v, f
				}
			}
			if dest == "" {
				return usagef("publish needs --label NS/NAME (or --image, --other)")
			}
			ns, name, err := splitRef(dest)
			if err != nil {
				return err
			}
			cl, err := newClient(c)
			if err != nil {
				return err
			}
			o := client.PublishOptions{MaxVersions: c.Int("max-versions"), Shared: c.Bool("shared"),
				Digest: c.String("digest"), AllowExternal: c.Bool("allow-external"), Type: typ}
			src := c.Args().First()
			var p api.Published
			if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
				p, err = cl.PublishURL(c.Context, src, ns, name, o)
			} else {
				bar := newBar(c, src)
				o.Progress = bar.update
				p, err = cl.PublishFile(c.Context, src, ns, name, o)
				bar.finish()
			}
			if err != nil {
				return err
			}
			return output(c, p, func() { printPublished(p) })
		},
	}
}

func printPublished(p api.Published) {
	v := p.Version
	if v == nil {
		fmt.Printf("%s has no version\n", p.Artifact.Ref)
		return
	}
	verb := "published"
	if !p.Changed {
		verb = "unchanged:"
	}
	fmt.Printf("%s %s version %d  %s  %s  %s\n", verb, p.Artifact.Ref, v.Index, v.Digest, bytesOf(v.Size), v.Format)
}

// bar draws upload progress on a terminal (stderr) and nothing elsewhere.
type bar struct {
	once sync.Once
	pb   *progressbar.ProgressBar
	on   bool
	desc string
}

func newBar(c *cli.Context, desc string) *bar {
	return &bar{on: !c.Bool("no-progress") && c.String("output") != "json" && term.IsTerminal(int(os.Stderr.Fd())), desc: desc}
}

func (b *bar) update(sent, total int64) {
	if !b.on {
		return
	}
	b.once.Do(func() {
		b.pb = progressbar.NewOptions64(total, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(b.desc), progressbar.OptionThrottle(100e6), progressbar.OptionClearOnFinish())
	})
	_ = b.pb.Set64(sent)
}

func (b *bar) finish() {
	if b.pb != nil {
		_ = b.pb.Finish()
	}
}
