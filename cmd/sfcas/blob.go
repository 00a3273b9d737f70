package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sfcas/sfcas/httpapi/api"
	"github.com/urfave/cli/v2"
)

func blobCommand() *cli.Command {
	return &cli.Command{
		Name:  "blob",
		Usage: "inspect and fetch blobs (for operators; labels name what users need)",
		Subcommands: []*cli.Command{
			{
				Name: "show", Usage: "show the blob a reference ends at", ArgsUsage: "REF",
				Action: func(c *cli.Context) error {
					b, err := resolveBlob(c)
					if err != nil {
						return err
					}
					return output(c, b, func() { printBlob(b) })
				},
			},
			{
				Name: "get", Usage: "write the bytes of the blob a reference ends at", ArgsUsage: "REF",
				Flags: []cli.Flag{&cli.StringFlag{Name: "out", Aliases: []string{"O"}, Usage: "file to write (default stdout)"}},
				Action: func(c *cli.Context) error {
					b, err := resolveBlob(c)
					if err != nil {
						return err
					}
					return getBlob(c, b)
				},
			},
		},
	}
}

// resolveBlob resolves the REF argument to the blob it ends at.
func resolveBlob(c *cli.Context) (api.Blob, error) {
	if c.NArg() != 1 {
		return api.Blob{}, usagef("%s takes one REF", c.Command.FullName())
	}
	cl, err := newClient(c)
	if err != nil {
		return api.Blob{}, err
	}
	r, err := cl.Resolve(c.Context, c.Args().First())
	if err != nil {
		return api.Blob{}, err
	}
	if r.Blob == nil {
		return api.Blob{}, fmt.Errorf("%s has no version, so no blob", r.Ref)
	}
	return *r.Blob, nil
}

func printBlob(b api.Blob) {
	t := newTable()
	row(t, "digest", b.Digest)
	row(t, "sha256", b.SHA256)
	row(t, "sha512", b.SHA512)
	row(t, "uuid", b.UUID)
	row(t, "size", fmt.Sprintf("%s (%d bytes)", bytesOf(b.Size), b.Size))
	row(t, "format", b.Format)
	row(t, "virtual size", bytesOf(b.VirtualSize))
	row(t, "state", b.State)
	if b.Problem != "" {
		row(t, "problem", b.Problem)
	}
	row(t, "references", b.Refs)
	t.Flush()
}

// getBlob downloads b, resuming after a dropped connection, to --out (via
// a temp file renamed at the end) or stdout.
func getBlob(c *cli.Context, b api.Blob) error {
	cl, err := newClient(c)
	if err != nil {
		return err
	}
	out := io.Writer(os.Stdout)
	path := c.String("out")
	var f *os.File
	if path != "" {
		if f, err = os.CreateTemp(filepath.Dir(path), ".sfcas-get-*"); err != nil {
			return err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		out = f
	}
	var got int64
	for attempt := 0; got < b.Size || attempt == 0; attempt++ {
		if attempt > 5 {
			return fmt.Errorf("download of %s keeps failing after %d of %d bytes", b.Digest, got, b.Size)
		}
		rc, _, err := cl.BlobData(c.Context, b.Digest, got)
		if err != nil {
			return err
		}
		n, err := io.Copy(out, rc)
		rc.Close()
		got += n
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && n == 0 {
			return err
		}
	}
	if f == nil {
		return nil
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
