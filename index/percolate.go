package index

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/blevesearch/bleve/v2"

	"policysearch/index/querylang"
)

// Percolator runs many saved queries against a few new documents: the
// reverse of a search. The documents go into a small in-memory index with
// the service's own mapping, and each query is compiled and run there by
// the same code as Search. Matching is the same as Match on the live
// index (analyzers, fields, filters, phrase and boolean logic are
// shared), but prefix and fuzzy terms expand against the new documents'
// few hundred words instead of the whole dictionary, and every query
// looks at a handful of documents: saved searches cost microseconds each.
type Percolator struct {
	view *Index // the mapping over the in-memory index, for the compiler
	mem  bleve.Index
	n    int
	// vocab holds the analysed words of the documents' titles and texts;
	// a query that needs one of a set of words none of them has is
	// skipped without a search (see need).
	vocab    map[string]bool
	noFilter bool // tests compare with and without the prefilter
}

// NewPercolator indexes docs (already normalised, as an OnChange event
// carries them) in memory. Close releases it.
func (ix *Index) NewPercolator(docs []*Document) (*Percolator, error) {
	// Upsidedown over gtreap, bleve's plain in-memory index: scorch in
	// memory costs more here, building a Levenshtein automaton for every
	// fuzzy term of every saved search.
	mem, err := bleve.NewMemOnly(ix.mapping)
	if err != nil {
		return nil, fmt.Errorf("percolator index: %w", err)
	}
	b := mem.NewBatch()
	for _, d := range docs {
		if err := b.Index(d.ID, bleveDoc(d, true)); err != nil {
			mem.Close()
			return nil, err
		}
	}
	if err := mem.Batch(b); err != nil {
		mem.Close()
		return nil, fmt.Errorf("percolator index: %w", err)
	}
	view := &Index{mapping: ix.mapping, log: ix.log, alias: bleve.NewIndexAlias(mem)}
	p := &Percolator{view: view, mem: mem, n: len(docs), vocab: map[string]bool{}}
	if a := ix.mapping.AnalyzerNamed(proseAnalyzer); a != nil {
		for _, d := range docs {
			for _, s := range []string{d.Title, d.Text} {
				for _, tok := range a.Analyze([]byte(s)) {
					p.vocab[string(tok.Term)] = true
				}
			}
		}
	} else {
		p.noFilter = true
	}
	return p, nil
}

// Saved is a query parsed once for matching again and again: a saved
// search. Prepare makes one.
type Saved struct {
	q     Query
	expr  querylang.Expr
	needs []needed // see need
	known bool
}

// Prepare parses q's text as Search would (a query that does not parse
// is plain words, or an error in strict mode), makes every word of a
// short query required (see requireAll), and works out the words a match
// needs, once.
func (ix *Index) Prepare(q Query) (*Saved, error) {
	e, err := querylang.Parse(q.Text, QueryFields)
	if err != nil {
		var se *querylang.SyntaxError
		if !errors.As(err, &se) {
			return nil, err
		}
		if q.Strict {
			_, _, err := ix.Parse(q.Text, true) // the error Search gives
			return nil, err
		}
		e = querylang.Words(q.Text)
	}
	if _, err := limitCost(e); err != nil { // a saved search is bounded as a search is (cost.go)
		return nil, err
	}
	s := &Saved{q: q, expr: ix.requireAll(e)}
	s.needs, s.known = needs{ix}.of(e)
	return s, nil
}

// Match returns the documents q matches, with their best passage and the
// words that matched, as Index.Match does.
func (p *Percolator) Match(ctx context.Context, q Query) ([]Match, error) {
	s, err := p.view.Prepare(q)
	if err != nil {
		return nil, err
	}
	return p.MatchSaved(ctx, s)
}

