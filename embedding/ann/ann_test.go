package ann

import (
	"bytes"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// clustered returns n unit vectors around k random centres, the shape of
// real passage embeddings (topics) more than uniform noise is.
func clustered(r *rand.Rand, n, dims, k int, spread float64) [][]float32 {
	centres := make([][]float64, k)
	for i := range centres {
		centres[i] = make([]float64, dims)
		for d := range dims {
			centres[i][d] = r.NormFloat64()
		}
	}
	out := make([][]float32, n)
	for i := range out {
		c := centres[r.IntN(k)]
		v := make([]float64, dims)
		for d := range dims {
			v[d] = c[d] + spread*r.NormFloat64()
		}
		out[i] = unit(v)
	}
	return out
}

func unit(v []float64) []float32 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x / math.Sqrt(s))
	}
	return out
}

// exact is the scan the graph must agree with.
func exact(g *Graph, q []float32, k int, accept func(uint32) bool) []Result {
	var all []Result
	for id := range uint32(g.Cap()) {
		if g.Live(id) && (accept == nil || accept(id)) {
			all = append(all, Result{id, Dot(q, g.Vector(id))})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Similarity > all[j].Similarity })
	return all[:min(k, len(all))]
}

// recall is the share of want's ids among got's first len(want).
func recall(got, want []Result) float64 {
	if len(want) == 0 {
		return 1
	}
	in := map[uint32]bool{}
	for _, r := range got[:min(len(got), len(want))] {
		in[r.ID] = true
	}
	hit := 0
	for _, r := range want {
		if in[r.ID] {
			hit++
		}
	}
	return float64(hit) / float64(len(want))
}

func meanRecall(t *testing.T, g *Graph, queries [][]float32, ef int, accept func(uint32) bool) float64 {
	t.Helper()
	var sum float64
	for _, q := range queries {
		got, _ := g.Search(q, ef, accept, 0)
		for _, r := range got {
			if !g.Live(r.ID) || (accept != nil && !accept(r.ID)) {
				t.Fatalf("search returned node %d, deleted or filtered out", r.ID)
			}
		}
		sum += recall(got, exact(g, q, 10, accept))
	}
	return sum / float64(len(queries))
}

func TestRecallAgainstExactScan(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const n, dims = 4000, 64
	vecs := clustered(r, n+50, dims, 40, 0.6)
	g := New(dims, Options{Seed: 1})
	for i, v := range vecs[:n] {
		g.Set(uint32(i), v)
	}
	queries := vecs[n:]
	even := func(id uint32) bool { return id%2 == 0 }
	for _, tc := range []struct {
		name   string
		change func()
		accept func(uint32) bool
	}{
		{"built", func() {}, nil},
		{"filtered to half", func() {}, even},
		// Deleting a third and reusing half of those numbers for new
		// vectors exercises tombstones and relinking.
		{"after deletes and reuse", func() {
			for i := 0; i < n; i += 3 {
				g.Delete(uint32(i))
			}
			fresh := clustered(r, n/6+1, dims, 40, 0.6)
			for i, j := 0, 0; i < n; i, j = i+6, j+1 {
				g.Set(uint32(i), fresh[j])
			}
		}, nil},
		{"saved and read back", func() {
			var buf bytes.Buffer
			if err := g.Write(&buf); err != nil {
				t.Fatal(err)
			}
			back, err := Read(&buf, 1)
			if err != nil {
				t.Fatal(err)
			}
			for id := range uint32(g.Cap()) {
				back.SetVector(id, g.Vector(id))
			}
			if back.Len() != g.Len() || back.Cap() != g.Cap() {
				t.Fatalf("read back %d live of %d, want %d of %d", back.Len(), back.Cap(), g.Len(), g.Cap())
			}
			g = back
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.change()
			if got := meanRecall(t, g, queries, 64, tc.accept); got < 0.95 {
				t.Errorf("recall@10 = %.3f at ef 64, want >= 0.95", got)
			}
		})
	}
}

func TestDeletesNeverReturned(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	vecs := clustered(r, 300, 16, 5, 0.3)
	g := New(16, Options{M: 4, Seed: 2})
	for i, v := range vecs {
		g.Set(uint32(i), v)
	}
	for i := range 299 { // all but one, the entry point among them
		g.Delete(uint32(i))
	}
	if g.Len() != 1 {
		t.Fatalf("Len = %d after deleting all but one, want 1", g.Len())
	}
	got, done := g.Search(vecs[0], 10, nil, 0)
	if !done || len(got) != 1 || got[0].ID != 299 {
		t.Errorf("search among one live node = %v (finished %v), want node 299", got, done)
	}
	g.Delete(299)
	if got, _ := g.Search(vecs[0], 10, nil, 0); len(got) != 0 {
		t.Errorf("search of an all-deleted graph = %v, want nothing", got)
	}
	g.Set(5, vecs[7]) // a reused number comes back, with its new vector
	if got, _ := g.Search(vecs[7], 1, nil, 0); len(got) != 1 || got[0].ID != 5 {
		t.Errorf("after reuse, search = %v, want node 5", got)
	}
}

func TestBudgetCutsFilteredSearch(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	vecs := clustered(r, 2000, 32, 10, 0.5)
	g := New(32, Options{Seed: 3})
	for i, v := range vecs {
		g.Set(uint32(i), v)
	}
	rare := func(id uint32) bool { return id == 1999 }
	if _, done := g.Search(vecs[0], 10, rare, 100); done {
		t.Error("a search for 10 among 1 allowed node finished within 100 visits")
	}
	if got, done := g.Search(vecs[0], 10, rare, 0); !done || len(got) != 1 || got[0].ID != 1999 {
		t.Errorf("unbounded search = %v (finished %v), want node 1999", got, done)
	}
}

func TestReadRejectsDamage(t *testing.T) {
	g := New(8, Options{Seed: 1})
	r := rand.New(rand.NewPCG(1, 2))
	for i, v := range clustered(r, 50, 8, 2, 0.5) {
		g.Set(uint32(i), v)
	}
	var buf bytes.Buffer
	if err := g.Write(&buf); err != nil {
		t.Fatal(err)
	}
	whole := buf.Bytes()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"other file", []byte("hello world, not a graph at all")},
		{"truncated", whole[:len(whole)/2]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Read(bytes.NewReader(tc.data), 1); err == nil {
				t.Error("Read accepted it")
			}
		})
	}
}
