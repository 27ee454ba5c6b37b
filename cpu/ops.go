package cpu

import (
	"math"

	"github.com/lenetcl/lenetcl/net"
)

// Convolutions run on "wide" rows: output pixel (y, x) of a K x K valid
// convolution over a W-wide map is accumulated at y*W + x, so each kernel
// tap is one long axpy (forward, input derivative) or dot (weight
// derivative) of L = (OW-1)*W + OW values over a shifted input. The W-OW
// columns between rows are scratch and kept zero where they are read.

func wideLen(l *net.Layer) int { return (l.OutSide-1)*l.InSide + l.OutSide }

// ConvForward runs C1 and C3; a Dense layer (C5) runs as a full connection.
func (b *Backend[T]) ConvForward(l *net.Layer, params, in, out net.Buffer, n int) {
	if l.Dense() {
		b.FullForward(l, params, in, out, n)
		return
	}
	b.setForward(l, params, in, out, n)
	b.run(jobConvForward)
}

func (b *Backend[T]) convForward(w, lo, hi int) {
	a, l := &b.a, b.a.l
	W, K, OW := l.InSide, l.Kernel, l.OutSide
	L := wideLen(l)
	s := &b.scratch[w]
	s.wide = grow(s.wide, L)
	acc := s.wide
	for p := lo; p < hi; p++ {
		in := a.in[p*l.InSize() : (p+1)*l.InSize()]
		out := a.out[p*l.OutSize() : (p+1)*l.OutSize()]
		for o := range l.OutMaps {
			clear(acc)
			wo := a.w[l.ConnStart[o]*K*K:]
			for j, i := range l.Table[o] {
				src := in[i*W*W:]
				for ky := range K {
					for kx := range K {
						off := ky*W + kx
						axpy(acc, wo[(j*K+ky)*K+kx], src[off:off+L])
					}
				}
			}
			bias := a.bias[o]
			dst := out[o*OW*OW : (o+1)*OW*OW]
			for y := range OW {
				for x, v := range acc[y*W : y*W+OW] {
					dst[y*OW+x] = v + bias
				}
			}
			squash(dst)
		}
	}
}

// ConvBackward is the backward pass of C1 and C3, or of a Dense C5 as a full connection.
func (b *Backend[T]) ConvBackward(l *net.Layer, p net.Pass, params, in, out, gout, gin, gparams net.Buffer, n int) {
	if l.Dense() {
		b.FullBackward(l, p, params, in, out, gout, gin, gparams, n)
		return
	}
	b.setBackward(l, p, params, in, out, gout, gin, n)
	b.run(jobConvBackward)
	b.reduce(gparams)
}

func (b *Backend[T]) convBackward(w, lo, hi int) {
	a, l := &b.a, b.a.l
	W, K, OW := l.InSide, l.Kernel, l.OutSide
	L := wideLen(l)
	s := b.start0(w)
	s.wide = grow(s.wide, L)
	ga := s.wide
	gw, gb := s.gacc[:l.Weights], s.gacc[l.Weights:]
	for p := lo; p < hi; p++ {
		x := b.input(s, p)
		out := a.out[p*l.OutSize() : (p+1)*l.OutSize()]
		gout := a.gout[p*l.OutSize() : (p+1)*l.OutSize()]
		var gin []T
		if a.gin != nil {
			gin = a.gin[p*l.InSize() : (p+1)*l.InSize()]
			clear(gin)
		}
		for o := range l.OutMaps {
			clear(ga)
			var sum T
			for y := range OW {
				for xx := range OW {
					k := o*OW*OW + y*OW + xx
					g := gout[k] * b.deriv(out[k])
					ga[y*W+xx] = g
					sum += g
				}
			}
			gb[o] += sum
			base := l.ConnStart[o] * K * K
			for j, i := range l.Table[o] {
				for ky := range K {
					for kx := range K {
						off := i*W*W + ky*W + kx
						t := base + (j*K+ky)*K + kx
						gw[t] += dot(ga, x[off:off+L])
						if gin != nil {
							axpy(gin[off:off+L], a.w[t], ga)
						}
					}
				}
			}
		}
	}
}

// SubsampleForward runs S2 and S4.
func (b *Backend[T]) SubsampleForward(l *net.Layer, params, in, out net.Buffer, n int) {
	b.setForward(l, params, in, out, n)
	b.run(jobSubsampleForward)
}

