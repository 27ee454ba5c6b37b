//go:build goexperiment.simd && amd64

package cpu

import (
	"simd/archsimd"

	"github.com/lenetcl/lenetcl/net"
)

// With GOEXPERIMENT=simd on amd64, float32 axpy and dot run 16 lanes at a
// time with fused multiply-adds where the CPU has AVX-512. Each clears the
// upper vector state on return: left dirty, it slows the scalar SSE code
// that follows (tanh32 ran four times slower).

var avx512 = archsimd.X86.AVX512()

func axpy32(y []float32, a float32, x []float32) {
	if !avx512 {
		axpyGo(y, a, x)
		return
	}
	x = x[:len(y)]
	va := archsimd.BroadcastFloat32x16(a)
	i := 0
	for ; i+16 <= len(y); i += 16 {
		vy := archsimd.LoadFloat32x16Slice(y[i:])
		archsimd.LoadFloat32x16Slice(x[i:]).MulAdd(va, vy).StoreSlice(y[i:])
	}
	if i < len(y) {
		vy := archsimd.LoadFloat32x16SlicePart(y[i:])
		archsimd.LoadFloat32x16SlicePart(x[i:]).MulAdd(va, vy).StoreSlicePart(y[i:])
	}
	archsimd.ClearAVXUpperBits()
}

func dot32(x, y []float32) float32 {
	if !avx512 {
		return dotGo(x, y)
	}
	y = y[:len(x)]
	var s0, s1 archsimd.Float32x16
	i := 0
	for ; i+32 <= len(x); i += 32 {
		s0 = archsimd.LoadFloat32x16Slice(x[i:]).MulAdd(archsimd.LoadFloat32x16Slice(y[i:]), s0)
		s1 = archsimd.LoadFloat32x16Slice(x[i+16:]).MulAdd(archsimd.LoadFloat32x16Slice(y[i+16:]), s1)
	}
	for ; i < len(x); i += 16 {
		s0 = archsimd.LoadFloat32x16SlicePart(x[i:]).MulAdd(archsimd.LoadFloat32x16SlicePart(y[i:]), s0)
	}
	var lanes [16]float32
	s0.Add(s1).Store(&lanes)
	archsimd.ClearAVXUpperBits()
	var s float32
	for _, v := range lanes {
		s += v
	}
	return s
}

// squash32 is squashGo's tanh32, 16 lanes at a time.
func squash32(x []float32) {
	if !avx512 {
		squashGo(x)
		return
	}
	for i := 0; i < len(x); i += 16 {
		a0 := archsimd.LoadFloat32x16SlicePart(x[i:])
		a := a0.Mul(archsimd.BroadcastFloat32x16(net.SquashS))
		a = a.Min(archsimd.BroadcastFloat32x16(tanhClamp)).Max(archsimd.BroadcastFloat32x16(-tanhClamp))
		a2 := a.Mul(a)
		p := a2.MulAdd(archsimd.BroadcastFloat32x16(tanhP[0]), archsimd.BroadcastFloat32x16(tanhP[1]))
		for _, c := range tanhP[2:] {
			p = a2.MulAdd(p, archsimd.BroadcastFloat32x16(c))
		}
		q := a2.MulAdd(archsimd.BroadcastFloat32x16(tanhQ[0]), archsimd.BroadcastFloat32x16(tanhQ[1]))
		for _, c := range tanhQ[2:] {
			q = a2.MulAdd(q, archsimd.BroadcastFloat32x16(c))
		}
		// Min and Max turn NaN into a bound; adding a-a (0, or NaN for NaN and
		// ±Inf) lets a diverged value through for the trainer to see.
		a.Mul(p).Div(q).Mul(archsimd.BroadcastFloat32x16(net.SquashA)).Add(a0.Sub(a0)).StoreSlicePart(x[i:])
	}
	archsimd.ClearAVXUpperBits()
}
