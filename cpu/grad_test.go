package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lenetcl/lenetcl/net"
)

// The CPU backend is the reference, so it is checked against central finite
// differences in float64: every layer's Gradient pass against dE/dw and
// dE/dx, its Curvature pass against the Gauss-Newton diagonal
// sum_o h_o (dout_o/dv)^2 computed from finite-difference Jacobians, and
// the whole network's gradient against the loss.

const fdStep = 1e-6

func randomize(rng *rand.Rand, x []float64, scale float64) {
	for i := range x {
		x[i] = (2*rng.Float64() - 1) * scale
	}
}

// central returns the central difference of f around *v.
func central(f func() float64, v *float64) float64 {
	old := *v
	*v = old + fdStep
	hi := f()
	*v = old - fdStep
	lo := f()
	*v = old
	return (hi - lo) / (2 * fdStep)
}

// jacobian returns d out / d *v by central differences of the vector f.
func jacobian(f func() []float64, v *float64) []float64 {
	old := *v
	*v = old + fdStep
	hi := append([]float64(nil), f()...)
	*v = old - fdStep
	lo := f()
	*v = old
	for i := range hi {
		hi[i] = (hi[i] - lo[i]) / (2 * fdStep)
	}
	return hi
}

func close64(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// sample returns up to k distinct indices in [lo, hi), all of them when few.
func sample(rng *rand.Rand, lo, hi, k int) []int {
	if hi-lo <= k {
		s := make([]int, 0, hi-lo)
		for i := lo; i < hi; i++ {
			s = append(s, i)
		}
		return s
	}
	return rng.Perm(hi - lo)[:k]
}

func TestLayerDerivatives(t *testing.T) {
	lenet := net.LeNet5()
	for _, l := range lenet.Layers {
		if l.Kind == net.RBF {
			continue
		}
		t.Run(l.Name, func(t *testing.T) {
			l := l
			rng := rand.New(rand.NewPCG(1, uint64(l.WeightOff)))
			b := New[float64](2)
			defer b.Close()
			const n = 3
			params := &Buffer[float64]{Data: make([]float64, lenet.Params)}
			copyParams(params.Data, net.InitParams(lenet, 7))
			randomize(rng, params.Data[l.BiasOff:l.BiasOff+l.Biases], 0.5)
			in := &Buffer[float64]{Data: make([]float64, n*l.InSize())}
			randomize(rng, in.Data, 1.5)
			out := &Buffer[float64]{Data: make([]float64, n*l.OutSize())}
			forward := func() []float64 {
				net.LayerForward(b, &l, params, in, out, n)
				return out.Data
			}
			r := make([]float64, len(out.Data)) // E = r . out
			randomize(rng, r, 1)
			h := make([]float64, len(out.Data)) // the curvature arriving at out
			for i := range h {
				h[i] = rng.Float64()
			}
			energy := func() float64 {
				e := 0.0
				for i, v := range forward() {
					e += r[i] * v
				}
				return e
			}
			forward()
			grad := func(p net.Pass, g []float64) (gparams, gin []float64) {
				gp := &Buffer[float64]{Data: make([]float64, lenet.Params)}
				gi := &Buffer[float64]{Data: make([]float64, len(in.Data))}
				net.LayerBackward(b, &l, p, params, in, out, &Buffer[float64]{Data: g}, gi, gp, n)
				return gp.Data, gi.Data
			}
			gp, gi := grad(net.Gradient, r)
			hp, hi := grad(net.Curvature, h)
			check := func(what string, idx []int, vals []float64, gv, hv []float64) {
				for _, k := range idx {
					if want := central(energy, &vals[k]); !close64(gv[k], want, 1e-6) {
						t.Errorf("%s %d: gradient %.9g, finite difference %.9g", what, k, gv[k], want)
					}
					gn := 0.0
					for o, d := range jacobian(forward, &vals[k]) {
						gn += h[o] * d * d
					}
					if !close64(hv[k], gn, 1e-6) {
						t.Errorf("%s %d: curvature %.9g, Gauss-Newton diagonal %.9g", what, k, hv[k], gn)
					}
				}
			}
			check("parameter", sample(rng, l.WeightOff, l.BiasOff+l.Biases, 120), params.Data, gp, hp)
			check("input", sample(rng, 0, len(in.Data), 60), in.Data, gi, hi)
			// Parameters outside the layer are left alone.
			for k := range gp {
				if (k < l.WeightOff || k >= l.BiasOff+l.Biases) && (gp[k] != 0 || hp[k] != 0) {
					t.Fatalf("parameter %d outside %s written", k, l.Name)
				}
			}
		})
	}
}

func copyParams(dst []float64, src []float32) {
	for i, v := range src {
		dst[i] = float64(v)
	}
}

func criteria() map[string]net.Criterion {
	return map[string]net.Criterion{"MSE": {}, "MAP": {MAP: true, J: 10}}
}

// TestOutputDerivatives checks the RBF layer with each criterion: the
// gradient by F6's outputs and the exact second derivative that starts the
// Curvature pass.
func TestOutputDerivatives(t *testing.T) {
	lenet := net.LeNet5()
	l := lenet.Output()
	for name, c := range criteria() {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(2, 3))
			b := New[float64](2)
			defer b.Close()
			const n = 4
			protos := &Buffer[float64]{Data: make([]float64, len(lenet.Prototypes))}
			copyParams(protos.Data, lenet.Prototypes)
			x := &Buffer[float64]{Data: make([]float64, n*l.InSize())}
			// Near the prototypes so the MAP posteriors are not all zero.
			for i := range x.Data {
				x.Data[i] = protos.Data[(i/l.InSize()%3)*l.InSize()+i%l.InSize()]*0.8 + (2*rng.Float64()-1)*0.6
			}
			labels := &Buffer[float64]{Data: []float64{0, 1, 2, 7}}
			y := &Buffer[float64]{Data: make([]float64, n*net.Classes)}
			gy := &Buffer[float64]{Data: make([]float64, n*net.Classes)}
			stats := &Buffer[float64]{Data: make([]float64, 2)}
			loss := func() float64 {
				b.RBFForward(l, protos, x, y, n)
				stats.Data[0], stats.Data[1] = 0, 0
				b.Loss(c, y, labels, gy, stats, 1, n)
				return stats.Data[0]
			}
			loss()
			if stats.Data[1] < 1 || stats.Data[1] > n {
				t.Errorf("error count %v out of range", stats.Data[1])
			}
			gx := &Buffer[float64]{Data: make([]float64, len(x.Data))}
			b.RBFBackward(l, protos, x, gy, gx, n)
			hx := &Buffer[float64]{Data: make([]float64, len(x.Data))}
			b.LossCurvature(c, l, protos, x, y, labels, hx, 1, n)
			const step = 1e-4
			for _, k := range sample(rng, 0, len(x.Data), 80) {
				if want := central(loss, &x.Data[k]); !close64(gx.Data[k], want, 1e-6) {
					t.Errorf("x %d: gradient %.9g, finite difference %.9g", k, gx.Data[k], want)
				}
				old := x.Data[k]
				e0 := loss()
				x.Data[k] = old + step
				ep := loss()
				x.Data[k] = old - step
				em := loss()
				x.Data[k] = old
				if want := (ep - 2*e0 + em) / (step * step); !close64(hx.Data[k], want, 1e-4) {
					t.Errorf("x %d: second derivative %.9g, finite difference %.9g", k, hx.Data[k], want)
				}
				if hx.Data[k] < 0 {
					t.Errorf("x %d: negative curvature %g", k, hx.Data[k])
				}
			}
		})
	}
}

