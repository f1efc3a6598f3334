package index

import (
	"math"
	"sort"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"policysearch/index/querylang"
)

// A broad query's page without scoring every match. `united states`
// matches every passage of a collection whose titles say "State of the
// Union", and bleve scores all of them to keep ten. Most of those
// matches hold only postings that cannot lift a document onto the page:
// "state" in a title that every document has weighs idf² ≈ 0. So, as in
// MaxScore (Turtle and Flood), the query's postings — one per word and
// field — are split by the most they can add to a score: a document
// holding only the non-essential ones scores at most bound, and the page
// is searched among the documents holding an essential posting. When the
// last hit of that window scores above bound, no other document can be
// in it, and the window is exactly the full search's; otherwise the full
// search runs. The words rule (rules.go) gives a cheaper split for two
// words: a document without both ranks a whole tier below one with both.
//
// Pruned searches do not count their matches: the total comes from the
// facet sample (facetsample.go) and is flagged approximate, so pruning
// runs only when the sample already estimates the facets.
type pruning struct {
	// restrict matches the documents holding an essential posting and
	// scores 0, so that top ∧ restrict scores as top.
	restrict query.Query
	// bound is the most a matching document outside restrict can score.
	bound float64
	// used is set when the pruned window was exact and served the page.
	used bool
}

// restricted is top limited to the documents that can reach the page.
func (p *pruning) restricted(top query.Query) query.Query {
	return bleve.NewConjunctionQuery(top, p.restrict)
}

// holds reports whether a window of hits, in score order, from the
// restricted search is the full search's window.
func (p *pruning) holds(hits search.DocumentMatchCollection, window int) bool {
	return len(hits) >= window && hits[window-1].Score > p.bound
}

// pruneMargin covers the statistics moving between planning and
// searching (a write meanwhile changes document frequencies a little).
const pruneMargin = 1.1

// posting is one word of the query in one field.
type posting struct {
	word   int // the word's place among the query's words
	term   string
	field  string
	df     uint64
	ub     float64 // the most its BM25 score can be: tf/(tf+k1·norm) < 1
	needed bool    // essential
}

// pruningFor plans the split for q, or returns nil when q is not plain
// words, or no split would save much.
func (ix *Index) pruningFor(q Query) *pruning {
	if ix.noPruning {
		return nil
	}
	words := ix.plainWords(q.Text, q.Strict)
	if len(words) == 0 {
		return nil
	}
	n, err := ix.alias.DocCount()
	if err != nil || n == 0 {
		return nil
	}
	var ps []*posting
	for i, w := range words {
		for _, f := range []struct {
			name   string
			weight float64
		}{{"title", bm25Title}, {"text", 1}} {
			df := ix.termCount(f.name, w)
			if df == 0 {
				continue
			}
			idf := math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
			ps = append(ps, &posting{word: i, term: w, field: f.name, df: df, ub: f.weight * math.Pow(idf, bm25IDFPower) * pruneMargin})
		}
	}
	if len(ps) == 0 {
		return nil
	}
	if len(words) == 2 && ix.rulesWords(q) {
		return bothWords(words, ps)
	}
	return essential(words, ps)
}

// bothWords is the words rule's split: a document with both words
// scores at least 2·wordsTier, one without at most wordsTier plus every
// posting's bound (a phrase bonus needs both words).
func bothWords(words []string, ps []*posting) *pruning {
	bound := wordsTier * pruneMargin
	for _, p := range ps {
		bound += p.ub
	}
	qs := make([]query.Query, len(words))
	for i, w := range words {
		qs[i] = &bm25Word{terms: []string{w}, fields: []string{"title", "text"}, weights: []float64{0, 0}, boost: 1, silent: true}
	}
	return &pruning{restrict: bleve.NewConjunctionQuery(qs...), bound: bound}
}

