package embedding

import (
	"context"
	"fmt"
	"testing"
	"time"

	"policysearch/embedding/embeddingtest"
	"policysearch/index"
)

// TestStartWalkHoldsABoundedBacklog: a start over more stored documents
// than walkBacklog, against an endpoint slower than the walk, never holds
// more than walkBacklog documents queued or waiting for vectors, and
// still embeds every one.
func TestStartWalkHoldsABoundedBacklog(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the start-up backlog")
	}
	dir := t.TempDir()
	const n = walkBacklog + 1500
	ix, err := index.Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	docs := make([]index.Document, n)
	for i := range docs {
		docs[i] = index.Document{ID: fmt.Sprintf("stored-%05d", i), Title: fmt.Sprintf("Brief %d", i),
			Text: fmt.Sprintf("Statement %d on sovereign compute capacity and the grid.", i)}
	}
	if _, err := ix.Put(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	ix.Close()

	srv := startEndpoint(t, 256)
	srv.Delay = 5 * time.Millisecond
	srv.SetFault(embeddingtest.Slow, -1)
	r := newRig(t, srv, dir, Config{BatchSize: 64, Concurrency: 2})
	most, pendingAll := 0, false
	deadline := time.Now().Add(60 * time.Second)
	for sum := r.svc.Summary(); sum.Done < n; sum = r.svc.Summary() {
		// Documents not yet walked count as pending.
		pendingAll = pendingAll || (sum.Done+sum.Pending+sum.Failed == n && sum.Pending > walkBacklog)
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %+v", r.svc.Summary())
		}
		r.svc.mu.Lock()
		most = max(most, len(r.svc.intake)+len(r.svc.plans))
		r.svc.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	if !pendingAll {
		t.Error("no summary counted every unembedded document as pending")
	}
	if sum := r.svc.Summary(); sum.Pending != 0 || sum.Done != n {
		t.Errorf("after embedding: %+v", sum)
	}
	if most > walkBacklog {
		t.Errorf("%d documents were queued or waiting at once, the walk's limit is %d", most, walkBacklog)
	}
	if most < walkBacklog/2 {
		t.Errorf("at most %d documents were waiting: the endpoint was not the slower", most)
	}
	t.Logf("%d documents embedded, at most %d waiting at once", n, most)
}
