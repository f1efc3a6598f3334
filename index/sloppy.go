package index

import (
	"context"
	"sort"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
)

// sloppyPhrase is `"a b"~N` with Lucene's meaning: the phrase's words
// all occur in one field, and moving them at most N positions in total
// lines them up as typed. "a b"~1 matches "a x b"; the same words in
// reverse order need ~2. bleve 2.6.3 has no such query (its phrase
// searcher fixes the slop at 0), so this one runs the conjunction of the
// words with term vectors and keeps the documents whose positions fit.
// Only phrases with a slop compile to it; its score is the words'.
type sloppyPhrase struct {
	bm25    map[string]float64 // average lengths: the words score by BM25; nil: by tf-idf
	field   string
	terms   []string // analysed, in phrase order; a stop word is a gap
	offsets []int    // each term's position in the phrase
	slop    int
	boost   float64
}

// newSloppyPhrase analyses text with the named analyzer; it returns nil
// when nothing is left to search.
func (c compiler) newSloppyPhrase(analyzer, field, text string, slop int) query.Query {
	a := c.ix.mapping.AnalyzerNamed(analyzer)
	if a == nil {
		return nil
	}
	toks := a.Analyze([]byte(text))
	if len(toks) == 0 {
		return nil
	}
	p := &sloppyPhrase{field: field, slop: slop, boost: 1}
	if field == "title" || field == "text" {
		p.bm25 = c.ix.averages(context.Background())
	}
	for _, t := range toks {
		p.terms = append(p.terms, string(t.Term))
		p.offsets = append(p.offsets, t.Position-toks[0].Position)
	}
	return p
}

// SetBoost implements query.BoostableQuery, so ^N on a sloppy phrase works.
func (p *sloppyPhrase) SetBoost(b float64) { p.boost = b }

// Boost implements query.BoostableQuery.
func (p *sloppyPhrase) Boost() float64 { return p.boost }

// Searcher implements query.Query.
func (p *sloppyPhrase) Searcher(ctx context.Context, r bindex.IndexReader, m mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	var qs []query.Query
	seen := map[string]bool{}
	for _, t := range p.terms {
		if seen[t] {
			continue
		}
		seen[t] = true
		if p.bm25 != nil {
			qs = append(qs, &bm25Word{terms: []string{t}, fields: []string{p.field}, weights: []float64{1}, boost: p.boost, avg: p.bm25})
			continue
		}
		tq := bleve.NewTermQuery(t)
		tq.SetField(p.field)
		tq.SetBoost(p.boost)
		qs = append(qs, tq)
	}
	opts.IncludeTermVectors = true // the positions decide
	child, err := bleve.NewConjunctionQuery(qs...).Searcher(ctx, r, m, opts)
	if err != nil {
		return nil, err
	}
	return &sloppySearcher{Searcher: child, p: p}, nil
}

// sloppySearcher passes on the child's matches whose positions fit.
type sloppySearcher struct {
	search.Searcher
	p *sloppyPhrase
}

func (s *sloppySearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	return s.keep(ctx, s.Searcher.Next)
}

func (s *sloppySearcher) Advance(ctx *search.SearchContext, id bindex.IndexInternalID) (*search.DocumentMatch, error) {
	first := true
	return s.keep(ctx, func(ctx *search.SearchContext) (*search.DocumentMatch, error) {
		if first {
			first = false
			return s.Searcher.Advance(ctx, id)
		}
		return s.Searcher.Next(ctx)
	})
}

func (s *sloppySearcher) keep(ctx *search.SearchContext, next func(*search.SearchContext) (*search.DocumentMatch, error)) (*search.DocumentMatch, error) {
	for {
		d, err := next(ctx)
		if err != nil || d == nil {
			return d, err
		}
		if s.p.fits(d.FieldTermLocations) {
			return d, nil
		}
		ctx.DocumentMatchPool.Put(d)
	}
}

// fits reports whether one occurrence of every term can be chosen so that
// the spread of (position − offset in the phrase) is at most the slop:
// Lucene's sloppy match length. It is the smallest window over those
// values that holds every term, found in one pass over them sorted.
func (p *sloppyPhrase) fits(locs []search.FieldTermLocation) bool {
	type mark struct{ key, term int }
	var marks []mark
	for _, l := range locs {
		if l.Field != p.field {
			continue
		}
		for i, t := range p.terms {
			if t == l.Term {
				marks = append(marks, mark{int(l.Location.Pos) - p.offsets[i], i})
			}
		}
	}
	sort.Slice(marks, func(i, j int) bool { return marks[i].key < marks[j].key })
	need := len(p.terms)
	count := make([]int, need)
	have, lo := 0, 0
	for _, m := range marks {
		if count[m.term] == 0 {
			have++
		}
		count[m.term]++
		for have == need {
			if m.key-marks[lo].key <= p.slop {
				return true
			}
			count[marks[lo].term]--
			if count[marks[lo].term] == 0 {
				have--
			}
			lo++
		}
	}
	return false
}
