package feeds

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestArticleEditsAreRefetched: a publisher corrects an article without
// touching its feed item; once RefetchAfter has passed the reader fetches
// the article again and the document is updated.
func TestArticleEditsAreRefetched(t *testing.T) {
	ix := openIndex(t)
	site := newSite(t, "Harbour Institute")
	site.add("levy", "Carbon levy", articleText("a carbon levy"), day)
	const path = "/articles/levy"
	s := newService(t, ix, Config{RefetchAfter: 6 * time.Hour})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.clock = func() time.Time { return now }
	st := subscribe(t, s, Subscription{URL: site.url("/rss.xml")})
	poll(t, s, st.ID)
	fetches := site.count(path)
	site.setPage(path, page{title: "Carbon levy", author: "Ada Analyst", text: articleText("a carbon levy with border adjustment"), published: day})

	steps := []struct {
		name      string
		advance   time.Duration
		pageFails bool
		fetched   int // article fetches since the first poll
		refetched int
		hits      int // documents saying "adjustment"
	}{
		{"not due: the feed's 304 is enough", time.Hour, false, 0, 0, 0},
		{"due: the article is fetched again and updated", 6 * time.Hour, false, 1, 1, 1},
		{"just fetched: not again", time.Minute, false, 1, 1, 1},
		{"due, but the page fails: the indexed article stays", 7 * time.Hour, true, 2, 2, 1},
		{"not due again until RefetchAfter after the failure", time.Hour, false, 2, 2, 1},
	}
	for _, step := range steps {
		now = now.Add(step.advance)
		if step.pageFails {
			site.setPage(path, page{status: http.StatusInternalServerError})
		}
		st = poll(t, s, st.ID)
		hits := search(t, ix, "adjustment").Hits
		if got := site.count(path) - fetches; got != step.fetched || st.ItemsRefetched != step.refetched || len(hits) != step.hits {
			t.Errorf("%s: fetched %d, items_refetched %d, %d hits; want %d, %d, %d", step.name, got, st.ItemsRefetched, len(hits), step.fetched, step.refetched, step.hits)
		}
		if len(hits) == 1 && !strings.Contains(hits[0].Snippets[0], "adjustment") {
			t.Errorf("%s: the document lost its article text: %q", step.name, hits[0].Snippets)
		}
	}
	if st.ItemsUpdated != 1 || st.PageFallbacks != 0 {
		t.Errorf("items_updated %d, page_fallbacks %d; want 1 and 0", st.ItemsUpdated, st.PageFallbacks)
	}
}

// TestRefetchIsSpreadOverPolls: when a whole feed comes due at once, each
// poll fetches at most maxRefetch articles again; with refetching off,
// none.
func TestRefetchIsSpreadOverPolls(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after time.Duration
		want  []int // articles fetched again by each poll after the advance
	}{
		{"on", time.Hour, []int{maxRefetch, 12 - maxRefetch, 0}},
		{"off", -1, []int{0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix := openIndex(t)
			site := newSite(t, "Backlog Press")
			for i := range 12 {
				site.add(fmt.Sprintf("a%02d", i), fmt.Sprintf("Article %d", i), articleText(fmt.Sprintf("topic %d", i)), day.Add(time.Duration(i)*time.Minute))
			}
			s := newService(t, ix, Config{RefetchAfter: tc.after})
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			s.clock = func() time.Time { return now }
			st := subscribe(t, s, Subscription{URL: site.url("/rss.xml")})
			poll(t, s, st.ID)
			fetches := func() (n int) {
				for i := range 12 {
					n += site.count(fmt.Sprintf("/articles/a%02d", i))
				}
				return n
			}
			before := fetches()
			now = now.Add(2 * time.Hour)
			for i, want := range tc.want {
				poll(t, s, st.ID)
				if got := fetches() - before; got != want {
					t.Errorf("poll %d: %d articles fetched again, want %d", i+1, got, want)
				}
				before = fetches()
			}
		})
	}
}
