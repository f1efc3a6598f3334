package embedding

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
)

// nearestBySort is the obvious algorithm nearest must agree with: every
// document's first best passage, all sorted, the first n kept.
func nearestBySort(v *vectors, q []float32, n int, keep func(string) bool) []Match {
	best := map[string]Match{}
	for s, sl := range v.slots {
		if sl.doc == "" || (keep != nil && !keep(sl.doc)) {
			continue
		}
		sim := dot(q, v.data[s*v.dims:(s+1)*v.dims])
		if m, ok := best[sl.doc]; !ok || sim > m.Similarity {
			best[sl.doc] = Match{ID: sl.doc, Similarity: sim, Passage: sl.passage, Span: sl.span}
		}
	}
	out := make([]Match, 0, len(best))
	for _, m := range best {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Similarity != out[j].Similarity {
			return out[i].Similarity > out[j].Similarity
		}
		return out[i].ID < out[j].ID
	})
	return out[:min(n, len(out))]
}

func TestNearestKeepsTheBestDocuments(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const dims = 4
	// Few distinct vector values, so that similarities tie often, within
	// a document and across documents.
	palette := make([][]float32, 6)
	for i := range palette {
		palette[i] = randomUnit(r, dims)
	}
	v := newVectors()
	for d := range 300 {
		k := 1 + r.IntN(4)
		vecs, spans := make([][]float32, k), make([]Passage, k)
		for i := range vecs {
			vecs[i], spans[i] = palette[r.IntN(len(palette))], Passage{i, i + 1}
		}
		v.set(fmt.Sprintf("d%03d", d), spans, vecs)
	}
	for d := 0; d < 300; d += 7 { // free slots, some reused below
		v.remove(fmt.Sprintf("d%03d", d))
	}
	v.set("late", []Passage{{0, 1}, {1, 2}}, [][]float32{palette[0], palette[1]})
	odd := func(id string) bool { return id[len(id)-1]%2 == 1 }
	for trial := range 200 {
		q := palette[trial%len(palette)]
		if trial%3 == 0 {
			q = randomUnit(r, dims)
		}
		n := []int{1, 5, 10, 100, 400}[trial%5]
		var keep func(string) bool
		if trial%4 == 0 {
			keep = odd
		}
		got, want := v.nearest(q, n, keep), nearestBySort(v, q, n, keep)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d (n=%d, filtered %v):\n got %v\nwant %v", trial, n, keep != nil, got, want)
		}
	}
	if got := v.nearest(palette[0], 0, nil); len(got) != 0 {
		t.Errorf("n=0 gave %d matches", len(got))
	}
}
