package uselite

// packedMatrix is a weight matrix [k][n] laid out for gemm.
type packedMatrix struct {
	k, n int
	w    []float32 // row-major [k][n]
}

func pack(w []float32, k, n int) packedMatrix {
	return packedMatrix{k: k, n: n, w: w}
}

// gemm adds a[m][k]·p to c[m][n].
func gemm(c, a []float32, m int, p *packedMatrix) {
	k, n := p.k, p.n
	for i := range m {
		crow := c[i*n : (i+1)*n]
		for kk, av := range a[i*k : (i+1)*k] {
			if av == 0 {
				continue
			}
			wrow := p.w[kk*n : (kk+1)*n]
			for j, wv := range wrow {
				crow[j] += av * wv
			}
		}
	}
}
