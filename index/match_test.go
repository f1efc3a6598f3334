package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

var matchDocs = []Document{
	{ID: "chips", Title: "Semiconductor export controls", Text: "New regulations restrict exports of advanced chips. Allies were consulted.", Source: "Policy Lab", SourceType: "think_tank", Published: MustDate("2024-05")},
	{ID: "steel", Title: "Steel tariffs", Text: "Tariffs on steel imports strain relations with allies.", Source: "Daily News", SourceType: "news"},
	{ID: "grid", Title: "Grid capacity", Text: "Data centres compete for electricity.", Source: "Ministry", SourceType: "government"},
}

func TestMatch(t *testing.T) {
	ix := openTest(t, matchDocs...)
	all := []string{"chips", "steel", "grid"}
	cases := []struct {
		name      string
		q         Query
		ids       []string
		want      []string
		wantTerms map[string][]string
	}{
		{"words", Query{Text: "export regulation"}, all, []string{"chips"}, map[string][]string{"chips": {"export", "regulations", "exports"}}},
		{"restricted to the ids given", Query{Text: "allies"}, []string{"steel"}, []string{"steel"}, nil},
		{"prefix", Query{Text: "regulat*"}, all, []string{"chips"}, map[string][]string{"chips": {"regulations"}}},
		{"boolean with NOT", Query{Text: "allies NOT steel"}, all, []string{"chips"}, nil},
		{"filters apply", Query{Text: "allies", Filters: Filters{SourceType: []string{"news"}}}, all, []string{"steel"}, nil},
		{"date filter", Query{Text: "allies", Filters: Filters{From: MustDate("2024")}}, all, []string{"chips"}, nil},
		{"no text, filters only", Query{Filters: Filters{Source: []string{"ministry"}}}, all, []string{"grid"}, nil},
		{"field query", Query{Text: "source:\"daily news\""}, all, []string{"steel"}, nil},
		{"nothing matches", Query{Text: "welfare"}, all, nil, nil},
		{"no ids", Query{Text: "allies"}, nil, nil, nil},
		{"unknown id", Query{Text: "allies"}, []string{"nope"}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ms, err := ix.Match(context.Background(), c.q, c.ids)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.ID)
				if m.Kind != MatchKeyword {
					t.Errorf("%s: kind %q", m.ID, m.Kind)
				}
				if m.PassageHTML == "" {
					t.Errorf("%s: no passage", m.ID)
				}
				if want, ok := c.wantTerms[m.ID]; ok && !slices.Equal(m.Terms, want) {
					t.Errorf("%s: terms %q, want %q", m.ID, m.Terms, want)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("matched %v, want %v", got, c.want)
			}
			// The percolator over the same documents must agree exactly.
			var docs []*Document
			for _, id := range c.ids {
				if d, err := ix.Get(context.Background(), id); err == nil {
					docs = append(docs, d)
				}
			}
			p, err := ix.NewPercolator(docs)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			pms, err := p.Match(context.Background(), c.q)
			if err != nil {
				t.Fatal(err)
			}
			sortMatches(ms)
			sortMatches(pms)
			if len(pms) != len(ms) {
				t.Fatalf("percolator matched %d, Match %d", len(pms), len(ms))
			}
			for i := range ms {
				a, b := ms[i], pms[i]
				if a.ID != b.ID || a.PassageHTML != b.PassageHTML || a.TitleHTML != b.TitleHTML || !slices.Equal(a.Terms, b.Terms) || !slices.Equal(a.Phrases, b.Phrases) {
					t.Errorf("percolator %+v\nMatch      %+v", b, a)
				}
			}
		})
	}
}

func sortMatches(ms []Match) {
	slices.SortFunc(ms, func(a, b Match) int { return strings.Compare(a.ID, b.ID) })
}

func TestMatchPassageMarksTheMatch(t *testing.T) {
	long := strings.Repeat("Unrelated filler about public transport budgets. ", 40) +
		"The treaty on semiconductor export controls was signed. " + strings.Repeat("More filler on housing. ", 40)
	ix := openTest(t, Document{ID: "long", Title: "A long report", Text: long})
	ms, err := ix.Match(context.Background(), Query{Text: `"export controls"`}, []string{"long"})
	if err != nil || len(ms) != 1 {
		t.Fatalf("Match = %v, %v", ms, err)
	}
	p := ms[0].PassageHTML
	if !strings.Contains(p, "<mark>export</mark> <mark>controls</mark>") || !strings.HasPrefix(p, "…") {
		t.Errorf("passage %q does not show the matched words in context", p)
	}
	if !slices.Equal(ms[0].Terms, []string{"export", "controls"}) {
		t.Errorf("terms %q", ms[0].Terms)
	}
}

func TestExisting(t *testing.T) {
	ix := openTest(t, matchDocs...)
	got, err := ix.Existing(context.Background(), []string{"chips", "gone", "grid"})
	if err != nil {
		t.Fatal(err)
	}
	if !got["chips"] || !got["grid"] || got["gone"] || len(got) != 2 {
		t.Errorf("Existing = %v", got)
	}
}

// fakeSemantic scores documents by a fixed table.
type fakeSemantic struct{ sims map[string]float64 }

