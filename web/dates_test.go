package web

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"policysearch/index"
)

func TestHumanDate(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{"2026-01-27T09:00:00Z", "27 January 2026"},
		{"2026-01-27T23:30:00-05:00", "28 January 2026"}, // stored in UTC, as the index keeps it
		{"2026-01-07", "7 January 2026"},
		{"2026-01", "January 2026"},
		{"2026", "2026"},
		{"1790", "1790"},
		{index.MustDate("2024-03-05"), "5 March 2024"},
		{index.Date{}, ""},
		{"", ""},
		{"spring 2024", "spring 2024"}, // not a date: shown as it came
		{42, ""},
	}
	for _, c := range cases {
		if got := HumanDate(c.in); got != c.want {
			t.Errorf("HumanDate(%#v) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A .txt article saved one paragraph per line keeps its paragraphs on the
// document page, and a feed's timestamp shows as a day.
func TestDocPageKeepsTextParagraphs(t *testing.T) {
	b, err := os.ReadFile("../../shared/corpora/seed-articles/ng-sovereign-ai.txt")
	if err != nil {
		t.Skipf("seed articles not available: %v", err)
	}
	text := strings.TrimSpace(string(b))
	doc := &index.Document{ID: "ng", Title: "Andrew Ng on sovereign AI", Text: text, Published: index.MustDate("2026-01-27T09:00:00Z"),
		Source: "Example News", Language: "en", LanguageDetected: true}
	got := render(t, newPages(t), "doc", NewDocPage(doc, url.Values{}, nil))
	golden(t, "doc_txt.html", got)
	lines := 0
	for l := range strings.SplitSeq(text, "\n") {
		if strings.TrimSpace(l) != "" {
			lines++
		}
	}
	body := string(got)
	if n := strings.Count(body, "<p>") + strings.Count(body, "<h2>"); n < lines {
		t.Errorf("%d paragraphs and headings for %d lines of text", n, lines)
	}
	for _, want := range []string{"27 January 2026", `datetime="2026-01-27T09:00:00Z"`, "English (en) (detected)"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestLinesAreParagraphs(t *testing.T) {
	long := strings.Repeat("word ", 30)
	cases := []struct {
		name, text string
		want       bool
	}{
		{"one line per paragraph", long + "\n" + long + "\nShort line.\n" + long, true},
		{"hard-wrapped at 72", strings.Repeat("a short line of hard-wrapped text that stops well before\n", 10), false},
		{"one line", long, false},
		{"mostly wrapped, one long URL", strings.Repeat("wrapped text line\n", 8) + "https://" + strings.Repeat("x", 120), false},
	}
	for _, c := range cases {
		if got := linesAreParagraphs(c.text); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestStartPageDescribesTheCollection(t *testing.T) {
	res := &index.Results{Total: 240, Hits: []index.Hit{{ID: "n", Title: "AI: Sovereign compute, 2026 edition"}},
		Facets: map[string][]index.FacetValue{
			"source": {{Value: "The White House", Count: 230}, {Value: "CNAS", Count: 10}},
			"year":   {{Value: "2026", Count: 3}, {Value: "1790", Count: 1}, {Value: "1961", Count: 2}},
			"author": {{Value: "Scanlon, Phil", Count: 4}},
			"tags":   {{Value: "open source", Count: 9}},
		}}
	p := NewSearchPage(url.Values{}, nil, nil)
	p.Collection = NewCollection(res)
	golden(t, "start_collection.html", render(t, newPages(t), "search", p))
	c := p.Collection
	if c.Documents != 240 || c.Sources != 2 || c.FirstYear != 1790 || c.LastYear != 2026 {
		t.Errorf("collection = %+v", c)
	}
	var qs []string
	for _, e := range c.Examples {
		qs = append(qs, e.Query)
	}
	want := []string{`"sovereign compute"`, "author:scanlon", `tag:"open source"`, `source:"The White House"`}
	if strings.Join(qs, "|") != strings.Join(want, "|") {
		t.Errorf("examples = %q, want %q", qs, want)
	}
	empty := NewSearchPage(url.Values{}, nil, nil)
	empty.Collection = NewCollection(&index.Results{Facets: map[string][]index.FacetValue{}})
	if body := string(render(t, newPages(t), "search", empty)); !strings.Contains(body, "The collection is empty") || strings.Contains(body, "<h2>Try</h2>") {
		t.Errorf("an empty collection's start page:\n%s", body)
	}
}

func TestAlertsPageGolden(t *testing.T) {
	p := newPages(t)
	list := []AlertView{
		{ID: "a1", Name: "Chip <export> controls", Feed: "/alerts/a1.atom?token=t", Webhook: "hooks.example", Matches: 3, Status: "last delivery failed: 503",
			Search: "“chip export” with source CNAS", Href: SearchHref("q=chip+export&source=CNAS")},
		{ID: "a2", Name: "Everything", Feed: "/alerts/a2.atom?token=u", Matches: 1, Search: "all documents", Href: SearchHref("")},
	}
	golden(t, "alerts.html", render(t, p, "alerts", &AlertsPage{Alerts: list, Writable: true}))
	golden(t, "alerts_readonly.html", render(t, p, "alerts", &AlertsPage{Alerts: list}))
	golden(t, "alerts_none.html", render(t, p, "alerts", &AlertsPage{}))
}
