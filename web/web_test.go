package web

import (
	"bytes"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"policysearch/index"
)

var update = flag.Bool("update", false, "rewrite golden files")

func newPages(t testing.TB) *Pages {
	t.Helper()
	p, err := New("test")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var assetHash = regexp.MustCompile(`\.[0-9a-f]{8}\.(css|js|svg)`)

// golden compares a rendered page with testdata/name. Asset hashes are
// normalised so a CSS change does not touch every golden file.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = assetHash.ReplaceAll(got, []byte(".HASH.$1"))
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden file (run go test ./web -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test ./web -update\n%s", name, firstDiff(got, want))
	}
}

func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + gl + "\nwant: " + wl
		}
	}
	return ""
}

func render(t *testing.T, p *Pages, name string, data any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := p.Render(&b, name, data); err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	return b.Bytes()
}

func ptr[T any](v T) *T { return &v }

// fixedResults is a second page of a filtered search, with a hostile
// title and a javascript: URL among the hits.
func fixedResults() *index.Results {
	return &index.Results{
		Query: "sovereign AI", Total: 23, Page: 2, Size: 10, Sort: "relevance", TookMS: 4.2,
		Mode: "keyword", Semantic: index.SemanticStatus{Status: "off", Reason: "no embeddings endpoint is configured"},
		Hits: []index.Hit{
			{ID: "brief", Title: "Sovereign AI and national compute", TitleHTML: "<mark>Sovereign</mark> <mark>AI</mark> and national compute",
				URL: "https://policylab.example.org/briefs/compute", Source: "Policy Lab", SourceType: "think_tank",
				Author: []string{"Ada Lovelace", "Tom Reid"}, Published: "2025-03", Country: "UK", Tags: []string{"AI", "compute"},
				Snippets: []string{"Governments want <mark>sovereign</mark> <mark>AI</mark>: domestic compute…", "…<mark>sovereign</mark> data on a later page"}, SnippetPages: []int{2, 7},
				AlsoPublishedBy: []index.Copy{{ID: "wire-copy", Title: "Sovereign AI and national compute", Source: "Wire <Service>", Published: "2025-03"},
					{ID: "bare", URL: "https://www.mirror.example/x"}}},
			{ID: "xss", Title: `<script>alert(1)</script>`, TitleHTML: "&lt;script&gt;alert(1)&lt;/script&gt;",
				URL: "javascript:alert(2)", Source: `<b>Evil</b> "Source"`, SourceType: "news", Author: []string{`<img src=x onerror=alert(3)>`},
				Tags: []string{`<i>tag</i>`}, Snippets: []string{"&lt;p&gt; <mark>sovereign</mark>"}},
			{ID: "undated", Title: "Public services", TitleHTML: "Public services", Author: []string{}, Snippets: []string{}},
		},
		Facets: map[string][]index.FacetValue{
			"source":      {{Value: "Policy Lab", Count: 12}, {Value: "Ministry", Count: 11}},
			"source_type": {{Value: "think_tank", Count: 12}, {Value: "government", Count: 11}},
			"author":      {{Value: "Ada Lovelace", Count: 12}, {Value: "Tom Reid", Count: 4}},
			"country":     {{Value: "UK", Count: 20}, {Value: "FR", Count: 3}},
			"language":    {{Value: "en", Count: 20}, {Value: "fr", Count: 2}, {Value: "x-klingon", Count: 1}},
			"year":        {{Value: "2024", Count: 13}, {Value: "2025", Count: 10}},
			"tags":        {{Value: "AI", Count: 23}},
		},
	}
}

func searchParams() url.Values {
	return url.Values{"q": {"sovereign AI"}, "page": {"2"}, "country": {"uk"}, "tag": {"AI", "gone"}, "author": {"Ada Lovelace"}}
}

