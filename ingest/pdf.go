package ingest

import (
	"bytes"
	"context"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/ledongthuc/pdf"

	"policysearch/index"
)

// loadPDF reads a PDF's text layer page by page. Pages are joined by a
// blank line and their byte ranges in the final text are kept in
// Extra["pages"] (see index.PageSpan), so a snippet can say "p. 12". The
// title is the document information's /Title unless it is a placeholder
// (a file name, "untitled"), else the first sentence; /Author gives the
// authors, and /CreationDate the published date, marked as inferred (see
// PublishedFromKey). A PDF without a text layer (a scan) is a failed
// record saying so: there is nothing to search until it is OCRed.
func loadPDF(ctx context.Context, src *source, out *emitter) error {
	data, err := src.bytes()
	if err != nil {
		return err
	}
	r, err := openPDF(data)
	bin := pdftotextPath()
	if err != nil && bin == "" {
		return out.fail(0, 0, err)
	}
	texts, via, err := pdfPageTexts(ctx, bin, r, data)
	if err != nil {
		return out.fail(0, 0, err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var text strings.Builder
	var pages []index.PageSpan
	info := pdf.Value{}
	if r != nil {
		info = guarded(pdf.Value{}, func() pdf.Value { return r.Trailer().Key("Info") })
	}
	breaks := producerBreaksWords(guarded("", func() string { return info.Key("Producer").Text() }))
	for i, t := range fixPages(texts, breaks) {
		if t = strings.TrimSpace(t); t == "" {
			continue // blank or image-only page: keeps its number, holds no text
		}
		if text.Len() > 0 {
			text.WriteString("\n\n")
		}
		start := text.Len()
		text.WriteString(t)
		pages = append(pages, index.PageSpan{Page: i + 1, Start: start, End: text.Len()})
	}
	if text.Len() == 0 {
		return out.fail(0, 0, invalid("%s has no text layer (a scanned image?); run OCR on it first", src.name))
	}
	n := len(texts)
	if r == nil { // poppler read a file the pure-Go reader cannot: no metadata
		return out.emit(index.Document{Title: firstSentence(text.String()), Text: text.String(),
			Extra: map[string]any{index.PagesKey: pages, "page_count": n, pdfExtractorKey: via}}, 0, 0)
	}
	doc := index.Document{
		Title:   pdfTitle(guarded("", func() string { return info.Key("Title").Text() })),
		Text:    text.String(),
		Authors: splitAuthors(guarded("", func() string { return info.Key("Author").Text() })),
		Extra:   map[string]any{index.PagesKey: pages, "page_count": n, pdfExtractorKey: via},
	}
	if doc.Title == "" {
		doc.Title = firstSentence(doc.Text)
	}
	if d, ok := pdfDate(guarded("", func() string { return info.Key("CreationDate").Text() }), time.Now()); ok {
		doc.Published = d
		doc.Extra[PublishedFromKey] = "pdf_creation_date"
	}
	return out.emit(doc, 0, 0)
}

// pdfExtractorKey is the Extra key naming the extractor that read a PDF
// ("pdftotext" or "go"), so a poor text can be traced to its reader.
const pdfExtractorKey = "pdf_extractor"

// pdfPageTexts extracts one text per page with pdftotext when it is
// installed (bin), else, or when it fails, with the pure-Go reader r.
func pdfPageTexts(ctx context.Context, bin string, r *pdf.Reader, data []byte) ([]string, string, error) {
	if bin != "" {
		pages, err := popplerPages(ctx, bin, data)
		if err == nil || r == nil || ctx.Err() != nil {
			return pages, "pdftotext", err
		}
	}
	return goPages(ctx, r), "go", ctx.Err()
}

// goPages is the pure-Go reader's text of each page.
func goPages(ctx context.Context, r *pdf.Reader) []string {
	n := guarded(0, r.NumPage)
	texts := make([]string, 0, n)
	for i := 1; i <= n && ctx.Err() == nil; i++ {
		texts = append(texts, strings.TrimSpace(cleanText(guarded("", func() string { return pageText(r.Page(i)) }))))
	}
	return texts
}

// PublishedFromKey is the Extra key saying where a published date was
// inferred from when the file did not state one as such (a PDF's creation
// date), so a reader can weigh it; sidecar metadata replaces both.
const PublishedFromKey = "published_from"

// StatePublished sets a date a source stated itself: it replaces an
// inferred date, and the mark that said so.
func StatePublished(d *index.Document, p index.Date) {
	d.Published = p
	delete(d.Extra, PublishedFromKey)
}

// PublishedInferred reports whether d's published date was inferred.
func PublishedInferred(d *index.Document) bool {
	_, ok := d.Extra[PublishedFromKey]
	return ok
}

// pdfDate reads a PDF date, "D:YYYYMMDDHHmmSS+hh'mm'" with every part after
// the year optional, to at most day precision: a publication date, not a
// timestamp. Years before 1990 (PDF is from 1993; tools write 1970 or 0
// for "unknown") and dates after now are refused.
func pdfDate(s string, now time.Time) (index.Date, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "D:")
	digits := 0
	for digits < len(s) && digits < 8 && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	var layout string
	switch {
	case digits >= 8:
		layout = s[:4] + "-" + s[4:6] + "-" + s[6:8]
	case digits >= 6:
		layout = s[:4] + "-" + s[4:6]
	case digits >= 4:
		layout = s[:4]
	default:
		return index.Date{}, false
	}
	d, err := index.ParseDate(layout)
	if err != nil || d.Time.Year() < 1990 || d.Time.After(now) {
		return index.Date{}, false
	}
	return d, true
}

// openPDF parses the file's structure. The library panics on some
// malformed files; one broken PDF must cost only its own record.
func openPDF(data []byte) (r *pdf.Reader, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, invalid("cannot read PDF: malformed file (%v)", p)
		}
	}()
	r, err = pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		msg := err.Error()
		if strings.Contains(strings.ToLower(msg), "encrypt") || strings.Contains(strings.ToLower(msg), "password") {
			return nil, invalid("cannot read PDF: it is encrypted (%s)", msg)
		}
		return nil, invalid("cannot read PDF: %s", msg)
	}
	return r, nil
}

