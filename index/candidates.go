package index

import (
	"context"
	"math"
	"reflect"
	"slices"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
)

// Candidates by score bound: the page of a broad plain-word query found
// among the few documents whose score could reach it, chosen from their
// postings alone. bleve scores a match by walking nested searchers (the
// words, their fields, the phrase bonuses, the words rule): "people
// nation" scored 450,000 matches in 360 ms at 10^6 passages. Reading the
// same postings flat, with their frequencies, lengths and positions,
// costs a fifth of that, on both cores. Each document gets an upper
// bound of its score (bounds.go): its words' BM25 exactly as bm25.go
// scores them, the coordination factor of the words it holds, a phrase
// bonus where two neighbouring words stand close enough to form the
// phrase, and the words rule's tier. bleve then scores only the
// best-bounded documents (candidateReader hides every other posting
// from its searchers); when the window's last hit scores above every
// other document's bound, the window is exactly the full search's
// (pruning.holds), and otherwise the full search runs.
//
// Postings that weigh almost nothing (a word in every title: "state" in
// "State of the Union") are not read, as in MaxScore (prune.go): every
// document is taken to hold them at their highest score, and a document
// holding only them is bounded as a whole. Nor are the postings of a
// block no candidate can come from (boundscan.go, impacts.go). The
// page's total, facet sample and hidden copies come from the lists'
// bitmaps instead (matchbits.go).

// candidateStages are how many candidates are scored, as multiples of the
// page window (and at least candidateMin times the stage's place): the
// bounds overstate the scores (a phrase's tf-idf is taken at its most,
// spare postings at their highest), so the window's last score must
// clear the bound of a document ranked below it. Two windows' worth
// serve most pages; when they do not, four are scored before the full
// search runs.
var candidateStages = [...]int{2, 4}

// candidateMin is the fewest candidates the first stage scores.
const candidateMin = 128

// boundMargin covers the order of floating-point sums, which differs
// between the bound and bleve's score.
const boundMargin = 1 + 1e-9

// candidates is a bound cut: what it chose, and how many of them the
// last restricted search scored.
type candidates struct {
	ix   *Index // whose block maxima bound the scan (impacts.go)
	plan *prunePlan
	avg  map[string]float64 // what the searched query's BM25 words use
	keep int                // the page window
	// tally, when set, has the prefetch count the facet sample as well
	// (sampleTally): the sample's own search advanced every posting list
	// to each sampled document, a quarter of a broad page's time.
	tally *facetTally
	// extra are documents (ids) counted as matches besides the query's:
	// a hybrid search's semantic candidates, whose set is both.
	extra []string

	mu   sync.Mutex
	pre  *chosen // prefetched, perhaps still being chosen
	used *chosen // what the last restricted search chose from
	n    int     // how many of used.ranked it scored
}

// chosen is the best-bounded documents of one snapshot.
type chosen struct {
	reader bindex.IndexReader
	norm   float64
	keep   int
	done   chan struct{} // closed once chosen
	ranked []bounded     // best bound first
	worst  float64       // the best bound of a document not ranked
	// matches is how many documents the query matches, counted from
	// the posting bitmaps (matchbits.go) when counted.
	matches uint64
	counted bool
	sample  *bleve.SearchResult // the facet sample's count and facets, when tallied
	// copies is the matching linked documents (their places in
	// the linked numbers), and hidden the copies they hide (hiddenOK).
	copies   []int32
	hidden   []string
	hiddenOK bool
	err      error
}

// rest is the best bound of a document outside the first n.
func (ch *chosen) rest(n int) float64 {
	r := ch.worst
	if n < len(ch.ranked) {
		r = max(r, ch.ranked[n].score)
	}
	return r * boundMargin
}

// ids returns the first n documents' numbers, in order.
func (ch *chosen) ids(n int) []uint64 {
	nums := make([]uint64, 0, min(n, len(ch.ranked)))
	for _, d := range ch.ranked[:min(n, len(ch.ranked))] {
		nums = append(nums, d.doc)
	}
	slices.Sort(nums)
	return nums
}

