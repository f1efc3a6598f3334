package index

import (
	"math"
	"sort"
	"strconv"
	"strings"

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
	// cands, when set, restricts instead to the documents whose score
	// bound is highest, and bounds the rest (candidates.go).
	cands *candidates
}

// stages returns how many candidates each restricted search of a page
// window scores: one search of the essential postings' documents, or the
// bound cut's stages (candidates.go).
func (p *pruning) stages(window int) []int {
	if p.cands == nil {
		return []int{0}
	}
	p.cands.keep = window
	return stages(window)
}

// restricted is top limited to the documents that can reach the page:
// those holding an essential posting, or the n best-bounded.
func (p *pruning) restricted(top query.Query, n int) query.Query {
	if p.cands != nil {
		return p.cands.within(top, n)
	}
	return bleve.NewConjunctionQuery(top, p.restrict)
}

// count returns the exact number of matches when the pruned search
// counted them (candidates.go), hidden copies and filters aside.
func (p *pruning) count() (uint64, bool) {
	if p.cands == nil {
		return 0, false
	}
	return p.cands.count()
}

// holds reports whether a window of hits, in score order, from the
// restricted search is the full search's window.
func (p *pruning) holds(hits search.DocumentMatchCollection, window int) bool {
	bound := p.bound
	if p.cands != nil {
		var ran bool
		if bound, ran = p.cands.bound(); !ran {
			return false
		}
	}
	return len(hits) >= window && hits[window-1].Score > bound
}

// maxPrunedClauses is the most clauses a pruned query has. A pasted
// paragraph's matches each say a small share of its words, so the
// coordination factor keeps their scores far under what the
// non-essential words could add: at 10^5 passages none of the bench's
// 200-word queries was pruned (12 tried), and planning cost them a
// sample request and a restricted search each, on top of the full one.
// No query above four words was pruned in the exactness test either.
const maxPrunedClauses = 16

// pruneMargin covers the statistics moving between planning and
// searching (a write meanwhile changes document frequencies a little).
const pruneMargin = 1.1

// posting is one word of the query in one field.
type posting struct {
	word   int    // the word's place among the query's words
	clause string // the query clause it scores for (coord, below)
	term   string
	field  string
	df     uint64
	ub     float64 // the most its BM25 score can be: tf/(tf+k1·norm) < 1
	// phrase is the most the term adds to a phrase bonus in this field,
	// before the bonus's weight: its BM25 (field weight 1) and its tf-idf
	// term score.
	phrase float64
	needed bool // essential
}

// prunePlan is what a split needs of the index for one query: its words
// and their postings. The split itself depends on how many documents
// match, which the caller learns from the sample after planning, so it is
// a second step (cut) that reads nothing more.
type prunePlan struct {
	words   []queryWord
	ps      []*posting
	clauses int  // of the query's top-level disjunction (queryClauses)
	rules   bool // the words rule applies
	// gaps are the positions from each word to the next in the phrase
	// of the two that the proximity bonus searches (query.go).
	gaps []uint64
	// bound is the most documents can match: each word's widest posting,
	// summed, and at most the collection.
	bound uint64
}

// planPruning reads q's postings for a split, or returns nil when q is
// not plain words of at most maxPrunedClauses clauses.
func (ix *Index) planPruning(q Query) *prunePlan {
	if ix.noPruning {
		return nil
	}
	e, err := querylang.Parse(q.Text, QueryFields)
	if err != nil {
		if q.Strict {
			return nil
		}
		e = querylang.Words(q.Text) // as parse searches text that does not parse
	}
	words := ix.plainWords(e)
	if len(words) == 0 {
		return nil
	}
	clauses, clauseOf := queryClauses(compiler{ix: ix}, e, words)
	if clauses > maxPrunedClauses {
		return nil
	}
	n, err := ix.alias.DocCount()
	if err != nil || n == 0 {
		return nil
	}
	var ps []*posting
	for i, w := range words {
		if w.acronym {
			if df := ix.termCount(acronymsField, w.term); df > 0 {
				ps = append(ps, &posting{word: i, clause: clauseOf(w), term: w.term, field: acronymsField, df: df, ub: math.Inf(1)})
			}
			continue
		}
		for _, f := range []struct {
			name   string
			weight float64
		}{{"title", bm25Title}, {"text", 1}} {
			df := ix.termCount(f.name, w.term)
			if df == 0 {
				continue
			}
			idf := bm25IDF(float64(n), float64(df))
			tfidf := tfidfIDF(float64(n), float64(df))
			ps = append(ps, &posting{word: i, clause: clauseOf(w), term: w.term, field: f.name, df: df,
				ub: f.weight * idf * pruneMargin, phrase: (idf + tfidf*tfidf) * pruneMargin})
		}
	}
	if len(ps) == 0 {
		return nil
	}
	widest := map[int]uint64{}
	for _, p := range ps {
		widest[p.word] = max(widest[p.word], p.df)
	}
	var bound uint64
	for _, df := range widest {
		bound += df
	}
	return &prunePlan{words: words, ps: ps, clauses: clauses, rules: ix.rulesWords(e), bound: min(bound, n),
		gaps: ix.phraseGaps(e, words)}
}

