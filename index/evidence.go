package index

import (
	"github.com/blevesearch/bleve/v2/search"

	"policysearch/index/querylang"
)

// A saved search's match says why it matched: the words (Match.Terms)
// and, for a query with quoted phrases, which of them the document holds
// word for word (Match.Phrases).

// queryPhrase is a quoted phrase of a query with its analysed tokens and
// their positions relative to the first.
type queryPhrase struct {
	text   string
	fields []string
	terms  []string
	offs   []int
}

// phrasesOf lists the quoted phrases of e that a match may contain: not
// the negated ones, and only those of the title and text.
func (ix *Index) phrasesOf(e querylang.Expr) []queryPhrase {
	a := ix.mapping.AnalyzerNamed(proseAnalyzer)
	if a == nil {
		return nil
	}
	var out []queryPhrase
	querylang.EachWantedTerm(e, func(e *querylang.Term) {
		if e.Kind != querylang.Phrase || (e.Field != "" && e.Field != "title" && e.Field != "text") {
			return
		}
		toks := a.Analyze([]byte(e.Value))
		if len(toks) < 2 {
			return
		}
		p := queryPhrase{text: e.Value, fields: []string{"title", "text"}}
		if e.Field != "" {
			p.fields = []string{e.Field}
		}
		for _, t := range toks {
			p.terms = append(p.terms, string(t.Term))
			p.offs = append(p.offs, t.Position-toks[0].Position)
		}
		out = append(out, p)
	})
	return out
}

// phrasesIn returns the phrases whose words stand in h's title or text
// in order, as the match locations show them.
func phrasesIn(h *search.DocumentMatch, ps []queryPhrase) []string {
	var out []string
	for _, p := range ps {
		for _, f := range p.fields {
			if holds(h.Locations[f], p) {
				out = append(out, p.text)
				break
			}
		}
	}
	return out
}

func holds(tl search.TermLocationMap, p queryPhrase) bool {
	at := func(term string, pos uint64) bool {
		for _, l := range tl[term] {
			if l.Pos == pos {
				return true
			}
		}
		return false
	}
	for _, first := range tl[p.terms[0]] {
		ok := true
		for i := 1; i < len(p.terms) && ok; i++ {
			ok = at(p.terms[i], first.Pos+uint64(p.offs[i]))
		}
		if ok {
			return true
		}
	}
	return false
}