// guarded runs fn, returning zero if it panics. The library resolves
// objects lazily and panics on malformed ones wherever that happens (a
// page, the page count, the document information); a broken part then
// reads as missing, and the rest of the file still loads.
func guarded[T any](zero T, fn func() T) (v T) {
	defer func() {
		if recover() != nil {
			v = zero
		}
	}()
	return fn()
}

// pdfTitle keeps a stated title unless it is what tools fill in when the
// author set none.
func pdfTitle(t string) string {
	t = strings.Join(strings.Fields(cleanText(t)), " ")
	lower := strings.ToLower(t)
	lower = strings.TrimPrefix(lower, "microsoft word - ")
	switch {
	case t == "", lower == "untitled", strings.HasPrefix(lower, "untitled "):
		return ""
	}
	for _, ext := range []string{".doc", ".docx", ".pdf", ".odt", ".rtf", ".indd", ".tex", ".txt", ".ps"} {
		if strings.HasSuffix(lower, ext) {
			return ""
		}
	}
	return t
}

func splitAuthors(s string) []string {
	s = strings.TrimSpace(cleanText(s))
	if s == "" {
		return nil
	}
	var out []string
	for _, a := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' }) {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// pageText rebuilds one page's text from its positioned glyphs, in the
// order the page draws them (which is reading order for almost every
// generated PDF, and keeps columns apart where sorting by position would
// interleave them). A word break is a space glyph or a horizontal gap
// (judged without glyph widths where the library has none); a line break is a vertical move; a larger move down, or any move up, is a
// paragraph break. If the layout pass fails the library's plain text is
// used instead.
func pageText(p pdf.Page) (s string) {
	defer func() {
		if recover() != nil {
			s = plainPageText(p)
		}
	}()
	glyphs := p.Content().Text
	var b bytes.Buffer
	var prevX, prevEnd, prevY, prevSize float64
	started, space := false, false
	run := 0 // glyphs drawn since the position last moved
	for _, g := range glyphs {
		if g.S == "\n" { // the library marks the end of each TJ array this way
			continue
		}
		size := math.Abs(g.FontSize)
		if size < 1 {
			size = 1
		}
		drawn := run // glyphs at the previous position on this line, this one not counted
		if g.X != prevX || g.Y != prevY {
			run = 0
		}
		run++
		if strings.TrimSpace(g.S) == "" {
			space = true
			prevX, prevEnd = g.X, g.X+g.W
			continue
		}
		if started {
			dy := prevY - g.Y
			ref := max(size, prevSize)
			switch {
			case math.Abs(dy) > 0.5*ref:
				if dy > 1.8*ref || dy < 0 {
					b.WriteString("\n\n")
				} else {
					b.WriteByte('\n') // a line-end hyphen is fixPages' to judge
				}
			case space || g.X < prevX-0.5*ref:
				b.WriteByte(' ')
			case g.W > 0 && g.X-prevEnd > 0.15*ref:
				b.WriteByte(' ')
			case g.W == 0 && g.X-prevX >= 0.2*ref && g.X-prevX < float64(drawn)*0.25*ref:
				// The library gives width 0 where it cannot read a font's
				// widths (the CID fonts browsers and word processors
				// embed), so glyph ends are unknown: a move forward then
				// is either the advance of the text drawn since the last
				// move (about half an em a glyph: no break) or a TJ
				// adjustment (too small for that advance) wide enough to
				// be a word space. Kerning ("V ivek") is smaller still;
				// those producers draw their word spaces as glyphs.
				b.WriteByte(' ')
			}
		}
		b.WriteString(g.S)
		started, space = true, false
		prevX, prevEnd, prevY, prevSize = g.X, g.X+g.W, g.Y, size
	}
	return tidyLines(b.String())
}

// plainPageText is the library's own extraction: no layout, but it copes
// with pages the layout pass cannot.
func plainPageText(p pdf.Page) (s string) {
	defer func() {
		if recover() != nil {
			s = ""
		}
	}()
	s, err := p.GetPlainText(nil)
	if err != nil {
		return ""
	}
	return tidyLines(s)
}

// tidyLines folds runs of spaces, trims every line and keeps at most one
// blank line in a row.
func tidyLines(s string) string {
	var b strings.Builder
	blank := 0
	for line := range strings.Lines(s) {
		line = strings.Join(strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == '\u00a0' || r == '\n' || r == '\r' }), " ")
		if line == "" {
			blank++
			continue
		}
		if b.Len() > 0 {
			if blank > 0 {
				b.WriteString("\n\n")
			} else {
				b.WriteByte('\n')
			}
		}
		blank = 0
		b.WriteString(line)
	}
	return b.String()
}

func endsWithHyphen(s []byte) bool {
	return len(s) > 1 && s[len(s)-1] == '-' && unicode.IsLetter(rune(s[len(s)-2]))
}

func startsLower(s string) bool {
	for _, r := range s {
		return unicode.IsLower(r)
	}
	return false
}
