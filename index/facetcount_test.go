package index

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
)

// TestFacetCountsMatchBleve counts the facets of many searches three
// ways — bleve's collector, the tally reading doc values (columns not
// built) and the tally reading columns — and wants the same results to
// the count, over several segments with deleted and replaced documents,
// multi-valued tags, missing fields, filters, sorts, the sample's fields
// and small facet sizes.
func TestFacetCountsMatchBleve(t *testing.T) {
	ctx := context.Background()
	ix := openTest(t)
	words := []string{"energy", "tariffs", "housing", "water", "grid", "trade"}
	doc := func(i, round int) Document {
		d := Document{ID: fmt.Sprintf("d%04d", i), Title: fmt.Sprintf("Brief %d", i),
			Text: fmt.Sprintf("A note on %s and %s, round %d.", words[i%len(words)], words[(i/7)%len(words)], round)}
		if i%5 != 0 {
			d.Source = fmt.Sprintf("Source %d", (i*i+round)%9)
		}
		if i%3 != 0 {
			d.Authors = []string{fmt.Sprintf("Author %d", i%23)}
			if i%11 == 0 {
				d.Authors = append(d.Authors, "Second Author")
			}
		}
		for k := range i % 4 {
			d.Tags = append(d.Tags, fmt.Sprintf("tag%d", (i+k*5)%13))
		}
		d.Country = []string{"", "FR", "DE", "US"}[i%4]
		d.SourceType = []string{"news", "think_tank", "government"}[i%3]
		if i%6 != 0 {
			d.Published = Date{Time: time.Date(1990+i%30, 1, 1, 0, 0, 0, 0, time.UTC), Precision: Year}
		}
		return d
	}
	// Several batches make several segments; later ones replace and
	// delete documents of earlier ones.
	for round := range 4 {
		var batch []Document
		for i := round * 700; i < round*700+900; i++ {
			batch = append(batch, doc(i, round))
		}
		if _, err := ix.Put(ctx, batch); err != nil {
			t.Fatal(err)
		}
		for i := round * 50; i < round*50+40; i += 3 {
			if err := ix.Delete(ctx, fmt.Sprintf("d%04d", i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	requests := func() []*bleve.SearchRequest {
		var out []*bleve.SearchRequest
		for _, text := range []string{"energy", "tariffs OR water", "note", "grid trade", "round", "nothingmatches"} {
			for _, sampled := range []bool{false, true} {
				uq, _, err := ix.Parse(text, false)
				if err != nil {
					t.Fatal(err)
				}
				top := uq
				if sampled {
					top = bleve.NewConjunctionQuery(uq, sampleMark())
				}
				q := Query{Text: text, FacetSize: 10, FacetSizes: map[string]int{"author": 3, "tags": 5, "year": MaxYearFacetSize}}
				out = append(out, newRequest(withFilter(top, nil), q, page{facets: true, sampled: sampled}, 0, 10, byScore))
				filtered := newRequest(withFilter(top, filterQuery(Filters{Country: []string{"FR", "DE"}})), q, page{facets: true, sampled: sampled}, 0, 0, byScore)
				filtered.Score = "none"
				out = append(out, filtered)
			}
		}
		return out
	}
	count := func(mode string) []map[string]facetSummary {
		t.Helper()
		var out []map[string]facetSummary
		for _, req := range requests() {
			res, err := ix.search(ctx, req)
			if err != nil {
				t.Fatalf("%s: %v", mode, err)
			}
			out = append(out, summarise(res.Facets))
		}
		return out
	}
	cols := ix.columns
	ix.columns = nil
	want := count("bleve")
	ix.columns = cols
	cols.mu.Lock()
	cols.off = true
	cols.mu.Unlock()
	if got := count("doc values"); !reflect.DeepEqual(got, want) {
		t.Errorf("tallied from doc values:\n%v\nbleve:\n%v", got, want)
	}
	cols.mu.Lock()
	cols.off = false
	cols.mu.Unlock()
	waitColumns(t, ix)
	if got := count("columns"); !reflect.DeepEqual(got, want) {
		t.Errorf("tallied from columns:\n%v\nbleve:\n%v", got, want)
	}
	if len(want) == 0 || want[0]["author"].Total == 0 {
		t.Fatal("the searches counted nothing: the test proves nothing")
	}
}

// facetSummary is a facet result without bleve's internal lookup state.
type facetSummary struct {
	Field                 string
	Total, Missing, Other int
	Terms                 []string
}

func summarise(fr search.FacetResults) map[string]facetSummary {
	out := map[string]facetSummary{}
	for name, r := range fr {
		s := facetSummary{Field: r.Field, Total: r.Total, Missing: r.Missing, Other: r.Other}
		for _, tf := range r.Terms.Terms() {
			s.Terms = append(s.Terms, fmt.Sprintf("%s=%d", tf.Term, tf.Count))
		}
		out[name] = s
	}
	return out
}
