package index

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestRunByScoreIsTheIDOrder checks that relevance pages, found by score
// alone and ordered by id here, are exactly the pages bleve gives when it
// sorts on score and id itself, also where many documents tie.
func TestRunByScoreIsTheIDOrder(t *testing.T) {
	var docs []Document
	texts := []string{"steel tariffs", "steel tariffs on allies", "tariffs", "steel and trade with allies", "allies"}
	for i := range 300 { // ids out of insertion order; equal texts score equally
		docs = append(docs, Document{ID: fmt.Sprintf("d%03d", (i*37)%300), Title: "Note", Text: texts[i%len(texts)]})
	}
	for i := range 40 { // and a few that do not tie
		docs = append(docs, Document{ID: fmt.Sprintf("e%02d", i), Title: "Steel", Text: fmt.Sprintf("tariffs %s allies", strings.Repeat("trade ", i))})
	}
	ix := openTest(t, docs...)
	ctx := context.Background()
	for _, text := range []string{"tariffs", "steel allies", "steel tariffs", "tariffs on allies", "allies", "trade", `"steel tariffs"`} {
		uq, _, err := ix.Parse(text, false)
		if err != nil {
			t.Fatal(err)
		}
		top := withFilter(uq, nil)
		q := Query{Sort: SortRelevance, FacetSize: 10}
		hq, err := ix.highlightQuery(Query{Text: text})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []page{{from: 0, size: 10, facets: true, fields: true}, {from: 10, size: 10, facets: true, fields: true},
			{from: 17, size: 5, facets: true}, {from: 0, size: 100}, {from: 80, size: 10, facets: true}, {from: 0, size: 1}, {from: 290, size: 20, facets: true},
			{from: 0, size: 10, fields: true, highlight: hq}, {from: 5, size: 20, fields: true, highlight: hq}} {
			got, err := ix.run(ctx, top, q, p)
			if err != nil {
				t.Fatal(err)
			}
			want, err := ix.search(ctx, newRequest(top, q, p, p.from, p.size, byScoreThenID))
			if err != nil {
				t.Fatal(err)
			}
			var g, w []string
			for _, h := range got.Hits {
				g = append(g, h.ID)
			}
			for _, h := range want.Hits {
				w = append(w, h.ID)
			}
			if !slices.Equal(g, w) || got.Total != want.Total {
				t.Errorf("%q from %d size %d: got %v (total %d), want %v (total %d)", text, p.from, p.size, g, got.Total, w, want.Total)
			}
			for i := range min(len(got.Hits), len(want.Hits)) {
				g, w := got.Hits[i], want.Hits[i]
				if p.highlight != nil { // other locations, the same marks
					gh, wh := toHit(g), toHit(w)
					if g.Score != w.Score || gh.TitleHTML != wh.TitleHTML || !slices.Equal(gh.Snippets, wh.Snippets) {
						t.Errorf("%q hit %s with the plain query's locations: %q %q, want %q %q", text, g.ID, gh.TitleHTML, gh.Snippets, wh.TitleHTML, wh.Snippets)
					}
					continue
				}
				if g.Score != w.Score || !reflect.DeepEqual(g.Fields, w.Fields) || !reflect.DeepEqual(g.Locations, w.Locations) {
					t.Errorf("%q hit %s: score %v fields %v locations %v, want %v %v %v", text, g.ID, g.Score, g.Fields, g.Locations, w.Score, w.Fields, w.Locations)
				}
			}
			if p.fields && len(got.Hits) > 0 && got.Hits[0].Fields["text"] == nil {
				t.Errorf("%q: hits lack their stored fields", text)
			}
			if p.facets && len(got.Facets) != len(FacetNames) {
				t.Errorf("%q: %d facets", text, len(got.Facets))
			}
		}
	}
}
