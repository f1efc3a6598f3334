// Command cluster measures a running policysearch cluster (see
// bench/cluster/run.sh, which starts one): write throughput through the
// log, replication lag, read QPS over the nodes, an empty node's catch-up.
// It asserts nothing: it measures and prints.
//
//	go run ./bench/cluster load    -nodes URL,URL -corpus 10k -batch 500
//	go run ./bench/cluster lag     -nodes A,B -n 300
//	go run ./bench/cluster search  -nodes URL,URL,URL -duration 20s -clients 8
//	go run ./bench/cluster catchup -nodes URL
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"policysearch/bench/corpus"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		stop()
		os.Exit(1)
	}
}

// options are every mode's flags.
type options struct {
	nodes    []string
	corpus   string
	limit    int
	batch    int
	n        int
	clients  int
	duration time.Duration
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: cluster load|embedded|lag|search|catchup [flags]")
	}
	mode := args[0]
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	var o options
	nodes := fs.String("nodes", "http://127.0.0.1:8081", "node base URLs, comma-separated")
	fs.StringVar(&o.corpus, "corpus", "10k", "SOTU corpus size to load (10k or 100k), from ../shared")
	fs.IntVar(&o.limit, "limit", 0, "load only the corpus's first documents; 0 = all (load)")
	fs.IntVar(&o.batch, "batch", 500, "documents per NDJSON request (load)")
	fs.IntVar(&o.n, "n", 300, "writes to time (lag)")
	fs.IntVar(&o.clients, "clients", 8, "concurrent searchers (search)")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long to search (search)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	o.nodes = strings.Split(*nodes, ",")
	switch mode {
	case "load":
		return load(ctx, o, out)
	case "embedded":
		return embedded(ctx, o, out)
	case "lag":
		return lag(ctx, o, out)
	case "search":
		return search(ctx, o, out)
	case "catchup":
		return catchup(ctx, o, out)
	}
	return fmt.Errorf("unknown mode %q", mode)
}

var hc = &http.Client{Timeout: 60 * time.Second}

// load posts the corpus to the first node in NDJSON batches and reports
// documents per second until the last batch is acknowledged, then until
// every node has applied it.
func load(ctx context.Context, o options, out io.Writer) error {
	speeches, err := corpus.ReadSOTU("../shared/corpora/sotu.jsonl")
	if err != nil {
		return err
	}
	docs, err := corpus.Build(speeches, o.corpus)
	if err != nil {
		return err
	}
	if o.limit > 0 {
		docs = docs[:min(o.limit, len(docs))]
	}
	start := time.Now()
	for i := 0; i < len(docs); i += o.batch {
		var b strings.Builder
		for _, d := range docs[i:min(i+o.batch, len(docs))] {
			line, _ := json.Marshal(d)
			b.Write(line)
			b.WriteByte('\n')
		}
		req, _ := http.NewRequestWithContext(ctx, "POST", o.nodes[0]+"/api/documents", strings.NewReader(b.String()))
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("batch at %d: %s", i, resp.Status)
		}
	}
	acked := time.Since(start)
	fmt.Fprintf(out, "load: %d documents acknowledged in %v: %.0f docs/s through the log (batches of %d)\n",
		len(docs), acked.Round(time.Millisecond), float64(len(docs))/acked.Seconds(), o.batch)
	if err := waitApplied(ctx, o.nodes, 5*time.Minute); err != nil {
		return err
	}
	all := time.Since(start)
	fmt.Fprintf(out, "load: applied on all %d nodes after %v: %.0f docs/s\n", len(o.nodes), all.Round(time.Millisecond), float64(len(docs))/all.Seconds())
	return nil
}

// stats is the part of /api/stats this reads.
type stats struct {
	Documents int `json:"documents"`
	Cluster   struct {
		Applied  uint64 `json:"applied_sequence"`
		Sequence uint64 `json:"sequence"`
		Ready    bool   `json:"ready"`
	} `json:"cluster"`
}

func getStats(ctx context.Context, node string) (stats, error) {
	var st stats
	req, _ := http.NewRequestWithContext(ctx, "GET", node+"/api/stats", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// waitApplied waits until every node has applied the log's last sequence.
func waitApplied(ctx context.Context, nodes []string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		done := true
		for _, n := range nodes {
			st, err := getStats(ctx, n)
			single := st.Cluster.Sequence == 0 && st.Documents > 0 // no cluster: the baseline
			if err != nil || !single && (st.Cluster.Applied < st.Cluster.Sequence || st.Cluster.Sequence == 0) {
				done = false
				break
			}
		}
		if done {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("nodes did not apply the log within %v", d)
}

// catchup watches an empty node fill: documents per second from its start
// until it has applied the log, as /api/stats reports.
func catchup(ctx context.Context, o options, out io.Writer) error {
	node := o.nodes[0]
	start := time.Now()
	var first time.Time
	for time.Since(start) < 10*time.Minute {
		st, err := getStats(ctx, node)
		if err == nil {
			if first.IsZero() {
				first = time.Now()
			}
			if st.Cluster.Sequence > 0 && st.Cluster.Applied >= st.Cluster.Sequence {
				took := time.Since(first)
				fmt.Fprintf(out, "catchup: %s holds %d documents (sequence %d) %v after it first answered: %.0f docs/s\n",
					node, st.Documents, st.Cluster.Applied, took.Round(time.Millisecond), float64(st.Documents)/took.Seconds())
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("catchup: not caught up in 10 minutes")
}

// percentile is the p-th percentile of sorted ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(float64(len(ds))*p))]
}