// window returns the sum of input map m's K x K window at output (y, x).
func window[T Float](l *net.Layer, in []T, m, y, x int) T {
	var s T
	row := m*l.InSide*l.InSide + y*l.Kernel*l.InSide + x*l.Kernel
	for dy := range l.Kernel {
		for _, v := range in[row+dy*l.InSide : row+dy*l.InSide+l.Kernel] {
			s += v
		}
	}
	return s
}

func (b *Backend[T]) subsampleForward(w, lo, hi int) {
	a, l := &b.a, b.a.l
	OW := l.OutSide
	for p := lo; p < hi; p++ {
		in := a.in[p*l.InSize() : (p+1)*l.InSize()]
		out := a.out[p*l.OutSize() : (p+1)*l.OutSize()]
		for m := range l.OutMaps {
			for y := range OW {
				for x := range OW {
					out[(m*OW+y)*OW+x] = a.w[m]*window(l, in, m, y, x) + a.bias[m]
				}
			}
		}
		squash(out)
	}
}

// SubsampleBackward is the backward pass of S2 and S4. The coefficient
// multiplies the window's sum s, so its derivative is the sum of g*s (and
// of h*s^2 for Curvature: the exact Gauss-Newton diagonal).
func (b *Backend[T]) SubsampleBackward(l *net.Layer, p net.Pass, params, in, out, gout, gin, gparams net.Buffer, n int) {
	b.setBackward(l, p, params, in, out, gout, gin, n)
	b.run(jobSubsampleBackward)
	b.reduce(gparams)
}

func (b *Backend[T]) subsampleBackward(w, lo, hi int) {
	a, l := &b.a, b.a.l
	W, K, OW := l.InSide, l.Kernel, l.OutSide
	s := b.start0(w)
	gw, gb := s.gacc[:l.Weights], s.gacc[l.Weights:]
	for p := lo; p < hi; p++ {
		in := a.in[p*l.InSize() : (p+1)*l.InSize()]
		out := a.out[p*l.OutSize() : (p+1)*l.OutSize()]
		gout := a.gout[p*l.OutSize() : (p+1)*l.OutSize()]
		for m := range l.OutMaps {
			for y := range OW {
				for x := range OW {
					k := (m*OW+y)*OW + x
					g := gout[k] * b.deriv(out[k])
					sum := window(l, in, m, y, x)
					if a.curv {
						sum *= sum
					}
					gw[m] += g * sum
					gb[m] += g
					if a.gin != nil {
						gin := a.gin[p*l.InSize():]
						row := m*W*W + y*K*W + x*K
						for dy := range K {
							for dx := range K {
								gin[row+dy*W+dx] = a.w[m] * g
							}
						}
					}
				}
			}
		}
	}
}

// FullForward runs F6, and C5 as a Dense convolution: weights [out][in].
func (b *Backend[T]) FullForward(l *net.Layer, params, in, out net.Buffer, n int) {
	b.setForward(l, params, in, out, n)
	b.run(jobFullForward)
}

func (b *Backend[T]) fullForward(w, lo, hi int) {
	a, l := &b.a, b.a.l
	I, O := l.InSize(), l.OutSize()
	for p := lo; p < hi; p++ {
		in := a.in[p*I : (p+1)*I]
		out := a.out[p*O : (p+1)*O]
		for o := range O {
			out[o] = dot(a.w[o*I:(o+1)*I], in) + a.bias[o]
		}
		squash(out)
	}
}

// FullBackward is the backward pass of F6 and of a Dense C5.
func (b *Backend[T]) FullBackward(l *net.Layer, p net.Pass, params, in, out, gout, gin, gparams net.Buffer, n int) {
	b.setBackward(l, p, params, in, out, gout, gin, n)
	b.run(jobFullBackward)
	b.reduce(gparams)
}

func (b *Backend[T]) fullBackward(w, lo, hi int) {
	a, l := &b.a, b.a.l
	I, O := l.InSize(), l.OutSize()
	s := b.start0(w)
	gw, gb := s.gacc[:l.Weights], s.gacc[l.Weights:]
	for p := lo; p < hi; p++ {
		x := b.input(s, p)
		out := a.out[p*O : (p+1)*O]
		gout := a.gout[p*O : (p+1)*O]
		var gin []T
		if a.gin != nil {
			gin = a.gin[p*I : (p+1)*I]
			clear(gin)
		}
		for o := range O {
			g := gout[o] * b.deriv(out[o])
			gb[o] += g
			axpy(gw[o*I:(o+1)*I], g, x)
			if gin != nil {
				axpy(gin, g, a.w[o*I:(o+1)*I])
			}
		}
	}
}

