package index

import (
	"context"
	"slices"
	"strings"
	"testing"
)

var fixture = []Document{
	{ID: "brief", Title: "Sovereign AI and national compute", Text: "Governments want sovereign AI: domestic compute, data governance and open-weight models.",
		Source: "Policy Lab", SourceType: "think_tank", Authors: []string{"Ada Lovelace"}, Country: "UK", Language: "en", Tags: []string{"AI", "compute"}, Published: MustDate("2025-03-04")},
	{ID: "statement", Title: "Trusted AI in public services", Text: "Public services keep control of AI systems; sovereign deployment protects citizens' data.",
		Source: "Ministry of Digital Affairs", SourceType: "government", Authors: []string{"Grace Hopper", "Alan Turing"}, Country: "FR", Tags: []string{"AI", "public services"}, Published: MustDate("2024-11")},
	{ID: "tariffs", Title: "Steel tariffs and allies", Text: "Tariffs on steel strain relations with allies. Allies respond with their own tariffs.",
		Source: "Daily News", SourceType: "news", Authors: []string{"Ida Tarbell"}, Country: "US", Tags: []string{"trade"}, Published: MustDate("2023")},
	{ID: "trade", Title: "Trade policy review", Text: "A review of trade policy: tariffs, quotas and subsidies, without mention of partners.",
		Source: "Daily News", SourceType: "news", Country: "US", Tags: []string{"trade"}, Published: MustDate("2022-06-01")},
	{ID: "regulation", Title: "Regulating algorithms", Text: "Regulation of algorithmic decision making in welfare. Regulators demand audits.",
		Source: "Policy Lab", SourceType: "think_tank", Country: "UK", Tags: []string{"AI", "regulation"}},
	{ID: "xss", Title: `<script>alert(1)</script> Budget & deficits`, Text: "The budget deficit grew; <b>bold</b> claims were made about the budget.",
		Source: "Daily News", SourceType: "news", Country: "US", Published: MustDate("2021-01-20T12:00:00Z")},
}

func ids(r *Results) []string {
	out := []string{}
	for _, h := range r.Hits {
		out = append(out, h.ID)
	}
	return out
}

func TestSearchQueries(t *testing.T) {
	ix := openTest(t, fixture...)
	cases := []struct {
		name  string
		query Query
		want  []string // exact ids in order when ordered, else as a set
		order bool
	}{
		{"plain words rank both AI docs", Query{Text: "sovereign AI"}, []string{"brief", "statement"}, false},
		{"title weighs more than body", Query{Text: "sovereign"}, []string{"brief", "statement"}, true},
		{"phrase", Query{Text: `"sovereign deployment"`}, []string{"statement"}, false},
		{"AND", Query{Text: "tariffs AND allies"}, []string{"tariffs"}, false},
		{"OR", Query{Text: "quotas OR audits"}, []string{"trade", "regulation"}, false},
		{"NOT", Query{Text: "tariffs NOT allies"}, []string{"trade"}, false},
		{"minus excludes", Query{Text: "tariffs -allies"}, []string{"trade"}, false},
		{"plus requires", Query{Text: "+tariffs review"}, []string{"trade", "tariffs"}, true},
		{"parentheses", Query{Text: "(quotas OR audits) AND welfare"}, []string{"regulation"}, false},
		{"prefix matches stemmed forms", Query{Text: "regulat*"}, []string{"regulation"}, false},
		{"fuzzy", Query{Text: "tarifs~1"}, []string{"tariffs", "trade"}, false},
		{"stemming", Query{Text: "regulators"}, []string{"regulation"}, false},
		{"field author partial name", Query{Text: "author:hopper"}, []string{"statement"}, false},
		{"field source phrase", Query{Text: `source:"daily news"`}, []string{"tariffs", "trade", "xss"}, false},
		{"field tag", Query{Text: "tag:regulation"}, []string{"regulation"}, false},
		{"field title", Query{Text: "title:trade"}, []string{"trade"}, false},
		{"field country", Query{Text: "country:fr"}, []string{"statement"}, false},
		{"lowercase operators are words", Query{Text: "tariffs and allies"}, []string{"tariffs", "trade"}, false},
		{"unknown field is text", Query{Text: "note: tariffs"}, []string{"tariffs", "trade"}, false},
		{"empty query matches all", Query{Text: "", Size: 100}, []string{"brief", "statement", "tariffs", "trade", "regulation", "xss"}, false},
		{"filter source_type", Query{Text: "AI", Filters: Filters{SourceType: []string{"government"}}}, []string{"statement"}, false},
		{"filter OR within field", Query{Filters: Filters{Country: []string{"fr", "UK"}}}, []string{"brief", "statement", "regulation"}, false},
		{"filter AND across fields", Query{Filters: Filters{Country: []string{"UK"}, Tag: []string{"compute"}}}, []string{"brief"}, false},
		{"filter author exact, case-insensitive", Query{Filters: Filters{Author: []string{"alan turing"}}}, []string{"statement"}, false},
		{"date range inclusive of precision", Query{Filters: Filters{From: MustDate("2023"), To: MustDate("2024")}}, []string{"tariffs", "statement"}, false},
		{"sort newest, undated last", Query{Sort: SortNewest, Size: 100}, []string{"brief", "statement", "tariffs", "trade", "xss", "regulation"}, true},
		{"sort oldest", Query{Filters: Filters{Source: []string{"Daily News"}}, Sort: SortOldest}, []string{"xss", "trade", "tariffs"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), c.query)
			if err != nil {
				t.Fatalf("Search: %v", err)
			}
			got := ids(res)
			want := slices.Clone(c.want)
			if !c.order {
				slices.Sort(got)
				slices.Sort(want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("ids = %v, want %v", got, want)
			}
			if int(res.Total) != len(c.want) {
				t.Errorf("total = %d, want %d", res.Total, len(c.want))
			}
		})
	}
}

