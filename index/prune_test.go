package index

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sotuPassages cuts the State of the Union addresses into passages of
// about 60 words titled like the bench corpus ("State of the Union
// Address (1871, Ulysses S Grant)"), so that "state" is in every title:
// the broad matches pruning is for.
func sotuPassages(t *testing.T, every int) []Document {
	t.Helper()
	shared := "../../shared"
	if d := os.Getenv("POLICYSEARCH_SHARED"); d != "" {
		shared = d
	}
	f, err := os.Open(filepath.Join(shared, "corpora", "sotu.jsonl"))
	if err != nil {
		t.Skipf("../shared not present (%v): skipping the SOTU pruning test", err)
	}
	defer f.Close()
	var docs []Document
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	for sc.Scan() {
		var s struct{ ID, Title, Text, Author string }
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		words := strings.Fields(s.Text)
		for i := 0; i*60 < len(words); i++ {
			if i%every != 0 {
				continue
			}
			chunk := words[i*60 : min(len(words), (i+1)*60)]
			docs = append(docs, Document{ID: fmt.Sprintf("%s-%04d", s.ID, i), Title: s.Title,
				Text: strings.Join(chunk, " "), Authors: []string{s.Author}, Language: "en"})
		}
	}
	return docs
}

// TestPruningIsExact: on every page asked, a pruned search returns the
// hits, in the order and with the scores, of the full search; its total
// is an estimate near the exact count; and pruning really ran on the
// broad queries. Queries are words drawn from the passages (1 to 4, as
// people type them) plus the broad ones of issue 17.
func TestPruningIsExact(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the SOTU pruning comparison")
	}
	docs, ix := pruningIndex(t, 3)
	queries := []string{"united states", "states", "state union address", "government people",
		"the congress", "states of america", "public debt", "nation world peace", "war",
		"united states government", "congress nation public interest", "people country great"}
	// Pasted paragraphs: long queries (capped by longquery.go), with
	// hyphenated words and punctuation; and a stop-word acronym.
	for _, i := range []int{11, 2024, 5555} {
		queries = append(queries, docs[i].Text+" "+docs[i+1].Text+" "+docs[i+2].Text)
	}
	queries = append(queries, "US trade policy", "low-income families energy")
	// Three and four common words, where the coordination factor bounds
	// what the non-essential words can add (split): the bench's slowest,
	// with stop words, a repeated word and a split word among them.
	queries = append(queries, "well government great britain", "protect nations peoples", "last year alone",
		"state charge texas", "the state of the union", "war war peace", "well-being of the people nation",
		"income year less month")
	r := rand.New(rand.NewPCG(17, 4))
	for len(queries) < 65 {
		words := strings.Fields(docs[r.IntN(len(docs))].Text)
		n, at := 1+r.IntN(4), r.IntN(len(words))
		var q []string
		for _, w := range words[at:] {
			if w = strings.Trim(strings.ToLower(w), ".,;:!?\"'()"); len(w) > 3 && !strings.ContainsAny(w, "-—") {
				q = append(q, w)
			}
			if len(q) == n {
				break
			}
		}
		if len(q) > 0 {
			queries = append(queries, strings.Join(q, " "))
		}
	}
	// Long queries are not planned at all (maxPrunedClauses).
	for _, text := range queries[12:15] {
		if ix.planPruning(Query{Text: text}) != nil {
			t.Errorf("a pasted paragraph of %d words was planned for pruning", len(strings.Fields(text)))
		}
	}
	pruned := 0
	for _, text := range queries {
		for _, pg := range []int{1, 3} {
			q := Query{Text: text, Page: pg, Mode: ModeKeyword}
			before := ix.prunedPages.Load()
			full, got := bothWays(t, ix, q)
			if ix.prunedPages.Load() > before {
				pruned++
			}
			if len(got.Hits) != len(full.Hits) {
				t.Fatalf("%q page %d: %d hits, full search %d", text, pg, len(got.Hits), len(full.Hits))
			}
			for i := range got.Hits {
				g, f := got.Hits[i], full.Hits[i]
				if g.ID != f.ID || g.Score != f.Score || g.TitleHTML != f.TitleHTML || strings.Join(g.Snippets, "|") != strings.Join(f.Snippets, "|") {
					for j := range got.Hits {
						t.Logf("%d %s %.17g | %s %.17g", j, got.Hits[j].ID, got.Hits[j].Score, full.Hits[j].ID, full.Hits[j].Score)
					}
					t.Fatalf("%q page %d hit %d: %s %.9g, full search %s %.9g", text, pg, i, g.ID, g.Score, f.ID, f.Score)
				}
			}
			if !got.TotalApproximate {
				if got.Total != full.Total {
					t.Fatalf("%q: exact total %d, full search %d", text, got.Total, full.Total)
				}
				continue
			}
			t.Logf("estimated: %.60q page %d, total %d (exact %d)", text, pg, got.Total, full.Total)
			// The sample holds about one match in sampleEvery: three
			// standard errors of its count, and never less than 15%.
			limit := max(0.15, 3/math.Sqrt(float64(full.Total)/sampleEvery))
			if d := math.Abs(float64(got.Total)-float64(full.Total)) / float64(full.Total); d > limit {
				t.Errorf("%q: estimated total %d is %.0f%% off the exact %d (limit %.0f%%)", text, got.Total, 100*d, full.Total, 100*limit)
			}
		}
	}
	t.Logf("%d of %d pages pruned, over %d passages", pruned, 2*len(queries), len(docs))
	if pruned < 10 {
		t.Fatalf("only %d pages were pruned: the comparison does not exercise pruning", pruned)
	}
}

