package index

import (
	"context"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// boundPlan plans q's pruning when its matches may be many, and starts
// its bound cut's scan (candidates.go) for the window of list when it has
// one; extra documents count as matches too (a hybrid set's semantic
// candidates).
func (ix *Index) boundPlan(ctx context.Context, q Query, uq, filter query.Query, list page, extra []string) (*prunePlan, *pruning) {
	plan := ix.planPruning(q)
	if plan == nil || plan.bound <= ix.exactFacetsLimit() {
		return nil, nil
	}
	// A filter is left to the essential split: the candidates are chosen
	// without it, and too few of them might pass it to fill the window.
	var bound *pruning
	if filter == nil {
		bound = ix.boundCut(plan, avgOf(uq))
	}
	if bound != nil {
		c := bound.cands
		c.keep, _ = list.window()
		c.extra = extra
		if q.FacetMode == FacetsFiltered {
			c.tally = ix.sampleTally(q)
		}
		c.prefetch(ctx, ix, uq)
	}
	return plan, bound
}

// pageSample is the facet sample of a page that may be pruned (prune.go):
// it takes its total and facets from the sample when the matches are
// many (facetsample.go), since the pruned search counts neither. Any
// other page, fewer matches than would be estimated included (a nil
// sample), counts them as it scores every match, which facet columns
// make cheap (facetcount.go). The cut is the pruning to search with.
func (ix *Index) pageSample(ctx context.Context, q Query, hq, filter query.Query, plan *prunePlan, bound *pruning) (sample *bleve.SearchResult, estimate uint64, cut *pruning, err error) {
	if plan == nil {
		return nil, 0, nil, nil
	}
	tallied := false
	if bound != nil {
		sample, tallied = bound.cands.sample(ix.exactFacetsLimit())
	}
	if !tallied && (bound != nil || plan.cut(plan.bound) != nil) {
		if sample, err = ix.sampleFacets(ctx, q, hq, filter); err != nil {
			return nil, 0, nil, err
		}
	}
	if sample != nil {
		estimate = ix.estimateTotal(sample)
		if cut = bound; cut == nil {
			cut = plan.cut(estimate)
		}
	}
	return sample, estimate, cut, nil
}

// hiddenOf returns the copies a page hides: from the search done asks,
// or from the bound cut's match bitmaps (and when they could not tell, a
// search of them now).
func (ix *Index) hiddenOf(ctx context.Context, done func() ([]string, error), bound *pruning, base query.Query) ([]string, error) {
	if done != nil {
		return done()
	}
	if hidden, ok := bound.cands.hiddenCopies(); ok {
		return hidden, nil
	}
	return ix.hiddenCopies(ctx, base)
}