// RBFForward computes the output penalties y_i = sum_j (x_j - w_ij)^2.
func (b *Backend[T]) RBFForward(l *net.Layer, protos, in, out net.Buffer, n int) {
	b.a = args[T]{l: l, n: n, w: data[T](protos), in: data[T](in), out: data[T](out)}
	b.run(jobRbfForward)
}

func (b *Backend[T]) rbfForward(w, lo, hi int) {
	a, l := &b.a, b.a.l
	I, O := l.InMaps, l.OutMaps
	for p := lo; p < hi; p++ {
		x := a.in[p*I : (p+1)*I]
		for o := range O {
			var y T
			for j, wj := range a.w[o*I : (o+1)*I] {
				d := x[j] - wj
				y += d * d
			}
			a.out[p*O+o] = y
		}
	}
}

// RBFBackward computes dE/dx_j = sum_i dE/dy_i * 2(x_j - w_ij).
func (b *Backend[T]) RBFBackward(l *net.Layer, protos, in, gout, gin net.Buffer, n int) {
	b.a = args[T]{l: l, n: n, w: data[T](protos), in: data[T](in), gout: data[T](gout), gin: data[T](gin)}
	b.run(jobRbfBackward)
}

func (b *Backend[T]) rbfBackward(w, lo, hi int) {
	a, l := &b.a, b.a.l
	I, O := l.InMaps, l.OutMaps
	for p := lo; p < hi; p++ {
		x := a.in[p*I : (p+1)*I]
		gin := a.gin[p*I : (p+1)*I]
		clear(gin)
		for o := range O {
			g := 2 * a.gout[p*O+o]
			for j, wj := range a.w[o*I : (o+1)*I] {
				gin[j] += g * (x[j] - wj)
			}
		}
	}
}

// Loss computes each sample's criterion, its derivative by the penalties,
// and the batch's loss sum and error count.
func (b *Backend[T]) Loss(c net.Criterion, y, labels, gy, stats net.Buffer, scale float32, n int) {
	b.a = args[T]{n: n, crit: c, scale: T(scale), out: data[T](y), labels: data[T](labels), gout: data[T](gy)}
	b.run(jobLoss)
	st := data[T](stats)
	for w := range b.scratch[:b.workers] {
		st[0] += b.scratch[w].stats[0]
		st[1] += b.scratch[w].stats[1]
	}
}

// posterior returns the criterion's value for one sample's penalties y and
// label d, and fills p with the MAP class probabilities
// p_i = exp(-y_i) / (exp(-J) + sum_k exp(-y_k)) (zeros for MSE). The sums
// are taken relative to the smallest exponent, so no exp underflows to a
// zero denominator.
func posterior[T Float](c net.Criterion, y []T, d int, p []T) T {
	if !c.MAP {
		clear(p)
		return y[d]
	}
	m := float64(c.J)
	for _, v := range y {
		m = min(m, float64(v))
	}
	z := math.Exp(m - float64(c.J))
	for i, v := range y {
		e := math.Exp(m - float64(v))
		p[i] = T(e)
		z += e
	}
	for i := range p {
		p[i] /= T(z)
	}
	return y[d] + T(math.Log(z)-m)
}

func (b *Backend[T]) loss(w, lo, hi int) {
	a := &b.a
	s := &b.scratch[w]
	s.probs = grow(s.probs, net.Classes)
	s.stats = [2]T{}
	for p := lo; p < hi; p++ {
		y := a.out[p*net.Classes : (p+1)*net.Classes]
		g := a.gout[p*net.Classes : (p+1)*net.Classes]
		d := int(a.labels[p])
		s.stats[0] += posterior(a.crit, y, d, s.probs)
		for i := range g {
			g[i] = -a.scale * s.probs[i]
		}
		g[d] += a.scale
		best := 0
		for i, v := range y {
			if v < y[best] {
				best = i
			}
		}
		if best != d {
			s.stats[1]++
		}
	}
}

// LossCurvature starts the Curvature pass at F6's output x. With u_i =
// dy_i/dx_j = 2(x_j - w_ij) and d2y_i/dx_j^2 = 2, the exact second
// derivative is 2 for MSE and, for MAP,
// sum_i p_i u_i^2 - (sum_i p_i u_i)^2 + 2(1 - sum_i p_i), never negative.
func (b *Backend[T]) LossCurvature(c net.Criterion, l *net.Layer, protos, x, y, labels, hx net.Buffer, scale float32, n int) {
	b.a = args[T]{l: l, n: n, crit: c, scale: T(scale), w: data[T](protos), in: data[T](x), out: data[T](y), labels: data[T](labels), gin: data[T](hx)}
	b.run(jobLossCurvature)
}

