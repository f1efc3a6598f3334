package eval

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestBEIRFixture runs the hand-made five-document collection end to end.
// Expected figures, per query (see testdata/beir):
//
//	q1 "carbon tax dividend": only d1 (grade 2) matches; d2 (grade 1) is
//	   not retrieved. nDCG = 2/1 ÷ (2/1 + 1/log2 3) = 2/2.6309 = 0.7602,
//	   AP = (1/1)/2 = 0.5, R@100 = 0.5, P@10 = 0.1.
//	q2 is also a document id; document q2 ranks first and is ignored, so
//	   d4 counts as rank 1: nDCG = AP = R@100 = 1, P@10 = 0.1. Without the
//	   rule d4 would be at rank 2 (nDCG 0.6309).
//	q4 has an unclosed quote, so it is searched as plain words; d1 and d2
//	   (both relevant) match three words each, d3 one: all figures 1,
//	   P@10 = 0.2.
//	q5 has no relevant document: not scored.
//
// Means over 3 queries: nDCG = 2.7602/3 = 0.9201, MAP = 2.5/3 = 0.8333,
// R@100 = 0.8333, P@10 = 0.4/3 = 0.1333.
func TestBEIRFixture(t *testing.T) {
	c, err := Read(FormatBEIR, filepath.Join("testdata", "beir"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), c, Config{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rep, err := b.Run(context.Background(), Settings{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range rep.PerQuery {
		t.Logf("%s %+v %v", q.ID, q.Scores, q.Ranking)
	}
	if want := "nDCG@10=0.9201 MAP=0.8333 R@100=0.8333 P@10=0.1333 queries=3"; rep.Summary() != want {
		t.Errorf("summary = %q, want %q", rep.Summary(), want)
	}
	if rep.Unjudged != 1 || rep.PlainWords != 1 || rep.Mode != "keyword" {
		t.Errorf("unjudged = %d, plain words = %d, mode = %q; want 1, 1, keyword", rep.Unjudged, rep.PlainWords, rep.Mode)
	}
	for _, q := range rep.PerQuery {
		for _, h := range q.Ranking {
			if h.ID == q.ID {
				t.Errorf("query %s ranks itself", q.ID)
			}
		}
	}
	var run bytes.Buffer
	if err := rep.WriteRun(&run); err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(run.String(), "\n", 2)[0]
	if f := strings.Fields(first); len(f) != 6 || f[0] != "q1" || f[1] != "Q0" || f[2] != "d1" || f[3] != "1" || f[5] != "policysearch" {
		t.Errorf("first run line = %q, want q1 Q0 d1 1 SCORE policysearch", first)
	}
}

func TestOpenRemovesTempDir(t *testing.T) {
	c, err := Read(FormatBEIR, filepath.Join("testdata", "beir"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	b, err := Open(context.Background(), c, Config{TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestOpenCleansUpOnError(t *testing.T) {
	c, err := Read(FormatBEIR, filepath.Join("testdata", "beir"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	// No model: the embedding layer refuses the config after the index
	// is already open, so Open must close it and remove the directory.
	cfg := Config{TempDir: tmp}
	cfg.Embeddings.URL = "http://127.0.0.1:1/v1"
	if _, err := Open(context.Background(), c, cfg); err == nil {
		t.Fatal("Open accepted an embeddings config without a model")
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
