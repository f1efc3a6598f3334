package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"policysearch/index"
	"policysearch/replica/natstest"
)

// clusterQueries are searched on every node at the end: the top 10 must
// be the same everywhere.
var clusterQueries = []string{"tariff", "carbon+tax", "subsidy", "water+rights", "trade"}

var clusterWords = strings.Fields("tariff carbon tax subsidy water rights trade quota levy grant fishery forest " +
	"housing transit pension labour border customs energy grid wage rent credit bond")

// clusterDoc is write i's document: words drawn from a small vocabulary so
// searches match many documents and ranking has ties to break alike.
func clusterDoc(i, version int) index.Document {
	var b strings.Builder
	for k := range 24 {
		b.WriteString(clusterWords[(i*7+k*k+version)%len(clusterWords)])
		b.WriteByte(' ')
	}
	return index.Document{ID: fmt.Sprintf("w-%05d", i), Title: fmt.Sprintf("Write %d version %d", i, version), Text: b.String()}
}

// hashOf is the content hash a node will store for d.
func hashOf(t *testing.T, d index.Document) string {
	t.Helper()
	if err := d.Prepare(); err != nil {
		t.Fatal(err)
	}
	return d.Hash
}

// TestClusterSurvivesKill9 runs three nats-server processes and three
// policysearch nodes, writes and searches steadily, kills -9 the stream's
// leader and then a policysearch node, restarts both, adds an empty fourth
// node, and checks that nothing acknowledged was lost, that searches never
// stopped for more than 2 s, and that every node ends identical.
func TestClusterSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test runs real processes; skipped with -short")
	}
	nats := natstest.Start(t, 3)
	bin := buildBinary(t)
	var nodes []*clusterNode
	for i := range 3 {
		n := newClusterNode(t, bin, fmt.Sprintf("n%d", i+1), nats.URLs())
		n.start()
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		n.waitReady(90 * time.Second)
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var live liveSet
	live.set(nodes...)
	w := &clusterWriter{t: t, live: &live, acked: map[string]string{}}
	s := &clusterSearcher{live: &live}
	var wg sync.WaitGroup
	wg.Go(func() { w.run(ctx) })
	wg.Go(func() { s.run(ctx) })

	time.Sleep(4 * time.Second)
	st, err := nodes[0].stats()
	if err != nil || st.Cluster.Leader == "" {
		t.Fatalf("stream leader unknown: %+v %v", st, err)
	}
	leader := nats.Server(st.Cluster.Leader)
	if leader == nil {
		t.Fatalf("stream leader %q is not one of the test's servers", st.Cluster.Leader)
	}
	beforeFaults := w.ops.Load()
	t.Logf("kill -9 stream leader %s after %d acknowledged writes", leader.Name, beforeFaults)
	leader.Kill()

	time.Sleep(6 * time.Second)
	t.Logf("kill -9 policysearch node n2 after %d acknowledged writes", w.ops.Load())
	live.set(nodes[0], nodes[2])
	nodes[1].kill()

	time.Sleep(3 * time.Second)
	leader.Start()
	nodes[1].start()
	nodes[1].waitReady(60 * time.Second)
	live.set(nodes...)

	time.Sleep(2 * time.Second)
	afterFaults := w.ops.Load()
	n4 := newClusterNode(t, bin, "n4", nats.URLs())
	joined := time.Now()
	n4.start()
	n4.waitReady(60 * time.Second)
	t.Logf("empty n4 ready %v after start, with writes going on", time.Since(joined).Round(time.Millisecond))
	time.Sleep(3 * time.Second)
	stop()
	wg.Wait()
	nodes = append(nodes, n4)

	if w.failed != nil {
		t.Fatalf("a write was refused or never acknowledged: %v", w.failed)
	}
	seq := converge(t, nodes, 60*time.Second)
	t.Logf("%d writes acknowledged on %d ids (longest pause between acks %v); %d searches answered, longest gap %v; all nodes at sequence %d",
		w.ops.Load(), w.count(), w.longestPause.Round(time.Millisecond), s.answered, s.longestGap.Round(time.Millisecond), seq)
	if s.longestGap > 2*time.Second {
		t.Errorf("searches stopped for %v (more than 2s)", s.longestGap)
	}
	// The load ran before the faults and went on after both restarts
	// (counts, not rates: the machine's speed is not under test).
	if beforeFaults == 0 || w.ops.Load() <= afterFaults {
		t.Errorf("acknowledged writes: %d before the kills, %d after the restarts, %d at the end; want some before and more after", beforeFaults, afterFaults, w.ops.Load())
	}

	// Every acknowledged write, on every node, with its content hash.
	for _, n := range nodes {
		found := 0
		for id, want := range w.acked {
			got, err := n.contentHash(id)
			if err != nil {
				t.Fatalf("%s: %v", n.name, err)
			}
			if got != want {
				t.Errorf("%s: %s has hash %q, want %q (\"\" = deleted); its writes:\n%s", n.name, id, got, want, strings.Join(w.history[id], "\n"))
				continue
			}
			found++
		}
		t.Logf("%s: %d of %d acknowledged writes found as acknowledged", n.name, found, len(w.acked))
	}
	// Every node holds every document's vectors, each document embedded
	// once for the cluster (a job taken by a killed node goes to another).
	waitEmbedded(t, nodes, first(nodes).Documents, 60*time.Second)
	// The same documents and the same top 10 everywhere.
	first, _ := nodes[0].stats()
	for _, n := range nodes[1:] {
		st, err := n.stats()
		if err != nil || st.Documents != first.Documents {
			t.Errorf("%s holds %d documents, n1 %d (%v)", n.name, st.Documents, first.Documents, err)
		}
	}
	for _, q := range clusterQueries {
		want, err := nodes[0].topIDs(q)
		if err != nil || len(want) == 0 {
			t.Fatalf("n1 search %q: %v %v", q, want, err)
		}
		for _, n := range nodes[1:] {
			if got, err := n.topIDs(q); err != nil || !slices.Equal(got, want) {
				t.Errorf("%s top 10 for %q = %v, n1 %v (%v)", n.name, q, got, want, err)
			}
		}
	}
}

