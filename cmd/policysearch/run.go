package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// command is one subcommand: its flags are parsed by run, then do runs.
type command struct {
	name    string
	usage   string // arguments after the name
	summary string
	flags   func(fs *pflag.FlagSet, cfg *Config)
	do      func(ctx context.Context, cfg *Config, args []string, io ioSet) error
}

// ioSet bundles the process's streams so tests can supply their own.
type ioSet struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// errUsage marks errors caused by how the command was called.
var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

func commands() []command {
	return []command{serveCmd(), addCmd(), searchCmd(), getCmd(), deleteCmd(), rebuildCmd(), statsCmd(), evalCmd(), relogCmd(), versionCmd()}
}

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runIO(ctx, args, getenv, ioSet{stdin: os.Stdin, stdout: stdout, stderr: stderr})
}

func runIO(ctx context.Context, args []string, getenv func(string) string, io ioSet) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return runIO(ctx, []string{args[1], "--help"}, getenv, io)
		}
		printHelp(io.stdout)
		return nil
	}
	var cmd *command
	for _, c := range commands() {
		if c.name == args[0] {
			cmd = &c
			break
		}
	}
	if cmd == nil {
		printHelp(io.stderr)
		return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	cfg := defaultConfig()
	if err := cfg.fromEnv(getenv); err != nil {
		return err
	}
	fs := newFlagSet(cmd.name)
	fs.SetOutput(io.stderr)
	if cmd.flags != nil {
		cmd.flags(fs, &cfg)
	}
	fs.Usage = func() {
		fmt.Fprintf(io.stderr, "Usage: policysearch %s %s\n\n%s\n\nFlags:\n%s", cmd.name, cmd.usage, cmd.summary, fs.FlagUsages())
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	cfg.AddrFlag = fs.Changed("addr")
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return cmd.do(ctx, &cfg, fs.Args(), io)
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "policysearch — search policy texts by keyword (and meaning).")
	fmt.Fprintln(w, "\nUsage: policysearch COMMAND [flags] [args]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %-22s %s\n", c.name, c.usage, firstLine(c.summary))
	}
	fmt.Fprintln(w, "\nRun 'policysearch COMMAND --help' for a command's flags.")
	fmt.Fprintln(w, "Environment: POLICYSEARCH_ADDR, POLICYSEARCH_DATA, POLICYSEARCH_LOG_LEVEL, POLICYSEARCH_LOG_FORMAT (flags win).")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	return fs
}
