package index

import (
	"cmp"
	"context"
	"math"
	"reflect"
	"runtime"
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
// holding only them is bounded as a whole.

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
	plan *prunePlan
	avg  map[string]float64 // what the searched query's BM25 words use
	keep int                // the page window
	// tally, when set, has the prefetch count the facet sample as well
	// (sampleTally): the sample's own search advanced every posting list
	// to each sampled document, a quarter of a broad page's time.
	tally *facetTally
	// copies, when set, has the prefetch find which linked documents
	// match, for the hidden copies: hiddenCopies' own search of them
	// was a fifth.
	copies bool

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
	// matches is the documents holding a read posting: the query's
	// matches when counted (every posting list was read).
	matches uint64
	counted bool
	sample  *bleve.SearchResult // the facet sample's count and facets, when tallied
	// copies is the scan's matching linked documents (their places in
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
// not be what the bound assumes).
func (ix *Index) boundCut(plan *prunePlan, avg map[string]float64) *pruning {
	if plan.long || avg == nil || len(plan.words) > maxPrunedClauses {
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
	return &pruning{cands: &candidates{plan: plan, avg: avg}}
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
// filters aside, when the search read every posting list.
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

// prefetch chooses the candidates on the live snapshot on goroutines of
// their own, while the request reads its hidden copies: the search uses
// them when it searches the same snapshot with the same query norm (uq's:
// filters and exclusions weigh nothing).
func (c *candidates) prefetch(ctx context.Context, ix *Index, uq query.Query) {
	r, err := ix.snapshot()
	if err != nil || r == nil {
		return
	}
	pre := &chosen{reader: r, keep: c.keep, done: make(chan struct{})}
	c.mu.Lock()
	c.pre = pre
	c.mu.Unlock()
	go func() {
		defer close(pre.done)
		defer r.Close()
		s, err := uq.Searcher(ctx, r, ix.mapping, search.SearcherOptions{})
		if err != nil {
			pre.err = err
			return
		}
		norm := queryNorm(s)
		s.Close()
		sides := scanSides{tally: c.tally}
		var copies *scanCopies
		if c.copies {
			if copies, err = ix.copiesOn(r); err != nil {
				pre.err = err
				return
			}
			sides.linked = copies.numbers
		}
		ch, err := c.choose(ctx, r, norm, pre.keep, sides)
		if err != nil {
			pre.err = err
			return
		}
		pre.norm, pre.ranked, pre.worst, pre.matches, pre.counted, pre.sample = norm, ch.ranked, ch.worst, ch.matches, ch.counted, ch.sample
		if copies != nil && ch.counted {
			if pre.hidden, pre.err = copies.hidden(ix, ch.copies); pre.err == nil {
				pre.hiddenOK = true
			}
		}
	}()
}

// early returns the prefetched choice when it was made on r for norm.
func (c *candidates) early(r bindex.IndexReader, norm float64) *chosen {
	c.mu.Lock()
	pre := c.pre
	c.mu.Unlock()
	if pre == nil || pre.reader != r || pre.keep != c.keep {
		return nil
	}
	<-pre.done
	if pre.err != nil || pre.norm != norm {
		return nil
	}
	return pre
}

// choose reads the postings on snapshot r and ranks its best-bounded
// documents, enough for every stage; with a tally it also counts the
// facet sample when every posting list is read (a document holding only
// spare postings is not visited).
func (c *candidates) choose(ctx context.Context, r bindex.IndexReader, norm float64, window int, sides scanSides) (*chosen, error) {
	b, err := newBounds(ctx, r, c.plan, c.avg, norm)
	if err != nil {
		return nil, err
	}
	st := stages(window)
	keep := st[len(st)-1]
	n, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	// Spans of the document numbers, taken in turn by a worker a core.
	workers := min(runtime.GOMAXPROCS(0), scanSpans)
	var tallies []*facetTally
	all := b.visitsAll() // only then are the documents visited the matches
	if all && sides.tally != nil {
		for range workers {
			t := sides.tally.fresh()
			if err := t.start(r); err != nil {
				return nil, err
			}
			tallies = append(tallies, t)
		}
	}
	spans := make([]scanned, scanSpans)
	errs := make([]error, scanSpans)
	next := make(chan int, scanSpans)
	for i := range scanSpans {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ws scanSides
			if all {
				ws.linked = sides.linked
				if tallies != nil {
					ws.tally = tallies[w]
				}
			}
			for i := range next {
				lo, hi := uint64(i)*n/scanSpans, uint64(i+1)*n/scanSpans
				if i == scanSpans-1 {
					hi = math.MaxUint64
				}
				spans[i], errs[i] = b.scan(ctx, r, lo, hi, keep, ws)
			}
		}()
	}
	wg.Wait()
	ch := &chosen{reader: r, norm: norm, keep: window, worst: b.spareOnly(), counted: all}
	var ranked []bounded
	var sampled uint64
	for i, sp := range spans {
		if errs[i] != nil {
			return nil, errs[i]
		}
		ranked = append(ranked, sp.best...)
		ch.worst = max(ch.worst, sp.rest)
		ch.matches += sp.visited
		sampled += sp.sampled
		ch.copies = append(ch.copies, sp.linked...)
	}
	if b.everyDoc {
		ch.matches = n
	}
	slices.SortFunc(ranked, func(a, b bounded) int { return cmp.Compare(b.score, a.score) })
	if len(ranked) > keep {
		ch.worst = max(ch.worst, ranked[keep].score)
		ranked = ranked[:keep]
	}
	ch.ranked = ranked
	if tallies != nil {
		for _, t := range tallies[1:] {
			tallies[0].add(t)
		}
		ch.sample = &bleve.SearchResult{Total: sampled, Facets: tallies[0].results()}
	}
	return ch, nil
}

// scanSpans is how many spans of document numbers a scan is cut into:
// one a core here. Four and eight were slower at 10^6 passages (p99 105
// and 95 ms in process against 91–95 ms): each span seeks every list to
// its start and keeps its own best.
const scanSpans = 2

// hiddenCopies returns the copies the page hides, as hiddenCopies would,
// when the prefetch found them.
func (c *candidates) hiddenCopies() ([]string, bool) {
	pre := c.prefetched()
	if pre == nil || !pre.hiddenOK {
		return nil, false
	}
	return pre.hidden, true
}

// prefetched waits for the prefetch and returns what it chose, or nil
// when it did not run or failed.
func (c *candidates) prefetched() *chosen {
	c.mu.Lock()
	pre := c.pre
	c.mu.Unlock()
	if pre == nil {
		return nil
	}
	<-pre.done
	if pre.err != nil {
		return nil
	}
	return pre
}

// sample returns the facet sample the prefetch tallied, as sampleFacets
// would (nil when the matches are few enough to count exactly), or false
// when it did not tally one.
func (c *candidates) sample(limit uint64) (*bleve.SearchResult, bool) {
	pre := c.prefetched()
	if pre == nil || pre.sample == nil {
		return nil, false
	}
	if pre.sample.Total*sampleEvery <= limit {
		return nil, true
	}
	return pre.sample, true
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