func TestSearchPageGolden(t *testing.T) {
	p := newPages(t)
	semantic := fixedResults()
	semantic.Mode, semantic.Semantic = "hybrid", index.SemanticStatus{Status: "ok", Model: "test-embed"}
	semantic.Hits = semantic.Hits[:1]
	semantic.Hits[0].Ranks = &index.Ranks{Keyword: ptr(3), Semantic: nil}
	semantic.Hits[0].Similarity, semantic.Hits[0].Fused = ptr(0.8123), ptr(0.0325)
	semantic.Hits[0].Passage = &index.Passage{Index: 2, HTML: "a <mark>sovereign</mark> passage &amp; more"}
	unavailable := fixedResults()
	unavailable.Mode, unavailable.Semantic = "keyword", index.SemanticStatus{Status: "unavailable", Reason: "the embeddings endpoint timed out"}
	unavailable.Notice = "Searched as plain words: the query does not parse at position 1 (unclosed quote)."
	none := &index.Results{Query: "sovreign quantum", Page: 1, Size: 10, Sort: "relevance", TookMS: 1,
		Mode: "keyword", Semantic: index.SemanticStatus{Status: "off"}, Hits: []index.Hit{},
		Facets:     map[string][]index.FacetValue{"source": {}, "source_type": {}, "country": {}, "year": {}, "tags": {}},
		Suggestion: "sovereign quantum"}

	approx := fixedResults()
	approx.FacetsApproximate, approx.TotalApproximate = true, true
	// Twelve years (out of count order) and twelve tags: each facet shows
	// ten, years newest first, with "more"; the facet named by more= shows
	// all with "fewer". The chosen year 2014 stays listed though cut off.
	many := fixedResults()
	many.Facets["year"], many.Facets["tags"] = nil, nil
	for i, y := range []int{2019, 2014, 2025, 2016, 2021, 2015, 2023, 2017, 2024, 2018, 2022, 2020} {
		many.Facets["year"] = append(many.Facets["year"], index.FacetValue{Value: strconv.Itoa(y), Count: 30 - i})
		many.Facets["tags"] = append(many.Facets["tags"], index.FacetValue{Value: "tag " + strconv.Itoa(i+1), Count: 30 - i})
	}
	manyParams := searchParams()
	manyParams.Set("from", "2014")
	manyParams.Set("to", "2014")
	moreParams := searchParams()
	moreParams.Set("more", "tags")

	cases := []struct {
		name   string
		params url.Values
		res    *index.Results
		prob   *Problem
	}{
		{"results.html", searchParams(), fixedResults(), nil},
		{"results_approximate.html", searchParams(), approx, nil},
		{"results_facets_more.html", manyParams, many, nil},
		{"results_facets_all.html", moreParams, many, nil},
		{"empty.html", url.Values{}, nil, nil},
		{"no_results.html", url.Values{"q": {"sovreign quantum"}, "country": {"FR"}, "from": {"2020"}, "to": {"2020"}}, none, nil},
		{"error_syntax.html", url.Values{"q": {`"sovereign AI`}, "strict": {"true"}}, nil,
			&Problem{Status: 400, Code: "invalid_query", Field: "q", Position: 1, Message: "the query does not parse at position 1: unclosed quote"}},
		{"error_param.html", url.Values{"q": {"x"}, "page": {"0"}}, nil,
			&Problem{Status: 400, Code: "invalid_page", Field: "page", Message: "page must be a whole number of 1 or more"}},
		{"error_internal.html", url.Values{"q": {"x"}}, nil,
			&Problem{Status: 500, Code: "internal", Message: "something went wrong on our side; it has been logged"}},
		{"semantic.html", url.Values{"q": {"sovereign AI"}, "mode": {"hybrid"}}, semantic, nil},
		{"semantic_unavailable.html", url.Values{"q": {`"sovereign AI`}}, unavailable, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			golden(t, c.name, render(t, p, "search", NewSearchPage(c.params, c.res, c.prob)))
		})
	}
}

