package feeds

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// site is a local publisher for the tests: RSS 2.0, Atom 1.0 and JSON
// Feed 1.1 documents over one list of items, the article pages they link
// to (with navigation and script noise around the text, OpenGraph and
// article: metadata, a canonical link), a PDF, and switches for failure.
type site struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex

	name        string // og:site_name of its pages
	items       []item
	pages       map[string]page // path → page
	feedStatus  int             // non-zero: every feed request answers this
	requests    map[string]int  // path → requests
	conditional int             // feed requests that carried If-None-Match
	notMod      int             // 304s sent
}

type item struct {
	id, title, path, summary string
	published                time.Time
}

type page struct {
	title, author, text, canonical string
	published                      time.Time
	status                         int
}

func newSite(t *testing.T, name string) *site {
	s := &site{t: t, name: name, pages: map[string]page{}, requests: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) url(path string) string { return s.srv.URL + path }

// add publishes an article: its page and an item in every feed.
func (s *site) add(slug, title, text string, published time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "/articles/" + slug
	s.pages[path] = page{title: title, author: "Ada Analyst", text: text, published: published}
	s.items = append(s.items, item{id: "urn:" + slug, title: title + " (feed title)", path: path + "?utm_source=rss", summary: "Summary of " + title, published: published})
}

func (s *site) setPage(path string, p page) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[path] = p
}

func (s *site) addItem(it item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items = append(s.items, it)
}

func (s *site) setFeedStatus(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.feedStatus = code
}

func (s *site) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

func (s *site) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[r.URL.Path]++
	if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "policysearch/") {
		s.t.Errorf("request without the reader's User-Agent: %q", ua)
	}
	var body, ctype string
	switch r.URL.Path {
	case "/rss.xml":
		body, ctype = s.rss(), "application/rss+xml"
	case "/atom.xml":
		body, ctype = s.atom(), "application/atom+xml"
	case "/feed.json":
		body, ctype = s.jsonFeed(), "application/feed+json"
	case "/papers/brief.pdf":
		data, err := os.ReadFile(filepath.Join("..", "ingest", "testdata", "pdf", "brief.pdf"))
		if err != nil {
			s.t.Error(err)
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(data)
		return
	default:
		p, ok := s.pages[r.URL.Path]
		if !ok || p.status != 0 {
			http.Error(w, "not here", max(p.status, http.StatusNotFound))
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, s.html(r.URL.Path, p))
		return
	}
	if s.feedStatus != 0 {
		http.Error(w, "feed broken", s.feedStatus)
		return
	}
	sum := sha256.Sum256([]byte(body))
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	if r.Header.Get("If-None-Match") != "" {
		s.conditional++
	}
	if r.Header.Get("If-None-Match") == etag {
		s.notMod++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", ctype)
	fmt.Fprint(w, body)
}

func (s *site) html(path string, p page) string {
	canonical := p.canonical
	if canonical == "" {
		canonical = s.url(path)
	}
	var paras strings.Builder
	for _, para := range strings.Split(p.text, "\n\n") {
		fmt.Fprintf(&paras, "<p>%s</p>\n", html.EscapeString(para))
	}
	return fmt.Sprintf(`<!doctype html><html lang="en"><head>
<title>%[1]s | %[2]s</title>
<meta property="og:title" content="%[1]s">
<meta property="og:site_name" content="%[2]s">
<meta property="article:published_time" content="%[3]s">
<meta name="author" content="%[4]s">
<link rel="canonical" href="%[5]s">
<script>var tracker = "scriptnoise";</script>
</head><body>
<nav><a href="/">Home</a> <a href="/about">navnoise menu</a> <a href="/x">Subscribe</a></nav>
<article><h1>%[1]s</h1>
%[6]s</article>
<footer>footernoise copyright</footer>
</body></html>`, html.EscapeString(p.title), html.EscapeString(s.name), p.published.Format(time.RFC3339),
		html.EscapeString(p.author), html.EscapeString(canonical), paras.String())
}

func (s *site) rss() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>%s RSS</title><link>%s</link><description>d</description>`, s.name, s.url("/"))
	for i := len(s.items) - 1; i >= 0; i-- {
		it := s.items[i]
		fmt.Fprintf(&b, `<item><title>%s</title><link>%s</link><guid isPermaLink="false">%s</guid><pubDate>%s</pubDate><description>%s</description></item>`,
			html.EscapeString(it.title), html.EscapeString(s.link(it)), it.id, it.published.Format(time.RFC1123Z), html.EscapeString(it.summary))
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

func (s *site) atom() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>%s Atom</title><id>urn:atom</id><updated>2024-01-01T00:00:00Z</updated><link href="%s"/>`, s.name, s.url("/"))
	for i := len(s.items) - 1; i >= 0; i-- {
		it := s.items[i]
		fmt.Fprintf(&b, `<entry><title>%s</title><link href="%s"/><id>%s</id><updated>%s</updated><published>%s</published><summary>%s</summary></entry>`,
			html.EscapeString(it.title), html.EscapeString(s.link(it)), it.id, it.published.Format(time.RFC3339), it.published.Format(time.RFC3339), html.EscapeString(it.summary))
	}
	b.WriteString(`</feed>`)
	return b.String()
}

func (s *site) jsonFeed() string {
	type jitem struct {
		ID            string `json:"id"`
		URL           string `json:"url,omitempty"`
		Title         string `json:"title"`
		ContentHTML   string `json:"content_html"`
		DatePublished string `json:"date_published"`
	}
	f := struct {
		Version string  `json:"version"`
		Title   string  `json:"title"`
		Home    string  `json:"home_page_url"`
		Items   []jitem `json:"items"`
	}{Version: "https://jsonfeed.org/version/1.1", Title: s.name + " JSON", Home: s.url("/")}
	for i := len(s.items) - 1; i >= 0; i-- {
		it := s.items[i]
		f.Items = append(f.Items, jitem{ID: it.id, URL: s.link(it), Title: it.title, ContentHTML: "<p>" + html.EscapeString(it.summary) + "</p>", DatePublished: it.published.Format(time.RFC3339)})
	}
	b, _ := json.Marshal(f)
	return string(b)
}

// link is an item's link: absolute, except paths starting "rel:", which
// stay relative to test resolution.
func (s *site) link(it item) string {
	if it.path == "" {
		return ""
	}
	if strings.HasPrefix(it.path, "http") {
		return it.path
	}
	return s.url(it.path)
}
