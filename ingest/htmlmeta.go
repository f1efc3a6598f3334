package ingest

import (
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"policysearch/index"
)

// pageMeta is what a page says about itself outside its text.
type pageMeta struct {
	title     string              // <title>
	h1        string              // first <h1>, a last resort for the title
	lang      string              // <html lang>
	canonical string              // <link rel="canonical">
	meta      map[string][]string // <meta> content by lowercased name, property or itemprop
	ld        ldArticle
}

// readMeta collects the page's metadata in one pass over the tree.
func readMeta(root *html.Node) pageMeta {
	m := pageMeta{meta: map[string][]string{}}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				if m.lang == "" {
					m.lang = attr(n, "lang")
				}
			case atom.Title:
				if m.title == "" {
					m.title = textOf(n)
				}
			case atom.H1:
				if m.h1 == "" {
					m.h1 = textOf(n)
				}
			case atom.Link:
				if m.canonical == "" && hasToken(attr(n, "rel"), "canonical") {
					m.canonical = strings.TrimSpace(attr(n, "href"))
				}
			case atom.Meta:
				content := strings.TrimSpace(attr(n, "content"))
				for _, k := range []string{"name", "property", "itemprop", "http-equiv"} {
					if key := strings.ToLower(strings.TrimSpace(attr(n, k))); key != "" && content != "" {
						m.meta[key] = append(m.meta[key], content)
					}
				}
			case atom.Script:
				if t, _, _ := strings.Cut(strings.ToLower(attr(n, "type")), ";"); strings.TrimSpace(t) == "application/ld+json" && m.ld.empty() {
					m.ld = parseLD(rawText(n))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return m
}

// first returns the first non-empty value among the given meta keys, in
// the order of preference the caller lists them.
func (m pageMeta) first(keys ...string) string {
	for _, k := range keys {
		for _, v := range m.meta[k] {
			if v = strings.TrimSpace(v); v != "" {
				return v
			}
		}
	}
	return ""
}

// authors reads author meta tags. article:author is often a profile URL,
// which is not a name, so URLs are skipped.
func (m pageMeta) authors() []string {
	for _, k := range []string{"citation_author", "author", "article:author", "dc.creator", "dcterms.creator"} {
		var out []string
		for _, v := range m.meta[k] {
			if !strings.Contains(v, "://") && !strings.HasPrefix(v, "/") {
				out = append(out, v)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// tags merges keyword lists; keywords are comma separated by convention.
func (m pageMeta) tags() []string {
	var out []string
	for _, k := range []string{"keywords", "news_keywords", "article:tag"} {
		for _, v := range m.meta[k] {
			out = append(out, splitKeywords(v)...)
		}
	}
	return out
}

// published returns the first publication date that can be read; pages
// often carry malformed dates, which are ignored rather than fatal.
func (m pageMeta) published() index.Date {
	for _, k := range []string{"article:published_time", "datepublished", "date", "dc.date", "dc.date.issued",
		"dcterms.date", "dcterms.issued", "dcterms.created", "citation_publication_date", "pubdate", "publish-date"} {
		for _, v := range m.meta[k] {
			if d, ok := looseDate(v); ok {
				return d
			}
		}
	}
	if d, ok := looseDate(m.ld.published); ok {
		return d
	}
	return index.Date{}
}

// pageURL prefers the canonical link over og:url, as the canonical link
// is what the site itself names as the one address of the page. Relative
// links are resolved against base, or dropped when there is none.
func (m pageMeta) pageURL(base *url.URL) string {
	for _, raw := range []string{m.canonical, m.first("og:url"), m.ld.url} {
		if u := absURL(raw, base); u != "" {
			return u
		}
	}
	if base != nil && (base.Scheme == "http" || base.Scheme == "https") {
		return base.String()
	}
	return ""
}

func absURL(raw string, base *url.URL) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || raw == "" {
		return ""
	}
	if !u.IsAbs() {
		if base == nil || !base.IsAbs() {
			return ""
		}
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return ""
	}
	return u.String()
}

// language keeps the primary subtag ("en-GB" and "en_US" are "en"): the
// index analyses text by language, not by region.
func (m pageMeta) language() string {
	for _, v := range []string{m.lang, m.first("content-language", "og:locale", "dc.language"), m.ld.language} {
		tag, _, _ := strings.Cut(strings.TrimSpace(v), ",")
		tag, _, _ = strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
		tag = strings.ToLower(strings.TrimSpace(tag))
		if len(tag) >= 2 && len(tag) <= 3 && strings.Trim(tag, "abcdefghijklmnopqrstuvwxyz") == "" {
			return tag
		}
	}
	return ""
}

// dateLayouts are common on the web but not accepted by index.ParseDate.
var dateLayouts = []struct {
	layout string
	prec   index.Precision
}{
	{"2006-01-02T15:04:05-0700", index.Instant},
	{"2006-01-02T15:04:05.999999999-0700", index.Instant},
	{"2006-01-02T15:04Z07:00", index.Instant},
	{"2006-01-02T15:04", index.Instant},
	{"2006-01-02 15:04:05 -0700", index.Instant},
	{"2006-01-02 15:04:05Z07:00", index.Instant},
	{time.RFC1123, index.Instant},
	{time.RFC1123Z, index.Instant},
	{"Mon, 2 Jan 2006 15:04:05 -0700", index.Instant},
	{"2006/01/02", index.Day},
	{"January 2, 2006", index.Day},
	{"Jan 2, 2006", index.Day},
	{"2 January 2006", index.Day},
	{"02 Jan 2006", index.Day},
	{"2006.01.02", index.Day},
}

// looseDate reads a date from metadata, accepting the layouts sites use.
func looseDate(s string) (index.Date, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return index.Date{}, false
	}
	if d, err := index.ParseDate(s); err == nil {
		return d, true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l.layout, s); err == nil && t.Year() >= 1 && t.Year() <= 9999 {
			return index.Date{Time: t.UTC(), Precision: l.prec}, true
		}
	}
	return index.Date{}, false
}

func splitKeywords(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

// textOf is the whitespace-collapsed text inside n, for one-line values.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// rawText is the text inside n as written, for script content.
func rawText(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

// capList keeps the first index.MaxListItems distinct items of a list read
// from a page, dropping items longer than index.MaxItemBytes.
func capList(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		k := strings.ToLower(s)
		if s == "" || len(s) > index.MaxItemBytes || seen[k] {
			continue
		}
		if len(out) == index.MaxListItems {
			break
		}
		seen[k] = true
		out = append(out, s)
	}
	return out
}
