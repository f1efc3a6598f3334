package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"policysearch/index"
)

// DocPage is what the document template renders: the whole text as
// escaped HTML blocks with the query's words marked.
type DocPage struct {
	Doc       *index.Document
	Query     string
	TypeLabel string
	SafeURL   string // the original URL if it is http(s)
	Host      string // its host, for the link text
	Back      string // the results the reader came from, or ""
	TitleHTML template.HTML
	Blocks    []Block
	Matches   int // marked words in the text; the first has id m1
	Extra     []Field
	Related   []RelatedView
	// RelatedBy says how the related documents were found: "semantic"
	// (by meaning) or "keyword" (shared words).
	RelatedBy string
	// Copies are the same article published elsewhere (see WithCopies).
	Copies []CopyView
	state  url.Values
}

// RelatedView is one related document as the page lists it.
type RelatedView struct {
	index.Related
	Href       string
	Similarity string
}

// Block is a heading, paragraph, list or preformatted run of the text.
type Block struct {
	Kind  string // h2, h3, p, ul, ol, pre, or page (a page starts: Page)
	Page  int
	HTML  template.HTML
	Items []template.HTML
}

// Field is one extra metadata value as text.
type Field struct{ Name, Value string }

// NewDocPage builds the page for doc. params is the search the reader
// came from (its q is highlighted); it may be empty. related may be nil.
func NewDocPage(doc *index.Document, params url.Values, related *index.RelatedResults) *DocPage {
	state := url.Values{}
	for _, k := range Params {
		for _, v := range params[k] {
			if v = strings.TrimSpace(v); v != "" {
				state.Add(k, v)
			}
		}
	}
	p := &DocPage{Doc: doc, Query: strings.TrimSpace(state.Get("q")), TypeLabel: SourceTypeLabel(doc.SourceType), state: state}
	if len(state) > 0 {
		p.Back = "/?" + state.Encode()
	}
	if u, err := url.Parse(doc.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		p.SafeURL, p.Host = doc.URL, strings.TrimPrefix(u.Host, "www.")
	}
	m := NewMatcher(p.Query)
	tw := &marker{spans: m.Spans(doc.Title)}
	tw.write(doc.Title, 0, len(doc.Title))
	p.TitleHTML = template.HTML(tw.take())
	p.Blocks, p.Matches = renderPages(doc, m.Spans(doc.Text))
	for k, v := range doc.Extra {
		if f, ok := extraField(k, v); ok {
			p.Extra = append(p.Extra, f)
		}
	}
	slices.SortFunc(p.Extra, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
	if related != nil {
		p.RelatedBy = related.Method
		for _, r := range related.Hits {
			if r.ID == doc.ID {
				continue
			}
			v := RelatedView{Related: r, Href: DocHref(r.ID, state)}
			if r.Similarity != nil {
				v.Similarity = strconv.FormatFloat(*r.Similarity, 'f', 2, 64)
			}
			p.Related = append(p.Related, v)
		}
	}
	return p
}

// renderPages renders the text, and for a paged source (PDF) each page
// after a "p. N" marker, so a reader can cite the page a passage is on.
// Marks are numbered across pages.
func renderPages(doc *index.Document, spans []Span) ([]Block, int) {
	pages := doc.Pages()
	if len(pages) == 0 {
		return renderText(doc.Text, doc.Title, spans, 0)
	}
	var blocks []Block
	n := 0
	for i, pg := range pages {
		if pg.Start < 0 || pg.End > len(doc.Text) || pg.Start > pg.End {
			return renderText(doc.Text, doc.Title, spans, 0) // spans that do not fit the text
		}
		var sub []Span
		for _, s := range spans {
			if s.Start >= pg.Start && s.End <= pg.End {
				sub = append(sub, Span{s.Start - pg.Start, s.End - pg.Start})
			}
		}
		title := ""
		if i == 0 {
			title = doc.Title
		}
		var bl []Block
		bl, n = renderText(doc.Text[pg.Start:pg.End], title, sub, n)
		blocks = append(blocks, Block{Kind: "page", Page: pg.Page})
		blocks = append(blocks, bl...)
	}
	return blocks, n
}

// extraField is how the sidebar shows an extra value, if at all: the
// page spans and the markers of inferred values are for programs (the
// page shows them as "p. N" and beside the date), and other structured
// values would show as raw JSON.
func extraField(k string, v any) (Field, bool) {
	switch k {
	case "published_from", "pdf_extractor":
		return Field{}, false
	case "page_count":
		return Field{Name: "Pages", Value: extraValue(v)}, true
	}
	switch v := v.(type) {
	case map[string]any, []index.PageSpan:
		return Field{}, false
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			switch e.(type) {
			case map[string]any, []any:
				return Field{}, false // structured (PDF page spans and the like)
			}
			parts = append(parts, extraValue(e))
		}
		return Field{Name: k, Value: strings.Join(parts, ", ")}, true
	}
	return Field{Name: k, Value: extraValue(v)}, true
}

func extraValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	case float64, bool, json.Number:
		return fmt.Sprint(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

var (
	mdHeading = regexp.MustCompile(`^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$`)
	mdItem    = regexp.MustCompile(`^ {0,3}([-*+]|\d{1,9}[.)])[ \t]+`)
	mdFence   = regexp.MustCompile("^ {0,3}(```|~~~)")
)

// renderText turns plain or lightly marked-up (Markdown) text into blocks:
// blank lines separate paragraphs, and so do single line breaks in text
// that is not hard-wrapped (see linesAreParagraphs); #-headings, list items and fenced code
// are recognised, and so is a heading whose markup ingestion removed (see
// headingLike); everything else is text. A heading that opens the text
// and repeats the title is dropped. Every byte of output goes through the
// escaping marker, so a document cannot inject markup.
func renderText(text, title string, spans []Span, marked int) ([]Block, int) {
	w := &marker{spans: spans, strip: "**", ids: true, count: marked}
	var blocks []Block
	type line struct{ lo, hi int }
	var lines []line
	for lo := 0; lo <= len(text); {
		hi := strings.IndexByte(text[lo:], '\n')
		if hi < 0 {
			lines = append(lines, line{lo, len(text)})
			break
		}
		lines = append(lines, line{lo, lo + hi})
		lo += hi + 1
	}
	breaks := linesAreParagraphs(text)
	para := line{-1, -1}
	flush := func() {
		if para.lo >= 0 {
			kind := "p"
			if headingLike(text[para.lo:para.hi]) && strings.TrimSpace(text[para.hi:]) != "" {
				kind = "h2"
			}
			w.write(text, para.lo, para.hi)
			blocks = append(blocks, Block{Kind: kind, HTML: template.HTML(w.take())})
			para = line{-1, -1}
		}
	}
	var list *Block
	item := line{-1, -1}
	endItem := func() {
		if item.lo >= 0 {
			w.write(text, item.lo, item.hi)
			list.Items = append(list.Items, template.HTML(w.take()))
			item = line{-1, -1}
		}
	}
	endList := func() {
		if list != nil {
			endItem()
			blocks = append(blocks, *list)
			list = nil
		}
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		s := strings.TrimRight(text[l.lo:l.hi], "\r")
		switch {
		case strings.TrimSpace(s) == "":
			flush()
			endItem()
			continue
		case mdFence.MatchString(s):
			flush()
			endList()
			j := i + 1
			for j < len(lines) && !mdFence.MatchString(text[lines[j].lo:lines[j].hi]) {
				j++
			}
			if i+1 < j {
				w.strip = ""
				w.write(text, lines[i+1].lo, lines[j-1].hi)
				w.strip = "**"
				blocks = append(blocks, Block{Kind: "pre", HTML: template.HTML(w.take())})
			}
			i = j
			continue
		}
		if m := mdHeading.FindStringSubmatchIndex(s); m != nil {
			flush()
			endList()
			if len(blocks) == 0 && list == nil && sameText(s[m[4]:m[5]], title) {
				continue
			}
			kind := "h3"
			if m[3]-m[2] <= 2 {
				kind = "h2"
			}
			w.write(text, l.lo+m[4], l.lo+m[5])
			blocks = append(blocks, Block{Kind: kind, HTML: template.HTML(w.take())})
			continue
		}
		if m := mdItem.FindStringSubmatchIndex(s); m != nil {
			flush()
			kind := "ul"
			if c := s[m[2]]; c >= '0' && c <= '9' {
				kind = "ol"
			}
			if list != nil && list.Kind != kind {
				endList()
			}
			if list == nil {
				list = &Block{Kind: kind}
			}
			endItem()
			item = line{l.lo + m[1], l.lo + len(s)}
			continue
		}
		if list != nil && item.lo >= 0 {
			item.hi = l.lo + len(s) // a continuation line of the item
			continue
		}
		endList()
		if breaks {
			flush()
		}
		if para.lo < 0 {
			para.lo = l.lo
		}
		para.hi = l.lo + len(s)
	}
	flush()
	endList()
	return blocks, w.count
}

// linesAreParagraphs reports whether text puts one paragraph per line,
// as text saved from a web page or a word processor does (the seed
// articles: one line of 200 to 700 characters per paragraph), rather
// than hard-wrapping paragraphs at a fixed width, as e-mail, pdftotext and
// hand-written Markdown do. Then every line break ends a paragraph.
// A third of the lines running past any wrapping width decides it.
func linesAreParagraphs(text string) bool {
	const wrapWidth = 100 // beyond any common hard-wrap width (72, 80)
	lines, long := 0, 0
	for l := range strings.SplitSeq(text, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		lines++
		if utf8.RuneCountInString(l) > wrapWidth {
			long++
		}
	}
	return lines > 1 && long*3 >= lines
}

// PageTitle is the text of the page's <title>.
func (p *DocPage) PageTitle() string {
	t := p.Doc.Title
	if t == "" {
		t = p.Doc.ID
	}
	return t + " – policysearch"
}

// Form is the header's search form, holding the query the reader came with.
func (p *DocPage) Form() FormView { return FormView{Query: p.Query} }

// ErrorPage is a whole-page error: an unknown document or route, or a
// failure outside a search.
type ErrorPage struct {
	Status  int
	Heading string
	Message string
	Query   string // a search to offer, if any
}

// PageTitle is the text of the page's <title>.
func (p *ErrorPage) PageTitle() string { return p.Heading + " – policysearch" }

// Form is the header's search form.
func (p *ErrorPage) Form() FormView { return FormView{Query: p.Query} }

// sameText compares a heading with the title, ignoring case, emphasis
// markup and spacing.
func sameText(a, b string) bool {
	norm := func(s string) string {
		s = strings.NewReplacer("*", "", "_", "", "`", "").Replace(s)
		return strings.ToLower(strings.Join(strings.Fields(s), " "))
	}
	return norm(a) != "" && norm(a) == norm(b)
}

// headingLike reports whether a paragraph reads as a section heading: one
// short line, starting with a capital or a digit, not ending like a
// sentence. Ingestion keeps headings of Markdown and HTML as such lines.
func headingLike(p string) bool {
	p = strings.TrimSpace(p)
	if p == "" || len(p) > 90 || strings.ContainsRune(p, '\n') {
		return false
	}
	r, _ := utf8.DecodeRuneInString(p)
	if !unicode.IsUpper(r) && !unicode.IsDigit(r) {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(p)
	return !strings.ContainsRune(".!?:;,…\"'”’)]", last)
}
