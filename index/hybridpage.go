package index

import (
	"context"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Pages of a hybrid search must add up like keyword pages: the same
// total on every page and one order from which each page is a slice. So
// the candidate lists do not grow with the page asked for. The result
// set is the keyword matches plus the hybridCandidates nearest documents;
// the order is the fusion of the top hybridCandidates of each list, then
// the remaining keyword matches in keyword order. By fused score a few of
// those would pass documents found by meaning alone near the end of the
// fused list; putting them after it keeps one order whatever the page,
// which reading deeper lists per page did not (a document repeated on
// consecutive pages, and the total changed). Semantic mode has no keyword
// tail, so its list still deepens with the page.

// candidateDepth is how deep each list is read for q.
func candidateDepth(q Query, mode string) int {
	if mode == ModeSemantic {
		return max(hybridCandidates, q.Page*q.Size)
	}
	return hybridCandidates
}

// hybridPage returns q's page of the fused ranking, reading the keyword
// tail past the fused hits from kwTop when the page reaches it.
func (ix *Index) hybridPage(ctx context.Context, q Query, mode string, kwTop query.Query, fused []fusedHit) ([]fusedHit, error) {
	from, end := (q.Page-1)*q.Size, q.Page*q.Size
	var out []fusedHit
	if from < len(fused) {
		out = append(out, fused[from:min(end, len(fused))]...)
	}
	if mode == ModeSemantic || end <= len(fused) {
		return out, nil
	}
	ids := make([]string, len(fused))
	for i, f := range fused {
		ids[i] = f.id
	}
	tail := bleve.NewBooleanQuery()
	tail.AddMust(kwTop)
	tail.AddMustNot(bleve.NewDocIDQuery(ids))
	skip := max(from-len(fused), 0)
	res, err := ix.run(ctx, tail, Query{Sort: SortRelevance}, page{from: skip, size: end - max(from, len(fused))})
	if err != nil {
		return nil, err
	}
	for i, h := range res.Hits {
		// The keyword rank is at least this: fused documents found by
		// meaning alone may also stand in the keyword list.
		out = append(out, fusedHit{id: h.ID, kwRank: hybridCandidates + skip + i + 1})
	}
	return out, nil
}