// TestNetworkGradient checks the whole network's Gradient pass, through
// Model, against the finite difference of the batch's summed loss.
func TestNetworkGradient(t *testing.T) {
	lenet := net.LeNet5()
	for name, c := range criteria() {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(4, 5))
			b := New[float64](2)
			defer b.Close()
			const n = 3
			m, err := net.NewModel(b, lenet, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.SetParams(net.InitParams(lenet, 11)); err != nil {
				t.Fatal(err)
			}
			params := m.Params.(*Buffer[float64]).Data
			randomize(rng, m.Acts[0].(*Buffer[float64]).Data, 1)
			copy(m.Labels.(*Buffer[float64]).Data, []float64{3, 8, 0})
			stats := m.Stats.(*Buffer[float64]).Data
			loss := func() float64 {
				m.Forward(n)
				stats[0] = 0
				m.Backward(net.Gradient, c, 1, n)
				return stats[0]
			}
			loss()
			grads := append([]float64(nil), m.Grads.(*Buffer[float64]).Data...)
			for _, l := range lenet.Layers {
				if l.Params() == 0 {
					continue
				}
				for _, k := range sample(rng, l.WeightOff, l.WeightOff+l.Params(), 15) {
					if want := central(loss, &params[k]); !close64(grads[k], want, 1e-5) {
						t.Errorf("%s parameter %d: gradient %.9g, finite difference %.9g", l.Name, k, grads[k], want)
					}
				}
			}
		})
	}
}
