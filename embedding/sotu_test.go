package embedding

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"policysearch/index"
	"policysearch/ingest"
)

const sotuPath = "../../shared/corpora/sotu.jsonl"

func loadSOTU(t testing.TB) []index.Document {
	t.Helper()
	f, err := os.Open(sotuPath)
	if err != nil {
		t.Skipf("../shared not present (%v): skipping the SOTU semantic test", err)
	}
	defer f.Close()
	var docs []index.Document
	err = ingest.Load(context.Background(), sotuPath, f, "", func(r ingest.Record) error {
		if r.Err != nil {
			return r.Err
		}
		docs = append(docs, r.Doc)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// TestSOTUEmbeddingAndHybridLatency embeds the whole SOTU corpus through a
// loopback endpoint, checks that re-adding it sends nothing, and reports
// what hybrid ranking adds to keyword latency. The query vectors are
// cached before timing, so the endpoint's own time is excluded.
func TestSOTUEmbeddingAndHybridLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the SOTU semantic run")
	}
	docs := loadSOTU(t)
	srv := startEndpoint(t, 256)
	r := newRig(t, srv, t.TempDir(), Config{})
	ctx := context.Background()
	start := time.Now()
	if _, err := r.ix.Put(ctx, docs); err != nil {
		t.Fatal(err)
	}
	waitLong(t, "embedding SOTU", func() bool { return r.svc.Summary().Done == len(docs) })
	first := srv.Inputs()
	sum := r.svc.Summary()
	t.Logf("first add: %d documents, %d passages, %d inputs in %d requests, %s", len(docs), sum.Passages, first, srv.Requests(), time.Since(start).Round(time.Millisecond))
	if first == 0 || first > sum.Passages {
		t.Errorf("first add sent %d inputs for %d passages", first, sum.Passages)
	}
	if _, err := r.ix.Put(ctx, docs); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	waitLong(t, "settle", r.settled)
	if again := srv.Inputs() - first; again != 0 {
		t.Errorf("second add sent %d inputs, want 0", again)
	}
	t.Logf("second add: %d inputs", srv.Inputs()-first)

	queries := []string{"tariffs on foreign goods", "slavery and emancipation", "nuclear weapons and the soviet union",
		"health care costs for families", "war on terror", "the national debt", "immigration reform", "railroads and the west",
		"the great depression and unemployment", "civil rights", "education and schools", "energy independence",
		"trade with china", "the gold standard and currency", "veterans pensions", "climate change", "taxes on the middle class",
		"the panama canal", "space exploration", "peace in the middle east"}
	for _, q := range queries { // warm the query cache and bleve
		r.ix.Search(ctx, index.Query{Text: q, Mode: index.ModeHybrid})
		r.ix.Search(ctx, index.Query{Text: q, Mode: index.ModeKeyword})
	}
	var kw, hy []time.Duration
	for round := range 5 {
		for _, q := range queries {
			for _, mode := range []string{index.ModeKeyword, index.ModeHybrid} {
				t0 := time.Now()
				res, err := r.ix.Search(ctx, index.Query{Text: q, Mode: mode})
				d := time.Since(t0)
				if err != nil {
					t.Fatal(err)
				}
				if mode == index.ModeHybrid && res.Semantic.Status != "ok" {
					t.Fatalf("round %d %q: semantic %+v", round, q, res.Semantic)
				}
				if mode == index.ModeKeyword {
					kw = append(kw, d)
				} else {
					hy = append(hy, d)
				}
			}
		}
	}
	p := func(ds []time.Duration, q float64) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[int(q*float64(len(s)-1))]
	}
	t.Logf("keyword p50 %s p99 %s; hybrid p50 %s p99 %s; added p50 %s p99 %s (n=%d each, query vectors cached)",
		p(kw, .5), p(kw, .99), p(hy, .5), p(hy, .99), p(hy, .5)-p(kw, .5), p(hy, .99)-p(kw, .99), len(kw))
}

func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