// cut splits the plan for matches estimated at matches, or returns nil
// when no split would save much.
func (p *prunePlan) cut(matches uint64) *pruning {
	if p.rules {
		if len(p.words) != 2 || p.words[0].acronym || p.words[1].acronym {
			return nil
		}
		return bothWords(p.words, p.ps)
	}
	return essential(p.words, p.ps, matches, p.clauses)
}

// queryClauses returns how many clauses the searched query's top-level
// disjunction has — coord's denominator, stop-word clauses included —
// and what names the clause of each word: its place in the query, or,
// for a long query searched by its kept words (longquery.go), its
// analysed terms, since the kept words are the clauses then and each is
// searched once whatever its repeats.
func queryClauses(c compiler, e querylang.Expr, words []queryWord) (int, func(queryWord) string) {
	if capped, long, _ := c.capLong(e); long != nil {
		return len(capped.(*querylang.Seq).Clauses), func(w queryWord) string { return w.key }
	}
	n := 1
	if s, ok := e.(*querylang.Seq); ok {
		n = len(s.Clauses)
	}
	return n, func(w queryWord) string { return strconv.Itoa(w.clause) }
}

// bothWords is the words rule's split: a document with both words
// scores at least 2·wordsTier, one without at most wordsTier plus every
// posting's bound (a phrase bonus needs both words).
func bothWords(words []queryWord, ps []*posting) *pruning {
	bound := wordsTier * pruneMargin
	for _, p := range ps {
		bound += p.ub
	}
	qs := make([]query.Query, len(words))
	for i, w := range words {
		qs[i] = &bm25Word{terms: []string{w.term}, fields: []string{"title", "text"}, weights: []float64{0, 0}, boost: 1, silent: true}
	}
	return &pruning{restrict: bleve.NewConjunctionQuery(qs...), bound: bound}
}

