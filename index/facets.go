package index

import (
	"context"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Facet modes: what a facet of a filtered field counts.
const (
	// FacetsFiltered counts every facet over the filtered result set.
	FacetsFiltered = "filtered"
	// FacetsMulti counts the facet of a filtered field as if that field
	// alone were unfiltered, so that once one source is ticked the others
	// still show how many results they would add (values of one field are
	// OR-ed). Other fields' filters and the query still apply.
	FacetsMulti = "multi"
)

// facetFilters pairs each facet with the filter on the same field. Years
// are filtered by a date range, not by values, and are left out.
var facetFilters = []struct {
	facet  string
	values func(*Filters) *[]string
}{
	{"source", func(f *Filters) *[]string { return &f.Source }},
	{"source_type", func(f *Filters) *[]string { return &f.SourceType }},
	{"author", func(f *Filters) *[]string { return &f.Author }},
	{"country", func(f *Filters) *[]string { return &f.Country }},
	{"language", func(f *Filters) *[]string { return &f.Language }},
	{"tags", func(f *Filters) *[]string { return &f.Tag }},
}

// facetValues turns one bleve facet into its values, most frequent first.
func facetValues(fr *search.FacetResult) []FacetValue {
	vals := []FacetValue{}
	if fr != nil && fr.Terms != nil {
		for _, t := range fr.Terms.Terms() {
			vals = append(vals, FacetValue{Value: t.Term, Count: t.Count})
		}
	}
	return vals
}

// multiFacets recounts, in FacetsMulti mode, each facet whose field is
// filtered: one facet-only request per such field, over the result set the
// search would have with every filter but that field's. base gives that
// set for a filter: the keyword query whatever the filter, or in hybrid
// and semantic modes the keyword matches and the semantic candidates
// chosen under that filter.
func (ix *Index) multiFacets(ctx context.Context, q Query, base func(filter query.Query) (query.Query, error), out *Results) error {
	if q.FacetMode != FacetsMulti {
		return nil
	}
	for _, ff := range facetFilters {
		if len(*ff.values(&q.Filters)) == 0 {
			continue
		}
		others := q.Filters
		*ff.values(&others) = nil
		filter := filterQuery(others)
		set, err := base(filter)
		if err != nil {
			return err
		}
		req := bleve.NewSearchRequestOptions(withFilter(set, filter), 0, 0, false)
		req.AddFacet(ff.facet, bleve.NewFacetRequest(ff.facet, q.facetSize(ff.facet)))
		res, err := ix.search(ctx, req)
		if err != nil {
			return err
		}
		out.Facets[ff.facet] = facetValues(res.Facets[ff.facet])
	}
	return nil
}