func TestSearchFacetsCoverWholeResultSet(t *testing.T) {
	ix := openTest(t, fixture...)
	res, err := ix.Search(context.Background(), Query{Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]int{
		"source":      {"Daily News": 3, "Policy Lab": 2, "Ministry of Digital Affairs": 1},
		"source_type": {"news": 3, "think_tank": 2, "government": 1},
		"country":     {"US": 3, "UK": 2, "FR": 1},
		"year":        {"2025": 1, "2024": 1, "2023": 1, "2022": 1, "2021": 1},
		"tags":        {"AI": 3, "trade": 2, "compute": 1, "public services": 1, "regulation": 1},
	}
	for facet, vals := range want {
		got := map[string]int{}
		for _, v := range res.Facets[facet] {
			got[v.Value] = v.Count
		}
		for k, n := range vals {
			if got[k] != n {
				t.Errorf("facet %s[%s] = %d, want %d (all: %v)", facet, k, got[k], n, got)
			}
		}
		if len(got) != len(vals) {
			t.Errorf("facet %s has %d values, want %d: %v", facet, len(got), len(vals), got)
		}
	}
}

func TestSearchHighlightsAndEscapes(t *testing.T) {
	ix := openTest(t, fixture...)
	res, err := ix.Search(context.Background(), Query{Text: "budget"})
	if err != nil || len(res.Hits) != 1 {
		t.Fatalf("Search: %v %v", res, err)
	}
	h := res.Hits[0]
	if want := "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Budget</mark> &amp; deficits"; h.TitleHTML != want {
		t.Errorf("title_html = %q, want %q", h.TitleHTML, want)
	}
	if len(h.Snippets) != 1 || !strings.Contains(h.Snippets[0], "<mark>budget</mark>") || strings.Contains(h.Snippets[0], "<b>") {
		t.Errorf("snippets = %q, want escaped text with marked budget", h.Snippets)
	}
	if h.Published != "2021-01-20T12:00:00Z" {
		t.Errorf("published = %q, want the instant precision kept", h.Published)
	}
}

func TestSearchPagination(t *testing.T) {
	ix := openTest(t, fixture...)
	var seen []string
	for page := 1; page <= 3; page++ {
		res, err := ix.Search(context.Background(), Query{Page: page, Size: 2, Sort: SortNewest})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 6 {
			t.Errorf("page %d total = %d, want 6", page, res.Total)
		}
		seen = append(seen, ids(res)...)
	}
	if want := []string{"brief", "statement", "tariffs", "trade", "xss", "regulation"}; !slices.Equal(seen, want) {
		t.Errorf("pages = %v, want %v", seen, want)
	}
}

func TestSearchBadInput(t *testing.T) {
	ix := openTest(t, fixture...)
	cases := []struct {
		name  string
		query Query
		field string
	}{
		{"size too large", Query{Size: 101}, "size"},
		{"negative page", Query{Page: -1}, "page"},
		{"window too deep", Query{Page: 200, Size: 100}, "page"},
		{"bad sort", Query{Sort: "popular"}, "sort"},
		{"bad source type", Query{Filters: Filters{SourceType: []string{"blog"}}}, "source_type"},
		{"to before from", Query{Filters: Filters{From: MustDate("2024"), To: MustDate("2023")}}, "to"},
		{"strict syntax error", Query{Text: `"unclosed`, Strict: true}, "q"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ix.Search(context.Background(), c.query)
			e, ok := err.(*Error)
			if !ok || e.Kind != Invalid || e.Field != c.field {
				t.Fatalf("err = %#v, want Invalid on %s", err, c.field)
			}
		})
	}
}

func TestSearchFallsBackToWords(t *testing.T) {
	ix := openTest(t, fixture...)
	res, err := ix.Search(context.Background(), Query{Text: `"tariffs AND (allies`})
	if err != nil {
		t.Fatalf("non-strict search of a broken query failed: %v", err)
	}
	if res.Notice == "" || !strings.Contains(res.Notice, "position") {
		t.Errorf("notice = %q, want an explanation with a position", res.Notice)
	}
	if !slices.Contains(ids(res), "tariffs") {
		t.Errorf("ids = %v, want the words searched", ids(res))
	}
}
