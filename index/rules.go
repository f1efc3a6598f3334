package index

import (
	"context"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"

	"policysearch/index/querylang"
)

// The words rule (Meilisearch's first ranking rule) for what people
// type: in a short query (at most wordsRuleMax content words, counted as
// required.go counts them for alerts), a document that matches more of
// the query's words ranks above one that matches fewer, whatever their
// scores; within a tier the usual score decides, with its bonus for the
// words together and in the title. `export controls` thus puts every
// document with both words above a farm bill that says only "pest
// control", however short that bill is. Longer queries keep soft
// scoring: no document says every word of a pasted paragraph, and on the
// development sets the rule cost nDCG@10 beyond two words. Against the
// ranking before it, with BM25 beneath: with eight words (as alerts use)
// −0.009 on NFCorpus and −0.023 on Cranfield; with three +0.002 on
// NFCorpus; with two +0.005 (docs/RELEVANCE.md). Three-word queries are
// ordered by BM25 and the coordination factor alone, which still puts
// all three words above two in the expectations test.
//
// Each word of the query is one clause of its top-level sequence: a
// plain word, a quoted phrase, a prefix, a fuzzy or fielded term, or a
// parenthesised group. A clause that is only stop words does not count;
// required (+) clauses match every hit anyway and excluded ones none.

// wordsTier is what each matched word adds before the coordination
// factor. bleve's disjunction multiplies the sum of its matching clauses
// by matched/total, so m of n words add wordsTier·m²/n: still one step
// per word, and each step (at least wordsTier/wordsRuleMax) is far above
// any score the words themselves reach (BM25 with idf², about ln(N)² ≈
// 200 a word at a million documents).
const wordsTier = 10000

// wordsRuleMax is the most content words a query may have for the rule.
const wordsRuleMax = 2

// wordsRule returns q with the words rule on top, or q itself when e is
// not a short query of two or more words.
func (c compiler) wordsRule(e querylang.Expr, q query.Query) (query.Query, error) {
	words := c.ruleWords(e)
	if len(words) < 2 || c.ix.contentWords(e) > wordsRuleMax {
		return q, nil
	}
	plain := compiler{ix: c.ix, plain: true}
	tiers := make([]query.Query, 0, len(words))
	for _, w := range words {
		wq, err := plain.compile(w)
		if err != nil {
			return nil, err
		}
		tiers = append(tiers, &constScore{q: wq, score: wordsTier})
	}
	b := bleve.NewBooleanQuery()
	b.AddMust(q)
	b.AddShould(bleve.NewDisjunctionQuery(tiers...))
	holdShould(b)
	return b, nil
}

// ruleWords returns the optional clauses of e's top-level sequence that
// search something: the words the rule counts.
func (c compiler) ruleWords(e querylang.Expr) []querylang.Expr {
	s, ok := e.(*querylang.Seq)
	if !ok {
		return nil
	}
	var out []querylang.Expr
	for _, cl := range s.Clauses {
		if cl.Occur == querylang.Should && c.ix.contentWords(cl.Expr) > 0 {
			out = append(out, cl.Expr)
		}
	}
	return out
}

// constScore matches what q matches and scores each document score.
// bleve's custom-score query does the same but first reads the document's
// external id and doc values for its callback, which was a sixth of a
// two-word search at 10^5 passages.
type constScore struct {
	q     query.Query
	score float64
}

// Searcher implements query.Query.
func (c *constScore) Searcher(ctx context.Context, r bindex.IndexReader, m mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	s, err := c.q.Searcher(ctx, r, m, opts)
	if err != nil {
		return nil, err
	}
	return &constSearcher{Searcher: s, score: c.score}, nil
}

type constSearcher struct {
	search.Searcher
	score float64
}

func (s *constSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	d, err := s.Searcher.Next(ctx)
	if d != nil {
		d.Score = s.score
	}
	return d, err
}

func (s *constSearcher) Advance(ctx *search.SearchContext, id bindex.IndexInternalID) (*search.DocumentMatch, error) {
	d, err := s.Searcher.Advance(ctx, id)
	if d != nil {
		d.Score = s.score
	}
	return d, err
}