// boundCut returns the bound cut of plan, or nil when the query is not
// plain single-term words that all occur (the coordination factors would
// not be what the bound assumes). A long query (longquery.go) is never
// planned: its cap keeps more words than maxPrunedClauses.
func (ix *Index) boundCut(plan *prunePlan, avg map[string]float64) *pruning {
	if avg == nil || len(plan.words) > maxPrunedClauses || len(plan.gaps) != len(plan.words)-1 {
		return nil
	}
	seen := make([]bool, len(plan.words))
	for _, w := range plan.words {
		if w.acronym || w.key != w.term {
			return nil
		}
	}
	for _, p := range plan.ps {
		seen[p.word] = true
	}
	for _, s := range seen {
		if !s {
			return nil
		}
	}
	return &pruning{cands: &candidates{ix: ix, plan: plan, avg: avg}}
}

// stages returns how many candidates each restricted search of a window
// of keep hits scores.
func stages(keep int) []int {
	out := make([]int, len(candidateStages))
	for i, m := range candidateStages {
		out[i] = max((i+1)*candidateMin, m*keep)
	}
	return out
}

// bound returns the best bound of a document the last restricted search
// did not score, or false when none has searched.
func (c *candidates) bound() (float64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.used == nil {
		return 0, false
	}
	return c.used.rest(c.n), true
}

// count returns how many documents the query matched, hidden copies and
// filters aside, when its posting bitmaps were read.
func (c *candidates) count() (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.used == nil || !c.used.counted {
		return 0, false
	}
	return c.used.matches, true
}

// within returns top limited to the n best-bounded documents of the
// snapshot it is searched on.
func (c *candidates) within(top query.Query, n int) query.Query {
	return &candidateSearch{c: c, top: top, n: n}
}

// candidateSearch is a query searched only among candidates: every
// posting list its searchers read skips to them (candidateReader), so
// a phrase bonus looks for its phrase in those documents alone, where a
// conjunction with the candidates would have the phrase searcher seek
// its next match past each of them.
type candidateSearch struct {
	c   *candidates
	top query.Query
	n   int
}

// Searcher implements query.Query.
func (q *candidateSearch) Searcher(ctx context.Context, r bindex.IndexReader, m mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	cr := &candidateReader{IndexReader: r}
	s, err := q.top.Searcher(ctx, cr, m, opts)
	if err != nil {
		return nil, err
	}
	norm := queryNorm(s)
	ch := q.c.early(r, norm)
	if ch == nil {
		if ch, err = q.c.choose(ctx, r, norm, q.c.keep, scanSides{}); err != nil {
			s.Close()
			return nil, err
		}
	}
	cr.ids = ch.ids(q.n)
	q.c.mu.Lock()
	q.c.used, q.c.n = ch, q.n
	q.c.mu.Unlock()
	return s, nil
}

// queryNorm is the norm bleve applies to every tf-idf term score below
// searcher s: s divides by the root of its searchers' summed weights.
// Searchers read postings only when searched, so building s to learn it
// costs little.
func queryNorm(s search.Searcher) float64 {
	if w := s.Weight(); w > 1 {
		return 1 / math.Sqrt(w)
	}
	return 1
}

// avgOf returns the average lengths a compiled query's BM25 words use,
// or nil when it has none or they differ.
func avgOf(q query.Query) map[string]float64 {
	var found map[string]float64
	same := true
	var walk func(query.Query)
	walk = func(q query.Query) {
		switch q := q.(type) {
		case *bm25Word:
			if q.silent {
				return
			}
			if found == nil {
				found = q.avg
			} else if reflect.ValueOf(found).Pointer() != reflect.ValueOf(q.avg).Pointer() {
				same = false
			}
		case *query.BooleanQuery:
			walk(q.Must)
			walk(q.Should)
			walk(q.MustNot)
		case *query.ConjunctionQuery:
			for _, s := range q.Conjuncts {
				walk(s)
			}
		case *query.DisjunctionQuery:
			for _, s := range q.Disjuncts {
				walk(s)
			}
		case *heldQuery:
			walk(q.q)
		case *constScore:
			walk(q.q)
		}
	}
	walk(q)
	if !same {
		return nil
	}
	return found
}
