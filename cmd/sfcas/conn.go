package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/client"
	"github.com/urfave/cli/v2"
)

// Defaults shared by the daemon and the client.
const (
	defaultListen = "127.0.0.1:13000"
	defaultRoot   = "/var/lib/sfcas"
	systemKeyFile = "system.key"
	systemKeyName = "local"
	// addrFileName holds the address the running daemon listens on.
	addrFileName = "sfcas.addr"
)

// connectionFlags are the global flags of client commands. Precedence:
// flags, then SFCAS_* environment, then (for root on the node) the store
// root's system.key.
func connectionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "url", Usage: "daemon URL", EnvVars: []string{"SFCAS_URL"}, Value: "http://" + defaultListen},
		&cli.StringFlag{Name: "namespace", Aliases: []string{"n"}, Usage: "namespace to act as", EnvVars: []string{"SFCAS_NAMESPACE"}},
		&cli.StringFlag{Name: "key-file", Usage: "file holding the namespace key (SFCAS_KEY holds the key itself)", EnvVars: []string{"SFCAS_KEY_FILE"}},
		&cli.StringFlag{Name: "root", Usage: "store root, whose system.key root may use", EnvVars: []string{"SFCAS_ROOT"}, Value: defaultRoot},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "output format: table or json", EnvVars: []string{"SFCAS_OUTPUT"}, Value: "table"},
	}
}

// newClient builds an API client from the connection settings.
func newClient(c *cli.Context) (*client.Client, error) {
	ns := c.String("namespace")
	key, err := readKey(c)
	if err != nil {
		return nil, err
	}
	if key == nil && (ns == "" || ns == catalog.SystemNamespace) {
		// Root on the node acts as system with the key the daemon wrote.
		path := filepath.Join(c.String("root"), systemKeyFile)
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			key, ns = []byte(strings.TrimSpace(string(b))), catalog.SystemNamespace
		case errors.Is(err, fs.ErrPermission):
			return nil, fmt.Errorf("%s is readable only by root; set SFCAS_NAMESPACE and SFCAS_KEY instead", path)
		}
	}
	return client.New(client.Options{URL: daemonURL(c), Namespace: ns, Key: key, TokenCache: tokenCacheDir()}), nil
}

// readKey returns the key from --key-file or SFCAS_KEY; nil if neither.
func readKey(c *cli.Context) ([]byte, error) {
	if p := c.String("key-file"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("key file: %w", err)
		}
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if k := os.Getenv("SFCAS_KEY"); k != "" {
		return []byte(k), nil
	}
	return nil, nil
}

// splitRef splits "NS/NAME" into its parts.
func splitRef(s string) (string, string, error) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok || ns == "" || name == "" {
		return "", "", usagef("%q: expected NAMESPACE/NAME", s)
	}
	return ns, name, nil
}

// daemonURL is --url or SFCAS_URL if set, else the address the daemon of
// --root wrote, else the default.
func daemonURL(c *cli.Context) string {
	if c.IsSet("url") {
		return c.String("url")
	}
	if b, err := os.ReadFile(filepath.Join(c.String("root"), addrFileName)); err == nil {
		if addr := strings.TrimSpace(string(b)); addr != "" {
			return "http://" + addr
		}
	}
	return c.String("url")
}

// tokenCacheDir is where the CLI keeps tokens between runs: SFCAS_TOKEN_CACHE
// ("off" disables it), else $XDG_CACHE_HOME/sfcas/tokens or
// ~/.cache/sfcas/tokens.
func tokenCacheDir() string {
	switch v := os.Getenv("SFCAS_TOKEN_CACHE"); v {
	case "off":
		return ""
	case "":
	default:
		return v
	}
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "sfcas", "tokens")
	}
	return ""
}
