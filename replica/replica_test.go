package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"policysearch/index"
	"policysearch/replica/natstest"
)

// member is one node of a test cluster: an index in dir applying the log.
type member struct {
	ix   *index.Index
	node *Node
	stop func()
}

// join opens a node on dir and runs it; setup runs before it applies.
func join(t *testing.T, urls []string, name, dir string, setup ...func(*Node)) *member {
	t.Helper()
	ctx := context.Background()
	ix, err := index.Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})).With("node", name)
	node, err := Open(ctx, Config{URLs: urls, Node: name, ApplyWait: 5 * time.Second, StartTimeout: 20 * time.Second}, ix, log)
	if err != nil {
		ix.Close()
		t.Fatal(err)
	}
	for _, fn := range setup {
		fn(node)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); node.Run(rctx) }()
	m := &member{ix: ix, node: node}
	stopped := false
	m.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-done
		node.Close()
		ix.Close()
	}
	t.Cleanup(m.stop)
	return m
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// contents maps every stored id to its content hash.
func contents(t *testing.T, ix *index.Index) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := ix.Walk(context.Background(), func(d *index.Document) error { out[d.ID] = d.Hash; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitSeq waits up to 10 s for m to apply seq.
func waitSeq(t *testing.T, m *member, seq uint64) {
	t.Helper()
	if !m.ix.WaitApplied(context.Background(), seq, 10*time.Second) {
		t.Fatalf("node %s applied %d, want %d within 10s", m.node.cfg.Node, m.ix.AppliedSeq(), seq)
	}
}

func sameContents(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("%s: %d documents vs %d", what, len(a), len(b))
	}
	for id, h := range a {
		if b[id] != h {
			t.Errorf("%s: %s hash %q vs %q", what, id, h, b[id])
		}
	}
}

func TestNodesConvergeThroughTheLog(t *testing.T) {
	nats := natstest.Start(t, 1)
	ctx := context.Background()
	a := join(t, nats.URLs(), "a", t.TempDir())
	bdir := t.TempDir()
	b := join(t, nats.URLs(), "b", bdir)

	var docs []index.Document
	for i := range 40 {
		// Dots, colons and @ are legal in ids but not as subject tokens.
		docs = append(docs, index.Document{ID: fmt.Sprintf("doc.%d:x@y", i), Title: "Tariff note", Text: fmt.Sprintf("tariff schedule number %d", i)})
	}
	res, err := a.ix.Put(ctx, docs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != index.Added || r.Pending || r.Sequence == 0 {
			t.Fatalf("put through a: %+v, want added, applied, with a sequence", r)
		}
	}
	// A write through b that a has not seen yet; a delete through b.
	if _, err := b.ix.Put(ctx, []index.Document{{ID: "doc.1:x@y", Title: "Tariff note", Text: "revised schedule"}}); err != nil {
		t.Fatal(err)
	}
	if err := b.ix.Delete(ctx, "doc.2:x@y"); err != nil {
		t.Fatal(err)
	}
	if err := b.ix.Delete(ctx, "never-was"); index.KindOf(err) != index.NotFound {
		t.Errorf("delete of a missing id: %v, want NotFound", err)
	}
	// Putting what the node already holds logs nothing.
	again, err := a.ix.Put(ctx, docs[5:6])
	if err != nil || again[0].Status != index.Unchanged || again[0].Sequence != 0 {
		t.Errorf("unchanged put: %+v, %v; want unchanged and not logged", again, err)
	}
	seq := b.ix.AppliedSeq()
	waitSeq(t, a, seq)
	ca, cb := contents(t, a.ix), contents(t, b.ix)
	sameContents(t, "a vs b", ca, cb)
	if len(ca) != 39 {
		t.Errorf("a holds %d documents, want 39", len(ca))
	}

	// b goes away; while it is down a document it holds is deleted and
	// another changed. On return it resumes from its mark.
	b.stop()
	if err := a.ix.Delete(ctx, "doc.3:x@y"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ix.Put(ctx, []index.Document{{ID: "doc.4:x@y", Title: "Tariff note", Text: "changed while b slept"}}); err != nil {
		t.Fatal(err)
	}
	b = join(t, nats.URLs(), "b", bdir)
	if b.ix.AppliedSeq() != seq {
		t.Errorf("b reopened at %d, want its mark %d", b.ix.AppliedSeq(), seq)
	}
	waitSeq(t, b, a.ix.AppliedSeq())
	sameContents(t, "a vs returning b", contents(t, a.ix), contents(t, b.ix))

	// A new, empty node catches up from the log alone, tombstones included.
	c := join(t, nats.URLs(), "c", t.TempDir())
	waitSeq(t, c, a.ix.AppliedSeq())
	sameContents(t, "a vs new c", contents(t, a.ix), contents(t, c.ix))
	readyCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.node.WaitReady(readyCtx); err != nil {
		t.Errorf("c not ready: %+v", c.node.Status())
	}
	if st := c.node.Status(); st.Lag != 0 || st.Applied != st.Sequence {
		t.Errorf("c status %+v, want no lag", st)
	}
}

func TestOversizedDocumentIsRefused(t *testing.T) {
	nats := natstest.Start(t, 1)
	a := join(t, nats.URLs(), "a", t.TempDir())
	big := make([]byte, a.node.nc.MaxPayload()+10)
	for i := range big {
		big[i] = 'a' + byte(i%26)
		if i%7 == 6 {
			big[i] = ' '
		}
	}
	_, err := a.ix.Put(context.Background(), []index.Document{{ID: "big", Title: "Big", Text: string(big)}})
	var ie *index.Error
	if !errors.As(err, &ie) || ie.Kind != index.TooLarge {
		t.Fatalf("put of a document over max_payload: %v, want a TooLarge error", err)
	}
}

func TestRefillFromAStoreIntoAFreshLog(t *testing.T) {
	nats := natstest.Start(t, 1)
	ctx := context.Background()
	adir := t.TempDir()
	a := join(t, nats.URLs(), "a", adir)
	var docs []index.Document
	for i := range 30 {
		docs = append(docs, index.Document{ID: fmt.Sprintf("r%d", i), Title: "Refill", Text: fmt.Sprintf("levy schedule %d", i)})
	}
	if _, err := a.ix.Put(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if err := a.ix.Delete(ctx, "r7"); err != nil {
		t.Fatal(err)
	}
	want := contents(t, a.ix)
	if _, _, err := a.node.Refill(ctx); err == nil {
		t.Error("refill into a stream that has entries: no error")
	}
	// The stream is lost; a's store refills a fresh one.
	if err := a.node.js.DeleteStream(ctx, a.node.cfg.Stream); err != nil {
		t.Fatal(err)
	}
	a.stop()
	// As `policysearch relog` does: the node's store, not applying.
	ix, err := index.Open(ctx, adir, nil)
	if err != nil {
		t.Fatal(err)
	}
	node, err := Open(ctx, Config{URLs: nats.URLs(), Node: "relog"}, ix, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	// Records (snapshots, alerts) go back into the log with the documents.
	records := map[string]string{"snap1": "first", "snap2": "second"}
	each := func(fn func(id string, data []byte) error) error {
		for id, v := range records {
			if err := fn(id, []byte(v)); err != nil {
				return err
			}
		}
		return nil
	}
	n, seq, err := node.Refill(ctx, RecordSet{Kind: "snap", Each: each})
	node.Close()
	ix.Close()
	if err != nil || n != len(want)+len(records) {
		t.Fatalf("Refill = %d, %d, %v; want %d documents and %d records", n, seq, err, len(want), len(records))
	}
	a = join(t, nats.URLs(), "a", adir)
	waitSeq(t, a, seq)
	got := sinkMap{}
	c := join(t, nats.URLs(), "c", t.TempDir(), func(n *Node) { n.HandleRecords("snap", got) })
	waitSeq(t, c, seq)
	if len(got) != len(records) || got["snap1"] != "first" || got["snap2"] != "second" {
		t.Errorf("records on the new node: %v, want %v", got, records)
	}
	sameContents(t, "refilled a vs new c", want, contents(t, c.ix))
	sameContents(t, "a before vs after", want, contents(t, a.ix))
}

// sinkMap is a RecordSink that keeps records in memory; applied from the
// node's one applying goroutine only.
type sinkMap map[string]string

func (m sinkMap) ApplyRecord(id string, data []byte) error {
	if data == nil {
		delete(m, id)
	} else {
		m[id] = string(data)
	}
	return nil
}
