package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/pflag"

	"policysearch/alerts"
	"policysearch/index"
	"policysearch/replica"
	"policysearch/server"
	"policysearch/snapshots"
)

// relogCmd refills a cluster's write log from one node's data directory:
// the backup that does not depend on JetStream (docs/SCALING.md).
func relogCmd() command {
	return command{
		name:    "relog",
		usage:   "--data DIR --nats URL[,URL…]",
		summary: "Publish every document, snapshot and saved alert of a stopped cluster node's data directory to an empty write log (after the stream was lost).",
		flags: func(fs *pflag.FlagSet, c *Config) {
			if c.Cluster.Node == "" {
				c.Cluster.Node = "relog" // its name on the NATS connection
			}
			dataFlags(fs, c)
			fs.StringSliceVar(&c.Cluster.NATS, "nats", c.Cluster.NATS, "NATS server URLs, comma-separated (env POLICYSEARCH_NATS)")
			fs.IntVar(&c.Cluster.Replicas, "nats-replicas", c.Cluster.Replicas, "copies of the log JetStream keeps; 0 = 3 on a NATS cluster, 1 on one server (env POLICYSEARCH_NATS_REPLICAS)")
		},
		do: relog,
	}
}

func relog(ctx context.Context, cfg *Config, args []string, io ioSet) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: relog takes no arguments, got %q", errUsage, args)
	}
	if !cfg.Cluster.On() {
		return fmt.Errorf("%w: relog needs --nats", errUsage)
	}
	log := cfg.logger(io.stderr)
	// Opening the store fails while a node runs on it: relog reads a
	// stopped node's documents, a consistent copy at its applied mark.
	ix, err := index.Open(ctx, cfg.Data, log.With("component", "index"))
	if err != nil {
		return err
	}
	defer ix.Close()
	// Snapshots and saved alerts live in the log too.
	snaps, err := snapshots.Open(filepath.Join(cfg.Data, "snapshots.db"))
	if err != nil {
		return err
	}
	defer snaps.Close()
	al, err := alerts.Open(filepath.Join(cfg.Data, "alerts.db"), ix, alerts.Config{Parse: server.ParseParams})
	if err != nil {
		return err
	}
	defer al.Close()
	node, err := replica.Open(ctx, cfg.Cluster.replicaConfig(), ix, log.With("component", "replica"))
	if err != nil {
		return err
	}
	defer node.Close()
	n, seq, err := node.Refill(ctx, replica.RecordSet{Kind: snapshots.LogKind, Each: snaps.Each},
		replica.RecordSet{Kind: alerts.LogKind, Each: al.EachRecord})
	if err != nil {
		return err
	}
	fmt.Fprintf(io.stdout, "relogged %d documents, snapshots and alerts; the log ends at sequence %d\n", n, seq)
	return nil
}
