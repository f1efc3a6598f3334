package web

import (
	"html"
	"sort"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"

	"policysearch/index"
	"policysearch/index/querylang"
)

// prose is the analyzer the index applies to titles and text (English
// possessives, lower case, stop words, Porter stems). Highlighting with the
// same chain marks exactly the words a search for them would match:
// "regulations" for "regulation", but not "the" for "the".
var prose = mustAnalyzer()

func mustAnalyzer() analysis.Analyzer {
	a, err := registry.NewCache().DefineAnalyzer("policy_en", map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []any{en.PossessiveName, lowercase.Name, en.StopName, porter.Name},
	})
	if err != nil {
		panic("web: prose analyzer: " + err.Error())
	}
	return a
}

// Matcher marks the words of a text that a query looks for.
type Matcher struct {
	stems    map[string]bool
	prefixes []string
}

// NewMatcher collects the terms of q that can match titles or text:
// words, phrase words, fuzzy terms (exact form only) and prefixes.
// Excluded terms (-x, NOT x) and terms limited to other fields are left
// out. A query that does not parse is taken as plain words, as search does.
func NewMatcher(q string) *Matcher {
	m := &Matcher{stems: map[string]bool{}}
	expr, err := querylang.Parse(q, index.QueryFields)
	if err != nil {
		expr = querylang.Words(q)
	}
	m.collect(expr, false)
	return m
}

func (m *Matcher) collect(e querylang.Expr, negated bool) {
	switch e := e.(type) {
	case *querylang.Term:
		if negated || (e.Field != "" && e.Field != "title" && e.Field != "text") {
			return
		}
		if e.Kind == querylang.Prefix {
			if p := strings.ToLower(strings.TrimSpace(e.Value)); p != "" {
				m.prefixes = append(m.prefixes, p)
			}
			return
		}
		for _, t := range prose.Analyze([]byte(e.Value)) {
			m.stems[string(t.Term)] = true
		}
	case *querylang.Seq:
		for _, c := range e.Clauses {
			m.collect(c.Expr, negated || c.Occur == querylang.MustNot)
		}
	case *querylang.And:
		for _, x := range e.Exprs {
			m.collect(x, negated)
		}
	case *querylang.Or:
		for _, x := range e.Exprs {
			m.collect(x, negated)
		}
	case *querylang.Not:
		m.collect(e.Expr, !negated)
	}
}

// Empty reports whether the matcher can mark nothing.
func (m *Matcher) Empty() bool { return m == nil || (len(m.stems) == 0 && len(m.prefixes) == 0) }

// Spans returns the byte ranges of text to mark, in order.
func (m *Matcher) Spans(text string) []Span {
	if m.Empty() || text == "" {
		return nil
	}
	var out []Span
	for _, t := range prose.Analyze([]byte(text)) {
		if m.stems[string(t.Term)] || m.prefixed(strings.ToLower(text[t.Start:t.End])) {
			out = append(out, Span{t.Start, t.End})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

func (m *Matcher) prefixed(word string) bool {
	for _, p := range m.prefixes {
		if strings.HasPrefix(word, p) {
			return true
		}
	}
	return false
}

// Span is a byte range [Start, End) of a text.
type Span struct{ Start, End int }

// marker writes escaped text with <mark> around spans, numbering each
// mark so the page can link to the first one.
type marker struct {
	b     strings.Builder
	spans []Span
	next  int // index of the first span not yet written
	count int
	strip string // markup removed from plain segments ("**" in Markdown)
	ids   bool   // give marks ids m1, m2, … so the page can link to them
}

// write appends text[lo:hi] of the full text, escaped and marked.
func (w *marker) write(text string, lo, hi int) {
	for w.next < len(w.spans) && w.spans[w.next].Start < lo {
		w.next++
	}
	pos := lo
	for w.next < len(w.spans) && w.spans[w.next].End <= hi {
		s := w.spans[w.next]
		w.plain(text[pos:s.Start])
		w.count++
		if w.ids {
			w.b.WriteString(`<mark id="m` + strconv.Itoa(w.count) + `">`)
		} else {
			w.b.WriteString("<mark>")
		}
		w.b.WriteString(html.EscapeString(text[s.Start:s.End]))
		w.b.WriteString("</mark>")
		pos = s.End
		w.next++
	}
	w.plain(text[pos:hi])
}

func (w *marker) plain(s string) {
	if w.strip != "" {
		s = strings.ReplaceAll(s, w.strip, "")
	}
	w.b.WriteString(html.EscapeString(s))
}

func (w *marker) take() string {
	s := w.b.String()
	w.b.Reset()
	return s
}
