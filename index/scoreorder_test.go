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
	for _, text := range []string{"tariffs", "steel allies", "allies", "trade", `"steel tariffs"`} {
		uq, _, err := ix.Parse(text, false)
		if err != nil {
			t.Fatal(err)
		}
		top := withFilter(uq, nil)
		q := Query{Sort: SortRelevance, FacetSize: 10}
		for _, p := range []page{{0, 10, true, true}, {10, 10, true, true}, {17, 5, true, false}, {0, 100, false, false}, {80, 10, true, false}, {0, 1, false, false}, {290, 20, true, false}} {
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
