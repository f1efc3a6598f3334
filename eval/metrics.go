package eval

import (
	"math"
	"slices"
)

// Scores are one query's figures, or their mean over queries.
type Scores struct {
	NDCG10    float64 `json:"nDCG@10"`
	MAP       float64 `json:"MAP"` // for one query, its average precision
	Recall100 float64 `json:"R@100"`
	P10       float64 `json:"P@10"`
}

// Score computes every measure of a ranked list against one query's
// judgments. Grades above 0 are relevant; a document that was not
// judged counts as not relevant, as in trec_eval.
func Score(ranked []string, judged map[string]int) Scores {
	return Scores{
		NDCG10:    NDCG(ranked, judged, 10),
		MAP:       AveragePrecision(ranked, judged),
		Recall100: Recall(ranked, judged, 100),
		P10:       Precision(ranked, judged, 10),
	}
}

// relevant counts the judged documents with a positive grade.
func relevant(judged map[string]int) int {
	n := 0
	for _, g := range judged {
		if g > 0 {
			n++
		}
	}
	return n
}

// NDCG is normalised discounted cumulative gain at k as trec_eval's
// ndcg_cut and BEIR compute it: the gain of a document is its grade
// (linear, not 2^grade-1), discounted by log2(rank+1), divided by the
// same sum over the ideal ordering of all judged documents.
func NDCG(ranked []string, judged map[string]int, k int) float64 {
	var dcg float64
	for i, id := range ranked[:min(k, len(ranked))] {
		if g := judged[id]; g > 0 {
			dcg += float64(g) / math.Log2(float64(i+2))
		}
	}
	var grades []int
	for _, g := range judged {
		if g > 0 {
			grades = append(grades, g)
		}
	}
	slices.SortFunc(grades, func(a, b int) int { return b - a })
	var ideal float64
	for i, g := range grades[:min(k, len(grades))] {
		ideal += float64(g) / math.Log2(float64(i+2))
	}
	if ideal == 0 {
		return 0
	}
	return dcg / ideal
}

// AveragePrecision is the mean, over every relevant document, of the
// precision at the rank where it was retrieved (0 where it was not).
func AveragePrecision(ranked []string, judged map[string]int) float64 {
	rel := relevant(judged)
	if rel == 0 {
		return 0
	}
	var sum float64
	found := 0
	for i, id := range ranked {
		if judged[id] > 0 {
			found++
			sum += float64(found) / float64(i+1)
		}
	}
	return sum / float64(rel)
}

// Recall is the share of relevant documents in the top k.
func Recall(ranked []string, judged map[string]int, k int) float64 {
	rel := relevant(judged)
	if rel == 0 {
		return 0
	}
	return float64(hits(ranked, judged, k)) / float64(rel)
}

// Precision is the share of the top k that is relevant; a list shorter
// than k still divides by k, as trec_eval does.
func Precision(ranked []string, judged map[string]int, k int) float64 {
	return float64(hits(ranked, judged, k)) / float64(k)
}

func hits(ranked []string, judged map[string]int, k int) int {
	n := 0
	for _, id := range ranked[:min(k, len(ranked))] {
		if judged[id] > 0 {
			n++
		}
	}
	return n
}

// mean averages per-query scores.
func mean(all []Scores) Scores {
	var m Scores
	if len(all) == 0 {
		return m
	}
	for _, s := range all {
		m.NDCG10 += s.NDCG10
		m.MAP += s.MAP
		m.Recall100 += s.Recall100
		m.P10 += s.P10
	}
	n := float64(len(all))
	return Scores{NDCG10: m.NDCG10 / n, MAP: m.MAP / n, Recall100: m.Recall100 / n, P10: m.P10 / n}
}
