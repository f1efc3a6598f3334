package index

import (
	"policysearch/index/querylang"
)

// ShortQueryWords is the most content words (stop words aside) a query
// may have and still be short: what a person types, as opposed to a
// pasted paragraph. In a short query every word the user wrote side by
// side is meant, so a saved search needs all of them: an alert for
// `export controls chips` must not fire on a farm bill that mentions
// "pest control". Longer queries keep the search's soft matching (any
// word), since no document says every word of a paragraph.
const ShortQueryWords = 8

// requireAll returns e as a saved search matches it: when e is short,
// the optional clauses of each juxtaposition become required, unless the
// user marked some clause of it required with "+" (then the user chose
// what is optional). Clauses that analyse to nothing (a stop word, as in
// `export of chips`) stay optional: requiring them would match nothing.
// Explicit AND, OR and NOT keep their meaning. e is not modified.
func (ix *Index) requireAll(e querylang.Expr) querylang.Expr {
	if ix.contentWords(e) > ShortQueryWords {
		return e
	}
	return ix.required(e)
}

func (ix *Index) required(e querylang.Expr) querylang.Expr {
	switch e := e.(type) {
	case *querylang.Seq:
		for _, cl := range e.Clauses {
			if cl.Occur == querylang.Must {
				return e
			}
		}
		out := &querylang.Seq{Pos: e.Pos, Clauses: make([]querylang.Clause, len(e.Clauses))}
		for i, cl := range e.Clauses {
			if cl.Occur == querylang.Should && ix.contentWords(cl.Expr) > 0 {
				cl.Occur = querylang.Must
			}
			cl.Expr = ix.required(cl.Expr)
			out.Clauses[i] = cl
		}
		return out
	case *querylang.And:
		out := &querylang.And{Pos: e.Pos, Exprs: make([]querylang.Expr, len(e.Exprs))}
		for i, x := range e.Exprs {
			out.Exprs[i] = ix.required(x)
		}
		return out
	case *querylang.Or:
		out := &querylang.Or{Pos: e.Pos, Exprs: make([]querylang.Expr, len(e.Exprs))}
		for i, x := range e.Exprs {
			out.Exprs[i] = ix.required(x)
		}
		return out
	case *querylang.Not:
		return &querylang.Not{Pos: e.Pos, Expr: ix.required(e.Expr)}
	}
	return e
}

// contentWords counts the words of e that search something: the tokens
// the prose analyzer keeps of default-field words and phrases, and one
// for every other term (a prefix, a fuzzy term, a metadata field).
func (ix *Index) contentWords(e querylang.Expr) int {
	switch e := e.(type) {
	case *querylang.Term:
		if e.Kind == querylang.Prefix || e.Kind == querylang.Fuzzy || (e.Field != "" && e.Field != "title" && e.Field != "text") {
			return 1
		}
		n := ix.contentTokens(e.Value)
		if n == 0 && e.Kind == querylang.Word && e.Field == "" && isAcronym(e.Value) {
			return 1 // WHO: searched as an acronym (words.go)
		}
		return n
	case *querylang.Seq:
		n := 0
		for _, cl := range e.Clauses {
			n += ix.contentWords(cl.Expr)
		}
		return n
	case *querylang.And:
		return ix.sumWords(e.Exprs)
	case *querylang.Or:
		return ix.sumWords(e.Exprs)
	case *querylang.Not:
		return ix.contentWords(e.Expr)
	}
	return 0
}

func (ix *Index) sumWords(es []querylang.Expr) int {
	n := 0
	for _, x := range es {
		n += ix.contentWords(x)
	}
	return n
}
