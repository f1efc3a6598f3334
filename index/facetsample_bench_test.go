package index

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// BenchmarkFacets40k measures what estimating facets saves: one page of
// a query matching all 40,000 documents (and one matching about a tenth),
// with every facet counted exactly and with the counts estimated from the
// sample, in the same process.
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
	for _, q := range []string{"policy", "w007x"} {
		for _, mode := range []struct {
			name  string
			limit uint64
		}{{"exact", math.MaxUint64 / sampleEvery}, {"estimated", 0}} {
			b.Run(q+"/"+mode.name, func(b *testing.B) {
				ix.exactFacets = mode.limit
				for b.Loop() {
					res, err := ix.Search(context.Background(), Query{Text: q})
					if err != nil {
						b.Fatal(err)
					}
					if res.FacetsApproximate != (mode.limit == 0 && res.Total > exactFacetsUpTo) {
						b.Fatalf("%d matches, approximate %v", res.Total, res.FacetsApproximate)
					}
				}
			})
		}
	}
}
