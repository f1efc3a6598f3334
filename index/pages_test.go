package index

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// A PDF's page spans survive the store and give each snippet its page.
func TestSnippetPages(t *testing.T) {
	ctx := context.Background()
	p1 := "Background on chips. " + strings.Repeat("Filler words about trade policy. ", 20)
	p2 := "Findings: tariffs on lithography tools rose. " + strings.Repeat("More filler on industry. ", 20)
	text := p1 + "\n\n" + p2
	doc := Document{ID: "brief", Title: "Brief", Text: text, Extra: map[string]any{
		PagesKey: []PageSpan{{Page: 1, Start: 0, End: len(p1)}, {Page: 12, Start: len(p1) + 2, End: len(text)}},
	}}
	ix := openTest(t, doc, Document{ID: "plain", Title: "Plain", Text: "Tariffs on lithography tools, without pages."})

	res, err := ix.Search(ctx, Query{Text: "lithography"})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		switch h.ID {
		case "brief":
			if !slices.Equal(h.SnippetPages, []int{12}) || len(h.Snippets) != 1 {
				t.Errorf("brief: snippet pages = %v for %q, want [12]", h.SnippetPages, h.Snippets)
			}
		case "plain":
			if h.SnippetPages != nil {
				t.Errorf("plain: snippet pages = %v, want none", h.SnippetPages)
			}
		}
	}
	got, err := ix.Get(ctx, "brief")
	if err != nil {
		t.Fatal(err)
	}
	if ps := got.Pages(); len(ps) != 2 || ps[1].Page != 12 {
		t.Errorf("stored pages = %+v", ps)
	}
	b, _ := json.Marshal(res.Hits)
	if strings.Count(string(b), "snippet_pages") != 1 {
		t.Errorf("snippet_pages should appear only for the paged hit: %s", b)
	}
}

func TestPageAt(t *testing.T) {
	ps := []PageSpan{{1, 0, 10}, {2, 12, 20}, {5, 22, 30}}
	for off, want := range map[int]int{0: 1, 9: 1, 10: 2, 11: 2, 12: 2, 21: 5, 29: 5, 30: 0} {
		if got := pageAt(ps, off); got != want {
			t.Errorf("pageAt(%d) = %d, want %d", off, got, want)
		}
	}
	if got := decodePages(encodePages(ps)); !slices.Equal(got, ps) {
		t.Errorf("round trip = %v", got)
	}
}

func TestOrigins(t *testing.T) {
	ix := openTest(t,
		Document{ID: "a", Text: "a", Origin: "/w/one.md"},
		Document{ID: "b", Text: "b", Origin: "/w/sub/two.jsonl#1"},
		Document{ID: "c", Text: "c", Origin: "/w/sub/two.jsonl#2"},
		Document{ID: "d", Text: "d", Origin: "/other/x.md"},
		Document{ID: "e", Text: "e"},
	)
	got, err := ix.Origins(context.Background(), "/w/")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"/w/one.md": {"a"}, "/w/sub/two.jsonl#1": {"b"}, "/w/sub/two.jsonl#2": {"c"}}
	if len(got) != len(want) {
		t.Fatalf("Origins = %v, want %v", got, want)
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("Origins[%s] = %v, want %v", k, got[k], v)
		}
	}
}
