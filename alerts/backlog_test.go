package alerts

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"policysearch/index"
)

// lockedBuffer collects a service's log for a test to read while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// TestCutMatchesAreMatchedLater cuts every alert's first match of every
// batch (a bound of 1 ns has passed before bleve starts) and checks that
// each alert still matches every document: cut documents go to the
// alert's backlog and are retried in smaller tries with longer bounds.
func TestCutMatchesAreMatchedLater(t *testing.T) {
	var logs lockedBuffer
	cfg := Config{MatchTimeout: time.Nanosecond, MaxMatchTimeout: time.Minute,
		Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	r := newRig(t, cfg)
	queries := []string{"q=policy", "q=polcy~1", "q=polic*"}
	var ids []string
	for _, q := range queries {
		ids = append(ids, r.create(Alert{Params: q}).ID)
	}
	const n = 300 // more than one batch (matchBatch)
	var docs []index.Document
	for i := range n {
		docs = append(docs, index.Document{ID: fmt.Sprintf("d%03d", i), Title: fmt.Sprintf("Memo %d", i),
			Text: fmt.Sprintf("The policy on item %d of the agenda, with notes on case %d.", i, i*7)})
	}
	r.put(docs[:n/2]...)
	r.put(docs[n/2:]...)

	deadline := time.Now().Add(2 * time.Minute)
	for i, id := range ids {
		for {
			got, err := r.svc.Get(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if got.Matches == n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("alert %q matched %d of %d documents in 2 minutes", queries[i], got.Matches, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
		entries, err := r.svc.Entries(context.Background(), id, n)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range entries {
			seen[e.Document.ID] = true
		}
		if len(seen) != n {
			t.Errorf("alert %q: %d distinct documents among its entries, want %d", queries[i], len(seen), n)
		}
	}
	t.Logf("%d tries were cut; %d lane batches", logs.count("alert matching over its time bound"), logs.count("lane matched documents"))
	if c := logs.count("alert matching over its time bound"); c < len(queries) {
		t.Errorf("%d matches were cut, want at least one per alert: the test did not exercise the backlog", c)
	}
	if c := logs.count("gave up"); c > 0 {
		t.Errorf("%d documents were given up", c)
	}
	// The retry round moves the watermark just after it empties the last
	// backlog, so the empty backlogs above may be seen a moment before it.
	for _, l := range r.svc.lanes {
		deadline := time.Now().Add(5 * time.Second)
		wm := r.svc.st.watermark()
		for wm.Before(l.done) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			wm = r.svc.st.watermark()
		}
		if wm.Before(l.done) {
			t.Errorf("the watermark %s stayed before the %s lane's progress %s with every backlog empty", wm, l.name(), l.done)
		}
	}
}

// TestWatermarkStaysBeforeBacklog: a restart must match a document that
// is still in an alert's backlog, so the stored watermark stays before
// it although both lanes have gone past it.
func TestWatermarkStaysBeforeBacklog(t *testing.T) {
	ix, err := index.Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	s, err := Open(filepath.Join(t.TempDir(), "alerts.db"), ix, Config{Parse: testParse})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	a, err := s.Create(context.Background(), Alert{Params: "q=policy"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().UTC()
	cut := docRef{id: "cut", hash: "h1", indexedAt: t0.Add(time.Second)}
	s.behind(s.active[a.ID], []docRef{cut}, map[string]bool{"cut": true})
	for _, l := range s.lanes {
		if err := s.advance(l, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if wm := s.st.watermark(); !wm.Before(cut.indexedAt) {
		t.Fatalf("watermark %s is not before the backlog's document (%s)", wm, cut.indexedAt)
	}
	s.active[a.ID].behind.matched([]docRef{cut}, s.cfg.MatchTimeout)
	if err := s.advance(nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if wm := s.st.watermark(); !wm.Equal(t0.Add(time.Minute)) {
		t.Errorf("watermark %s once the backlog is matched, want the lanes' %s", wm, t0.Add(time.Minute))
	}
}
