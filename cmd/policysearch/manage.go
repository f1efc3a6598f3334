package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/spf13/pflag"

	"policysearch/index"
)

// withStore opens the index (or the server holding it) for a one-shot
// command and closes it after.
func withStore(ctx context.Context, cfg *Config, io ioSet, fn func(store) error, opts ...index.OpenOption) error {
	st, done, err := openStore(ctx, cfg, io, opts...)
	if err != nil {
		return err
	}
	defer done()
	return fn(st)
}

// storeFlags are the flags of every command that touches the index.
func storeFlags(fs *pflag.FlagSet, c *Config) {
	addrFlag(fs, c)
	dataFlags(fs, c)
}

func printJSON(io ioSet, v any) error {
	enc := json.NewEncoder(io.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func oneID(args []string, name string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("%w: %s takes exactly one document id", errUsage, name)
	}
	return args[0], nil
}

func getCmd() command {
	return command{
		name: "get", usage: "ID", summary: "Print a stored document as JSON.",
		flags: storeFlags,
		do: func(ctx context.Context, cfg *Config, args []string, io ioSet) error {
			id, err := oneID(args, "get")
			if err != nil {
				return err
			}
			return withStore(ctx, cfg, io, func(ix store) error {
				d, err := ix.Get(ctx, id)
				if err != nil {
					return err
				}
				return printJSON(io, d)
			})
		},
	}
}

func deleteCmd() command {
	return command{
		name: "delete", usage: "ID", summary: "Delete a document from the store and the index.",
		flags: storeFlags,
		do: func(ctx context.Context, cfg *Config, args []string, io ioSet) error {
			id, err := oneID(args, "delete")
			if err != nil {
				return err
			}
			return withStore(ctx, cfg, io, func(ix store) error {
				if err := ix.Delete(ctx, id); err != nil {
					return err
				}
				fmt.Fprintf(io.stdout, "deleted %s\n", id)
				return nil
			})
		},
	}
}

func rebuildCmd() command {
	var force bool
	return command{
		name: "rebuild", usage: "[--force]", summary: "Rebuild the index from the stored documents, then swap it in.\nAn empty document store beside an index that holds documents is refused; --force empties the index then.",
		flags: func(fs *pflag.FlagSet, c *Config) {
			storeFlags(fs, c)
			fs.BoolVar(&force, "force", false, "rebuild even from an empty or missing document store, emptying the index")
		},
		do: func(ctx context.Context, cfg *Config, args []string, io ioSet) error {
			var opts []index.OpenOption
			if force {
				opts = append(opts, index.AcceptEmptyStore())
			}
			return withStore(ctx, cfg, io, func(ix store) error {
				start := time.Now()
				rebuild := ix.Rebuild
				if force {
					rebuild = ix.ForceRebuild
				}
				n, err := rebuild(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(io.stdout, "rebuilt %d documents in %s\n", n, time.Since(start).Round(time.Millisecond))
				return nil
			}, opts...)
		},
	}
}

func statsCmd() command {
	return command{
		name: "stats", usage: "", summary: "Print document count, index size and last update as JSON.",
		flags: storeFlags,
		do: func(ctx context.Context, cfg *Config, args []string, io ioSet) error {
			return withStore(ctx, cfg, io, func(ix store) error {
				st, err := ix.Stats(ctx)
				if err != nil {
					return err
				}
				return printJSON(io, st)
			})
		},
	}
}

func versionCmd() command {
	return command{
		name: "version", usage: "", summary: "Print the version and the commit it was built from.",
		do: func(ctx context.Context, cfg *Config, args []string, io ioSet) error {
			fmt.Fprintf(io.stdout, "policysearch %s (commit %s)\n", version, buildCommit())
			return nil
		},
	}
}

// commit is stamped at build time with -ldflags "-X main.commit=…" (the
// Dockerfile does, from its COMMIT build argument, because a Docker build
// has no .git); otherwise the Go toolchain's VCS stamp is used.
var commit = ""

func buildCommit() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}
