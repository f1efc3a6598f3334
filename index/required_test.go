package index

import (
	"context"
	"slices"
	"testing"
)

// requiredDocs are the case: a farm bill whose only overlap with
// `export controls chips` is "pest control".
var requiredDocs = []Document{
	{ID: "chips", Title: "Semiconductor export controls", Text: "New regulations restrict exports of advanced chips. Allies were consulted.", Source: "Policy Lab", SourceType: "think_tank"},
	{ID: "pest", Title: "Farm bill extends pest control grants", Text: "The farm bill extends grants for pest control on small farms.", Source: "Daily News", SourceType: "news"},
	{ID: "export", Title: "Export growth", Text: "Exports of grain grew last year; chips were not mentioned.", Source: "Daily News", SourceType: "news"},
	{ID: "far", Title: "Trade notes", Text: "Export licences rose. In unrelated news, border controls tightened.", Source: "Ministry", SourceType: "government"},
}

func TestSavedSearchNeedsEveryWordOfAShortQuery(t *testing.T) {
	ix := openTest(t, requiredDocs...)
	all := []string{"chips", "pest", "export", "far"}
	cases := []struct {
		q    string
		want []string
	}{
		{"export controls chips", []string{"chips"}},
		{"export controls", []string{"chips", "far"}},
		{"control", []string{"chips", "far", "pest"}},
		{`"export controls"`, []string{"chips"}},
		{`"export controls" chips`, []string{"chips"}},
		{"export of the chips", []string{"chips", "export"}}, // stop words are not required
		{"+export controls", []string{"chips", "export", "far"}},
		{"export OR pest", []string{"chips", "export", "far", "pest"}},
		{"(export controls) OR pest", []string{"chips", "far", "pest"}},
		{"export controls -semiconductor", []string{"far"}},
		{"export source:ministry", []string{"far"}},
		{"grants AND (pest farms)", []string{"pest"}},
		{"expor* chips", []string{"chips", "export"}},
		// A pasted paragraph keeps the search's soft matching.
		{"farm subsidies and export controls on advanced semiconductor chips for allied trade partners", []string{"chips", "export", "far", "pest"}},
	}
	for _, c := range cases {
		t.Run(c.q, func(t *testing.T) {
			q := Query{Text: c.q}
			ms, err := ix.Match(context.Background(), q, all)
			if err != nil {
				t.Fatal(err)
			}
			if got := matchIDs(ms); !slices.Equal(got, c.want) {
				t.Errorf("Match = %v, want %v", got, c.want)
			}
			var docs []*Document
			for _, id := range all {
				d, _ := ix.Get(context.Background(), id)
				docs = append(docs, d)
			}
			p, err := ix.NewPercolator(docs)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			pm, err := p.Match(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if got := matchIDs(pm); !slices.Equal(got, c.want) {
				t.Errorf("percolator = %v, want %v", got, c.want)
			}
		})
	}
}

func matchIDs(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	slices.Sort(out)
	return out
}

func TestMatchNamesThePhrasesItHolds(t *testing.T) {
	ix := openTest(t, requiredDocs...)
	all := []string{"chips", "pest", "export", "far"}
	cases := []struct {
		q    string
		want map[string][]string // id → phrases; ids not listed must not match
	}{
		{`"export controls" chips`, map[string][]string{"chips": {"export controls"}}},
		{`"export controls" OR "pest control"`, map[string][]string{"chips": {"export controls"}, "pest": {"pest control"}}},
		{`"export controls" -"pest control"`, map[string][]string{"chips": {"export controls"}}},
		{`export controls`, map[string][]string{"chips": nil, "far": nil}},
	}
	for _, c := range cases {
		t.Run(c.q, func(t *testing.T) {
			ms, err := ix.Match(context.Background(), Query{Text: c.q}, all)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != len(c.want) {
				t.Fatalf("matched %v, want %v", matchIDs(ms), c.want)
			}
			for _, m := range ms {
				want, ok := c.want[m.ID]
				if !ok || !slices.Equal(m.Phrases, want) {
					t.Errorf("%s: phrases %q, want %q", m.ID, m.Phrases, want)
				}
			}
		})
	}
}
