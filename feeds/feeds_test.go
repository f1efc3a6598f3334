package feeds

import (
	"context"
	"errors"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"policysearch/egress"
	"policysearch/index"
	"policysearch/ingest"
)

var day = time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC)

// articleText is long enough to be trusted over the feed's summary and to
// be judged by the near-duplicate detector.
func articleText(topic string) string {
	return "The ministry published new guidance on " + topic + " today. " +
		"Officials said the rules would apply to firms of every size from next year, and that small exporters would get extra time to adapt their compliance programmes. " +
		"Industry groups welcomed the clarity but warned that the licensing queue was already long and that staff at the agency were stretched thin.\n\n" +
		"Analysts expect allied governments to follow with similar measures within months, since coordination has been the stated aim of the talks held in the spring. " +
		"The guidance also sets out how disputes over classification will be settled and which records companies must keep for five years."
}

func openIndex(t *testing.T) *index.Index {
	t.Helper()
	ix, err := index.Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func newService(t *testing.T, ix Index, cfg Config) *Service {
	t.Helper()
	cfg.AllowPrivate = true // the test sites live on loopback
	if cfg.MinInterval == 0 {
		cfg.MinInterval = time.Second
	}
	s, err := New(ix, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func subscribe(t *testing.T, s *Service, sub Subscription) Status {
	t.Helper()
	st, err := s.Subscribe(context.Background(), sub)
	if err != nil {
		t.Fatalf("subscribe %s: %v", sub.URL, err)
	}
	return st
}

func poll(t *testing.T, s *Service, id string) Status {
	t.Helper()
	if err := s.Poll(context.Background(), id); err != nil {
		t.Fatalf("poll: %v", err)
	}
	st, _ := s.Get(id)
	return st
}

func search(t *testing.T, ix *index.Index, q string) *index.Results {
	t.Helper()
	res, err := ix.Search(context.Background(), index.Query{Text: q, Size: 50})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	return res
}

func TestPollEachFormat(t *testing.T) {
	for _, path := range []string{"/rss.xml", "/atom.xml", "/feed.json"} {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			ix := openIndex(t)
			site := newSite(t, "Harbour Institute")
			site.add("chip-rules", "Chip export rules tightened", articleText("semiconductor exports"), day)
			site.add("grain-deal", "Grain corridor deal renewed", articleText("grain shipments"), day.Add(24*time.Hour))
			s := newService(t, ix, Config{})
			st := subscribe(t, s, Subscription{URL: site.url(path), SourceType: "think_tank", Country: "NO", Tags: []string{"trade"}})
			st = poll(t, s, st.ID)
			if st.ItemsSeen != 2 || st.ItemsAdded != 2 || st.LastError != "" || st.LastSuccess.IsZero() {
				t.Fatalf("status after first poll = %+v", st)
			}
			res := search(t, ix, "semiconductor")
			if len(res.Hits) != 1 {
				t.Fatalf("semiconductor: %d hits, want 1", len(res.Hits))
			}
			h := res.Hits[0]
			if h.Title != "Chip export rules tightened" || h.Source != "Harbour Institute" || h.SourceType != "think_tank" ||
				h.Published != "2024-05-06T09:30:00Z" || h.Country != "NO" || h.URL != site.url("/articles/chip-rules") {
				t.Errorf("hit = %+v; want the page's title, site name, date and canonical URL plus the subscription's type and country", h)
			}
			doc, _ := ix.Get(context.Background(), h.ID)
			if len(doc.Authors) != 1 || doc.Authors[0] != "Ada Analyst" || !strings.Contains(strings.Join(doc.Tags, ","), "trade") {
				t.Errorf("authors %v tags %v", doc.Authors, doc.Tags)
			}
			if doc.ID != index.DeriveID(index.CanonicalURL(site.url("/articles/chip-rules"))) {
				t.Errorf("id %s does not derive from the canonical URL", doc.ID)
			}
			for _, noise := range []string{"scriptnoise", "navnoise", "footernoise"} {
				if n := len(search(t, ix, noise).Hits); n != 0 {
					t.Errorf("page noise %q indexed", noise)
				}
			}
		})
	}
}

func TestNewItemsAndConditionalGet(t *testing.T) {
	ix := openIndex(t)
	site := newSite(t, "Lakeside Forum")
	site.add("first", "First brief", articleText("fisheries quotas"), day)
	s := newService(t, ix, Config{})
	st := subscribe(t, s, Subscription{URL: site.url("/rss.xml")})
	poll(t, s, st.ID)
	pages := site.count("/articles/first")

	// Nothing changed: the feed answers 304 and no page is fetched.
	st = poll(t, s, st.ID)
	if site.notMod != 1 || site.conditional != 1 || st.NotModified != 1 {
		t.Errorf("second poll: 304s sent %d, conditional requests %d, status not_modified %d; want 1 each", site.notMod, site.conditional, st.NotModified)
	}
	if site.count("/articles/first") != pages {
		t.Error("an unchanged feed refetched its article")
	}

	// A new item: found after one poll; the old one is not fetched again.
	site.add("second", "Second brief", articleText("offshore wind auctions"), day.Add(time.Hour))
	start := time.Now()
	st = poll(t, s, st.ID)
	t.Logf("new item → searchable (one poll, page fetch included): %v", time.Since(start).Round(time.Millisecond))
	if n := len(search(t, ix, "offshore").Hits); n != 1 {
		t.Errorf("new item: %d hits, want 1", n)
	}
	if st.ItemsSeen != 2 || st.ItemsAdded != 2 || site.count("/articles/first") != pages {
		t.Errorf("status %+v; first article fetched %d times (was %d)", st, site.count("/articles/first"), pages)
	}

	// An edited item updates its document.
	site.mu.Lock()
	site.items[0].title = "First brief (corrected)"
	site.pages["/articles/first"] = page{title: "First brief, corrected", author: "Ada Analyst", text: articleText("fisheries quotas and bycatch"), published: day}
	site.mu.Unlock()
	st = poll(t, s, st.ID)
	if st.ItemsUpdated != 1 {
		t.Errorf("edited item: items_updated = %d, want 1", st.ItemsUpdated)
	}
	if res := search(t, ix, "bycatch"); len(res.Hits) != 1 || res.Hits[0].Title != "First brief, corrected" {
		t.Errorf("edited article not updated: %+v", res.Hits)
	}
}

func TestFailingFeedBacksOff(t *testing.T) {
	ix := openIndex(t)
	site := newSite(t, "Flaky Desk")
	site.add("a", "A", articleText("port fees"), day)
	s := newService(t, ix, Config{MaxBackoff: 5 * time.Second})
	st := subscribe(t, s, Subscription{URL: site.url("/atom.xml"), Interval: Duration(time.Second)})
	site.setFeedStatus(500)
	for i, want := range []time.Duration{2 * time.Second, 4 * time.Second, 5 * time.Second} {
		before := time.Now()
		if err := s.Poll(context.Background(), st.ID); err == nil || !strings.Contains(err.Error(), "500") {
			t.Fatalf("poll %d: err = %v, want the 500", i+1, err)
		}
		st, _ = s.Get(st.ID)
		if st.ConsecutiveFailures != i+1 || !strings.Contains(st.LastError, "500") || st.LastErrorAt.IsZero() {
			t.Errorf("poll %d: status %+v", i+1, st)
		}
		if wait := st.NextPoll.Sub(before); wait < want-time.Second/2 || wait > want+time.Second/2 {
			t.Errorf("poll %d: next poll in %v, want about %v", i+1, wait, want)
		}
	}
	site.setFeedStatus(0)
	st = poll(t, s, st.ID)
	if st.ConsecutiveFailures != 0 || st.ItemsAdded != 1 || time.Until(st.NextPoll) > 2*time.Second {
		t.Errorf("after recovery: %+v", st)
	}
}

func TestOneDocumentPerArticle(t *testing.T) {
	ix := openIndex(t)
	site := newSite(t, "Twin Feeds")
	site.add("shared", "Shared story", articleText("rail freight"), day)
	s := newService(t, ix, Config{})
	a := subscribe(t, s, Subscription{URL: site.url("/rss.xml")})
	b := subscribe(t, s, Subscription{URL: site.url("/feed.json")})
	poll(t, s, a.ID)
	poll(t, s, b.ID)
	if res := search(t, ix, "freight"); res.Total != 1 {
		t.Errorf("an article in two feeds gave %d documents, want 1", res.Total)
	}
	if st, _ := s.Get(b.ID); st.ItemsAdded != 0 {
		t.Errorf("second feed added %d, want 0 (the document existed)", st.ItemsAdded)
	}
}

// A syndicated copy (same text, small edits, another site) arriving by
// another feed is grouped with the original: one hit, also published by.
func TestSyndicatedCopyGrouped(t *testing.T) {
	ix := openIndex(t)
	orig := newSite(t, "Original Wire")
	partner := newSite(t, "Partner Daily")
	text := articleText("critical minerals")
	orig.add("minerals", "Minerals guidance issued", text, day)
	// The partner republishes a day later with a new headline and one
	// sentence changed, and a canonical link to the original (ignored:
	// a page may not claim another site's address).
	copyText := strings.Replace(text, "Industry groups welcomed the clarity", "Trade associations welcomed the clarity", 1)
	partner.add("repost", "Ministry issues minerals guidance", copyText, day.Add(24*time.Hour))
	p := partner.pages["/articles/repost"]
	p.canonical = orig.url("/articles/minerals")
	partner.setPage("/articles/repost", p)

	s := newService(t, ix, Config{})
	poll(t, s, subscribe(t, s, Subscription{URL: orig.url("/rss.xml")}).ID)
	poll(t, s, subscribe(t, s, Subscription{URL: partner.url("/atom.xml")}).ID)

	res := search(t, ix, "minerals guidance")
	if len(res.Hits) != 1 {
		t.Fatalf("got %d hits, want the copies folded into one", len(res.Hits))
	}
	h := res.Hits[0]
	if len(h.AlsoPublishedBy) != 1 || h.AlsoPublishedBy[0].Source == h.Source {
		t.Fatalf("hit %s (%s) also published by %+v; want the other site", h.Title, h.Source, h.AlsoPublishedBy)
	}
	copies, err := ix.Copies(context.Background(), index.DeriveID(index.CanonicalURL(partner.url("/articles/repost"))))
	if err != nil || len(copies) != 1 || copies[0].Source != "Original Wire" {
		t.Errorf("copies of the repost = %+v, %v; want the original", copies, err)
	}
}

func TestFallbackToItemContent(t *testing.T) {
	ix := openIndex(t)
	site := newSite(t, "Gone Page")
	site.addItem(item{id: "urn:gone", title: "Budget vote delayed", path: "/articles/missing", summary: "The parliamentary budget vote on pensions was delayed again.", published: day})
	site.addItem(item{id: "urn:nolink", title: "Linkless note", summary: "A note about tidal energy with no link.", published: day})
	s := newService(t, ix, Config{})
	st := poll(t, s, subscribe(t, s, Subscription{URL: site.url("/rss.xml"), Source: "Gone Page Desk"}).ID)
	if st.PageFallbacks != 1 || st.ItemsAdded != 2 {
		t.Errorf("status %+v; want one page fallback and two items added", st)
	}
	res := search(t, ix, "pensions")
	if len(res.Hits) != 1 || res.Hits[0].Title != "Budget vote delayed" || res.Hits[0].Published != "2024-05-06T09:30:00Z" || res.Hits[0].Source != "Gone Page Desk" {
		t.Errorf("fallback hit = %+v", res.Hits)
	}
	if n := len(search(t, ix, "tidal").Hits); n != 1 {
		t.Errorf("linkless item: %d hits", n)
	}
}

func TestPDFItem(t *testing.T) {
	ix := openIndex(t)
	site := newSite(t, "Paper Mill")
	site.addItem(item{id: "urn:pdf", title: "Export controls paper", path: "/papers/brief.pdf", summary: "A paper.", published: day})
	s := newService(t, ix, Config{})
	poll(t, s, subscribe(t, s, Subscription{URL: site.url("/rss.xml")}).ID)
	res := search(t, ix, "photolithography")
	if len(res.Hits) != 1 || res.Hits[0].Title != "Export controls paper" {
		t.Fatalf("pdf item: %+v", res.Hits)
	}
	if pages := res.Hits[0].SnippetPages; len(pages) != 1 || pages[0] != 3 {
		t.Errorf("snippet pages = %v, want [3]", pages)
	}
	// the item's date is stated; the PDF's creation date (2024-03-05) is a guess
	doc, err := ix.Get(context.Background(), res.Hits[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, inferred := doc.Extra[ingest.PublishedFromKey]; !doc.Published.Time.Equal(day) || inferred {
		t.Errorf("published %v (inferred %v), want the item's %v", doc.Published, inferred, day)
	}
}

func TestSubscriptionsSurviveRestart(t *testing.T) {
	ix := openIndex(t)
	site := newSite(t, "Durable")
	site.add("a", "A", articleText("dairy tariffs"), day)
	path := filepath.Join(t.TempDir(), "feeds.db")
	s := newService(t, ix, Config{StorePath: path})
	st := poll(t, s, subscribe(t, s, Subscription{URL: site.url("/rss.xml"), Interval: Duration(time.Hour), Tags: []string{"dairy"}}).ID)
	s.Close()

	s2 := newService(t, ix, Config{StorePath: path})
	list := s2.List()
	if len(list) != 1 || list[0].ID != st.ID || time.Duration(list[0].Interval) != time.Hour || list[0].ItemsAdded != 1 {
		t.Fatalf("after restart: %+v", list)
	}
	poll(t, s2, st.ID)
	if site.notMod != 1 {
		t.Errorf("the saved ETag was not used after restart (304s: %d)", site.notMod)
	}
	if err := s2.Unsubscribe(context.Background(), st.ID); err != nil {
		t.Fatal(err)
	}
	if err := s2.Unsubscribe(context.Background(), st.ID); index.KindOf(err) != index.NotFound {
		t.Errorf("second unsubscribe: %v, want NotFound", err)
	}
}

func TestSubscribeValidation(t *testing.T) {
	s := newService(t, openIndex(t), Config{MinInterval: time.Minute})
	subscribe(t, s, Subscription{URL: "http://127.0.0.1:1/feed.xml"})
	for _, tc := range []struct {
		sub   Subscription
		field string
		kind  index.Kind
	}{
		{Subscription{URL: "ftp://example.org/feed"}, "url", index.Invalid},
		{Subscription{URL: "not a url"}, "url", index.Invalid},
		{Subscription{URL: "https://example.org/f", Interval: Duration(10 * time.Second)}, "interval", index.Invalid},
		{Subscription{URL: "https://example.org/f", SourceType: "blog"}, "source_type", index.Invalid},
		{Subscription{URL: "http://127.0.0.1:1/feed.xml"}, "url", index.Conflict},
	} {
		_, err := s.Subscribe(context.Background(), tc.sub)
		var ie *index.Error
		if !errors.As(err, &ie) || ie.Field != tc.field || ie.Kind != tc.kind {
			t.Errorf("%+v: err = %v, want kind %v on field %s", tc.sub, err, tc.kind, tc.field)
		}
	}
}

func TestPrivateAddressesRefused(t *testing.T) {
	site := newSite(t, "Internal")
	site.add("a", "A", articleText("secrets"), day)
	s, err := New(openIndex(t), Config{}) // AllowPrivate off, as in production
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, raw := range []string{site.url("/rss.xml"), "http://localhost:8080/feed", "http://[::1]/feed", "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/feed",
		// issue 14: special-purpose ranges and non-canonical IPv4 spellings
		"http://198.18.0.1/feed", "http://[64:ff9b::7f00:1]/feed", "http://[::127.0.0.1]/feed", "http://[::ffff:10.0.0.1]/feed",
		"http://100.64.0.1/feed", "http://192.0.0.1/feed", "http://240.0.0.1/feed", "http://239.1.2.3/feed",
		"http://2130706433/feed", "http://0x7f.1/feed", "http://017700000001/feed", "http://127.1/feed"} {
		_, err := s.Subscribe(context.Background(), Subscription{URL: raw})
		var ie *index.Error
		if !errors.As(err, &ie) || ie.Field != "url" || !strings.Contains(err.Error(), "--allow-private-fetch") {
			t.Errorf("%s: err = %v, want a refusal naming --allow-private-fetch", raw, err)
		}
	}
	// A name that resolves to loopback gets past the URL check but not the
	// dialler, which sees the resolved address (no DNS rebinding bypass).
	if _, err := s.fetch(context.Background(), mustURL(t, site.url("/rss.xml")), acceptFeed, "", "", 1<<20); !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("dial to loopback: err = %v, want ErrPrivateAddress", err)
	}
	if site.count("/rss.xml") != 0 {
		t.Error("a refused fetch reached the server")
	}
	for addr, private := range map[string]bool{"8.8.8.8": false, "2001:4860:4860::8888": false, "127.0.0.1": true, "::ffff:127.0.0.1": true,
		"192.168.1.1": true, "172.16.0.1": true, "100.64.1.1": true, "fe80::1": true, "0.0.0.0": true, "224.0.0.1": true} {
		if got := egress.Why(netip.MustParseAddr(addr)) != ""; got != private {
			t.Errorf("privateAddr(%s) = %v, want %v", addr, got, private)
		}
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The scheduler polls on its own: a subscription is polled at once, then
// every interval, and a new item becomes searchable within one interval.
func TestSchedulerPolls(t *testing.T) {
	ix := openIndex(t)
	site := newSite(t, "Clockwork")
	site.add("tick", "Tick", articleText("lighthouse levies"), day)
	s := newService(t, ix, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not stop with its context")
		}
	}()
	subscribe(t, s, Subscription{URL: site.url("/rss.xml"), Interval: Duration(time.Second)})
	waitFor(t, 5*time.Second, "first poll", func() bool { return search(t, ix, "lighthouse").Total == 1 })

	start := time.Now()
	site.add("tock", "Tock", articleText("harbour dredging"), day.Add(time.Hour))
	waitFor(t, 5*time.Second, "new item by the scheduler", func() bool { return search(t, ix, "dredging").Total == 1 })
	t.Logf("new feed item → searchable with a 1s interval: %v", time.Since(start).Round(time.Millisecond))
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v", what, limit)
}

func TestParseFile(t *testing.T) {
	in := `# feeds
https://a.example/feed.xml
https://b.example/atom interval=15m source="B Institute" source_type=think_tank country=US tags=trade,chips

`
	subs, err := ParseFile(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 2 || subs[1].Source != "B Institute" || time.Duration(subs[1].Interval) != 15*time.Minute ||
		subs[1].SourceType != "think_tank" || len(subs[1].Tags) != 2 || subs[0].URL != "https://a.example/feed.xml" {
		t.Errorf("ParseFile = %+v", subs)
	}
	for _, bad := range []string{"https://x interval=soon", "https://x colour=red", `https://x source="open`, "https://x novalue"} {
		if _, err := ParseFile(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestConfigure(t *testing.T) {
	s := newService(t, openIndex(t), Config{})
	api := subscribe(t, s, Subscription{URL: "http://127.0.0.1:1/api.xml"})
	if err := s.Configure([]Subscription{{URL: "http://127.0.0.1:1/a.xml"}, {URL: "http://127.0.0.1:1/b.xml"}}); err != nil {
		t.Fatal(err)
	}
	if n := len(s.List()); n != 3 {
		t.Fatalf("%d feeds, want 3", n)
	}
	if err := s.Configure([]Subscription{{URL: "http://127.0.0.1:1/b.xml", Source: "B"}}); err != nil {
		t.Fatal(err)
	}
	list := s.List()
	if len(list) != 2 || list[0].ID != api.ID || list[1].Source != "B" || !list[1].Config {
		t.Errorf("after reconfiguring: %+v", list)
	}
}