func (f fakeSemantic) Model() string { return "fake" }
func (f fakeSemantic) Nearest(_ context.Context, _ string, n int, keep func(string) bool) ([]SemanticMatch, error) {
	var out []SemanticMatch
	for id, s := range f.sims {
		if keep == nil || keep(id) {
			out = append(out, SemanticMatch{ID: id, Similarity: s, Start: 0, End: 9})
		}
	}
	return out, nil
}
func (f fakeSemantic) Similar(context.Context, string, int) ([]SemanticMatch, error) {
	return nil, ErrNoVectors
}

func TestMatchSemantic(t *testing.T) {
	ix := openTest(t, matchDocs...)
	if ms, err := ix.MatchSemantic(context.Background(), Query{Text: "chips"}, []string{"chips"}, 0.5); ms != nil || err != nil {
		t.Fatalf("without a ranker: %v, %v", ms, err)
	}
	ix.SetSemantic(fakeSemantic{sims: map[string]float64{"chips": 0.8, "steel": 0.3, "grid": 0.6}})
	all := []string{"chips", "steel", "grid"}
	cases := []struct {
		name string
		q    Query
		ids  []string
		want []string
	}{
		{"threshold", Query{Text: "semiconductors"}, all, []string{"chips", "grid"}},
		{"only the ids given", Query{Text: "semiconductors"}, []string{"grid", "steel"}, []string{"grid"}},
		{"filters apply", Query{Text: "semiconductors", Filters: Filters{SourceType: []string{"government"}}}, all, []string{"grid"}},
		{"no text", Query{}, all, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ms, err := ix.MatchSemantic(context.Background(), c.q, c.ids, 0.5)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.ID)
				if m.Kind != MatchSemantic || m.Similarity == nil || m.PassageHTML == "" || m.Passage == nil {
					t.Errorf("%s: incomplete evidence %+v", m.ID, m)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("matched %v, want %v", got, c.want)
			}
		})
	}
}

// TestPercolatorPrefilterIsExact runs a few thousand random saved
// queries (words, stop words, phrases, required and excluded terms,
// prefixes, fuzzy terms, AND/OR/NOT, fields, filters, unparsable text)
// against random batches with and without the prefilter, and against
// Match on the live index: the prefilter may only skip what cannot match.
func TestPercolatorPrefilterIsExact(t *testing.T) {
	words := strings.Fields("tariff tariffs trade export exports controls chip chips regulation regulations regulatory the of and " +
		"open-weight sovereign compute energy grid steel allies welfare audit data centres ports shipping harbour happy happiness " +
		"generalization generalize ties tying cities policies studies")
	r := rand.New(rand.NewPCG(3, 4))
	w := func() string { return words[r.IntN(len(words))] }
	text := func(n int) string {
		var b []string
		for range n {
			b = append(b, w())
		}
		return strings.Join(b, " ")
	}
	var docs []Document
	for i := range 60 {
		docs = append(docs, Document{ID: fmt.Sprintf("d%02d", i), Title: text(3), Text: text(12),
			Source: []string{"Daily News", "Policy Lab"}[i%2], SourceType: []string{"news", "think_tank", "government"}[i%3]})
	}
	ix := openTest(t, docs...)
	query := func() Query {
		var q string
		switch r.IntN(12) {
		case 0:
			q = w()
		case 1:
			q = w() + " " + w()
		case 2:
			q = `"` + w() + " " + w() + `"`
		case 3:
			q = "+" + w() + " " + w() + " -" + w()
		case 4:
			p := w()
			q = p[:min(1+r.IntN(len(p)+1), len(p))] + "*"
		case 5:
			q = w() + " AND (" + w() + " OR " + w() + ") NOT " + w()
		case 6:
			q = []string{"title:", "text:", "source:", "tag:"}[r.IntN(4)] + w()
		case 7:
			q = w() + "~1"
		case 8:
			q = "-" + w()
		case 9:
			q = "the of"
		case 10:
			q = `"` + w() + ` (unclosed`
		default:
			q = "NOT " + w() + " OR " + w()
		}
		qq := Query{Text: q}
		if r.IntN(4) == 0 {
			qq.Filters.SourceType = []string{"news"}
		}
		return qq
	}
	ids := func(ms []Match) string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	skipped := 0
	for batch := range 20 {
		var list []*Document
		var batchIDs []string
		for range 1 + r.IntN(3) {
			d, _ := ix.Get(context.Background(), docs[r.IntN(len(docs))].ID)
			list = append(list, d)
			batchIDs = append(batchIDs, d.ID)
		}
		p, err := ix.NewPercolator(list)
		if err != nil {
			t.Fatal(err)
		}
		for range 150 {
			q := query()
			got, err1 := p.Match(context.Background(), q)
			p.noFilter = true
			want, err2 := p.Match(context.Background(), q)
			p.noFilter = false
			live, err3 := ix.Match(context.Background(), q, batchIDs)
			if err1 != nil || err2 != nil || err3 != nil {
				t.Fatalf("%q: %v %v %v", q.Text, err1, err2, err3)
			}
			if ids(got) != ids(want) || ids(want) != ids(live) {
				t.Errorf("batch %d %q: prefiltered %s, percolated %s, live %s", batch, q.Text, ids(got), ids(want), ids(live))
			}
			if s, err := ix.Prepare(q); err == nil && !p.mayMatch(s) {
				skipped++
			}
		}
		p.Close()
	}
	t.Logf("the prefilter skipped %d of 3000 queries", skipped)
}
