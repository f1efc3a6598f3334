// Package replica makes an index one node of a cluster: every write goes to
// a NATS JetStream stream, and every node applies that stream in order.
//
// The stream holds one subject per document, keeping only each document's
// latest version (a put, or a delete tombstone), so a new node catches up
// by reading it from the start. JetStream provides the consensus,
// replication and failover; this package only appends and applies.
package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"policysearch/index"
)

// Config says which cluster to join and as whom.
type Config struct {
	// URLs are the NATS servers; any one reachable is enough.
	URLs []string
	// Node names this process in the cluster (NATS connection name, logs).
	Node string
	// Stream is the JetStream stream name; subjects are its lower case.
	Stream string
	// Replicas is the stream's replication factor; 0 chooses 3 on a NATS
	// cluster and 1 on a single server.
	Replicas int
	// ApplyWait bounds how long a write waits to see itself applied on
	// this node before it is answered as accepted (202).
	ApplyWait time.Duration
	// MaxLag is the most log entries a node may be behind and be ready.
	MaxLag uint64
	// StartTimeout bounds Open's wait for the stream (a NATS cluster that
	// is still electing its leaders answers "unavailable" for a while).
	StartTimeout time.Duration
	// EmbedAckWait is how long an embedding job may go unacknowledged
	// before it goes to another node (a node that is working says so
	// every third of it).
	EmbedAckWait time.Duration
}

// Defaults fills unset fields.
func (c *Config) Defaults() {
	if c.Stream == "" {
		c.Stream = "POLICYSEARCH"
	}
	if c.ApplyWait == 0 {
		c.ApplyWait = 5 * time.Second
	}
	if c.MaxLag == 0 {
		c.MaxLag = 100
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = time.Minute
	}
	if c.EmbedAckWait == 0 {
		c.EmbedAckWait = 30 * time.Second
	}
}

// Validate names the first bad setting.
func (c *Config) Validate() error {
	if len(c.URLs) == 0 {
		return errors.New("nats: at least one URL is needed")
	}
	for _, u := range c.URLs {
		if strings.TrimSpace(u) == "" {
			return errors.New("nats: empty URL in the list")
		}
	}
	if strings.TrimSpace(c.Node) == "" {
		return errors.New("node: a cluster node needs a name (--node or POLICYSEARCH_NODE)")
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		return fmt.Errorf("nats-replicas %d: want 1 to 5, or 0 for automatic", c.Replicas)
	}
	return nil
}

// Node is this process's membership: it appends writes to the stream and
// applies the stream to the local index.
type Node struct {
	cfg     Config
	ix      *index.Index
	log     *slog.Logger
	nc      *nats.Conn
	js      jetstream.JetStream
	subject string // prefix of the document subjects, e.g. "policysearch.doc"
	// vecPrefix and jobPrefix prefix the vector subjects (in the log) and
	// the embedding jobs' (in the work queue); see embedqueue.go.
	vecPrefix, jobPrefix string

	emb      Embeddings // nil: this node does not share embeddings
	wmu      sync.Mutex
	wanted   map[embedJob]time.Time // documents whose vectors to ask for, since when
	wantWake chan struct{}
	embedded atomic.Int64 // jobs this node did

	records map[string]RecordSink // by subject prefix, e.g. "policysearch.snap"

	mu       sync.Mutex
	last     uint64    // the stream's last sequence, as last seen
	seen     time.Time // when last was read
	leader   string
	caughtUp bool // lag was within MaxLag at least once
	replicas int
}

var _ index.WriteLog = (*Node)(nil)