// essential is the MaxScore split: postings join the non-essential set,
// least weighty first, while their summed bound stays under half the
// score of a document that says each word once (a low guess at the
// page's last score). When both words of a neighbouring pair are
// non-essential in one field, a document outside restrict may also earn
// their phrase bonus, so its bound joins: the pair's BM25 in that field
// plus its exact phrase's tf-idf, whose term scores are at most
// boost·idf² (√tf·norm ≤ 1, and bleve's query norm is at most 1 beside
// the BM25 words, which weigh 1 each).
func essential(words []queryWord, ps []*posting, matches uint64, clauses int) *pruning {
	guess := 0.0
	for _, p := range ps {
		if p.field == "text" {
			guess += p.ub / (1 + bm25K1)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].ub < ps[j].ub })
	widest := uint64(0)
	for _, p := range ps {
		widest = max(widest, p.df)
	}
	// Not worth a second search unless it visits at most half the
	// matches (at least as many as the widest posting's; the sum of the
	// postings' counts overstates how many documents hold them).
	budget := max(widest, matches) / 2
	bound := split(words, ps, clauses, func(bound float64) bool { return bound >= guess/2 })
	if kept(ps) > budget {
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

// split walks ps, least weighty first, making each posting essential
// when need says so of the bound the non-essential ones would have with
// it, and returns their bound: their BM25 scaled by the coordination
// factor they can reach, and the phrase bonuses they can form. A document
// outside restrict holds only non-essential postings, so it matches at
// most the clauses they belong to, and the query's disjunction multiplies
// its word scores by matched/clauses: with three common words of which
// one is non-essential, a third of their sum.
func split(words []queryWord, ps []*posting, clauses int, need func(bound float64) bool) float64 {
	sum, pairs := 0.0, 0.0
	reach := map[string]bool{}        // clauses a non-essential posting scores for
	spare := map[[2]string]*posting{} // non-essential, by (field, term)
	coord := func(n int) float64 { return float64(min(n, clauses)) / float64(max(clauses, 1)) }
	for _, p := range ps {
		n := len(reach)
		if !reach[p.clause] {
			n++
		}
		pair := pairBound(words, p, spare)
		if p.needed = need((sum+p.ub)*coord(n) + pairs + pair); p.needed {
			continue
		}
		sum += p.ub
		pairs += pair
		reach[p.clause] = true
		spare[[2]string{p.field, p.term}] = p
	}
	return sum*coord(len(reach)) + pairs
}

// kept sums the essential postings' document counts.
func kept(ps []*posting) uint64 {
	var n uint64
	for _, p := range ps {
		if p.needed {
			n += p.df
		}
	}
	return n
}

// pairBound is the most the phrase bonus can add for pairs of p's word
// with a neighbour already non-essential in p's field. A phrase of more
// than two terms (a split word: "low-income families") holds at least
// one such neighbouring pair and is bounded by their sum.
func pairBound(words []queryWord, p *posting, spare map[[2]string]*posting) float64 {
	w := proximityBoost
	if p.field == "title" {
		w = titleProximityBoost
	}
	b := 0.0
	for _, i := range []int{p.word - 1, p.word + 1} {
		if i < 0 || i >= len(words) {
			continue
		}
		if nb := spare[[2]string{p.field, words[i].term}]; nb != nil {
			b += w * (p.phrase + nb.phrase)
		}
	}
	return b
}

// plainWords returns the analysed terms of e when it is only plain
// words (no operators, fields, boosts or phrases), in order: a word the
// analyzer splits ("low-income") gives each of its terms, as the phrase
// bonus reads them, and a stop-word acronym (WHO, searched in the
// acronyms field) gives its own entry, marked by its field. nil when the
// query is anything else. Stop words drop out.
func (ix *Index) plainWords(e querylang.Expr) []queryWord {
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
	var out []queryWord
	for i, cl := range clauses {
		t, ok := cl.Expr.(*querylang.Term)
		if !ok || cl.Occur != querylang.Should || t.Kind != querylang.Word || t.Field != "" || t.Boost != 0 {
			return nil
		}
		toks := a.Analyze([]byte(t.Value))
		if len(toks) == 0 && isAcronym(t.Value) {
			out = append(out, queryWord{term: t.Value, acronym: true, clause: i, key: t.Value})
			continue
		}
		terms := make([]string, len(toks))
		for j, tok := range toks {
			terms[j] = string(tok.Term)
		}
		key := strings.Join(terms, " ")
		for _, term := range terms {
			out = append(out, queryWord{term: term, clause: i, key: key})
		}
	}
	return out
}

// phraseGaps returns, for each neighbouring pair of words, how many
// positions the second stands after the first in the phrase the
// proximity bonus builds of them: the typed text from one to the other,
// analysed, so that stop words between them or inside them ("cost-of
// living": cost _ live) count as the index counts them.
func (ix *Index) phraseGaps(e querylang.Expr, words []queryWord) []uint64 {
	s, ok := e.(*querylang.Seq)
	if !ok {
		return nil
	}
	a := ix.mapping.AnalyzerNamed(proseAnalyzer)
	gaps := make([]uint64, 0, len(words))
	for i := 0; i+1 < len(words); i++ {
		var typed []string
		for k := words[i].clause; k <= words[i+1].clause && k < len(s.Clauses); k++ {
			if t, ok := s.Clauses[k].Expr.(*querylang.Term); ok {
				typed = append(typed, t.Value)
			}
		}
		toks := a.Analyze([]byte(strings.Join(typed, " ")))
		gap := 1
		if len(toks) >= 2 {
			gap = max(1, toks[len(toks)-1].Position-toks[0].Position)
		}
		gaps = append(gaps, uint64(gap))
	}
	return gaps
}

// queryWord is one analysed term of a plain query.
type queryWord struct {
	term    string
	acronym bool // searched in the acronyms field, by tf-idf: always essential
	// clause is the place of the query clause the term belongs to, and
	// key that clause's analysed terms (a split word's clause has several).
	clause int
	key    string
}

// rulesWords reports whether the words rule applies to e.
func (ix *Index) rulesWords(e querylang.Expr) bool {
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
