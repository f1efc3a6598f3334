package index

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestEstimatedFacets checks the facets of a pruned page past the exact
// threshold (lowered to 200 here): estimated from the sample, flagged,
// close to the exact counts and summing to the exact total; pages that
// score every match, small result sets and the multi-select mode count
// exactly.
func TestEstimatedFacets(t *testing.T) {
	var docs []Document
	sources := []string{"Alpha Institute", "Beta Council", "Gamma Office"}
	for i := range 2000 {
		d := Document{ID: fmt.Sprintf("d%05d", i), Title: fmt.Sprintf("Memo %d", i),
			Text: "A policy memo on energy.", Source: sources[(i*i+i/7)%len(sources)]}
		if i%10 == 0 {
			// Of several lengths, so that the page's last hits do not tie
			// with the hits after them (a tie is searched in full).
			d.Text += " It mentions lighthouses" + strings.Repeat(" again", i%7) + "."
		}
		if i%100 == 0 {
			d.Text += " And beacons."
		}
		docs = append(docs, d)
	}
	ix := openTest(t, docs...)
	ix.exactFacets = 200
	exact := func(q Query) map[string]int {
		t.Helper()
		q.FacetMode = FacetsMulti // never estimated
		res, err := ix.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if res.FacetsApproximate {
			t.Fatal("multi-select facets were estimated")
		}
		out := map[string]int{}
		for _, v := range res.Facets["source"] {
			out[v.Value] = v.Count
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		q      Query
		approx bool
	}{
		// The page is searched among the documents whose score can reach
		// it (prune.go, candidates.go): the 2,000 matches are estimated.
		{"pruned page", Query{Text: "policy lighthouses"}, true},
		{"pruned one-word page", Query{Text: "policy"}, true},
		// A quoted phrase is not pruned: every match is scored, and
		// counted as it is.
		{"every document", Query{Text: `"policy memo"`}, false},
		{"every document, newest first", Query{Text: "energy", Sort: SortNewest}, false},
		{"twenty documents", Query{Text: "beacons"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := exact(tc.q)
			res, err := ix.Search(context.Background(), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if res.FacetsApproximate != tc.approx {
				t.Fatalf("facets_approximate = %v, want %v", res.FacetsApproximate, tc.approx)
			}
			sum := 0
			for _, v := range res.Facets["source"] {
				sum += v.Count
				w := want[v.Value]
				if !tc.approx && v.Count != w {
					t.Errorf("%s: %d, want exactly %d", v.Value, v.Count, w)
				}
				if tc.approx && math.Abs(float64(v.Count-w)) > 0.2*float64(w) {
					t.Errorf("%s: about %d, exact %d: more than 20%% off", v.Value, v.Count, w)
				}
			}
			if len(res.Facets["source"]) != len(want) {
				t.Errorf("%d sources, want %d", len(res.Facets["source"]), len(want))
			}
			if d := math.Abs(float64(sum) - float64(res.Total)); d > float64(len(sources)) {
				t.Errorf("source counts sum to %d, total is %d", sum, res.Total)
			}
		})
	}
}
