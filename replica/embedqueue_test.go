package replica

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"policysearch/embedding"
	"policysearch/embedding/embeddingtest"
	"policysearch/index"
	"policysearch/replica/natstest"
)

// embedMember is a node that shares embeddings through the cluster,
// against its own endpoint.
type embedMember struct {
	ix   *index.Index
	sem  *embedding.Service
	node *Node
	stop func()
}

func joinEmbedding(t *testing.T, urls []string, name, endpoint string) *embedMember {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := index.Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})).With("node", name)
	sem, err := embedding.New(embedding.Config{URL: endpoint, Model: "stems", MaxAttempts: 1, Timeout: time.Minute}, dir+"/embeddings.db", log)
	if err != nil {
		t.Fatal(err)
	}
	ix.SetSemantic(sem)
	ix.OnChange(sem.OnChange)
	node, err := Open(ctx, Config{URLs: urls, Node: name, StartTimeout: 20 * time.Second, EmbedAckWait: 2 * time.Second}, ix, log)
	if err != nil {
		t.Fatal(err)
	}
	node.ShareEmbeddings(sem)
	sem.SetSource(node)
	rctx, cancel := context.WithCancel(ctx)
	sem.Start(rctx, ix)
	done := make(chan struct{})
	go func() { defer close(done); node.Run(rctx) }()
	m := &embedMember{ix: ix, sem: sem, node: node}
	stopped := false
	m.stop = func() {
		if stopped {
			return
		}
		stopped = true
		node.Close() // first, as a kill would: nothing more reaches the server
		cancel()
		<-done
		sem.Close()
		ix.Close()
	}
	t.Cleanup(m.stop)
	return m
}

// TestEmbeddingJobOfADeadNodeGoesToAnother: a node takes a document's
// job and dies in the middle of the model's call; the job, never
// acknowledged, goes to the next node, which embeds the document and
// sends its vectors through the log.
func TestEmbeddingJobOfADeadNodeGoesToAnother(t *testing.T) {
	nats := natstest.Start(t, 1)
	hung, err := embeddingtest.Start(32)
	if err != nil {
		t.Fatal(err)
	}
	defer hung.Close()
	hung.Delay = time.Minute
	hung.SetFault(embeddingtest.Slow, -1)
	fine, err := embeddingtest.Start(32)
	if err != nil {
		t.Fatal(err)
	}
	defer fine.Close()

	ctx := context.Background()
	a := joinEmbedding(t, nats.URLs(), "a", hung.URL())
	if _, err := a.ix.Put(ctx, []index.Document{{ID: "d1", Title: "Tariffs", Text: "A tariff schedule for imported steel."}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for hung.Requests() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("node a never called its endpoint for the job")
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	a.stop() // dies holding the job
	t.Logf("a stopped in %v", time.Since(start))

	b := joinEmbedding(t, nats.URLs(), "b", fine.URL())
	deadline = time.Now().Add(20 * time.Second)
	for b.sem.Summary().Done != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("b has no vectors for d1 20 s after a died: %+v, jobs done %d", b.sem.Summary(), b.node.embedded.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("b embedded d1 %v after a began to stop", time.Since(start))
	if got := b.node.embedded.Load(); got != 1 || fine.Requests() != 1 {
		t.Errorf("b did %d jobs in %d requests; want the dead node's one job in one request", got, fine.Requests())
	}
	// One job ever: b's own ask for d1 was the same job (Nats-Msg-Id), so
	// b did the one a left unacknowledged.
	js, err := b.node.js.Stream(ctx, b.node.jobStream())
	if err != nil || js.CachedInfo().State.LastSeq != 1 {
		t.Errorf("job stream: %v, %v; want exactly one job ever", js, err)
	}
	if b.sem.Summary().Requests != 1 {
		t.Errorf("b's own summary counts %d requests, want 1", b.sem.Summary().Requests)
	}
}

// TestVectorsReplacedByAnOlderVersionAreMadeAgain: a slow worker's vectors
// for a document's older version reach the log after the new version's
// and replace them on the subject. A node that catches up later finds
// only the old ones; it asks, the job is a duplicate of one done long
// ago, so it is made again under a new id, and the node gets its vectors.
func TestVectorsReplacedByAnOlderVersionAreMadeAgain(t *testing.T) {
	nats := natstest.Start(t, 1)
	emb, err := embeddingtest.Start(32)
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	ctx := context.Background()
	a := joinEmbedding(t, nats.URLs(), "a", emb.URL())
	put := func(text string) *index.Document {
		t.Helper()
		if _, err := a.ix.Put(ctx, []index.Document{{ID: "d", Title: "Levy", Text: text}}); err != nil {
			t.Fatal(err)
		}
		d, err := a.ix.Get(ctx, "d")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	waitDone := func(m *embedMember, what string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for m.sem.Summary().Done != 1 || m.sem.Summary().Pending != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %+v after 30 s", what, m.sem.Summary())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	old := put("the first version of the levy")
	waitDone(a, "a, first version")
	put("the second version of the levy, longer")
	waitDone(a, "a, second version")
	// The stale vectors, published last, as a slow worker would.
	hashes, vecs, err := a.sem.EmbedDocuments(ctx, []*index.Document{old})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := a.node.vectorMsgs(old, a.sem.Model(), hashes[0], vecs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs { // a first publish of these, as the slow worker's is
		m.Header.Set(jetstream.MsgIDHeader, "late-"+m.Header.Get(jetstream.MsgIDHeader))
	}
	if _, err := a.node.appendMsgs(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	if _, logged, err := a.node.loggedVectors(ctx, "d", old.Hash); err != nil || !logged {
		t.Fatalf("the stale vectors are not the subject's last: %v %v", logged, err)
	}
	c := joinEmbedding(t, nats.URLs(), "c", emb.URL())
	waitDone(c, "new node c")
}