func (b *Backend[T]) lossCurvature(w, lo, hi int) {
	a, l := &b.a, b.a.l
	I, O := l.InMaps, l.OutMaps
	s := &b.scratch[w]
	s.probs = grow(s.probs, O)
	for p := lo; p < hi; p++ {
		x := a.in[p*I : (p+1)*I]
		h := a.gin[p*I : (p+1)*I]
		posterior(a.crit, a.out[p*O:(p+1)*O], int(a.labels[p]), s.probs)
		var ptot T
		for _, v := range s.probs {
			ptot += v
		}
		for j := range h {
			var m1, m2 T
			for i, pi := range s.probs {
				u := 2 * (x[j] - a.w[i*I+j])
				m1 += pi * u
				m2 += pi * u * u
			}
			h[j] = a.scale * (m2 - m1*m1 + 2*(1-ptot))
		}
	}
}

// Gather copies samples idx into the input and label buffers.
func (b *Backend[T]) Gather(set net.Samples, idx []int32, x, labels net.Buffer) {
	const size = net.InputSide * net.InputSide
	s := set.(*samples[T])
	xs, ls := data[T](x), data[T](labels)
	for k, i := range idx {
		copy(xs[k*size:(k+1)*size], s.images[int(i)*size:(int(i)+1)*size])
		ls[k] = T(s.labels[i])
	}
}

// Update applies one parameter step, spread over the workers.
func (b *Backend[T]) Update(st net.Step) {
	b.a = args[T]{step: st, n: st.Params.Len(), w: data[T](st.Params), gout: data[T](st.Grads), hess: data[T](st.Curv), velocity: data[T](st.Velocity)}
	b.run(jobUpdate)
}

func (b *Backend[T]) update(w, lo, hi int) {
	a := &b.a
	lr, mu, mom := T(a.step.LR), T(a.step.Mu), T(a.step.Momentum)
	for k := lo; k < hi; k++ {
		v := lr * a.gout[k]
		if a.hess != nil {
			v /= mu + a.hess[k]
		} else {
			v /= mu
		}
		if a.velocity != nil {
			v += mom * a.velocity[k]
			a.velocity[k] = v
		}
		a.w[k] -= v
	}
}

// setForward prepares the operands of a layer's forward job.
func (b *Backend[T]) setForward(l *net.Layer, params, in, out net.Buffer, n int) {
	ps := data[T](params)
	b.a = args[T]{l: l, n: n, in: data[T](in), out: data[T](out),
		w: ps[l.WeightOff : l.WeightOff+l.Weights], bias: ps[l.BiasOff : l.BiasOff+l.Biases]}
}

// setBackward prepares a backward job; for Curvature the weights it sees
// are squared, once per call.
func (b *Backend[T]) setBackward(l *net.Layer, p net.Pass, params, in, out, gout, gin net.Buffer, n int) {
	ps := data[T](params)
	w := ps[l.WeightOff : l.WeightOff+l.Weights]
	if p == net.Curvature {
		b.wsq = grow(b.wsq, len(w))
		for i, v := range w {
			b.wsq[i] = v * v
		}
		w = b.wsq
	}
	b.a = args[T]{l: l, n: n, curv: p == net.Curvature, w: w, in: data[T](in), out: data[T](out), gout: data[T](gout), gin: data[T](gin)}
}

// start0 readies worker w's parameter accumulator for the current layer.
func (b *Backend[T]) start0(w int) *scratch[T] {
	s := &b.scratch[w]
	s.gacc = grow(s.gacc, b.a.l.Params())
	clear(s.gacc)
	return s
}

// input returns sample p's layer input, squared for Curvature.
func (b *Backend[T]) input(s *scratch[T], p int) []T {
	n := b.a.l.InSize()
	x := b.a.in[p*n : (p+1)*n]
	if !b.a.curv {
		return x
	}
	s.sqin = grow(s.sqin, n)
	for i, v := range x {
		s.sqin[i] = v * v
	}
	return s.sqin
}

// deriv is f' at output x, squared for Curvature.
func (b *Backend[T]) deriv(x T) T {
	d := dsquash(x)
	if b.a.curv {
		d *= d
	}
	return d
}

// reduce sums the workers' accumulators, in worker order, into the layer's
// part of gparams.
func (b *Backend[T]) reduce(gparams net.Buffer) {
	l := b.a.l
	dst := data[T](gparams)[l.WeightOff : l.WeightOff+l.Params()]
	copy(dst, b.scratch[0].gacc)
	for w := 1; w < b.workers; w++ {
		for i, v := range b.scratch[w].gacc {
			dst[i] += v
		}
	}
}
