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
		sim := dot(q, v.vec(s))
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
		v.set(fmt.Sprintf("d%03d", d), spans, vecs, vectorHashes(vecs))
	}
	for d := 0; d < 300; d += 7 { // free slots, some reused below
		v.remove(fmt.Sprintf("d%03d", d))
	}
	late := [][]float32{palette[0], palette[1]}
	v.set("late", []Passage{{0, 1}, {1, 2}}, late, vectorHashes(late))
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

// vectorHashes stands in for the hashes of embedded inputs: equal vectors,
// equal hashes.
func vectorHashes(vecs [][]float32) []string {
	out := make([]string, len(vecs))
	for i, v := range vecs {
		out[i] = Hash(fmt.Sprint(v))
	}
	return out
}

// TestNearestThroughTheGraph puts the graph to work on a collection above
// the exact-scan threshold (lowered for the test) and checks recall@10
// against the exact scan, unfiltered, filtered to a third, and under a
// filter so selective that the exact scan must take over; documents have
// one to three passages, and some are replaced or deleted first.
func TestNearestThroughTheGraph(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const dims, docs = 48, 4000
	centres := make([][]float32, 30)
	for i := range centres {
		centres[i] = randomUnit(r, dims)
	}
	near := func() []float32 {
		c, v := centres[r.IntN(len(centres))], randomUnit(r, dims)
		for i := range v {
			v[i] = c[i] + 0.5*v[i]
		}
		u, _ := normalize(v)
		return u
	}
	v := newVectors()
	v.exactBelow = 2000
	put := func(id string) {
		k := 1 + r.IntN(3)
		vecs, spans := make([][]float32, k), make([]Passage, k)
		for i := range vecs {
			vecs[i], spans[i] = near(), Passage{i, i + 1}
		}
		v.set(id, spans, vecs, vectorHashes(vecs))
	}
	for d := range docs {
		put(fmt.Sprintf("d%04d", d))
	}
	for d := 0; d < docs; d += 5 {
		if d%10 == 0 {
			v.remove(fmt.Sprintf("d%04d", d))
		} else {
			put(fmt.Sprintf("d%04d", d)) // new vectors, partly in reused slots
		}
	}
	third := func(id string) bool { return id[len(id)-1]%3 == 0 }
	rare := func(id string) bool { return id == "d0007" || id == "d0011" }
	for _, tc := range []struct {
		name  string
		keep  func(string) bool
		graph bool // answered by the graph, not the exact scan
	}{{"unfiltered", nil, true}, {"a third", third, true}, {"two documents", rare, false}} {
		t.Run(tc.name, func(t *testing.T) {
			graph, scans := v.graphSearches.Load(), v.scans.Load()
			var sum float64
			const queries = 60
			for range queries {
				q := near()
				got, want := v.nearest(q, 10, tc.keep), nearestBySort(v, q, 10, tc.keep)
				in := map[string]bool{}
				for _, m := range got {
					if tc.keep != nil && !tc.keep(m.ID) {
						t.Fatalf("%s passed no filter", m.ID)
					}
					in[m.ID] = true
				}
				hit := 0
				for _, m := range want {
					if in[m.ID] {
						hit++
					}
				}
				sum += float64(hit) / float64(len(want))
			}
			if got := sum / queries; got < 0.95 {
				t.Errorf("recall@10 = %.3f, want >= 0.95", got)
			}
			graph, scans = v.graphSearches.Load()-graph, v.scans.Load()-scans
			if tc.graph && graph < queries*9/10 || !tc.graph && scans != queries {
				t.Errorf("%d searches by the graph, %d exact scans; want the graph: %v", graph, scans, tc.graph)
			}
		})
	}
}
