package eval

import (
	"errors"
	"fmt"
	"math"
)

// Paired returns the mean per-query difference a−b of nDCG@10 and its
// standard error: the figure that says whether a change is more than
// noise. Both reports must score the same queries (one bench, two runs).
func Paired(a, b *Report) (mean, se float64) {
	n := float64(len(a.PerQuery))
	if n < 2 || len(b.PerQuery) != len(a.PerQuery) {
		return 0, math.NaN()
	}
	var sum, sq float64
	for i := range a.PerQuery {
		x := a.PerQuery[i].NDCG10 - b.PerQuery[i].NDCG10
		sum += x
		sq += x * x
	}
	mean = sum / n
	variance := max(sq-n*mean*mean, 0) / (n - 1)
	return mean, math.Sqrt(variance / n)
}

// Comparison is a run against a baseline on the same queries.
type Comparison struct {
	Baseline string  `json:"baseline"` // the baseline's mode
	NDCG10   float64 `json:"baseline_nDCG@10"`
	Diff     float64 `json:"diff_nDCG@10"`
	SE       float64 `json:"paired_se"`
}

// Compare pairs rep with base query by query.
func Compare(rep, base *Report) (Comparison, error) {
	if len(rep.PerQuery) != len(base.PerQuery) {
		return Comparison{}, errors.New("the runs scored different queries")
	}
	for i := range rep.PerQuery {
		if rep.PerQuery[i].ID != base.PerQuery[i].ID {
			return Comparison{}, errors.New("the runs scored different queries")
		}
	}
	d, se := Paired(rep, base)
	return Comparison{Baseline: base.Mode, NDCG10: base.NDCG10, Diff: d, SE: se}, nil
}

// String reads "vs keyword (nDCG@10=0.4011): +0.0240 ± 0.0050 paired SE (4.8 SE)".
func (c Comparison) String() string {
	z := 0.0
	if c.SE > 0 {
		z = c.Diff / c.SE
	}
	return fmt.Sprintf("vs %s (nDCG@10=%.4f): %+.4f ± %.4f paired SE (%+.1f SE)", c.Baseline, c.NDCG10, c.Diff, c.SE, z)
}
