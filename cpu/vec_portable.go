//go:build !(goexperiment.simd && amd64)

package cpu

import "gonum.org/v1/gonum/blas/gonum"

// Without GOEXPERIMENT=simd on amd64, float32 axpy and dot go to gonum's
// BLAS, which has SSE assembly for them on amd64 and portable Go elsewhere.

var blas gonum.Implementation

func axpy32(y []float32, a float32, x []float32) {
	if len(y) > 0 {
		blas.Saxpy(len(y), a, x, 1, y, 1)
	}
}

func dot32(x, y []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	return blas.Sdot(len(x), x, 1, y, 1)
}

func squash32(x []float32) { squashGo(x) }
