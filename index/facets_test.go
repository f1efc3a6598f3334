package index

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestFacetModes checks what each facet counts with filters in force:
// in multi mode a filtered field's own facet ignores its own filter but
// keeps the query and every other filter; in filtered mode (the default)
// every facet counts the filtered results.
func TestFacetModes(t *testing.T) {
	ix := openTest(t, fixture...)
	cases := []struct {
		name    string
		q       Query
		total   uint64
		facets  map[string]string // facet → its values and counts, sorted
		filters string            // FacetsFiltered, FacetsMulti
	}{
		{"filtered by source", Query{Filters: Filters{Source: []string{"policy lab"}}}, 2, map[string]string{
			"source":      "Policy Lab:2",
			"source_type": "think_tank:2",
			"country":     "UK:2",
		}, FacetsFiltered},
		{"multi: other sources stay countable", Query{Filters: Filters{Source: []string{"policy lab"}}}, 2, map[string]string{
			"source":      "Daily News:3 Ministry of Digital Affairs:1 Policy Lab:2",
			"source_type": "think_tank:2",
			"country":     "UK:2",
		}, FacetsMulti},
		{"multi: incompatible filters show what each value would give", Query{Filters: Filters{Source: []string{"Policy Lab"}, Tag: []string{"trade"}}}, 0, map[string]string{
			"source":  "Daily News:2",                // trade, from any source
			"tags":    "AI:2 compute:1 regulation:1", // Policy Lab, any tag
			"country": "",                            // not filtered: counts the empty result
		}, FacetsMulti},
		{"multi: query still applies", Query{Text: "tariffs", Filters: Filters{Tag: []string{"trade"}}}, 2, map[string]string{
			"tags":   "trade:2",
			"source": "Daily News:2",
		}, FacetsMulti},
		{"multi with no filter is filtered", Query{Text: "sovereign"}, 2, map[string]string{
			"source": "Ministry of Digital Affairs:1 Policy Lab:1",
		}, FacetsMulti},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.FacetMode = tc.filters
			res, err := ix.Search(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != tc.total {
				t.Errorf("total = %d, want %d", res.Total, tc.total)
			}
			for facet, want := range tc.facets {
				got := map[string]int{}
				for _, v := range res.Facets[facet] {
					got[v.Value] = v.Count
				}
				var parts []string
				for _, k := range slices.Sorted(maps.Keys(got)) {
					parts = append(parts, fmt.Sprintf("%s:%d", k, got[k]))
				}
				if s := fmt.Sprint(parts); s != "["+want+"]" {
					t.Errorf("facet %s = %s, want [%s]", facet, s, want)
				}
			}
		})
	}
	if _, err := ix.Search(context.Background(), Query{FacetMode: "all"}); KindOf(err) != Invalid {
		t.Errorf("facet_mode=all: err = %v, want invalid", err)
	}
}

// TestFacetModesWithMeaning: in hybrid and semantic modes the candidates
// found by meaning are chosen again without the recounted field's filter,
// so documents that only match by meaning count for the other values too.
func TestFacetModesWithMeaning(t *testing.T) {
	ix := openTest(t, fixture...)
	sims := map[string]float64{}
	for i, d := range fixture {
		sims[d.ID] = 0.9 - float64(i)/20
	}
	ix.SetSemantic(fakeSemantic{sims: sims})
	const all = "Daily News:3 Ministry of Digital Affairs:1 Policy Lab:2"
	for _, tc := range []struct {
		mode, facets, want string
	}{
		{ModeSemantic, FacetsMulti, all},
		{ModeHybrid, FacetsMulti, all},
		{ModeSemantic, FacetsFiltered, "Policy Lab:2"},
		{ModeHybrid, FacetsFiltered, "Policy Lab:2"},
	} {
		t.Run(tc.mode+" "+tc.facets, func(t *testing.T) {
			// no keyword matches: every hit is by meaning
			res, err := ix.Search(context.Background(), Query{Text: "lighthouse keepers", Mode: tc.mode, FacetMode: tc.facets,
				Filters: Filters{Source: []string{"Policy Lab"}}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, v := range res.Facets["source"] {
				got[v.Value] = v.Count
			}
			var parts []string
			for _, k := range slices.Sorted(maps.Keys(got)) {
				parts = append(parts, fmt.Sprintf("%s:%d", k, got[k]))
			}
			if s := strings.Join(parts, " "); s != tc.want || res.Total != 2 || res.Semantic.Status != "ok" {
				t.Errorf("source facet %q, total %d, semantic %s; want %q, 2, ok", s, res.Total, res.Semantic.Status, tc.want)
			}
		})
	}
}
