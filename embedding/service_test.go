package embedding

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"policysearch/embedding/embeddingtest"
	"policysearch/index"
)

// rig is a real index and a real service talking to a loopback endpoint.
type rig struct {
	t    *testing.T
	dir  string
	srv  *embeddingtest.Server
	ix   *index.Index
	svc  *Service
	stop context.CancelFunc
}

func newRig(t *testing.T, srv *embeddingtest.Server, dir string, cfg Config) *rig {
	t.Helper()
	cfg.URL, cfg.Model = srv.URL(), "hash-256"
	r := startRig(t, dir, func(path string, log *slog.Logger) (*Service, error) { return New(cfg, path, log) })
	r.srv = srv
	return r
}

// startRig opens an index in dir and a service made by open, wired as
// serve wires them.
func startRig(t *testing.T, dir string, open func(storePath string, log *slog.Logger) (*Service, error)) *rig {
	t.Helper()
	ix, err := index.Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := open(filepath.Join(dir, "embeddings.db"), slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ix.SetSemantic(svc)
	ix.OnChange(svc.OnChange)
	ctx, cancel := context.WithCancel(context.Background())
	svc.Start(ctx, ix)
	r := &rig{t: t, dir: dir, ix: ix, svc: svc, stop: cancel}
	t.Cleanup(r.close)
	return r
}

func (r *rig) close() {
	if r.stop == nil {
		return
	}
	r.stop()
	r.svc.Close()
	r.ix.Close()
	r.stop = nil
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// waitFor polls cond for up to 10 s: background embedding has no other
// completion signal a client could use either.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *rig) settled() bool {
	s := r.svc.Summary()
	return s.Pending == 0
}

func docsN(n int, words int) []index.Document {
	var out []index.Document
	topics := []string{"sovereign compute capacity", "steel tariffs and allies", "welfare algorithms audit", "energy grid planning"}
	for i := range n {
		var b strings.Builder
		for w := 0; w < words; w += 10 {
			fmt.Fprintf(&b, "Paragraph %d discusses %s in some detail here. ", w, topics[i%len(topics)])
		}
		out = append(out, index.Document{ID: fmt.Sprintf("doc-%03d", i), Title: fmt.Sprintf("Brief %d on %s", i, topics[i%len(topics)]), Text: b.String()})
	}
	return out
}

func TestBatchingAndNoReembedding(t *testing.T) {
	srv := startEndpoint(t, 256)
	dir := t.TempDir()
	r := newRig(t, srv, dir, Config{BatchSize: 8, Concurrency: 2})
	ctx := context.Background()
	docs := docsN(20, 600) // several passages each
	if _, err := r.ix.Put(ctx, docs); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "embedding", r.settled)
	sum := r.svc.Summary()
	if sum.Done != 20 || sum.Failed != 0 || sum.Passages < 40 {
		t.Fatalf("summary %+v, want 20 done, ≥ 40 passages", sum)
	}
	for _, n := range srv.BatchSizes() {
		if n > 8 {
			t.Errorf("a request carried %d inputs, batch size is 8", n)
		}
	}
	first := srv.Inputs()
	if first != sum.Passages {
		// identical passages across documents are sent once
		t.Logf("inputs sent %d for %d passages", first, sum.Passages)
	}

	steps := []struct {
		name string
		do   func()
	}{
		{"re-add identical documents", func() {
			if _, err := r.ix.Put(ctx, docs); err != nil {
				t.Fatal(err)
			}
		}},
		{"rebuild the index", func() {
			if _, err := r.ix.Rebuild(ctx); err != nil {
				t.Fatal(err)
			}
		}},
		{"restart", func() {
			r.close()
			r = newRig(t, srv, dir, Config{BatchSize: 8})
			waitFor(t, "re-planning after restart", func() bool { return r.svc.Summary().Done == 20 })
		}},
		{"change metadata only (text unchanged)", func() {
			d := docs[0]
			d.Source = "New Publisher"
			if _, err := r.ix.Put(ctx, []index.Document{d}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "settle", r.settled)
		}},
	}
	for _, st := range steps {
		st.do()
		time.Sleep(50 * time.Millisecond)
		if got := srv.Inputs(); got != first {
			t.Errorf("%s: endpoint received %d more inputs, want 0", st.name, got-first)
		}
	}
	d := docs[1]
	d.Text += " A new closing sentence about semiconductors."
	if _, err := r.ix.Put(ctx, []index.Document{d}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "changed doc", r.settled)
	if got := srv.Inputs() - first; got < 1 || got > 2 {
		t.Errorf("changing one passage sent %d inputs, want 1 or 2", got)
	}
}

func TestRetriesThenSucceeds(t *testing.T) {
	cases := []struct {
		name  string
		fault embeddingtest.Fault
		n     int
	}{
		{"429 with Retry-After", embeddingtest.RateLimit, 2},
		{"500", embeddingtest.ServerErr, 2},
		{"timeout", embeddingtest.Slow, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := startEndpoint(t, 64)
			srv.RetryAfter, srv.Delay = 1, 2*time.Second
			srv.SetFault(c.fault, c.n)
			// One request in flight: two in parallel could take both 429s
			// at once and wait out one Retry-After together.
			r := newRig(t, srv, t.TempDir(), Config{Timeout: 300 * time.Millisecond, Concurrency: 1})
			start := time.Now()
			if _, err := r.ix.Put(context.Background(), docsN(2, 50)); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "embedding after faults", func() bool { return r.svc.Summary().Done == 2 })
			if c.fault == embeddingtest.RateLimit && time.Since(start) < 2*time.Second {
				t.Errorf("finished in %s; two Retry-After: 1 answers should take ≥ 2s", time.Since(start))
			}
			if srv.Requests() < c.n+1 {
				t.Errorf("requests = %d, want ≥ %d", srv.Requests(), c.n+1)
			}
		})
	}
}

