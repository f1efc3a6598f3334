package eval

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-4 }

// The expected values are worked out by hand in the comments; log2(3) is
// 1.5850, log2(4) = 2, log2(5) = 2.3219, log2(6) = 2.5850.
func TestMetrics(t *testing.T) {
	cases := []struct {
		name   string
		ranked []string
		judged map[string]int
		want   Scores
	}{
		{
			// Relevant a, c of 2 (b judged 0, d unjudged).
			// DCG@10 = 1/log2(2) + 1/log2(4) = 1 + 0.5 = 1.5
			// IDCG   = 1/log2(2) + 1/log2(3) = 1 + 0.6309 = 1.6309
			// nDCG   = 1.5 / 1.6309 = 0.9197
			// AP     = (1/1 + 2/3) / 2 = 0.8333
			// R@100  = 2/2; P@10 = 2/10
			name:   "binary, both found",
			ranked: []string{"a", "b", "c", "d"},
			judged: map[string]int{"a": 1, "b": 0, "c": 1},
			want:   Scores{NDCG10: 0.9197, MAP: 0.8333, Recall100: 1, P10: 0.2},
		},
		{
			// Graded: x=2, y=1, z=1 (z never retrieved). Gains are linear.
			// DCG  = y at 1: 1/1 + x at 3: 2/2 = 2
			// IDCG = 2/1 + 1/1.5850 + 1/2 = 2 + 0.6309 + 0.5 = 3.1309
			// nDCG = 2 / 3.1309 = 0.6388
			// AP   = (1/1 + 2/3) / 3 = 0.5556 (z contributes 0)
			// R@100 = 2/3; P@10 = 2/10
			name:   "graded, one missing",
			ranked: []string{"y", "n", "x"},
			judged: map[string]int{"x": 2, "y": 1, "z": 1},
			want:   Scores{NDCG10: 0.6388, MAP: 0.5556, Recall100: 0.6667, P10: 0.2},
		},
		{
			// The only relevant document is at rank 11: outside the cut
			// for nDCG@10 and P@10, inside for AP and recall.
			// AP = (1/11) / 1 = 0.0909
			name:   "relevant below the cut",
			ranked: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "r"},
			judged: map[string]int{"r": 1},
			want:   Scores{NDCG10: 0, MAP: 0.0909, Recall100: 1, P10: 0},
		},
		{
			name:   "nothing retrieved",
			ranked: nil,
			judged: map[string]int{"a": 1},
			want:   Scores{},
		},
		{
			// Perfect ranking of three relevant among five:
			// nDCG = 1, AP = (1/1 + 2/2 + 3/3)/3 = 1, P@10 = 3/10.
			name:   "perfect",
			ranked: []string{"a", "b", "c", "n1", "n2"},
			judged: map[string]int{"a": 1, "b": 1, "c": 1, "n1": 0},
			want:   Scores{NDCG10: 1, MAP: 1, Recall100: 1, P10: 0.3},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Score(c.ranked, c.judged)
			if !near(got.NDCG10, c.want.NDCG10) || !near(got.MAP, c.want.MAP) ||
				!near(got.Recall100, c.want.Recall100) || !near(got.P10, c.want.P10) {
				t.Errorf("Score = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestRecallCutsAtK(t *testing.T) {
	ranked := make([]string, 0, 101)
	for i := range 100 {
		ranked = append(ranked, string(rune('A'+i%26))+string(rune('0'+i/26)))
	}
	ranked = append(ranked, "late")
	judged := map[string]int{"A0": 1, "late": 1}
	// A0 is at rank 1, late at 101: R@100 = 1/2.
	if got := Recall(ranked, judged, 100); !near(got, 0.5) {
		t.Errorf("Recall@100 = %.4f, want 0.5", got)
	}
}

func TestMean(t *testing.T) {
	got := mean([]Scores{{NDCG10: 1, MAP: 0.5, Recall100: 1, P10: 0.2}, {NDCG10: 0, MAP: 0.25, Recall100: 0.5, P10: 0}})
	want := Scores{NDCG10: 0.5, MAP: 0.375, Recall100: 0.75, P10: 0.1}
	if got != want {
		t.Errorf("mean = %+v, want %+v", got, want)
	}
	if got := mean(nil); got != (Scores{}) {
		t.Errorf("mean(nil) = %+v, want zeros", got)
	}
}
