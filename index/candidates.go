package index

import (
	"container/heap"
	"context"
	"encoding/binary"
	"math"
	"reflect"
	"slices"
	"sort"
	"sync"

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

// candidateSpare is how many times the window's hits are scored: the
// bounds overstate the scores (a phrase's tf-idf is taken at its most,
// spare postings at their highest), so the window's last score must
// clear the bound of a document ranked well below it.
const candidateSpare = 4

// candidateMin is the fewest candidates scored.
const candidateMin = 256

// boundMargin covers the order of floating-point sums, which differs
// between the bound and bleve's score.
const boundMargin = 1 + 1e-9

// candidates is a bound cut's choice: the best-bounded documents of the
// snapshot searched, and the best bound of the rest.
type candidates struct {
	plan *prunePlan
	avg  map[string]float64 // what the searched query's BM25 words use
	keep int                // the page window: set by the search

	mu      sync.Mutex
	ran     bool
	rest    float64 // the highest bound of a document not kept
	matches uint64  // documents holding a read posting
	counted bool    // every posting list was read: matches counts the query's
	pre     *prefetched
}

// boundCut returns the bound cut of plan, or nil when the query is not plain single-term words that all
// occur (the coordination factors would not be what the bound assumes).
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

// bound returns the best bound of a document the cut's restricted search
// did not visit, or false when the cut has not searched.
func (c *candidates) bound() (float64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rest, c.ran
}

// within returns top limited to the candidates, which it chooses on the
// snapshot it is searched on.
func (c *candidates) within(top query.Query) query.Query {
	return &candidateSearch{c: c, top: top}
}

// candidateSearch is a query searched only among candidates: every
// posting list its searchers read skips to them (candidateReader), so
// a phrase bonus looks for its phrase in those documents alone, where a
// conjunction with the candidates would have the phrase searcher seek
// its next match past each of them.
type candidateSearch struct {
	c   *candidates
	top query.Query
}

// Searcher implements query.Query.
func (q *candidateSearch) Searcher(ctx context.Context, r bindex.IndexReader, m mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	cr := &candidateReader{IndexReader: r}
	s, err := q.top.Searcher(ctx, cr, m, opts)
	if err != nil {
		return nil, err
	}
	norm := queryNorm(s)
	if ids, ok := q.c.early(r, norm); ok {
		cr.ids = ids
	} else if cr.ids, err = q.c.choose(ctx, r, norm); err != nil {
		s.Close()
		return nil, err
	}
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
// their own, while the request reads its facet sample and hidden copies:
// the search uses them when it searches the same snapshot with the same
// query norm (uq's: filters and exclusions weigh nothing).
func (c *candidates) prefetch(ctx context.Context, ix *Index, uq query.Query) {
	ix.swapMu.RLock()
	adv, err := ix.alias.Advanced()
	var r bindex.IndexReader
	if err == nil {
		r, err = adv.Reader()
	}
	ix.swapMu.RUnlock()
	if err != nil || r == nil {
		return
	}
	done := make(chan struct{})
	c.mu.Lock()
	c.pre = &prefetched{reader: r, done: done, keep: c.keep}
	pre := c.pre
	c.mu.Unlock()
	go func() {
		defer close(done)
		defer r.Close()
		s, err := uq.Searcher(ctx, r, ix.mapping, search.SearcherOptions{})
		if err != nil {
			return
		}
		pre.norm = queryNorm(s)
		s.Close()
		pre.ids, pre.err = c.choose(ctx, r, pre.norm)
	}()
}

// prefetched is what prefetch chose, on which snapshot and for which norm.
type prefetched struct {
	reader bindex.IndexReader
	keep   int
	done   chan struct{}
	norm   float64
	ids    []uint64
	err    error
}

// early returns the prefetched candidates when they were chosen on r for
// norm.
func (c *candidates) early(r bindex.IndexReader, norm float64) ([]uint64, bool) {
	c.mu.Lock()
	pre := c.pre
	c.mu.Unlock()
	if pre == nil || pre.reader != r || pre.keep != c.keep {
		return nil, false
	}
	<-pre.done
	if pre.err != nil || pre.norm != norm {
		return nil, false
	}
	return pre.ids, true
}

// choose reads the postings on snapshot r and returns the numbers of the
// keep best-bounded documents, in order.
func (c *candidates) choose(ctx context.Context, r bindex.IndexReader, norm float64) ([]uint64, error) {
	b, err := newBounds(ctx, r, c.plan, c.avg, norm)
	if err != nil {
		return nil, err
	}
	keep := max(candidateMin, candidateSpare*c.keep)
	n, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	// Two halves of the document numbers, one a core.
	mid := n / 2
	var halves [2]scanned
	var errs [2]error
	var wg sync.WaitGroup
	for i, span := range [2][2]uint64{{0, mid}, {mid, math.MaxUint64}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			halves[i], errs[i] = b.scan(ctx, r, span[0], span[1], keep)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	// The halves' best, as one list of keep.
	h := append(halves[0].best, halves[1].best...)
	heap.Init(&h)
	worst := max(halves[0].rest, halves[1].rest, b.spareOnly())
	for h.Len() > keep {
		worst = max(worst, heap.Pop(&h).(bounded).score)
	}
	nums := make([]uint64, len(h))
	for i, d := range h {
		nums[i] = d.doc
	}
	slices.Sort(nums)
	c.mu.Lock()
	c.ran, c.rest = true, worst*boundMargin
	// With every posting list read, the documents visited are the
	// query's matches.
	c.matches, c.counted = halves[0].visited+halves[1].visited, !b.anySpare()
	c.mu.Unlock()
	return nums, nil
}

// candidateReader is a snapshot whose posting lists hold only the
// candidates' postings. Document counts are the snapshot's, so that
// scores are the full search's.
type candidateReader struct {
	bindex.IndexReader
	ids []uint64
}

// TermFieldReader implements index.IndexReader.
func (r *candidateReader) TermFieldReader(ctx context.Context, term []byte, field string, freq, norm, vectors bool) (bindex.TermFieldReader, error) {
	tr, err := r.IndexReader.TermFieldReader(ctx, term, field, freq, norm, vectors)
	if err != nil {
		return nil, err
	}
	return &candidatePostings{TermFieldReader: tr, r: r}, nil
}

// candidatePostings walks a posting list's candidates, in order.
type candidatePostings struct {
	bindex.TermFieldReader
	r   *candidateReader // its ids are set once chosen
	at  int              // the next candidate that may be returned
	buf [8]byte
}

func (p *candidatePostings) Next(pre *bindex.TermFieldDoc) (*bindex.TermFieldDoc, error) {
	if p.at >= len(p.r.ids) {
		return nil, nil
	}
	binary.BigEndian.PutUint64(p.buf[:], p.r.ids[p.at])
	return p.seek(p.buf[:], pre)
}

func (p *candidatePostings) Advance(id bindex.IndexInternalID, pre *bindex.TermFieldDoc) (*bindex.TermFieldDoc, error) {
	return p.seek(id, pre)
}

// seek returns the first posting at or after id that is a candidate's.
func (p *candidatePostings) seek(id bindex.IndexInternalID, pre *bindex.TermFieldDoc) (*bindex.TermFieldDoc, error) {
	if len(id) != 8 {
		return p.TermFieldReader.Advance(id, pre) // not a scorch number: no restriction known
	}
	want := binary.BigEndian.Uint64(id)
	ids := p.r.ids
	for {
		p.at += sort.Search(len(ids)-p.at, func(i int) bool { return ids[p.at+i] >= want })
		if p.at >= len(ids) {
			return nil, nil
		}
		binary.BigEndian.PutUint64(p.buf[:], ids[p.at])
		d, err := p.TermFieldReader.Advance(p.buf[:], pre)
		if err != nil || d == nil {
			p.at = len(ids)
			return nil, err
		}
		got := binary.BigEndian.Uint64(d.ID)
		if got == ids[p.at] {
			p.at++
			return d, nil
		}
		want = got
	}
}

// count returns how many documents the query matched, hidden copies
// and filters aside, when the search read every posting list.
func (c *candidates) count() (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.matches, c.ran && c.counted
}

// bounded is one document and its bound.
type bounded struct {
	doc   uint64
	score float64
}

// boundHeap is a min-heap of bounds: its root is the first to leave.
type boundHeap []bounded

func (h boundHeap) Len() int           { return len(h) }
func (h boundHeap) Less(i, j int) bool { return h[i].score < h[j].score }
func (h boundHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *boundHeap) Push(x any)        { *h = append(*h, x.(bounded)) }
func (h *boundHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
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
