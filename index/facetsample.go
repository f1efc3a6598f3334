package index

import (
	"cmp"
	"context"
	"hash/fnv"
	"math"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Facet counts cost a doc-value read per facet for every matching document,
// so a broad query over 10^6 passages spends most of its time counting.
// Past exactFacetsUpTo matches the counts are estimated instead from the
// documents carrying the sample mark (one in sampleEvery, chosen by a hash
// of the id, so the sample is fixed and uniform), scaled to the true
// total and flagged approximate. The user sees "about 41,000" where the
// exact figure is 40,872: a difference no one acts on.
const (
	sampleEvery     = 16
	exactFacetsUpTo = 5_000
	sampleField     = "sample"
)

// inSample reports whether a document carries the sample mark.
func inSample(id string) bool {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32()%sampleEvery == 0
}

// sampleFacets counts the facets over the sampled part of the result set
// and returns them when the whole set is estimated to exceed
// exactFacetsUpTo; nil means count exactly. Only the filtered facet mode
// is estimated: multi-select facets are recounted per field anyway.
//
// plain is the query without its ranking-only clauses (the proximity
// bonus, highlightQuery): the same matches, and nothing is scored.
func (ix *Index) sampleFacets(ctx context.Context, q Query, plain, filter query.Query) (*bleve.SearchResult, error) {
	if q.FacetMode != FacetsFiltered {
		return nil, nil
	}
	top := bleve.NewBooleanQuery()
	top.AddMust(plain, sampleMark())
	if filter != nil {
		top.AddFilter(filter)
	}
	req := newRequest(top, q, page{facets: true, sampled: true}, 0, 0, byScore)
	req.Score = "none"
	res, err := ix.search(ctx, req)
	if err != nil || res.Total*sampleEvery <= ix.exactFacetsLimit() {
		return nil, err
	}
	return res, nil
}

// exactFacetsLimit is the most matches whose facets are counted exactly
// when a page is pruned.
func (ix *Index) exactFacetsLimit() uint64 { return cmp.Or(ix.exactFacets, exactFacetsUpTo) }

// sampleMark matches the sampled documents.
func sampleMark() query.Query {
	mark := bleve.NewTermQuery("1")
	mark.SetField(sampleField)
	return mark
}

// estimateTotal scales the sample's match count to the collection: the
// share of sampled documents is measured, not assumed to be one in
// sampleEvery.
func (ix *Index) estimateTotal(sample *bleve.SearchResult) uint64 {
	n, err := ix.alias.DocCount()
	marked := ix.termCount(sampleField, "1")
	if err != nil || marked == 0 {
		return sample.Total * sampleEvery
	}
	return uint64(math.Round(float64(sample.Total) * float64(n) / float64(marked)))
}

// sampledFacet names the sample's copy of a facet field.
func sampledFacet(name string) string { return samplePrefix + name }

// samplePrefix begins the names of the sample's facet fields.
const samplePrefix = "sample_"

// scaleFacets scales the sample's counts to a result set of total
// documents.
func scaleFacets(sample *bleve.SearchResult, total uint64) search.FacetResults {
	f := float64(total) / float64(max(sample.Total, 1))
	scale := func(n int) int { return int(math.Round(float64(n) * f)) }
	for _, fr := range sample.Facets {
		fr.Total, fr.Missing, fr.Other = scale(fr.Total), scale(fr.Missing), scale(fr.Other)
		if fr.Terms != nil {
			for _, t := range fr.Terms.Terms() {
				t.Count = scale(t.Count)
			}
		}
	}
	return sample.Facets
}
