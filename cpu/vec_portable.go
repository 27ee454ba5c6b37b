//go:build !(goexperiment.simd && amd64)

package cpu

// Without GOEXPERIMENT=simd on amd64, float32 uses the portable loops.

func axpy32(y []float32, a float32, x []float32) { axpyGo(y, a, x) }

func dot32(x, y []float32) float32 { return dotGo(x, y) }

func squash32(x []float32) { squashGo(x) }
