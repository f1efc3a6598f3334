//go:build !amd64

package uselite

var useAVX2 = false

func kernel(rows, k int, a []float32, lda int, panel, c []float32, ldc int) {
	kernelGo(rows, k, a, lda, panel, c, ldc)
}