func fixedDoc() *index.Document {
	return &index.Document{
		ID: "brief", Title: "Sovereign AI: <b>capability</b>",
		Text: "# Sovereign AI: <b>capability</b>\n\nGovernments want **sovereign** AI.\nIt is <script>alert(1)</script> about compute.\n\n" +
			"## Where control matters\n\n- inference for public services\n- data governance\n\n1. first\n2. second\n\nA heading without markup\n\nThe sovereignty of data.\n\nThank you.\n\nThe end",
		URL: "https://policylab.example.org/briefs/compute", Source: "Policy Lab", SourceType: "think_tank",
		Authors: []string{"Ada Lovelace"}, Published: index.MustDate("2025-03"), Country: "UK", Language: "en",
		Tags: []string{"AI", "compute"}, Extra: map[string]any{"party": "Independent", "pages": 12.0, "refs": []any{"a", "b"}},
		IndexedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func TestDocPageGolden(t *testing.T) {
	p := newPages(t)
	related := &index.RelatedResults{ID: "brief", Method: "semantic", Hits: []index.Related{
		{ID: "brief", Title: "the document itself is skipped"},
		{ID: "statement", Title: "Trusted AI in public services", Source: "Ministry", Published: "2024", Similarity: ptr(0.734)},
		{ID: "undated", Title: "Public services"},
	}}
	copies := []index.Copy{{ID: "wire-copy", Title: "Sovereign AI and national compute", Source: "Wire Service", Published: "2025-03-05"}, {ID: "untitled"}}
	golden(t, "doc.html", render(t, p, "doc", NewDocPage(fixedDoc(), url.Values{"q": {"sovereign AI -compute"}, "page": {"2"}}, related).WithCopies(copies)))
	golden(t, "doc_plain.html", render(t, p, "doc", NewDocPage(&index.Document{ID: "t", Text: "Only text."}, nil, nil)))
	// A PDF: its text by page under "p. N" marks, marks numbered across
	// pages, its creation date said in words, no raw JSON in the sidebar.
	pdfText := "Sovereign compute on page one.\n\nMore on sovereign data, page three."
	pdfDoc := &index.Document{ID: "pdf", Title: "A brief", Text: pdfText, Published: mustDate(t, "2024-03-05"), Extra: map[string]any{
		index.PagesKey: []any{map[string]any{"page": 1.0, "start": 0.0, "end": 30.0}, map[string]any{"page": 3.0, "start": 32.0, "end": float64(len(pdfText))}},
		"page_count":   3.0, "published_from": "pdf_creation_date", "pdf_extractor": "pdftotext",
	}}
	golden(t, "doc_pdf.html", render(t, p, "doc", NewDocPage(pdfDoc, url.Values{"q": {"sovereign"}}, nil)))
	golden(t, "not_found.html", render(t, p, "error", &ErrorPage{Status: 404, Heading: "No such document",
		Message: "There is no document with this id.", Query: "sovereign"}))
}

// TestDocumentFieldsAreEscaped renders hostile values in every document
// field through every page and checks none survives as markup.
func TestDocumentFieldsAreEscaped(t *testing.T) {
	const evil = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">`
	p := newPages(t)
	doc := &index.Document{ID: "x", Title: evil, Text: evil + "\n\n# " + evil + "\n\n- " + evil, URL: "javascript:alert(1)",
		Source: evil, SourceType: evil, Authors: []string{evil}, Country: evil, Language: `en" onload="x`, Tags: []string{evil},
		Extra: map[string]any{evil: evil}}
	hit := index.Hit{ID: "x", Title: evil, TitleHTML: "&lt;script&gt;", URL: "javascript:alert(1)", Source: evil, SourceType: evil,
		Author: []string{evil}, Country: evil, Tags: []string{evil}, Published: evil}
	res := &index.Results{Query: evil, Total: 1, Page: 1, Size: 10, Hits: []index.Hit{hit}, Notice: evil,
		Semantic: index.SemanticStatus{Status: "unavailable", Reason: evil},
		Facets:   map[string][]index.FacetValue{"source": {{Value: evil, Count: 1}}, "year": {{Value: evil, Count: 1}}}}
	params := url.Values{"q": {evil}, "source": {evil}, "from": {evil}}
	pages := map[string][]byte{
		"results": render(t, p, "search", NewSearchPage(params, res, nil)),
		"problem": render(t, p, "search", NewSearchPage(url.Values{"q": {evil}}, nil, &Problem{Status: 400, Field: "q", Position: 2, Message: evil})),
		"doc": render(t, p, "doc", NewDocPage(doc, url.Values{"q": {"script"}},
			&index.RelatedResults{Method: evil, Hits: []index.Related{{ID: "y", Title: evil, Source: evil, Published: evil}}})),
		"error": render(t, p, "error", &ErrorPage{Status: 404, Heading: evil, Message: evil, Query: evil}),
	}
	for name, b := range pages {
		for _, bad := range []string{"<script>window", "<img src=x", "javascript:alert", `onload="x`} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s page contains %q unescaped", name, bad)
			}
		}
		if n := bytes.Count(b, []byte("<script")); n != 1 {
			t.Errorf("%s page has %d script tags, want only the app's own", name, n)
		}
	}
}

func mustDate(t *testing.T, s string) index.Date {
	t.Helper()
	d, err := index.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
