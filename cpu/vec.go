package cpu

import (
	"math"
	"unsafe"

	"github.com/lenetcl/lenetcl/net"
)

// sizeof is the size of T in bytes; for a type parameter the compiler folds
// it per instantiation, so the float32 fast paths below cost no branch.
func sizeof[T Float](x T) uintptr { return unsafe.Sizeof(x) }

// axpy computes y += a*x over len(y) elements (x is at least as long).
// float32 goes to axpy32, which has a SIMD version where the build has one.
func axpy[T Float](y []T, a T, x []T) {
	if sizeof(a) == 4 {
		axpy32(as32(y), float32(a), as32(x))
		return
	}
	axpyGo(y, a, x)
}

// dot returns sum x[i]*y[i] over len(x) elements (y is at least as long).
func dot[T Float](x, y []T) T {
	var z T
	if sizeof(z) == 4 {
		return T(dot32(as32(x), as32(y)))
	}
	return dotGo(x, y)
}

// as32 views a float32-sized []T as []float32.
func as32[T Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// axpyGo and dotGo are the portable loops.
func axpyGo[T Float](y []T, a T, x []T) {
	x = x[:len(y)]
	i := 0
	for ; i+4 <= len(y); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(y); i++ {
		y[i] += a * x[i]
	}
}

func dotGo[T Float](x, y []T) T {
	y = y[:len(x)]
	var s0, s1, s2, s3 T
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// squash replaces each a in x by the paper's f(a) = A tanh(S a); float32
// goes to squash32, which has a SIMD version where the build has one.
func squash[T Float](x []T) {
	var z T
	if sizeof(z) == 4 {
		squash32(as32(x))
		return
	}
	for i, a := range x {
		x[i] = T(net.SquashA * math.Tanh(net.SquashS*float64(a)))
	}
}

func squashGo(x []float32) {
	for i, a := range x {
		x[i] = net.SquashA*tanh32(net.SquashS*a) + (a - a) // as squash32: ±Inf gives NaN
	}
}

// dsquash is f'(a) written in terms of the output x = f(a):
// f'(a) = S A (1 - tanh^2(S a)) = (S/A)(A^2 - x^2), so backward passes
// need only the stored outputs.
func dsquash[T Float](x T) T {
	return T(net.SquashS/net.SquashA) * (T(net.SquashA*net.SquashA) - x*x)
}

// tanhClamp bounds tanh32's argument: beyond it tanh is ±1 in float32.
const tanhClamp = 9

// tanh32 is a float32 tanh to within a few ulp, several times faster than
// math.Tanh: a 13/6 rational minimax approximation on [-9, 9].
func tanh32(x float32) float32 {
	if x > tanhClamp {
		x = tanhClamp
	} else if x < -tanhClamp {
		x = -tanhClamp
	}
	x2 := x * x
	p := x2*tanhP[0] + tanhP[1]
	for _, c := range tanhP[2:] {
		p = x2*p + c
	}
	q := x2*tanhQ[0] + tanhQ[1]
	for _, c := range tanhQ[2:] {
		q = x2*q + c
	}
	return x * p / q
}

// tanhP and tanhQ are tanh32's numerator (odd, x times a polynomial in x^2)
// and denominator coefficients, highest power first.
var (
	tanhP = [...]float32{-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11,
		5.12229709037114e-08, 1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03}
	tanhQ = [...]float32{1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03}
)
