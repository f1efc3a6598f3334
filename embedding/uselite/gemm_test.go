package uselite

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveProduct is C = A·B the obvious way, in float64.
func naiveProduct(a, b []float32, m, k, n int) []float64 {
	c := make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s float64
			for r := range k {
				s += float64(a[i*k+r]) * float64(b[r*n+j])
			}
			c[i*n+j] = s
		}
	}
	return c
}

// TestGemm checks the packed product against a plain one for shapes with
// partial row blocks and partial panels, with the assembly kernels and with
// the portable ones, and a transposed pack against its transpose.
func TestGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := []struct{ m, k, n int }{
		{1, 1, 1}, {1, 7, 16}, {5, 3, 17}, {6, 64, 16}, {7, 64, 40}, {13, 256, 512}, {128, 128, 128}, {12, 33, 100},
	}
	kernels := []bool{false}
	if useAVX2 {
		kernels = append(kernels, true)
	}
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	for _, simd := range kernels {
		useAVX2 = simd
		for _, s := range shapes {
			a := make([]float32, s.m*s.k)
			b := make([]float32, s.k*s.n)
			for i := range a {
				a[i] = rng.Float32()*2 - 1
			}
			for i := range b {
				b[i] = rng.Float32()*2 - 1
			}
			want := naiveProduct(a, b, s.m, s.k, s.n)
			bt := make([]float32, s.n*s.k) // bᵀ, to pack transposed
			for r := range s.k {
				for c := range s.n {
					bt[c*s.k+r] = b[r*s.n+c]
				}
			}
			for _, transposed := range []bool{false, true} {
				var p packedMatrix
				if transposed {
					p.packFrom(bt, s.k, s.n, s.k, true)
				} else {
					p = pack(b, s.k, s.n)
				}
				c := make([]float32, s.m*s.n)
				for i := range c {
					c[i] = 1 // gemm adds to C
				}
				gemm(c, s.n, a, s.k, s.m, &p)
				for i := range c {
					if d := math.Abs(float64(c[i]) - 1 - want[i]); d > 1e-4*float64(s.k) {
						t.Fatalf("simd=%v transposed=%v %dx%dx%d: c[%d] = %g, want %g", simd, transposed, s.m, s.k, s.n, i, c[i]-1, want[i])
					}
				}
			}
		}
	}
}

func BenchmarkGemm(b *testing.B) {
	const m, k, n = 128, 512, 1536
	a := make([]float32, m*k)
	w := make([]float32, k*n)
	for i := range a {
		a[i] = float32(i%7) - 3
	}
	for i := range w {
		w[i] = float32(i%5) - 2
	}
	p := pack(w, k, n)
	c := make([]float32, m*n)
	b.SetBytes(int64(m * k * n)) // "MB/s" reads as mega multiply-adds per second
	for b.Loop() {
		gemm(c, n, a, k, m, &p)
	}
}