// fixedNearest is a semantic ranker with one fixed list, best first, so
// that two hybrid searches fuse the same lists.
type fixedNearest []SemanticMatch

func (f fixedNearest) Model() string { return "fixed" }
func (f fixedNearest) Nearest(_ context.Context, _ string, n int, keep func(string) bool) ([]SemanticMatch, error) {
	var out []SemanticMatch
	for _, m := range f {
		if len(out) < n && (keep == nil || keep(m.ID)) {
			out = append(out, m)
		}
	}
	return out, nil
}
func (f fixedNearest) Similar(context.Context, string, int) ([]SemanticMatch, error) {
	return nil, ErrNoVectors
}

// TestHybridPruningIsExact: a broad hybrid search fuses the same keyword
// list whether or not that list was pruned, and estimates its total and
// facets from the same sample, whether tallied from the bound cut's
// bitmaps or searched, and highlights its hits alike.
func TestHybridPruningIsExact(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the SOTU pruning comparison")
	}
	docs, ix := pruningIndex(t, 6)
	var near fixedNearest
	for i := 0; i < len(docs) && len(near) < 150; i += 37 {
		near = append(near, SemanticMatch{ID: docs[i].ID, Similarity: 0.9 - float64(len(near))/1000, End: 20})
	}
	ix.SetSemantic(near)
	for _, text := range []string{"united states", "states", "government people", "public debt", "state economy last"} {
		for _, pg := range []int{1, 4, 12} {
			q := Query{Text: text, Page: pg, Mode: ModeHybrid}
			full, got := bothWays(t, ix, q)
			if !got.TotalApproximate || !got.FacetsApproximate {
				t.Errorf("%q: total and facets not estimated on a broad hybrid search", text)
			}
			if len(got.Hits) != len(full.Hits) || len(got.Hits) == 0 {
				t.Fatalf("%q page %d: %d hits, full search %d", text, pg, len(got.Hits), len(full.Hits))
			}
			// The bound cut counts the set (keyword matches and semantic
			// candidates) from bitmaps: the same sample, the same estimate.
			if got.Total != full.Total || !reflect.DeepEqual(got.Facets, full.Facets) {
				t.Fatalf("%q page %d: total %d, facets %v; the sample search's %d, %v", text, pg, got.Total, got.Facets, full.Total, full.Facets)
			}
			for i := range got.Hits {
				g, f := got.Hits[i], full.Hits[i]
				if g.ID != f.ID || g.Score != f.Score || *g.Fused != *f.Fused {
					t.Fatalf("%q page %d hit %d: %s, full search %s", text, pg, i, g.ID, f.ID)
				}
				// Loaded among the page's documents alone (amongIDs), the
				// same highlights as from the whole index.
				if g.TitleHTML != f.TitleHTML || !reflect.DeepEqual(g.Snippets, f.Snippets) || !reflect.DeepEqual(g.Passage, f.Passage) {
					t.Fatalf("%q page %d hit %d: %q %q %+v, full search %q %q %+v", text, pg, i, g.TitleHTML, g.Snippets, g.Passage, f.TitleHTML, f.Snippets, f.Passage)
				}
			}
		}
	}
}

// bothWays runs q with pruning off, then on.
func bothWays(t *testing.T, ix *Index, q Query) (full, got *Results) {
	t.Helper()
	var err error
	ix.noPruning = true
	if full, err = ix.Search(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	ix.noPruning = false
	if got, err = ix.Search(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	return full, got
}

// pruningIndex indexes every nth passage of the SOTU addresses, with
// estimated facets (and so pruning) past 300 matches and no caches, so
// that every search runs.
func pruningIndex(t *testing.T, every int) ([]Document, *Index) {
	t.Helper()
	docs := sotuPassages(t, every)
	ix := openTest(t, docs...)
	ix.exactFacets = 300
	ix.SetCacheSize(0)
	return docs, ix
}