// essential is the MaxScore split: postings join the non-essential set,
// least weighty first, while their summed bound stays under half the
// score of a document that says each word once (a low guess at the
// page's last score). A posting that would put both words of a
// neighbouring pair in one field among the non-essential stays essential,
// so that the proximity bonus (whose exact phrase scores by tf-idf) never
// reaches a document outside restrict.
func essential(words []string, ps []*posting) *pruning {
	guess := 0.0
	for _, p := range ps {
		if p.field == "text" {
			guess += p.ub / (1 + bm25K1)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].ub < ps[j].ub })
	bound, widest, kept := 0.0, uint64(0), uint64(0)
	spare := map[[2]string]bool{} // non-essential (field, term)
	for _, p := range ps {
		widest = max(widest, p.df)
		p.needed = bound+p.ub >= guess/2 || pairsWith(words, p, spare)
		if p.needed {
			kept += p.df
			continue
		}
		bound += p.ub
		spare[[2]string{p.field, p.term}] = true
	}
	// Not worth a second search unless it visits at most half the
	// matches (there are at least as many as the widest posting's).
	if float64(kept) > 0.5*float64(widest) {
		return nil
	}
	var qs []query.Query
	for _, p := range ps {
		if p.needed {
			qs = append(qs, &bm25Word{terms: []string{p.term}, fields: []string{p.field}, weights: []float64{0}, boost: 1, silent: true})
		}
	}
	if len(qs) == 0 {
		return nil
	}
	return &pruning{restrict: bleve.NewDisjunctionQuery(qs...), bound: bound}
}

// pairsWith reports whether p's word neighbours, in the query, a word
// already non-essential in p's field: the two could form a phrase bonus.
func pairsWith(words []string, p *posting, spare map[[2]string]bool) bool {
	for _, i := range []int{p.word - 1, p.word + 1} {
		if i >= 0 && i < len(words) && spare[[2]string{p.field, words[i]}] {
			return true
		}
	}
	return false
}

// plainWords returns the analysed terms of a query that is only plain
// words (no operators, fields, boosts, phrases or acronyms), one term a
// word, in order; nil otherwise. Stop words drop out.
func (ix *Index) plainWords(text string, strict bool) []string {
	e, err := querylang.Parse(text, QueryFields)
	if err != nil {
		if strict {
			return nil
		}
		e = querylang.Words(text)
	}
	var clauses []querylang.Clause
	switch e := e.(type) {
	case *querylang.Term:
		clauses = []querylang.Clause{{Occur: querylang.Should, Expr: e}}
	case *querylang.Seq:
		clauses = e.Clauses
	default:
		return nil
	}
	a := ix.mapping.AnalyzerNamed(proseAnalyzer)
	var out []string
	for _, cl := range clauses {
		t, ok := cl.Expr.(*querylang.Term)
		if !ok || cl.Occur != querylang.Should || t.Kind != querylang.Word || t.Field != "" || t.Boost != 0 || isAcronym(t.Value) {
			return nil
		}
		toks := a.Analyze([]byte(t.Value))
		switch len(toks) {
		case 0:
			continue
		case 1:
			out = append(out, string(toks[0].Term))
		default:
			return nil
		}
	}
	return out
}

// rulesWords reports whether the words rule applies to q.
func (ix *Index) rulesWords(q Query) bool {
	e, err := querylang.Parse(q.Text, QueryFields)
	if err != nil {
		e = querylang.Words(q.Text)
	}
	return len(compiler{ix: ix}.ruleWords(e)) >= 2 && ix.contentWords(e) <= wordsRuleMax
}

// termCount is how many documents hold term in field.
func (ix *Index) termCount(field, term string) uint64 {
	dict, err := ix.alias.FieldDictRange(field, []byte(term), []byte(term))
	if err != nil {
		return 0
	}
	defer dict.Close()
	if e, err := dict.Next(); err == nil && e != nil && e.Term == term {
		return e.Count
	}
	return 0
}
