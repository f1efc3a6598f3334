package embedding

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkNearest100k is the vector search behind hybrid search, by
// exact scan and through the graph: one query against 100,000 passage
// vectors of 384 dimensions
// (random unit vectors; the scan does not care what they mean), for the
// 100 best documents, as hybridSearch asks. Passages belong to 100,000
// one-passage documents (the 100k benchmark corpus) or to 10,000
// documents of ten passages each (long speeches).
//
//	go test -run '^$' -bench Nearest100k ./embedding
func BenchmarkNearest100k(b *testing.B) {
	const passages, dims, n = 100_000, 384, 100
	for _, perDoc := range []int{1, 10} {
		b.Run(fmt.Sprintf("docs=%d", passages/perDoc), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			v := newVectors()
			for d := range passages / perDoc {
				vecs := make([][]float32, perDoc)
				spans := make([]Passage, perDoc)
				for i := range vecs {
					vecs[i] = randomUnit(r, dims)
					spans[i] = Passage{i * 100, i*100 + 99}
				}
				v.set(fmt.Sprintf("doc-%06d", d), spans, vecs, vectorHashes(vecs))
			}
			queries := make([][]float32, 64)
			for i := range queries {
				queries[i] = randomUnit(r, dims)
			}
			for _, how := range []struct {
				name  string
				below int
			}{{"scan", math.MaxInt}, {"graph", exactBelow}} {
				b.Run(how.name, func(b *testing.B) {
					v.exactBelow = how.below
					i := 0
					for b.Loop() {
						if got := v.nearest(queries[i%len(queries)], n, nil); len(got) != n {
							b.Fatalf("got %d matches, want %d", len(got), n)
						}
						i++
					}
					b.ReportMetric(float64(passages)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpassages/s")
				})
			}
		})
	}
}

func randomUnit(r *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	var sum float64
	for i := range v {
		x := r.NormFloat64()
		v[i] = float32(x)
		sum += x * x
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
	return v
}
