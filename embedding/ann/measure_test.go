package ann

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestMeasure builds a graph of ANN_N clustered vectors (ANN_DIMS, default
// 512) and reports build time, recall@10 against the exact scan and search
// latency per beam width. It is a measurement, not a check, and runs only
// when ANN_N is set:
//
//	ANN_N=1000000 nice -n 10 go test -run TestMeasure -v -timeout 3h ./embedding/ann
func TestMeasure(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ANN_N"))
	if n == 0 {
		t.Skip("a measurement: set ANN_N (and ANN_DIMS) to run it")
	}
	dims := 512
	if d, _ := strconv.Atoi(os.Getenv("ANN_DIMS")); d > 0 {
		dims = d
	}
	r := rand.New(rand.NewPCG(11, 12))
	// Centres one per 500 vectors: topics of a few hundred passages.
	centres := max(n/500, 10)
	g := New(dims, Options{Seed: 1})
	queries := clusteredFrom(r, 100, dims, centres)
	// Figures at checkpoints, so that a run stopped early (the machine is
	// shared) still reports the largest size it reached.
	checkpoints := []int{50_000, 100_000, 200_000, 400_000, 700_000, 1_000_000, 2_000_000}
	start, spent := time.Now(), time.Duration(0)
	const batch = 10_000
	for i := 0; i < n; {
		next := n
		for _, c := range checkpoints {
			if c > i && c < n {
				next = c
				break
			}
		}
		for i < next {
			vecs := clusteredFrom(r, min(batch, next-i), dims, centres)
			s := time.Now()
			for j, v := range vecs {
				g.Set(uint32(i+j), v)
			}
			spent += time.Since(s)
			i += len(vecs)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.Logf("%d × %d: inserting took %s (%.0f vectors/s), wall %s, heap %d MiB", i, dims, spent.Round(time.Second),
			float64(i)/spent.Seconds(), time.Since(start).Round(time.Second), ms.HeapAlloc>>20)
		report(t, g, queries)
	}
}

// report prints recall@10 against the exact scan and search latency per
// beam width.
func report(t *testing.T, g *Graph, queries [][]float32) {
	wants := make([][]Result, len(queries))
	scan := time.Now()
	for i, q := range queries {
		wants[i] = exact(g, q, 10, nil)
	}
	t.Logf("  exact scan: %.1f ms per query", float64(time.Since(scan).Microseconds())/1e3/float64(len(queries)))
	for _, ef := range []int{64, 100, 200, 400} {
		var sum float64
		lat := make([]time.Duration, len(queries))
		for i, q := range queries {
			s := time.Now()
			got, _ := g.Search(q, ef, nil, 0)
			lat[i] = time.Since(s)
			sum += recall(got, wants[i])
		}
		slices.Sort(lat)
		t.Log(fmt.Sprintf("  ef %3d: recall@10 %.3f, p50 %.2f ms, p99 %.2f ms", ef, sum/float64(len(queries)),
			float64(lat[len(lat)/2].Microseconds())/1e3, float64(lat[len(lat)*99/100].Microseconds())/1e3))
	}
}

// clusteredFrom draws n vectors around centres fixed by the generator's
// first use (the same centres on every call with the same r sequence is not
// needed: queries and data share them through the package-level cache).
func clusteredFrom(r *rand.Rand, n, dims, k int) [][]float32 {
	if measureCentres == nil || len(measureCentres) != k || len(measureCentres[0]) != dims {
		measureCentres = make([][]float64, k)
		for i := range measureCentres {
			measureCentres[i] = make([]float64, dims)
			for d := range dims {
				measureCentres[i][d] = r.NormFloat64()
			}
		}
	}
	out := make([][]float32, n)
	v := make([]float64, dims)
	for i := range out {
		c := measureCentres[r.IntN(k)]
		for d := range dims {
			v[d] = c[d] + 0.7*r.NormFloat64()
		}
		out[i] = unit(v)
	}
	return out
}

var measureCentres [][]float64
