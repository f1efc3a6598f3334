package alerts

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"policysearch/embedding"
	"policysearch/embedding/embeddingtest"
	"policysearch/index"
)

// semanticRig is a rig whose index ranks by meaning through a loopback
// embeddings endpoint; alerts wait for each document's vectors.
func semanticRig(t *testing.T) *rig {
	t.Helper()
	ep, err := embeddingtest.Start(256)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ep.Close)
	r := &rig{t: t, dir: t.TempDir()}
	r.ix, err = index.Open(context.Background(), r.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := embedding.New(embedding.Config{URL: ep.URL(), Model: "hash-256"}, filepath.Join(r.dir, "emb.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); svc.Close(); r.ix.Close() })
	r.ix.SetSemantic(svc)
	r.ix.OnChange(svc.OnChange)
	svc.Start(ctx, r.ix)
	r.cfg = Config{Parse: testParse, AllowPrivate: true, Vectors: svc, PollInterval: 20 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	r.start()
	return r
}

func TestSemanticAlertWaitsForVectorsAndSaysWhy(t *testing.T) {
	r := semanticRig(t)
	// The hashed-words test model is not the one DefaultThreshold was
	// calibrated for; its similarities run lower.
	sem := r.create(Alert{Params: "q=semiconductor+export+restrictions&mode=semantic", Threshold: 0.5})
	hybrid := r.create(Alert{Params: "q=semiconductor+export+restrictions", Threshold: 0.5})
	kw := r.create(Alert{Params: "q=semiconductor+export+restrictions&mode=keyword"})
	if got := r.svc.MatchKinds(sem.ID) + " " + r.svc.MatchKinds(hybrid.ID) + " " + r.svc.MatchKinds(kw.ID); got != "semantic keyword+semantic keyword" {
		t.Errorf("match kinds: %s", got)
	}
	r.put(index.Document{ID: "chips", Title: "Chip rules", Text: "Restrictions on semiconductor exports tighten."},
		index.Document{ID: "welfare", Title: "Welfare audits", Text: "Audits of algorithms used in welfare decisions."})
	entries := func(id string) []Entry { es, _ := r.svc.Entries(context.Background(), id, 10); return es }
	waitFor(t, "the semantic match", func() bool { return len(entries(sem.ID)) == 1 })
	e := entries(sem.ID)[0]
	if e.Document.ID != "chips" || e.Match.Kind != "semantic" || e.Match.Similarity == nil || *e.Match.Similarity < sem.Threshold ||
		e.Match.Passage == nil || !strings.Contains(e.Match.PassageHTML, "semiconductor") {
		t.Errorf("semantic entry %+v %+v", e.Document, e.Match)
	}
	waitFor(t, "the hybrid and keyword matches", func() bool { return len(entries(hybrid.ID)) == 1 && len(entries(kw.ID)) == 1 })
	quiet()
	if n := len(entries(hybrid.ID)); n != 1 {
		t.Errorf("the hybrid alert recorded %d matches for one document, want 1", n)
	}
	if k := entries(hybrid.ID)[0].Match.Kind; k != "keyword" {
		t.Errorf("the hybrid alert's match is %s; the keyword side answers first", k)
	}
}
