package uselite

import "sync"

// The encoder spends nearly all its time in matrix products C += A·B where
// B is a weight matrix (packed once at load) or, in attention, keys and
// values (packed per sequence). B is stored in panels of nr columns, each
// panel [k][nr] contiguous and zero-padded, so a micro-kernel can stream a
// panel while it keeps an mr×nr block of C in registers. On amd64 with
// AVX2 and FMA the micro-kernel is assembly; elsewhere it is plain Go.

const (
	nr = 16 // panel width: two 8-float AVX registers
	mr = 6  // rows per micro-kernel call: 12 accumulators + 3 work registers
)

// packedMatrix is a k×n matrix in panels of nr columns.
type packedMatrix struct {
	k, n   int
	panels []float32 // ceil(n/nr) panels of k·nr floats
}

// pack lays out w (row-major [k][n]) in panels.
func pack(w []float32, k, n int) packedMatrix {
	var p packedMatrix
	p.packFrom(w, k, n, n, false)
	return p
}

// packFrom fills p from src, reusing p's buffer. Element (r, c) of the k×n
// matrix is src[r*ld+c], or src[c*ld+r] when transposed (attention keys).
func (p *packedMatrix) packFrom(src []float32, k, n, ld int, transposed bool) {
	p.k, p.n = k, n
	np := (n + nr - 1) / nr
	p.panels = resize(p.panels, np*k*nr)
	for pi := range np {
		panel := p.panels[pi*k*nr : (pi+1)*k*nr]
		c0 := pi * nr
		w := min(nr, n-c0)
		for r := range k {
			dst := panel[r*nr : (r+1)*nr]
			if transposed {
				for c := range w {
					dst[c] = src[(c0+c)*ld+r]
				}
			} else {
				copy(dst[:w], src[r*ld+c0:r*ld+c0+w])
			}
			clear(dst[w:])
		}
	}
}

// gemm adds A·B to C for m rows: A[i][r] = a[i*lda+r] (r < p.k) and
// C[i][j] = c[i*ldc+j] (j < p.n).
func gemm(c []float32, ldc int, a []float32, lda int, m int, p *packedMatrix) {
	gemmPanels(c, ldc, a, lda, m, p, 0, p.numPanels())
}

func (p *packedMatrix) numPanels() int { return (p.n + nr - 1) / nr }

// padPool holds mr-row copies of A's last, partial row block: running the
// full mr-row kernel on them reads each weight panel once for those rows
// instead of once per row, which is what a short query's time is made of.
var padPool = sync.Pool{New: func() any { return new([]float32) }}

// gemmPanels is gemm restricted to panels [p0, p1), so that callers can
// split one product's columns across goroutines.
func gemmPanels(c []float32, ldc int, a []float32, lda int, m int, p *packedMatrix, p0, p1 int) {
	if m == 0 || p.n == 0 || p0 >= p1 {
		return
	}
	k := p.k
	// The kernels index without bounds checks: check the extremes once.
	_ = a[(m-1)*lda+k-1]
	_ = c[(m-1)*ldc+p.n-1]
	full := m - m%mr // rows in whole mr-row blocks
	var pad []float32
	if full < m {
		pp := padPool.Get().(*[]float32)
		defer padPool.Put(pp)
		*pp = resize(*pp, mr*k)
		pad = *pp
		clear(pad)
		for r := range m - full {
			copy(pad[r*k:(r+1)*k], a[(full+r)*lda:(full+r)*lda+k])
		}
	}
	var tile [mr * nr]float32
	for pi := p0; pi < p1; pi++ {
		panel := p.panels[pi*k*nr : (pi+1)*k*nr]
		c0 := pi * nr
		width := min(nr, p.n-c0)
		for i := 0; i < m; i += mr {
			rows := min(mr, m-i)
			if rows == mr && width == nr {
				kernel(k, a[i*lda:], lda, panel, c[i*ldc+c0:], ldc)
				continue
			}
			// A partial block (last rows or last columns): compute into a
			// zeroed tile, then add the rows and columns that exist.
			clear(tile[:])
			if rows == mr {
				kernel(k, a[i*lda:], lda, panel, tile[:], nr)
			} else {
				kernel(k, pad, k, panel, tile[:], nr)
			}
			for r := range rows {
				row := c[(i+r)*ldc+c0 : (i+r)*ldc+c0+width]
				for j := range row {
					row[j] += tile[r*nr+j]
				}
			}
		}
	}
}

// kernelGo is the portable micro-kernel: C[mr][nr] += A[mr][k]·panel.
func kernelGo(k int, a []float32, lda int, panel, c []float32, ldc int) {
	for r := range mr {
		var acc [nr]float32
		arow := a[r*lda : r*lda+k]
		for kk, av := range arow {
			b := panel[kk*nr : kk*nr+nr]
			for j := range acc {
				acc[j] += av * b[j]
			}
		}
		crow := c[r*ldc : r*ldc+nr]
		for j := range crow {
			crow[j] += acc[j]
		}
	}
}
