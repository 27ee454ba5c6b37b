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
func axpy[T Float](y []T, a T, x []T) {
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

// dot returns sum x[i]*y[i] over len(x) elements (y is at least as long).
func dot[T Float](x, y []T) T {
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

// squash is the paper's f(a) = A tanh(S a).
func squash[T Float](a T) T {
	if sizeof(a) == 4 {
		return T(net.SquashA * tanh32(float32(net.SquashS)*float32(a)))
	}
	return T(net.SquashA * math.Tanh(net.SquashS*float64(a)))
}

// dsquash is f'(a) written in terms of the output x = f(a):
// f'(a) = S A (1 - tanh^2(S a)) = (S/A)(A^2 - x^2), so backward passes
// need only the stored outputs.
func dsquash[T Float](x T) T {
	return T(net.SquashS/net.SquashA) * (T(net.SquashA*net.SquashA) - x*x)
}

// tanh32 is a float32 tanh to within a few ulp, several times faster than
// math.Tanh: a 13/6 rational minimax approximation on [-9, 9], beyond which
// tanh is ±1 in float32.
func tanh32(x float32) float32 {
	const clamp = 9
	if x > clamp {
		x = clamp
	} else if x < -clamp {
		x = -clamp
	}
	if x > -0.0004 && x < 0.0004 {
		return x
	}
	x2 := x * x
	p := x2*-2.76076847742355e-16 + 2.00018790482477e-13
	p = x2*p + -8.60467152213735e-11
	p = x2*p + 5.12229709037114e-08
	p = x2*p + 1.48572235717979e-05
	p = x2*p + 6.37261928875436e-04
	p = x2*p + 4.89352455891786e-03
	p = x * p
	q := x2*1.19825839466702e-06 + 1.18534705686654e-04
	q = x2*q + 2.26843463243900e-03
	q = x2*q + 4.89352518554385e-03
	return p / q
}
