package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
)

// BenchmarkFacets40k measures what facet columns save (facetcolumns.go):
// one page of a query matching all 40,000 documents (and one matching
// about a tenth), its facets counted exactly from bleve's doc values and
// from the columns, in the same process. Neither query may be pruned, so
// neither is estimated from the sample.
//
//	go test -run '^$' -bench Facets40k ./index
func BenchmarkFacets40k(b *testing.B) {
	r := rand.New(rand.NewPCG(4, 0))
	vocab := make([]string, 300)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%03dx", i)
	}
	var docs []Document
	for i := range 40_000 {
		words := []string{"policy"}
		for range 20 {
			words = append(words, vocab[r.IntN(len(vocab))])
		}
		d := Document{ID: fmt.Sprintf("b%06d", i), Title: "Policy note " + vocab[r.IntN(len(vocab))], Text: strings.Join(words, " ") + ".",
			Source: fmt.Sprintf("Source %d", r.IntN(40)), Country: fmt.Sprintf("C%d", r.IntN(30)), Tags: []string{vocab[r.IntN(50)]}}
		d.Published, _ = ParseDate(fmt.Sprint(1950 + r.IntN(70)))
		docs = append(docs, d)
	}
	ix, err := Open(context.Background(), b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	for i := 0; i < len(docs); i += 1000 {
		if _, err := ix.Put(context.Background(), docs[i:i+1000]); err != nil {
			b.Fatal(err)
		}
	}
	ix.SetCacheSize(0)
	cols := ix.columns
	for _, q := range []string{"policy", "w007x"} {
		for _, mode := range []string{"docvalues", "columns"} {
			b.Run(q+"/"+mode, func(b *testing.B) {
				ix.columns = nil // bleve's collector counts
				if mode == "columns" {
					ix.columns = cols
					waitColumns(b, ix)
				}
				for b.Loop() {
					res, err := ix.Search(context.Background(), Query{Text: q})
					if err != nil {
						b.Fatal(err)
					}
					if res.FacetsApproximate || res.Total < 1000 {
						b.Fatalf("%d matches, approximate %v", res.Total, res.FacetsApproximate)
					}
				}
			})
		}
	}
	ix.columns = cols
}

// waitColumns searches until the columns of every segment are built, for
// at most 10 s.
func waitColumns(tb testing.TB, ix *Index) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := ix.Search(context.Background(), Query{Text: "policy", Page: 1, Size: 1, FacetSize: 1}); err != nil {
			tb.Fatal(err)
		}
		r := ix.liveReader()
		if r == nil {
			tb.Fatal("no reader")
		}
		_, missing := ix.columns.lookup(r.(*scorch.IndexSnapshot).Segments())
		r.Close()
		if !missing {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatal("facet columns not built within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
