package index

// Filters as a bleve query: exact values, any case, for most fields; name
// words for authors; a date range for from and to.

import (
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// filterQuery ANDs the filter fields and ORs the values within each.
func filterQuery(f Filters) query.Query {
	var parts []query.Query
	add := func(field string, vals []string) {
		var qs []query.Query
		for _, v := range vals {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			t := bleve.NewTermQuery(strings.ToLower(v))
			t.SetField(field + "_l")
			qs = append(qs, t)
		}
		if len(qs) > 0 {
			parts = append(parts, bleve.NewDisjunctionQuery(qs...))
		}
	}
	add("source", f.Source)
	add("source_type", f.SourceType)
	if q := authorFilter(f.Author); q != nil {
		parts = append(parts, q)
	}
	add("country", f.Country)
	add("tags", f.Tag)
	add("language", f.Language)
	if !f.From.IsZero() || !f.To.IsZero() {
		var from, to time.Time
		if !f.From.IsZero() {
			from = f.From.Time
		}
		if !f.To.IsZero() {
			to = f.To.End()
		}
		incl := true
		r := bleve.NewDateRangeInclusiveQuery(from, to, &incl, &incl)
		r.SetField("published_at")
		parts = append(parts, r)
	}
	switch len(parts) {
	case 0:
		return nil
	case 1:
		return parts[0]
	}
	return bleve.NewConjunctionQuery(parts...)
}

// authorFilter matches each value as a whole name or as name parts:
// author=scanlon finds "Phil Scanlon", and "scanlon, phil" finds him too,
// since every word must be one of the author's name words. Values are
// OR-ed, like every filter's.
func authorFilter(vals []string) query.Query {
	var qs []query.Query
	for _, v := range vals {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		exact := bleve.NewTermQuery(strings.ToLower(v))
		exact.SetField("author_l")
		parts := bleve.NewMatchQuery(v)
		parts.SetField("author_t")
		parts.Analyzer = nameAnalyzer
		parts.SetOperator(query.MatchQueryOperatorAnd)
		qs = append(qs, exact, parts)
	}
	if len(qs) == 0 {
		return nil
	}
	return bleve.NewDisjunctionQuery(qs...)
}
