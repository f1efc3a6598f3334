package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"

	"policysearch/index"
)

// estimates compares, for each query whose page was estimated, the
// estimated total and the estimated counts of each facet's five largest
// values with the exact ones (multi-select facets are always counted),
// and prints the median and 90th percentile of the relative errors.
func estimates(ctx context.Context, ix *index.Index, queries []string, out io.Writer) error {
	var totalErr, facetErr []float64
	estimated := 0
	for _, q := range queries {
		got, err := ix.Search(ctx, index.Query{Text: q, Mode: index.ModeKeyword})
		if err != nil {
			return err
		}
		if !got.FacetsApproximate {
			continue
		}
		estimated++
		exact, err := ix.Search(ctx, index.Query{Text: q, Mode: index.ModeKeyword, FacetMode: index.FacetsMulti})
		if err != nil {
			return err
		}
		if got.TotalApproximate {
			totalErr = append(totalErr, rel(float64(got.Total), float64(exact.Total)))
		}
		for name, values := range exact.Facets {
			want := map[string]int{}
			for _, v := range values {
				want[v.Value] = v.Count
			}
			for _, v := range got.Facets[name][:min(5, len(got.Facets[name]))] {
				if w, ok := want[v.Value]; ok {
					facetErr = append(facetErr, rel(float64(v.Count), float64(w)))
				}
			}
		}
	}
	fmt.Fprintf(out, "%d of %d queries estimated; total: %s; top-5 facet counts: %s\n", estimated, len(queries), spread(totalErr), spread(facetErr))
	return nil
}

func rel(got, want float64) float64 { return math.Abs(got-want) / max(want, 1) }

func spread(xs []float64) string {
	if len(xs) == 0 {
		return "none"
	}
	slices.Sort(xs)
	return fmt.Sprintf("n %d, median error %.1f%%, p90 %.1f%%, max %.1f%%", len(xs), 100*xs[len(xs)/2], 100*xs[len(xs)*9/10], 100*xs[len(xs)-1])
}
