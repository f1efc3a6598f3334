package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/pflag"

	"policysearch/alerts"
	"policysearch/embedding"
	"policysearch/index"
	"policysearch/replica"
	"policysearch/snapshots"
)

// ClusterConfig makes serve one node of a cluster fed by a NATS JetStream
// log (package replica). Without NATS URLs serve is a single node, exactly
// as before.
type ClusterConfig struct {
	// NATS are the NATS server URLs (--nats, comma-separated;
	// POLICYSEARCH_NATS).
	NATS []string
	// Node names this node (--node; POLICYSEARCH_NODE).
	Node string
	// Ingest marks the one node that runs the feed reader and the folder
	// watcher (--ingest; POLICYSEARCH_INGEST); in single-node mode they
	// always run.
	Ingest bool
	// Replicas, ApplyWait and MaxLag: see replica.Config.
	Replicas  int
	ApplyWait time.Duration
	MaxLag    int
}

func defaultClusterConfig() ClusterConfig {
	return ClusterConfig{ApplyWait: 5 * time.Second, MaxLag: 100}
}

func (c *ClusterConfig) fromEnv(e *envReader) {
	e.list("POLICYSEARCH_NATS", &c.NATS)
	e.str("POLICYSEARCH_NODE", &c.Node)
	e.boolean("POLICYSEARCH_INGEST", &c.Ingest)
	e.integer("POLICYSEARCH_NATS_REPLICAS", &c.Replicas)
	e.duration("POLICYSEARCH_APPLY_WAIT", &c.ApplyWait)
	e.integer("POLICYSEARCH_MAX_LAG", &c.MaxLag)
}

// clusterFlags registers serve's cluster flags.
func clusterFlags(fs *pflag.FlagSet, c *Config) {
	cl := &c.Cluster
	fs.StringSliceVar(&cl.NATS, "nats", cl.NATS, "NATS server URLs, comma-separated: join the cluster whose writes go through their JetStream log; empty = single node (env POLICYSEARCH_NATS)")
	fs.StringVar(&cl.Node, "node", cl.Node, "this node's name in the cluster (env POLICYSEARCH_NODE)")
	fs.BoolVar(&cl.Ingest, "ingest", cl.Ingest, "run the feed reader and folder watcher on this cluster node; mark exactly one (env POLICYSEARCH_INGEST)")
	fs.IntVar(&cl.Replicas, "nats-replicas", cl.Replicas, "copies of the log JetStream keeps; 0 = 3 on a NATS cluster, 1 on one server (env POLICYSEARCH_NATS_REPLICAS)")
	fs.DurationVar(&cl.ApplyWait, "apply-wait", cl.ApplyWait, "how long a write waits to be applied on this node before answering 202 with its log sequence (env POLICYSEARCH_APPLY_WAIT)")
	fs.IntVar(&cl.MaxLag, "max-lag", cl.MaxLag, "log entries this node may be behind and still answer /readyz with 200 (env POLICYSEARCH_MAX_LAG)")
}

// On reports whether serve joins a cluster.
func (c *ClusterConfig) On() bool { return len(c.NATS) > 0 }

// runsIngest reports whether this process runs feeds and watched folders.
func (c *ClusterConfig) runsIngest() bool { return !c.On() || c.Ingest }

// Validate names the first bad setting.
func (c *ClusterConfig) Validate() error {
	if !c.On() {
		if c.Node != "" || c.Ingest {
			return fmt.Errorf("node, ingest: only mean something with --nats")
		}
		return nil
	}
	if c.ApplyWait < 0 {
		return fmt.Errorf("apply-wait: must not be negative")
	}
	if c.MaxLag < 1 {
		return fmt.Errorf("max-lag %d: must be at least 1", c.MaxLag)
	}
	rc := c.replicaConfig()
	return rc.Validate()
}

func (c *ClusterConfig) replicaConfig() replica.Config {
	return replica.Config{URLs: c.NATS, Node: c.Node, Replicas: c.Replicas, ApplyWait: c.ApplyWait, MaxLag: uint64(c.MaxLag)}
}

// joinCluster routes ix's writes through the cluster's log and starts
// applying it; with sem, documents are embedded once per cluster (sem
// then asks the node for vectors instead of embedding them itself), and
// snapshots and saved alerts go through the log too. stop
// waits for the applier and disconnects. Without NATS URLs it does
// nothing and returns a nil node.
func joinCluster(ctx context.Context, cfg *Config, ix *index.Index, sem *embedding.Service, rs *research, log *slog.Logger) (node *replica.Node, stop func(), err error) {
	if !cfg.Cluster.On() {
		return nil, func() {}, nil
	}
	node, err = replica.Open(ctx, cfg.Cluster.replicaConfig(), ix, log.With("component", "replica"))
	if err != nil {
		return nil, nil, err
	}
	if sem != nil {
		node.ShareEmbeddings(sem)
		sem.SetSource(node)
	}
	node.HandleRecords(snapshots.LogKind, rs.Snapshots)
	rs.Snapshots.SetLog(node)
	node.HandleRecords(alerts.LogKind, rs.Alerts)
	rs.Alerts.SetLog(node)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		node.Run(rctx)
	}()
	return node, func() {
		cancel()
		<-done
		node.Close()
	}, nil
}
