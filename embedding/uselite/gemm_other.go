//go:build !amd64

package uselite

var useAVX2 = false

func kernel(k int, a []float32, lda int, panel, c []float32, ldc int) {
	kernelGo(k, a, lda, panel, c, ldc)
}