func TestPermanentFailuresAreVisibleAndRetryable(t *testing.T) {
	cases := []embeddingtest.Fault{embeddingtest.WrongDims, embeddingtest.BadJSON, embeddingtest.EmptyData}
	for _, fault := range cases {
		t.Run(fmt.Sprint(fault), func(t *testing.T) {
			srv := startEndpoint(t, 64)
			r := newRig(t, srv, t.TempDir(), Config{MaxAttempts: 2})
			ctx := context.Background()
			// fix the dimension first, so WrongDims is detectably wrong
			if _, err := r.ix.Put(ctx, docsN(1, 20)); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "first doc", r.settled)
			srv.SetFault(fault, -1)
			d := index.Document{ID: "victim", Title: "Grid", Text: "Grid capacity planning for data centres."}
			if _, err := r.ix.Put(ctx, []index.Document{d}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "failure", func() bool { st := r.svc.DocStatus("victim"); return st != nil && st.Status == "failed" })
			if st := r.svc.DocStatus("victim"); st.Error == "" {
				t.Error("failed status has no error")
			}
			if _, _, dims := r.svc.vecs.stats(); dims != 64 {
				t.Errorf("index dims = %d after fault, want 64", dims)
			}
			if got := r.svc.store.Dims("hash-256"); got != 64 {
				t.Errorf("store dims = %d after fault, want 64 (store corrupted)", got)
			}
			srv.SetFault(embeddingtest.None, 0)
			n, _ := r.svc.RetryFailed(ctx, r.ix)
			if n != 1 {
				t.Errorf("RetryFailed queued %d, want 1", n)
			}
			waitFor(t, "retry", func() bool { return r.svc.DocStatus("victim").Status == "done" })
		})
	}
}

func TestDeleteDropsVectors(t *testing.T) {
	srv := startEndpoint(t, 64)
	r := newRig(t, srv, t.TempDir(), Config{})
	ctx := context.Background()
	r.ix.Put(ctx, docsN(3, 30))
	waitFor(t, "embedding", r.settled)
	if err := r.ix.Delete(ctx, "doc-001"); err != nil {
		t.Fatal(err)
	}
	ms, err := r.svc.Nearest(ctx, "steel tariffs", 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.ID == "doc-001" {
			t.Error("deleted document still returned by Nearest")
		}
	}
	if r.svc.DocStatus("doc-001") != nil {
		t.Error("deleted document still has a status")
	}
}

func TestModelChangeReembedsAndQueryCache(t *testing.T) {
	srv := startEndpoint(t, 64)
	dir := t.TempDir()
	r := newRig(t, srv, dir, Config{})
	ctx := context.Background()
	r.ix.Put(ctx, docsN(4, 30))
	waitFor(t, "embedding", r.settled)
	indexed := srv.Inputs()

	before := srv.Requests()
	for range 3 {
		if _, err := r.svc.Nearest(ctx, "steel tariffs", 5, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.Requests() - before; got != 1 {
		t.Errorf("three identical queries sent %d requests, want 1 (cached)", got)
	}

	r.close()
	first := srv.Inputs()
	ix, err := index.Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Config{URL: srv.URL(), Model: "another-model"}, filepath.Join(dir, "embeddings.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer func() { cancel(); svc.Close(); ix.Close() }()
	svc.Start(sctx, ix)
	waitFor(t, "re-embedding with the new model", func() bool { return svc.Summary().Done == 4 && svc.Summary().Pending == 0 })
	if got := srv.Inputs() - first; got != indexed {
		t.Errorf("new model sent %d inputs, want %d (everything again)", got, indexed)
	}
	if svc.Model() != "another-model" || svc.Summary().Model != "another-model" {
		t.Errorf("model = %s", svc.Model())
	}
}

// TestReplannedDocumentWaitsForItsRequest: a document queued again while
// its inputs are out (the start-up walk and its own write both queue it)
// waits for that request instead of sending the same inputs again.
func TestReplannedDocumentWaitsForItsRequest(t *testing.T) {
	srv := startEndpoint(t, 64)
	srv.Delay = 500 * time.Millisecond
	srv.SetFault(embeddingtest.Slow, 1)
	r := newRig(t, srv, t.TempDir(), Config{Timeout: 5 * time.Second, Concurrency: 2})
	ctx := context.Background()
	if _, err := r.ix.Put(ctx, docsN(1, 30)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first request", func() bool { return srv.Requests() >= 1 })
	first := srv.Inputs()
	d, err := r.ix.Get(ctx, "doc-000")
	if err != nil {
		t.Fatal(err)
	}
	r.svc.Enqueue(d)
	waitFor(t, "embedding", func() bool { s := r.svc.Summary(); return s.Done == 1 && s.Pending == 0 })
	if got := srv.Inputs(); got != first {
		t.Errorf("the endpoint got %d inputs, want the first request's %d only", got, first)
	}
}
