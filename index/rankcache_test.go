package index

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// rankCorpus has more documents than the rank cache reads ahead, in
// five large groups that tie (equal texts) and a tail that does not, so
// that a cached list can end inside a tie.
func rankCorpus() []Document {
	var docs []Document
	texts := []string{"steel tariffs", "steel tariffs on allies", "tariffs", "steel and trade with allies", "allies"}
	for i := range 1300 {
		docs = append(docs, Document{ID: fmt.Sprintf("d%04d", (i*37)%1300), Title: "Note", Text: texts[i%len(texts)],
			Source: []string{"Wire", "Ministry"}[i%2]})
	}
	for i := range 60 {
		docs = append(docs, Document{ID: fmt.Sprintf("e%02d", i), Title: "Steel", Text: fmt.Sprintf("tariffs %s allies", strings.Repeat("trade ", i))})
	}
	return docs
}

// TestRankCachePagesAreTheSearchPages pages through searches a page at a
// time, as eval and API clients do, with the rank cache on, and checks
// every page (ids, scores, fields and locations, total, facets) against
// the same page with the cache off, with exact and with estimated facets;
// and that deep pages were served by the cache where the list could tell
// them exactly.
func TestRankCachePagesAreTheSearchPages(t *testing.T) {
	ix := openTest(t, rankCorpus()...)
	ctx := context.Background()
	cases := []struct {
		text   string
		size   int
		filter []string
		exact  uint64 // facets counted exactly up to this many matches; 0: the default
	}{
		{"tariffs", 100, nil, 0},      // 1,360 matches: the list ends inside a tie
		{"steel allies", 100, nil, 0}, // ties across page ends
		{"trade", 7, nil, 0},          // 320 matches: the list holds them all
		{"tariffs on allies", 50, []string{"Wire"}, 0},
		{`"steel tariffs"`, 100, nil, 0},
		{"steel allies", 100, nil, 1}, // may be pruned: estimated facets
	}
	for _, c := range cases {
		ix.exactFacets = c.exact
		served := 0
		ranks := newRankCache(rankCacheSize)
		for page := 1; page <= MaxWindow/c.size; page++ {
			q := Query{Text: c.text, Page: page, Size: c.size, Mode: ModeKeyword}
			q.Filters.Source = c.filter
			ix.SetCacheSize(DefaultCacheSize) // a fresh result cache: pages come from searches
			ix.ranks = ranks
			if page > 1 {
				// The list the previous deep page read ahead, if any.
				p := Query{Text: c.text, Mode: ModeKeyword, Filters: q.Filters}
				if err := p.Validate(); err != nil {
					t.Fatal(err)
				}
				if _, ok := ix.ranks.page(ix.rankKey(p), (page-1)*c.size, page*c.size); ok {
					served++
				}
			}
			got, err := ix.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			ix.SetCacheSize(0)
			want, err := ix.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			got.TookMS, want.TookMS = 0, 0
			if got.FacetsApproximate != (c.exact > 0) {
				t.Fatalf("%q page %d: facets approximate %v", c.text, page, got.FacetsApproximate)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Fatalf("%q page %d size %d differs with the rank cache:\n got %s\nwant %s", c.text, page, c.size, g, w)
			}
			if len(got.Hits) < c.size {
				break
			}
		}
		if served == 0 {
			t.Errorf("%q: no page was read from the rank cache", c.text)
		}
		t.Logf("%q size %d: %d pages from the rank cache", c.text, c.size, served)
	}
}

// TestRankCacheRefusesAPageItCannotTell checks the cache's own rule: a
// list that ends inside a tie with the page's last hit does not serve
// that page, and a complete list serves any.
func TestRankCacheRefusesAPageItCannotTell(t *testing.T) {
	c := newRankCache(4)
	ids := []string{"a", "b", "c", "d", "e", "f"}
	tests := []struct {
		name     string
		scores   []float64
		complete bool
		from     int
		want     int
		ok       bool
	}{
		{"the last read hit scores below the page", []float64{6, 5, 4, 3, 2, 1}, false, 2, 4, true},
		{"the last read hit ties with the page's last", []float64{6, 5, 4, 3, 3, 3}, false, 2, 4, false},
		{"the page runs past the list", []float64{6, 5, 4, 3, 2, 1}, false, 4, 8, false},
		{"a complete list answers every page", []float64{6, 5, 4, 3, 3, 3}, true, 4, 8, true},
	}
	for i, tc := range tests {
		key := fmt.Sprint(i)
		c.lru.Add(key, &rankedList{ids: ids, scores: tc.scores, complete: tc.complete, shown: listShown{total: 6}, shownSet: true})
		res, ok := c.page(key, tc.from, tc.want)
		if ok != tc.ok {
			t.Errorf("%s: served %v, want %v", tc.name, ok, tc.ok)
			continue
		}
		if ok {
			var got []string
			for _, h := range res.Hits {
				got = append(got, h.ID)
			}
			if want := ids[tc.from:min(tc.want, len(ids))]; !slices.Equal(got, want) || res.Total != 6 {
				t.Errorf("%s: %v (total %d), want %v", tc.name, got, res.Total, want)
			}
		}
	}
	if _, ok := c.page("missing", 0, 1); ok {
		t.Error("a missing key served a page")
	}
}