// MatchSaved is Match for a prepared query.
func (p *Percolator) MatchSaved(ctx context.Context, s *Saved) ([]Match, error) {
	if !p.noFilter && !p.mayMatch(s) {
		return nil, nil
	}
	uq, err := compiler{ix: p.view}.compile(s.expr)
	if err != nil {
		return nil, err
	}
	return p.view.keywordMatches(ctx, withFilter(uq, filterQuery(s.q.Filters)), p.n, p.view.phrasesOf(s.expr))
}

// Close releases the in-memory index.
func (p *Percolator) Close() error { return p.mem.Close() }

// mayMatch is false only when s provably matches none of the documents:
// every match of its text must contain one of a set of words (see need)
// and none of the documents has any. Most saved searches are about
// something else than a given new document, so most are skipped here
// at the cost of a few map lookups instead of a bleve search.
func (p *Percolator) mayMatch(s *Saved) bool {
	if !s.known {
		return true
	}
	for _, w := range s.needs {
		if !w.prefix && p.vocab[w.term] {
			return true
		}
		if w.prefix {
			for v := range p.vocab {
				if strings.HasPrefix(v, w.term) {
					return true
				}
			}
		}
	}
	return false
}

// needed is an analysed word a match may need: the word itself, or with
// prefix set, any word starting with it.
type needed struct {
	term   string
	prefix bool
}

// needs works out what a query needs with the index's analyzers.
type needs struct{ ix *Index }

// prefix are the prefixes that every word a prefix term of the prose
// fields expands to starts with, as compiler.prefix expands it: the term
// itself when short, else the dictionary root it scans (or the stem it
// falls back to).
func (n needs) prefix(value string) []needed {
	v := strings.ToLower(value)
	if len(v) < 4 {
		return []needed{{v, true}}
	}
	stem := compiler{ix: n.ix}.analyzeFirst(proseAnalyzer, v)
	root := stem
	if len(v)-3 < len(root) {
		root = v[:max(len(v)-3, 3)]
	}
	return []needed{{root, true}, {stem, true}}
}

// of returns analysed words (or word prefixes) of the title and text
// fields at least one of which every document matching e contains, as
// compile translates e; known is false when there is no such set (fuzzy
// terms, metadata fields, pure negations). An empty known set means e
// matches nothing. It must never claim more than compile does: the
// percolator equivalence test holds it to that.
func (n needs) of(e querylang.Expr) (words []needed, known bool) {
	switch e := e.(type) {
	case *querylang.Term:
		if (e.Field != "" && e.Field != "title" && e.Field != "text") || e.Kind == querylang.Fuzzy {
			return nil, false
		}
		if e.Kind == querylang.Prefix {
			return n.prefix(e.Value), true
		}
		// A word needs one of its tokens; a phrase needs all of them, so
		// any one of them is necessary too.
		for _, tok := range n.ix.mapping.AnalyzerNamed(proseAnalyzer).Analyze([]byte(e.Value)) {
			words = append(words, needed{term: string(tok.Term)})
		}
		return words, true
	case *querylang.Seq:
		var should [][]needed
		hasMust, shouldKnown := false, true
		for _, cl := range e.Clauses {
			switch cl.Occur {
			case querylang.Must:
				hasMust = true
				if w, ok := n.of(cl.Expr); ok {
					return w, true // required: its words are needed
				}
			case querylang.Should:
				w, ok := n.of(cl.Expr)
				shouldKnown = shouldKnown && ok
				should = append(should, w)
			}
		}
		if hasMust || len(should) == 0 || !shouldKnown {
			return nil, false // optional clauses, or everything but the negated
		}
		for _, w := range should {
			words = append(words, w...)
		}
		return words, true
	case *querylang.And:
		for _, sub := range e.Exprs {
			if _, neg := sub.(*querylang.Not); neg {
				continue
			}
			if w, ok := n.of(sub); ok {
				return w, true
			}
		}
		return nil, false
	case *querylang.Or:
		for _, sub := range e.Exprs {
			w, ok := n.of(sub)
			if !ok {
				return nil, false
			}
			words = append(words, w...)
		}
		return words, true
	}
	return nil, false // nil (everything), Not
}
