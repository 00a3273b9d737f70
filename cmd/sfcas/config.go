package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"
)

// defaultConfigFile is read when --config and SFCAS_CONFIG are not given
// and it exists.
const defaultConfigFile = "/etc/sfcas/sfcas.toml"

// kind is how a setting's text is parsed.
type kind int

const (
	kString kind = iota
	kBool
	kInt
	kBytes    // integer or "1GiB"
	kDuration // "30s"
	kLevel    // slog level name
	kList     // comma-separated in flags and the environment; an array in the file
)

// setting is one serve setting: its key in the config file ("log.level"),
// and from it its flag (--log-level) and environment variable
// (SFCAS_LOG_LEVEL). Precedence: flag, environment, file, default.
type setting struct {
	key   string
	kind  kind
	def   string
	usage string
	set   func(c *serveConfig, v any)
}

func (s setting) flag() string {
	return strings.ReplaceAll(strings.ReplaceAll(s.key, ".", "-"), "_", "-")
}
func (s setting) env() string {
	return "SFCAS_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(s.key))
}

// settings lists every serve setting; flags, environment variables and
// config keys all come from here, so they cannot drift apart.
func settings() []setting {
	str := func(f func(c *serveConfig) *string) func(*serveConfig, any) {
		return func(c *serveConfig, v any) { *f(c) = v.(string) }
	}
	i64 := func(f func(c *serveConfig) *int64) func(*serveConfig, any) {
		return func(c *serveConfig, v any) { *f(c) = v.(int64) }
	}
	dur := func(f func(c *serveConfig) *time.Duration) func(*serveConfig, any) {
		return func(c *serveConfig, v any) { *f(c) = v.(time.Duration) }
	}
	return []setting{
		{"root", kString, defaultRoot, "store root: blobs, catalog, uploads", str(func(c *serveConfig) *string { return &c.Root })},
		{"listen", kString, defaultListen, "HOST:PORT of the REST API", str(func(c *serveConfig) *string { return &c.Listen })},
		{"log.format", kString, "auto", "json, text or auto (text on a terminal)", str(func(c *serveConfig) *string { return &c.LogFormat })},
		{"log.level", kLevel, "info", "debug, info, warn or error", func(c *serveConfig, v any) { c.LogLevel = v.(slog.Level) }},
		{"min_free", kBytes, "1GiB", "free-space floor; writes that would go below it fail", i64(func(c *serveConfig) *int64 { return &c.MinFree })},
		{"shutdown_grace", kDuration, "30s", "how long SIGTERM waits for requests and writes to finish", dur(func(c *serveConfig) *time.Duration { return &c.ShutdownGrace })},
		{"drain_delay", kDuration, "1s", "after SIGTERM, how long /readyz answers 503 before the listener closes", dur(func(c *serveConfig) *time.Duration { return &c.DrainDelay })},
		{"snapshot_dirs", kList, "", "comma-separated directories whose files system may snapshot", func(c *serveConfig, v any) { c.SnapshotDirs = v.([]string) }},
		{"gc.interval", kDuration, "1h", "how often garbage collection runs in the background (0: never)", dur(func(c *serveConfig) *time.Duration { return &c.Schedule.GCInterval })},
		{"gc.grace", kDuration, "1h", "how long a blob stays after its last reference goes (0: no grace)", func(c *serveConfig, v any) { c.Schedule.GCGrace = graceFlag(v.(time.Duration)) }},
		{"scrub.interval", kDuration, "168h", "pause between background scrub passes (0: no background scrub)", dur(func(c *serveConfig) *time.Duration { return &c.Schedule.ScrubInterval })},
		{"scrub.rate", kBytes, "64MiB", "bytes per second a scrub reads", i64(func(c *serveConfig) *int64 { return &c.Schedule.ScrubRate })},
		{"token_ttl", kDuration, "15m", "lifetime of API tokens", dur(func(c *serveConfig) *time.Duration { return &c.TokenTTL })},
		{"mount", kString, "auto", "label view mount point; auto is " + defaultView + " when root with /dev/fuse serves " + defaultRoot + "; empty disables", str(func(c *serveConfig) *string { return &c.Mounts.View })},
		{"mount_as", kString, "", "namespace the label view reads as (empty: system, everything)", str(func(c *serveConfig) *string { return &c.Mounts.ViewAs })},
		{"no_passthrough", kBool, "false", "serve label view reads from the daemon instead of kernel FUSE passthrough", func(c *serveConfig, v any) { c.Mounts.NoPassthrough = v.(bool) }},
		{"fuse_debug", kBool, "false", "log every FUSE request (debug level)", func(c *serveConfig, v any) { c.Mounts.FUSEDebug = v.(bool) }},
		{"staging", kString, "auto", "staging mount point; auto is " + defaultStaging + " when root with /dev/fuse serves " + defaultRoot + "; empty disables", str(func(c *serveConfig) *string { return &c.Mounts.Staging })},
		{"staging_as", kString, "", "namespace staged publishes act as (empty: system, any namespace)", str(func(c *serveConfig) *string { return &c.Mounts.StagingAs })},
		{"staging_lease", kDuration, "15m", "how long staged data nobody holds open survives", dur(func(c *serveConfig) *time.Duration { return &c.Mounts.StagingLease })},
		{"staging_allow_unlink", kBool, "false", "let rm on the staging mount delete a label", func(c *serveConfig, v any) { c.Mounts.AllowUnlink = v.(bool) }},
		{"staging_allow_other", kBool, "false", "let users other than root use the staging mount (file permissions still apply)", func(c *serveConfig, v any) { c.Mounts.StagingOthers = v.(bool) }},
	}
}

