package index

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"

	"policysearch/index/querylang"
)

// A pasted paragraph is searched by its most informative words. Every
// word of a query is a BM25 searcher over the title and the text, so a
// 200-word paste ran some 120 content-word searchers (repeats included),
// many of them words such as "people" or "year" that match a large part
// of any collection and decide little, each read over its whole posting
// list. A query of plain words (no fields, operators, quotes or other
// syntax) with more than longQueryWords distinct content words keeps the
// longQueryWords of them with the highest idf (the fewest documents in
// the text field, though a word no text holds comes last; ties go to the
// earlier word), each once, weighted by how often the paste says it (as
// the repeated clauses weighed it before), and its phrase pairs only
// among neighbours that are both kept. The notice says how many words
// were kept. On 193 judged pasted queries (bench/cmd/pastedeval),
// nDCG@10 against searching every word: 32 words −0.054 ± 0.014 (−3.8
// SE), 48 −0.009 ± 0.013, 64 +0.006 ± 0.008; with 32 words and the
// phrase pairs of the paste as typed (dropped words included) −0.065.
// No query of Cranfield, NFCorpus or perspectrum-dev has more than 64
// (docs/RELEVANCE.md).
const longQueryWords = 64

// longQuery is what capLong decided for a long plain-word query.
type longQuery struct {
	// keep holds the analysed terms kept; the proximity pairs of the
	// original sequence count only neighbours whose terms are all kept.
	keep map[string]bool
	// original is the query as typed, for its proximity pairs.
	original *querylang.Seq
}

// capLong returns the query to search in place of e, the cap's record
// and a notice, or e itself, nil and "" when e is not a long query of
// plain words.
func (c compiler) capLong(e querylang.Expr) (querylang.Expr, *longQuery, string) {
	s, ok := e.(*querylang.Seq)
	if !ok {
		return e, nil, ""
	}
	a := c.ix.mapping.AnalyzerNamed(proseAnalyzer)
	type word struct {
		clause querylang.Clause
		key    string // its analysed terms
		terms  []string
		count  int // times the query says it
		df     uint64
		first  int // position among the distinct words
	}
	byKey := map[string]*word{}
	var words []*word
	for _, cl := range s.Clauses {
		t, ok := cl.Expr.(*querylang.Term)
		if !ok || cl.Occur != querylang.Should || t.Field != "" || t.Kind != querylang.Word || t.Boost != 0 {
			return e, nil, "" // syntax says what the user means: search it as written
		}
		var terms []string
		for _, tok := range a.Analyze([]byte(t.Value)) {
			terms = append(terms, string(tok.Term))
		}
		if len(terms) == 0 { // a stop word or punctuation
			continue
		}
		key := strings.Join(terms, " ")
		if w := byKey[key]; w != nil {
			w.count++
			continue
		}
		w := &word{clause: cl, key: key, terms: terms, count: 1, first: len(words)}
		byKey[key] = w
		words = append(words, w)
	}
	if len(words) <= longQueryWords {
		return e, nil, ""
	}
	for _, w := range words {
		w.df = ^uint64(0)
		for _, term := range w.terms { // a word of several terms is as rare as its rarest
			w.df = min(w.df, c.ix.termCount("text", term))
		}
	}
	ranked := slices.Clone(words)
	slices.SortStableFunc(ranked, func(x, y *word) int { return cmp.Compare(x.df-1, y.df-1) }) // 0 (no text holds it) wraps to last
	kept := ranked[:longQueryWords]
	slices.SortFunc(kept, func(x, y *word) int { return cmp.Compare(x.first, y.first) })
	out := &querylang.Seq{}
	lq := &longQuery{keep: map[string]bool{}, original: s}
	var shown []string
	for _, w := range kept {
		cl := w.clause
		if w.count > 1 {
			t := *cl.Expr.(*querylang.Term)
			t.Boost = float64(w.count)
			cl.Expr = &t
		}
		out.Clauses = append(out.Clauses, cl)
		for _, term := range w.terms {
			lq.keep[term] = true
		}
		shown = append(shown, w.clause.Expr.(*querylang.Term).Value)
	}
	notice := fmt.Sprintf("Long query: searched by its %d most distinctive of %d words (%s).",
		len(kept), len(words), strings.Join(shown, " "))
	return out, lq, notice
}

// keeps says whether a proximity pair may use the word analysed as
// toks: always, unless a long query dropped one of them.
func (l *longQuery) keeps(toks analysis.TokenStream) bool {
	if l == nil {
		return true
	}
	for _, t := range toks {
		if !l.keep[string(t.Term)] {
			return false
		}
	}
	return true
}
