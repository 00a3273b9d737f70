package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// interspersed moves a leaf command's flags in front of its arguments, so
// that "sfcas publish FILE --label NS/NAME" works: urfave/cli stops parsing
// flags at the first argument. Everything after "--" stays as it is.
func interspersed(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	cmds, flags := app.Commands, app.Flags
	i := 1
	// Walk global flags and the command path.
	for i < len(args) {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") {
			cmd := find(cmds, a)
			if cmd == nil {
				break
			}
			out = append(out, a)
			cmds, flags = cmd.Subcommands, cmd.Flags
			i++
			if len(cmds) == 0 {
				break
			}
			continue
		}
		n := flagArity(flags, a)
		out = append(out, args[i:min(i+1+n, len(args))]...)
		i += 1 + n
	}
	var glob, fl, pos []string
	for i < len(args) {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && a != "-" && !defines(flags, a) && defines(app.Flags, a):
			// A global flag (--output, --url...) after the command: move
			// it in front of the command path, where urfave/cli reads it.
			n := flagArity(app.Flags, a)
			glob = append(glob, args[i:min(i+1+n, len(args))]...)
			i += 1 + n
		case strings.HasPrefix(a, "-") && a != "-":
			n := flagArity(flags, a)
			fl = append(fl, args[i:min(i+1+n, len(args))]...)
			i += 1 + n
		default:
			pos = append(pos, a)
			i++
		}
	}
	out = append(append([]string{out[0]}, glob...), out[1:]...)
	return append(append(out, fl...), pos...)
}

// defines reports whether flags has the flag a token names.
func defines(flags []cli.Flag, tok string) bool {
	name, _, _ := strings.Cut(strings.TrimLeft(tok, "-"), "=")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

func find(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// flagArity is how many following arguments a flag token consumes: 0 for
// booleans and "--flag=value", 1 otherwise.
func flagArity(flags []cli.Flag, tok string) int {
	name, _, hasValue := strings.Cut(strings.TrimLeft(tok, "-"), "=")
	if hasValue {
		return 0
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				if _, ok := f.(*cli.BoolFlag); ok {
					return 0
				}
				return 1
			}
		}
	}
	if name == "help" || name == "h" || name == "version" || name == "v" {
		return 0
	}
	return 1
}
