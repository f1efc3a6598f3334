package index

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/search"
)

// copyOf is article with a small edit, so that each copy is a distinct
// text that the fingerprint still groups.
func copyOf(n int) string {
	return strings.Replace(article, "Critics", []string{"Critics", "Opponents", "Sceptics", "Detractors"}[n%4], 1)
}

func TestRepresentativeIsChosenByRuleNotArrival(t *testing.T) {
	feedOrigin := "https://news.example/feed.xml"
	cases := []struct {
		name string
		docs []Document
		want string
	}{
		{"the user's own file before a richer feed copy", []Document{
			{ID: "own", Title: "Compute plan", Text: copyOf(0), Origin: "/home/ana/briefs/plan.txt"},
			{ID: "feed", Title: "Compute plan", Text: copyOf(1), Origin: feedOrigin, URL: "https://news.example/a", Source: "News", SourceType: "news", Published: MustDate("2025-03-04"), Country: "GB"},
		}, "own"},
		{"an upload with its source before a bare folder PDF", []Document{
			{ID: "upload", Title: "Compute plan", Text: copyOf(0), Origin: "upload/plan.pdf", Source: "CNAS", SourceType: "think_tank"},
			{ID: "folder", Title: "Compute plan", Text: copyOf(1), Origin: "/srv/inbox/plan.pdf",
				Published: MustDate("2025-01-01"), Extra: map[string]any{"published_from": "pdf_creation_date"}},
		}, "upload"},
		{"an API post counts as the user's own", []Document{
			{ID: "posted", Title: "Compute plan", Text: copyOf(0)},
			{ID: "feed", Title: "Compute plan", Text: copyOf(1), Origin: feedOrigin, Source: "News"},
		}, "posted"},
		{"among feed copies, the earliest published", []Document{
			{ID: "a-late", Title: "Compute plan", Text: copyOf(0), Origin: feedOrigin, Source: "A", Published: MustDate("2025-03-06")},
			{ID: "b-early", Title: "Compute plan", Text: copyOf(1), Origin: feedOrigin, Source: "B", Published: MustDate("2025-03-04")},
			{ID: "c-undated", Title: "Compute plan", Text: copyOf(2), Origin: feedOrigin, Source: "C", Country: "FR"},
		}, "b-early"},
		{"all else equal, the smallest id", []Document{
			{ID: "z", Title: "Compute plan", Text: copyOf(0), Source: "Z"},
			{ID: "m", Title: "Compute plan", Text: copyOf(1), Source: "M"},
		}, "m"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, order := range []string{"as listed", "reversed"} {
				docs := slices.Clone(c.docs)
				if order == "reversed" {
					slices.Reverse(docs)
				}
				ix := openTest(t)
				for _, d := range docs { // one write each: arrival order differs
					if _, err := ix.Put(context.Background(), []Document{d}); err != nil {
						t.Fatal(err)
					}
				}
				res, err := ix.Search(context.Background(), Query{Text: "sovereign compute"})
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(res); len(got) != 1 || got[0] != c.want || res.Total != 1 {
					t.Fatalf("%s: hits %v (total %d), want only %s", order, got, res.Total, c.want)
				}
				if n := len(res.Hits[0].AlsoPublishedBy); n != len(c.docs)-1 {
					t.Errorf("%s: %d copies listed, want %d", order, n, len(c.docs)-1)
				}
			}
		})
	}
}

func TestFiltersChooseAmongMatchingCopies(t *testing.T) {
	ix := openTest(t,
		Document{ID: "own", Title: "Compute plan", Text: copyOf(0), Origin: "/home/ana/plan.txt", Source: "Ana"},
		Document{ID: "feed", Title: "Compute plan", Text: copyOf(1), Origin: "https://news.example/feed.xml", Source: "News", SourceType: "news"},
		Document{ID: "other", Title: "Grid notes", Text: "Sovereign compute needs power. " + strings.Repeat("Grids are scarce. ", 12), Source: "News", SourceType: "news"},
	)
	cases := []struct {
		name      string
		q         Query
		want      []string
		newsCount int // the source_type facet's count of news
	}{
		{"no filter: the user's own copy", Query{Text: "sovereign compute", Sort: SortNewest}, []string{"own", "other"}, 1},
		{"a filter on the feed's source shows the feed copy", Query{Text: "sovereign compute", Filters: Filters{Source: []string{"news"}}}, []string{"feed", "other"}, 2},
		{"multi facets count the copy the unfiltered search would show", Query{Text: "sovereign compute", Filters: Filters{SourceType: []string{"news"}}, FacetMode: FacetsMulti}, []string{"feed", "other"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), c.q)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(res)
			slices.Sort(got)
			want := slices.Sorted(slices.Values(c.want))
			if !slices.Equal(got, want) || res.Total != uint64(len(want)) {
				t.Errorf("hits %v total %d, want %v", got, res.Total, want)
			}
			news := 0
			for _, v := range res.Facets["source_type"] {
				if v.Value == "news" {
					news = v.Count
				}
			}
			if news != c.newsCount {
				t.Errorf("source_type facet counts %d news, want %d: %v", news, c.newsCount, res.Facets["source_type"])
			}
		})
	}
}

// TestHiddenQueryOnEitherSnapshot: the exclusion of hidden copies matches
// exactly the hidden documents, through the numbers resolved on the
// search's own snapshot and, after a write has moved the index on,
// through the id lookup.
func TestHiddenQueryOnEitherSnapshot(t *testing.T) {
	ctx := context.Background()
	ix := openTest(t)
	var docs []Document
	for i := range 4 {
		docs = append(docs, Document{ID: fmt.Sprintf("copy%d", i), Title: "Compute plan", Text: copyOf(i)})
	}
	docs = append(docs, Document{ID: "other", Title: "Tariffs", Text: "A different text about steel tariffs."})
	if _, err := ix.Put(ctx, docs); err != nil {
		t.Fatal(err)
	}
	uq, _, err := ix.Parse("compute", false)
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := ix.hiddenCopies(ctx, withFilter(uq, nil))
	if err != nil || len(hidden) != 3 {
		t.Fatalf("hidden %v (%v), want three of the four copies", hidden, err)
	}
	matched := func() ([]string, bool) {
		adv, _ := ix.alias.Advanced()
		r, err := adv.Reader()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		_, fast := ix.linkedNumbers(r, hidden)
		s, err := (&hiddenQuery{ix: ix, ids: hidden}).Searcher(ctx, r, ix.mapping, search.SearcherOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize(), 0)}
		var out []string
		for {
			d, err := s.Next(sctx)
			if err != nil {
				t.Fatal(err)
			}
			if d == nil {
				break
			}
			id, err := r.ExternalID(d.IndexInternalID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		slices.Sort(out)
		return out, fast
	}
	if got, fast := matched(); !slices.Equal(got, hidden) || !fast {
		t.Errorf("same snapshot: matched %v (resolved numbers used: %v), want %v", got, fast, hidden)
	}
	if _, err := ix.Put(ctx, []Document{{ID: "later", Title: "Later", Text: "Another write moves the snapshot on."}}); err != nil {
		t.Fatal(err)
	}
	if got, fast := matched(); !slices.Equal(got, hidden) || fast {
		t.Errorf("after a write: matched %v (resolved numbers used: %v), want %v by lookup", got, fast, hidden)
	}
}
