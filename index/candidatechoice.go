package index

import (
	"cmp"
	"context"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
)

// Choosing a bound cut's candidates (candidates.go): the scan of the
// query's postings, one span of document numbers a core, started ahead
// of the search, and what its match bitmaps count besides (the total,
// the facet sample, the matching copies).

// prefetch chooses the candidates on the live snapshot on goroutines of
// their own, while the request goes on planning its page: the search
// uses them when it searches the same snapshot with the same query norm
// (uq's: filters and exclusions weigh nothing).
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
		copies, err := ix.copiesOn(r)
		if err == nil { // otherwise the page searches for them (hiddenOf)
			sides.linked = copies.numbers
		}
		ch, err := c.choose(ctx, r, norm, pre.keep, sides)
		if err != nil {
			pre.err = err
			return
		}
		pre.norm, pre.ranked, pre.worst, pre.matches, pre.counted, pre.sample = norm, ch.ranked, ch.worst, ch.matches, ch.counted, ch.sample
		if ch.counted && copies != nil {
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

// scanSides is what a choice counts besides bounds, among the query's
// matches: the facet sample (facetsample.go) in tally, and which of the
// linked documents (sorted numbers) match, for the hidden copies
// (representative.go).
type scanSides struct {
	tally  *facetTally
	linked []uint64
}

// choose reads the postings on snapshot r and ranks its best-bounded
// documents, enough for every stage. It counts the query's matches from
// their bitmaps (matchbits.go) and, with sides, tallies the facet sample
// and finds the matching linked documents there too.
func (c *candidates) choose(ctx context.Context, r bindex.IndexReader, norm float64, window int, sides scanSides) (*chosen, error) {
	b, err := newBounds(ctx, r, c.plan, c.avg, norm)
	if err != nil {
		return nil, err
	}
	b.blocks = c.ix.blockMaximaOn(r, b)
	st := stages(window)
	keep := st[len(st)-1]
	n, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	ch := &chosen{reader: r, norm: norm, keep: window, worst: b.spareOnly()}
	matches, counted, err := matchBitsOn(r, b.terms())
	if err != nil {
		return nil, err
	}
	var marked *matchBits
	if counted {
		if err := matches.add(r, c.extra); err != nil {
			return nil, err
		}
		ch.matches, ch.counted = matches.count, true
		if sides.linked != nil {
			ch.copies = matches.among(sides.linked)
		}
		if sides.tally != nil {
			if marked, _, err = matchBitsOn(r, []fieldTerm{{field: sampleField, term: "1"}}); err != nil {
				return nil, err
			}
		}
	}
	// Spans of the document numbers, taken in turn by a worker a core.
	workers := min(runtime.GOMAXPROCS(0), scanSpans)
	var tallies []*facetTally
	if marked != nil {
		first := sides.tally.fresh()
		if err := first.start(r); err != nil {
			return nil, err
		}
		tallies = append(tallies, first)
		for range workers - 1 {
			t, err := first.twin(r)
			if err != nil {
				return nil, err
			}
			tallies = append(tallies, t)
		}
	}
	spans := make([]scanned, scanSpans)
	sampled := make([]uint64, scanSpans)
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
			for i := range next {
				lo, hi := uint64(i)*n/scanSpans, uint64(i+1)*n/scanSpans
				if i == scanSpans-1 {
					hi = math.MaxUint64
				}
				if spans[i], errs[i] = b.scan(ctx, r, lo, hi, keep); errs[i] == nil && tallies != nil {
					sampled[i], errs[i] = matches.tally(marked, lo, hi, tallies[w])
				}
			}
		}()
	}
	wg.Wait()
	var ranked []bounded
	for i, sp := range spans {
		if errs[i] != nil {
			return nil, errs[i]
		}
		ranked = append(ranked, sp.best...)
		ch.worst = max(ch.worst, sp.rest)
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
		var total uint64
		for _, n := range sampled {
			total += n
		}
		ch.sample = &bleve.SearchResult{Total: total, Facets: tallies[0].results()}
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
// when it did not run or failed (or c is nil: no bound cut).
func (c *candidates) prefetched() *chosen {
	if c == nil {
		return nil
	}
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