// converge waits until every node has applied the same, last sequence.
func converge(t *testing.T, nodes []*clusterNode, d time.Duration) uint64 {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		var seqs []uint64
		var last uint64
		for _, n := range nodes {
			st, err := n.stats()
			if err != nil {
				break
			}
			seqs = append(seqs, st.Cluster.Applied)
			last = max(last, st.Cluster.Sequence)
		}
		if len(seqs) == len(nodes) && slices.Min(seqs) == last && slices.Max(seqs) == last {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("nodes did not converge in %v: applied %v, log at %d", d, seqs, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func first(nodes []*clusterNode) clusterStats {
	st, _ := nodes[0].stats()
	return st
}

// waitEmbedded waits until every node has the vectors of docs documents
// and none pending, and returns their stats.
func waitEmbedded(t *testing.T, nodes []*clusterNode, docs int, d time.Duration) []embedStats {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		var stats []embedStats
		done := true
		for _, n := range nodes {
			st, err := n.embedStats()
			if err != nil {
				t.Fatal(err)
			}
			stats = append(stats, st)
			done = done && st.Embeddings.Done == docs && st.Embeddings.Pending == 0 && st.Embeddings.Passages == stats[0].Embeddings.Passages
		}
		if done {
			return stats
		}
		if time.Now().After(deadline) {
			t.Fatalf("nodes did not all embed %d documents in %v: %+v", docs, d, stats)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// liveSet is the nodes the clients use.
type liveSet struct {
	mu    sync.Mutex
	nodes []*clusterNode
}

func (l *liveSet) set(ns ...*clusterNode) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nodes = slices.Clone(ns)
}

// pick returns the node for attempt k of request i.
func (l *liveSet) pick(i, k int) *clusterNode {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nodes[(i+k)%len(l.nodes)]
}

// clusterSearcher searches every 50 ms through any node, moving to the
// next node when one fails, and records the longest time without an
// answer.
type clusterSearcher struct {
	live       *liveSet
	answered   int
	longestGap time.Duration
}

func (s *clusterSearcher) run(ctx context.Context) {
	hc := &http.Client{Timeout: time.Second}
	last := time.Now()
	for i := 0; i < 100000 && ctx.Err() == nil; i++ {
		for k := range 4 {
			n := s.live.pick(i, k)
			resp, err := hc.Get(n.base + "/api/search?q=" + clusterQueries[i%len(clusterQueries)])
			if err != nil {
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.answered++
				s.longestGap = max(s.longestGap, time.Since(last))
				last = time.Now()
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}
