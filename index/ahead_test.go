package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestBulkIndexesAsPut: documents analyzed ahead by a bulk load index as
// the writer's own mapping does. The same stream, with an id repeated
// inside a batch, then re-sent with some documents changed and some not,
// goes into one index through Bulk and into another through Put; every
// search then answers the same hits, scores, totals and facets.
func TestBulkIndexesAsPut(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 7))
	words := strings.Fields("tariff trade policy energy grid subsidy nuclear climate budget deficit tax reform union state congress nation AI NATO EU compute sovereign data")
	authors := []string{"Ada Smith", "Bo Jones", "Cy Brown"}
	gen := func(i, version int) Document {
		n := 20 + rng.IntN(60)
		text := make([]string, n)
		for j := range text {
			text[j] = words[rng.IntN(len(words))]
		}
		d := Document{
			ID: fmt.Sprintf("d%04d", i), Title: fmt.Sprintf("Brief %d on %s", i, words[i%len(words)]),
			Text:    strings.Join(text, " ") + fmt.Sprintf(". Version %d.", version),
			Authors: []string{authors[i%3]}, Tags: []string{words[i%5], words[i%7]},
			Source: []string{"Brookings", "CNAS", "Hansard"}[i%3], Country: []string{"US", "GB", "FR"}[i%3],
		}
		if i%4 == 0 {
			d.Language = "en"
		}
		if i%3 == 0 {
			d.Published, _ = ParseDate(fmt.Sprintf("%d-03-01", 1990+i%30))
		}
		return d
	}
	var first, second []Document
	for i := range 1300 {
		first = append(first, gen(i, 1))
		if i == 700 { // the same id again inside one batch: the last wins
			first = append(first, gen(650, 2))
		}
	}
	for i := range 1300 {
		if i%3 == 0 {
			second = append(second, gen(i, 3)) // changed
		} else if i%3 == 1 {
			second = append(second, first[i]) // unchanged, if not the repeated one
		}
	}

	bulk, put := openTest(t), openTest(t)
	for _, stream := range [][]Document{first, second} {
		b := NewBulk(ctx, bulk, func(items []BulkItem[int]) error {
			for _, it := range items {
				if it.Err != nil {
					return it.Err
				}
			}
			return nil
		})
		for i, d := range stream {
			if err := b.Add(i, d); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		for start := 0; start < len(stream); start += batchSize {
			if _, err := put.Put(ctx, stream[start:min(start+batchSize, len(stream))]); err != nil {
				t.Fatal(err)
			}
		}
	}

	queries := []Query{
		{Text: "tariff"}, {Text: "trade policy"}, {Text: `"energy grid"`}, {Text: "NATO"}, {Text: "author:smith"},
		{Text: "sovereign compute", Sort: "newest"}, {Text: "version 3"}, {Text: "budget", Filters: Filters{Country: []string{"GB"}}},
		{Text: "tax", Filters: Filters{Tag: []string{"energy"}}}, {Text: "climat~1"}, {Text: "brief", Size: 50},
	}
	for _, q := range queries {
		q.Mode, q.FacetSize = ModeKeyword, 20
		a, err := bulk.Search(ctx, q)
		if err != nil {
			t.Fatalf("%q: %v", q.Text, err)
		}
		b, err := put.Search(ctx, q)
		if err != nil {
			t.Fatalf("%q: %v", q.Text, err)
		}
		if a.Total == 0 {
			t.Errorf("%q found nothing: the test searches for nothing", q.Text)
		}
		if a.Total != b.Total || !reflect.DeepEqual(hitScores(a), hitScores(b)) || !reflect.DeepEqual(a.Facets, b.Facets) {
			t.Errorf("%q: bulk %d %v %v\nput %d %v %v", q.Text, a.Total, hitScores(a), a.Facets, b.Total, hitScores(b), b.Facets)
		}
	}
}

func hitScores(r *Results) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, fmt.Sprintf("%s %.9g %s", h.ID, h.Score, strings.Join(h.Snippets, "|")))
	}
	return out
}

// TestAnalyzeAhead: a bulk load analyzes new and changed documents ahead,
// and leaves the ones the store holds unchanged to be skipped.
func TestAnalyzeAhead(t *testing.T) {
	ctx := context.Background()
	ix := openTest(t)
	doc := func(id, text string) *Document {
		d := Document{ID: id, Title: "t", Text: text}
		if err := d.Prepare(); err != nil {
			t.Fatal(err)
		}
		return &d
	}
	if _, err := ix.Put(ctx, []Document{*doc("same", "kept words"), *doc("changed", "old words")}); err != nil {
		t.Fatal(err)
	}
	same, changed, fresh := doc("same", "kept words"), doc("changed", "new words"), doc("fresh", "first words")
	ready := ix.analyzeAhead([]*Document{same, changed, fresh})
	if _, ok := ready[same]; ok || len(ready) != 2 {
		t.Fatalf("analyzed ahead %d documents (unchanged one among them: %v), want the changed and the new", len(ready), ok)
	}
	for d, a := range ready {
		if a.doc.ID() != d.ID || len(a.doc.Fields) == 0 {
			t.Errorf("%s: analyzed as %q with %d fields", d.ID, a.doc.ID(), len(a.doc.Fields))
		}
		for _, f := range a.doc.Fields {
			if f.Options().IsIndexed() && f.AnalyzedTokenFrequencies() == nil && f.Name() == "text" {
				t.Errorf("%s: field %s not analyzed", d.ID, f.Name())
			}
		}
	}
}
