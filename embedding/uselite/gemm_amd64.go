package uselite

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly micro-kernels; tests switch it off to check
// that both paths agree.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kern6x16 adds A·panel to a 6×16 block of C. It reads 6×k floats of a
// (stride lda), k×16 of b and 6×16 of c (stride ldc); lengths are the
// caller's to check.
//
//go:noescape
func kern6x16(k int, a *float32, lda int, b *float32, c *float32, ldc int)

func kernel(k int, a []float32, lda int, panel, c []float32, ldc int) {
	if !useAVX2 || k == 0 {
		kernelGo(k, a, lda, panel, c, ldc)
		return
	}
	kern6x16(k, &a[0], lda, &panel[0], &c[0], ldc)
}
