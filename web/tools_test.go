package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"policysearch/snapshots"
)

func TestToolsGolden(t *testing.T) {
	p := newPages(t)
	page := func(writable bool) *SearchPage {
		sp := NewSearchPage(searchParams(), fixedResults(), nil)
		sp.Tools.Cite, sp.Tools.Writable = true, writable
		sp.Tools.Alerts = &AlertsPanel{Semantic: true, List: []AlertView{
			{ID: "abcdefghijkl", Name: "Sovereign AI weekly", Feed: "/alerts/abcdefghijkl.atom", Matches: 1},
			{ID: "mnopqrstuvwx", Name: `<script>alert("x")</script>`, Feed: "/alerts/mnopqrstuvwx.atom",
				Webhook: "hooks.example.org", Matches: 12, Status: "last delivery failed: the receiver answered 500"},
		}}
		return sp
	}
	golden(t, "results_tools.html", render(t, p, "search", page(true)))
	golden(t, "results_tools_readonly.html", render(t, p, "search", page(false)))
}

func TestExportLinksCarryTheSearchNotThePage(t *testing.T) {
	links := ExportLinks(url.Values{"q": {"tariffs & steel"}, "page": {"3"}, "size": {"20"}, "source": {"A", "B"}, "mode": {"hybrid"}})
	if len(links) != 4 {
		t.Fatalf("%d links", len(links))
	}
	for i, f := range []string{"csv", "json", "bibtex", "ris"} {
		u, err := url.Parse(links[i].Href)
		if err != nil || u.Path != "/api/export" {
			t.Fatalf("link %q", links[i].Href)
		}
		v := u.Query()
		if v.Get("format") != f || v.Get("q") != "tariffs & steel" || len(v["source"]) != 2 || v.Get("mode") != "hybrid" || v.Has("page") || v.Has("size") {
			t.Errorf("%s link %q", f, links[i].Href)
		}
	}
}

func TestSafeReturn(t *testing.T) {
	for in, want := range map[string]string{
		"/?q=x": "/?q=x", "/": "/", "/s/abcdefghij": "/s/abcdefghij",
		"//evil.example/": "/", "https://evil.example/": "/", "/\\evil": "/", "/doc/x": "/", "": "/", "/?q=x\r\nSet-Cookie: a": "/",
	} {
		if got := SafeReturn(in); got != want {
			t.Errorf("SafeReturn(%q) = %q, want %q", in, got, want)
		}
	}
}

func fixedSnapshot() *snapshots.Snapshot {
	ratio := 0.5
	return &snapshots.Snapshot{ID: "abcdefgh23", Created: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
		Params: "country=UK&mode=hybrid&q=sovereign+AI", Generation: 42, Total: 57, Cap: 3,
		Ranking: snapshots.Ranking{Mode: "hybrid", Fusion: "rrf", SemanticRatio: &ratio, Model: "test-embed", SemanticStatus: "ok", Sort: "relevance"},
		Hits: []snapshots.Hit{
			{Rank: 1, ID: "brief", Score: 0.0325, Title: "Sovereign AI and national compute", Source: "Policy Lab", SourceType: "think_tank", Author: []string{"Ada Lovelace"}, Published: "2025-03"},
			{Rank: 2, ID: "gone", Score: 0.03, Title: `Deleted <b>brief</b>`, Source: "Ministry"},
			{Rank: 3, ID: "older", Score: 0.02, Title: "An older statement", Published: "2019"},
		}}
}

func TestSnapshotPageGolden(t *testing.T) {
	p := newPages(t)
	s := fixedSnapshot()
	changed := &snapshots.Changes{Total: 58, Mode: "hybrid", Model: "test-embed",
		Added:   []snapshots.Hit{{Rank: 2, ID: "new", Title: "A new brief", Source: "Policy Lab", Published: "2026"}},
		Removed: []snapshots.Hit{s.Hits[1]}, Dropped: []snapshots.Hit{s.Hits[2]}}
	golden(t, "snapshot.html", render(t, p, "snapshot", NewSnapshotPage(s, changed, nil, 1, "http://search.example")))
	same := &snapshots.Changes{Total: 57, Mode: "hybrid", Same: true, Added: []snapshots.Hit{}, Removed: []snapshots.Hit{}, Dropped: []snapshots.Hit{}}
	golden(t, "snapshot_same.html", render(t, p, "snapshot", NewSnapshotPage(s, same, nil, 1, "http://search.example")))
	failed := NewSnapshotPage(s, nil, &Problem{Status: 503, Message: "the search took too long and was stopped"}, 1, "http://search.example")
	golden(t, "snapshot_failed.html", render(t, p, "snapshot", failed))
	page := NewSnapshotPage(s, same, nil, 1, "http://search.example")
	if page.Hits[1].Href == "" || page.Hits[1].Removed {
		t.Error("a document of an unchanged snapshot is marked removed")
	}
}

func TestSnapshotPagePages(t *testing.T) {
	s := fixedSnapshot()
	s.Hits = nil
	for i := range 250 {
		s.Hits = append(s.Hits, snapshots.Hit{Rank: i + 1, ID: "d" + strings.Repeat("x", i%3)})
	}
	p := NewSnapshotPage(s, nil, nil, 3, "")
	if len(p.Hits) != 50 || p.Hits[0].Rank != 201 || p.Pager.Last != 3 || p.Pager.Prev != "/s/abcdefgh23?page=2" || p.Pager.Next != "" {
		t.Errorf("page 3: %d hits from %d, pager %+v", len(p.Hits), p.Hits[0].Rank, p.Pager)
	}
	if p := NewSnapshotPage(s, nil, nil, 99, ""); p.Pager.Page != 3 {
		t.Errorf("page past the end shows page %d", p.Pager.Page)
	}
}

func TestAlertPageGolden(t *testing.T) {
	p := newPages(t)
	golden(t, "alert.html", render(t, p, "alert", &AlertPage{Name: "Chips & <export>", Search: `“chip export”`,
		Feed: "http://search.example/alerts/abcdefghijkl.atom", Webhook: "https://hooks.example.org/p",
		Secret: "whsec_0123", Back: "/?q=chip+export", Semantic: true}))
}
