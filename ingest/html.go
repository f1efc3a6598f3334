package ingest

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"unicode/utf8"

	readability "github.com/go-shiori/go-readability"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"

	"policysearch/index"
)

// maxReadabilityElems bounds the pages handed to readability, whose
// scoring is slow on huge trees; bigger pages use the plain body text.
const maxReadabilityElems = 100_000

// loadHTML reads a web page: metadata from its head and JSON-LD, text
// from readability's guess at the main content.
func loadHTML(ctx context.Context, src *source, out *emitter) error {
	data, err := src.bytes()
	if err != nil {
		return err
	}
	root, err := html.Parse(bytes.NewReader(toUTF8(data, src.contentType)))
	if err != nil {
		return out.fail(0, 0, invalid("cannot parse HTML: %v", err))
	}
	var base *url.URL
	if isURL(src.name) {
		base, _ = url.Parse(src.name)
	}
	m := readMeta(root)
	doc := index.Document{
		Title:     firstOf(m.first("og:title", "twitter:title"), m.ld.headline, m.title, m.h1),
		URL:       m.pageURL(base),
		Source:    firstOf(m.first("og:site_name"), m.ld.publisher),
		Authors:   m.authors(),
		Tags:      m.tags(),
		Published: m.published(),
		Language:  m.language(),
	}
	if len(doc.Authors) == 0 {
		doc.Authors = m.ld.authors
	}
	if len(doc.Tags) == 0 {
		doc.Tags = m.ld.keywords
	}
	// A page's metadata is what the page says, not what a user chose: a
	// page with 50,000 article:tag metas keeps its first index.MaxListItems
	// rather than being refused whole.
	doc.Authors, doc.Tags = capList(doc.Authors), capList(doc.Tags)
	if desc := firstOf(m.first("description", "og:description", "twitter:description", "dc.description"), m.ld.description); desc != "" {
		doc.Extra = map[string]any{"description": desc}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	doc.Text = mainText(root, base)
	if doc.Title == "" {
		doc.Title = firstSentence(doc.Text)
	}
	doc.Title = clip(doc.Title, 1000)
	return out.emit(doc, 0, 0)
}

// toUTF8 decodes a page to UTF-8. A charset from the content type or a
// BOM is trusted; one from a <meta> tag or a guess only when the bytes are
// not valid UTF-8 already, since pages often declare the wrong charset.
func toUTF8(data []byte, contentType string) []byte {
	enc, name, certain := charset.DetermineEncoding(data, contentType)
	if name == "utf-8" || !certain && utf8.Valid(data) {
		return data
	}
	if out, err := enc.NewDecoder().Bytes(data); err == nil {
		return out
	}
	return data
}

// mainText returns the page's main text, paragraphs kept as blank lines.
// readability removes navigation, footers and asides; when it fails or
// finds almost nothing, the whole visible body text is better than none.
func mainText(root *html.Node, base *url.URL) string {
	whole := nodeText(root)
	if content, ok := readable(root, base); ok {
		if doc, err := html.Parse(strings.NewReader(content)); err == nil {
			text := nodeText(doc)
			n := utf8.RuneCountInString(text)
			if n >= 500 || n*4 >= utf8.RuneCountInString(whole) {
				return text
			}
		}
	}
	return whole
}

// readable runs readability, returning its content HTML. It is a port of
// a large JavaScript library fed untrusted pages; a panic in it must cost
// one page its clean-up, not the whole ingestion run.
func readable(root *html.Node, base *url.URL) (content string, ok bool) {
	defer func() {
		if recover() != nil {
			content, ok = "", false
		}
	}()
	p := readability.NewParser()
	p.MaxElemsToParse = maxReadabilityElems
	p.DisableJSONLD = true // read by readMeta already
	art, err := p.ParseDocument(root, base)
	if err != nil {
		return "", false
	}
	return art.Content, true
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