// parseValue turns text (from a flag, the environment or the file) into a
// setting's typed value.
func parseValue(s setting, text string) (any, error) {
	switch s.kind {
	case kString:
		return text, nil
	case kBool:
		return strconv.ParseBool(text)
	case kInt:
		return strconv.ParseInt(text, 10, 64)
	case kBytes:
		n, err := humanize.ParseBytes(text)
		if err != nil || n > 1<<62 {
			return nil, fmt.Errorf("%q is not a size (like 512MiB)", text)
		}
		return int64(n), nil
	case kDuration:
		d, err := time.ParseDuration(text)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%q is not a duration (like 30s)", text)
		}
		return d, nil
	case kList:
		var out []string
		for _, f := range strings.Split(strings.Trim(text, "[]"), ",") {
			if f = strings.Trim(strings.TrimSpace(f), `"`); f != "" {
				out = append(out, f)
			}
		}
		return out, nil
	case kLevel:
		var l slog.Level
		if err := l.UnmarshalText([]byte(text)); err != nil {
			return nil, fmt.Errorf("%q is not a log level (debug, info, warn, error)", text)
		}
		return l, nil
	}
	return nil, fmt.Errorf("unknown kind")
}

// settingFlags returns the serve flags, one per setting (no EnvVars: the
// environment is read by resolveConfig, which records where values came
// from).
func settingFlags() []cli.Flag {
	var out []cli.Flag
	for _, s := range settings() {
		if s.key == "root" {
			continue // the global --root flag, shared with client commands
		}
		usage := fmt.Sprintf("%s (config %s, env %s)", s.usage, s.key, s.env())
		if s.kind == kBool {
			out = append(out, &cli.BoolFlag{Name: s.flag(), Usage: usage})
			continue
		}
		out = append(out, &cli.StringFlag{Name: s.flag(), Usage: usage, DefaultText: s.def})
	}
	return append(out, &cli.StringFlag{Name: "config", Usage: "config file (TOML; default " + defaultConfigFile + " if present)", EnvVars: []string{"SFCAS_CONFIG"}})
}

// origin says where a setting's value came from.
type origin struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"` // default, file, env or flag
}