// Open connects to NATS, makes sure the stream exists and routes ix's
// writes through it. Run must then be called to apply the stream.
func Open(ctx context.Context, cfg Config, ix *index.Index, log *slog.Logger) (*Node, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	nc, err := nats.Connect(strings.Join(cfg.URLs, ","),
		nats.Name("policysearch "+cfg.Node),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.RetryOnFailedConnect(true),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", "url", c.ConnectedUrlRedacted()) }),
	)
	if err != nil {
		return nil, fmt.Errorf("connect to nats %s: %w", strings.Join(cfg.URLs, ","), err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	lower := strings.ToLower(cfg.Stream)
	n := &Node{cfg: cfg, ix: ix, log: log, nc: nc, js: js, subject: lower + ".doc", vecPrefix: lower + ".vec", jobPrefix: lower + ".embed"}
	if err := n.ensureStream(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	if err := ix.SetWriteLog(n, cfg.ApplyWait); err != nil {
		nc.Close()
		return nil, err
	}
	return n, nil
}

// ensureStream creates or updates the stream, retrying while the NATS
// cluster is not yet able to answer (no leader yet, servers starting).
func (n *Node) ensureStream(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.StartTimeout)
	defer cancel()
	var lastErr error
	for attempt := 0; ; attempt++ {
		if n.nc.IsConnected() {
			replicas := n.cfg.Replicas
			if replicas == 0 {
				replicas = 1
				if n.nc.ConnectedClusterName() != "" {
					replicas = 3
				}
			}
			sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := n.js.CreateOrUpdateStream(sctx, streamConfig(n.cfg.Stream, n.subject, n.vecPrefix, replicas))
			if err == nil {
				_, err = n.js.CreateOrUpdateStream(sctx, jobStreamConfig(n.jobStream(), n.jobPrefix, replicas))
			}
			scancel()
			if err == nil {
				n.mu.Lock()
				n.replicas = replicas
				n.mu.Unlock()
				n.log.Info("joined cluster", "node", n.cfg.Node, "stream", n.cfg.Stream, "replicas", replicas, "nats", n.nc.ConnectedUrlRedacted())
				return nil
			}
			lastErr = err
			if attempt%10 == 0 {
				n.log.Info("waiting for the stream", "err", err)
			}
		} else {
			lastErr = errors.New("not connected to any nats server")
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("create stream %s: %w", n.cfg.Stream, lastErr)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// streamConfig is the write log. One subject per document and one message
// per subject keep only the latest version of each; deletes are tombstone
// messages on the same subject, never purges, so a node that slept
// through a delete still sees it. A document's vectors have subjects of
// their own (vectors.go), and so do snapshots and saved alerts
// (records.go). Duplicates is the window in which a retried
// publish with the same Nats-Msg-Id is stored once.
func streamConfig(name, subject, vecPrefix string, replicas int) jetstream.StreamConfig {
	prefix := strings.ToLower(name) // records.go: snapshots and saved alerts
	return jetstream.StreamConfig{
		Name:              name,
		Description:       "policysearch document log: latest version of each document",
		Subjects:          []string{subject + ".*", vecPrefix + ".*.*", prefix + ".snap.*", prefix + ".alert.*"},
		Retention:         jetstream.LimitsPolicy,
		MaxMsgsPerSubject: 1,
		Discard:           jetstream.DiscardOld,
		Storage:           jetstream.FileStorage,
		Replicas:          replicas,
		Duplicates:        2 * time.Minute,
	}
}

// Close disconnects; call it after Run has returned.
func (n *Node) Close() { n.nc.Close() }

// Status is a node's place in the log, for /api/stats and /readyz.
type Status struct {
	Node     string `json:"node"`
	Stream   string `json:"stream"`
	Replicas int    `json:"replicas"`
	// Applied is the last log sequence this node has applied; Sequence is
	// the log's last as last seen, and Lag their distance.
	Applied  uint64 `json:"applied_sequence"`
	Sequence uint64 `json:"sequence"`
	Lag      uint64 `json:"lag"`
	Leader   string `json:"stream_leader,omitempty"`
	NATS     string `json:"nats,omitempty"` // the server this node talks to
	Ready    bool   `json:"ready"`
	// EmbedJobs counts the embedding jobs this node did for the cluster.
	EmbedJobs int64 `json:"embed_jobs"`
	// Reason says why the node is not ready.
	Reason string `json:"reason,omitempty"`
}

// staleAfter is how old the log's last sequence may be before a node stops
// calling itself ready: long enough to ride out a stream leader election.
const staleAfter = 30 * time.Second

// Status reports the node's lag and readiness.
func (n *Node) Status() Status {
	applied := n.ix.AppliedSeq()
	n.mu.Lock()
	defer n.mu.Unlock()
	st := Status{Node: n.cfg.Node, Stream: n.cfg.Stream, Replicas: n.replicas, Applied: applied, Sequence: n.last, Leader: n.leader, NATS: n.nc.ConnectedUrlRedacted(), EmbedJobs: n.embedded.Load()}
	if n.last > applied {
		st.Lag = n.last - applied
	}
	switch {
	case n.seen.IsZero():
		st.Reason = "the log's position is not known yet"
	case time.Since(n.seen) > staleAfter:
		st.Reason = "the log has not answered for " + time.Since(n.seen).Round(time.Second).String()
	case st.Lag > n.cfg.MaxLag:
		st.Reason = fmt.Sprintf("%d log entries behind (ready at %d)", st.Lag, n.cfg.MaxLag)
	case !n.caughtUp:
		st.Reason = "catching up"
	default:
		st.Ready = true
	}
	return st
}

// WaitReady waits until the node is ready or ctx ends.
func (n *Node) WaitReady(ctx context.Context) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		if n.Status().Ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