// resolveConfig builds the effective configuration: defaults, then the
// config file, then SFCAS_* variables, then flags.
func resolveConfig(c *cli.Context) (serveConfig, []origin, error) {
	var cfg serveConfig
	file, path, err := loadConfigFile(configPath(c))
	if err != nil {
		return cfg, nil, err
	}
	var origins []origin
	for _, s := range settings() {
		text, src := s.def, "default"
		if v, ok := file[s.key]; ok {
			text, src = v, "file "+path
		}
		if v, ok := os.LookupEnv(s.env()); ok {
			text, src = v, "env "+s.env()
		}
		envText, fromEnv := os.LookupEnv(s.env())
		if c != nil && c.IsSet(s.flag()) && !(fromEnv && c.String(s.flag()) == envText) {
			text, src = c.String(s.flag()), "flag --"+s.flag()
			if s.kind == kBool {
				text = strconv.FormatBool(c.Bool(s.flag()))
			}
		}
		v, err := parseValue(s, text)
		if err != nil {
			return cfg, nil, usagef("%s (from %s): %v", s.key, src, err)
		}
		s.set(&cfg, v)
		origins = append(origins, origin{Key: s.key, Value: text, Source: src})
	}
	return cfg, origins, nil
}

// configPath is --config, SFCAS_CONFIG, or the default file if it exists.
func configPath(c *cli.Context) string {
	if c != nil && c.String("config") != "" {
		return c.String("config")
	}
	if _, err := os.Stat(defaultConfigFile); err == nil {
		return defaultConfigFile
	}
	return ""
}

// loadConfigFile reads a TOML config file into flat "section.key" texts.
// Unknown keys are errors naming the key. An empty path reads nothing.
func loadConfigFile(path string) (map[string]string, string, error) {
	out := map[string]string{}
	if path == "" {
		return out, "", nil
	}
	var doc map[string]any
	if _, err := toml.DecodeFile(path, &doc); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, path, fmt.Errorf("config file %s does not exist", path)
		}
		return nil, path, usagef("config file %s: %v", path, err)
	}
	known := map[string]setting{}
	for _, s := range settings() {
		known[s.key] = s
	}
	var walk func(prefix string, m map[string]any) error
	walk = func(prefix string, m map[string]any) error {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			full := prefix + k
			if sub, ok := m[k].(map[string]any); ok {
				if err := walk(full+".", sub); err != nil {
					return err
				}
				continue
			}
			s, ok := known[full]
			if !ok {
				return usagef("config file %s: unknown key %q", path, full)
			}
			text := fmt.Sprint(m[k])
			if list, ok := m[k].([]any); ok {
				parts := make([]string, len(list))
				for i, v := range list {
					parts[i] = fmt.Sprint(v)
				}
				text = strings.Join(parts, ",")
			}
			if _, err := parseValue(s, text); err != nil {
				return usagef("config file %s: %s: %v", path, full, err)
			}
			out[full] = text
		}
		return nil
	}
	return out, path, walk("", doc)
}

func configCommand() *cli.Command {
	return &cli.Command{
		Name:  "config",
		Usage: "show or validate the daemon's configuration",
		Subcommands: []*cli.Command{
			{
				Name: "show", Usage: "print the effective serve configuration and where each value came from",
				Flags: settingFlags(),
				Action: func(c *cli.Context) error {
					_, origins, err := resolveConfig(c)
					if err != nil {
						return err
					}
					return output(c, origins, func() {
						t := newTable()
						row(t, "KEY", "VALUE", "SOURCE")
						for _, o := range origins {
							row(t, o.Key, o.Value, o.Source)
						}
						t.Flush()
					})
				},
			},
			{
				Name: "validate", Usage: "check a config file: syntax, known keys, value types", ArgsUsage: "FILE",
				Action: func(c *cli.Context) error {
					if err := args(c, 1, "FILE"); err != nil {
						return err
					}
					path := c.Args().First()
					if _, _, err := loadConfigFile(path); err != nil {
						return err
					}
					fmt.Printf("%s is valid\n", path)
					return nil
				},
			},
		},
	}
}
