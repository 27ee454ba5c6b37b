package device

import (
	"fmt"
	"testing"

	"github.com/lenetcl/lenetcl/net"
)

// configs run every operation as the device runs it, and with the
// work-group sizes capped at an odd size, which no kernel may assume away,
// and the vector width of the other kind of device (a GPU's on a CPU).
var configs = []struct {
	name       string
	maxLocal   int
	otherWidth bool
}{{"default", defaultLocal, false}, {"local13", 13, true}}

func forEachConfig(t *testing.T, f func(w *twin)) {
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			vw := 0
			if c.otherWidth {
				vw = 16
				if vectorWidth(autoInfo(t).Type) == vw {
					vw = 4
				}
			}
			f(newTwin(t, c.maxLocal, vw))
		})
	}
}

// run runs f as subtest name with a twin reporting to it.
func (w *twin) run(name string, f func(w *twin)) {
	w.t.Run(name, func(t *testing.T) {
		sub := *w
		sub.t = t
		f(&sub)
	})
}

// layerBatches are the batch sizes of the layers' operations: their
// kernels take a work-item per value or a work-group per parameter, so
// even one sample spans several work-groups; 40 samples give C3's
// parameter kernels more rows than work-items.
var layerBatches = []int{1, 7, 40}

// sampleBatches are the batch sizes of the per-sample operations: one, an
// odd number, and one more than the largest work-group, which no batch
// may be assumed to fit.
func (w *twin) sampleBatches() []int { return []int{1, 7, w.dev.info.MaxWorkGroup + 1} }

// layerInput returns a random input for layer i: an image's range for C1,
// the squashing function's for the others.
func (w *twin) layerInput(lenet *net.Network, i, n int) operand {
	if i == 0 {
		return w.random(n*lenet.Layers[i].InSize(), -0.1, 1.175)
	}
	return w.random(n*lenet.Layers[i].InSize(), -net.SquashA, net.SquashA)
}

func TestLayerForward(t *testing.T) {
	forEachConfig(t, func(w *twin) {
		lenet := net.LeNet5()
		params := w.params(lenet)
		for i := range lenet.Layers {
			l := &lenet.Layers[i]
			if l.Kind == net.RBF {
				continue
			}
			for _, n := range layerBatches {
				w.run(fmt.Sprintf("%s/n=%d", l.Name, n), func(w *twin) {
					in, out := w.layerInput(lenet, i, n), w.poisoned(n*l.OutSize())
					net.LayerForward(w.dev, l, params.dev, in.dev, out.dev, n)
					net.LayerForward(w.ref, l, params.ref, in.ref, out.ref, n)
					w.check("out", out)
				})
			}
		}
	})
}

func TestLayerBackward(t *testing.T) {
	forEachConfig(t, func(w *twin) {
		lenet := net.LeNet5()
		params := w.params(lenet)
		for i := range lenet.Layers {
			l := &lenet.Layers[i]
			if l.Kind == net.RBF {
				continue
			}
			for _, p := range []net.Pass{net.Gradient, net.Curvature} {
				// With and without an input derivative: the trainer asks none of C1.
				for _, withGin := range []bool{true, false} {
					for _, n := range layerBatches {
						name := fmt.Sprintf("%s/%s/n=%d", l.Name, p, n)
						if !withGin {
							name += "/no-gin"
						}
						w.run(name, func(w *twin) {
							in := w.layerInput(lenet, i, n)
							out := w.random(n*l.OutSize(), -net.SquashA, net.SquashA)
							// Second derivatives arriving at a layer are never negative.
							gout := w.random(n*l.OutSize(), -1, 1)
							if p == net.Curvature {
								gout = w.random(n*l.OutSize(), 0, 1)
							}
							gin, gparams := w.poisoned(n*l.InSize()), w.poisoned(lenet.Params)
							if !withGin {
								gin = operand{}
							}
							net.LayerBackward(w.dev, l, p, params.dev, in.dev, out.dev, gout.dev, gin.dev, gparams.dev, n)
							net.LayerBackward(w.ref, l, p, params.ref, in.ref, out.ref, gout.ref, gin.ref, gparams.ref, n)
							// f' > 0, so on the operands' absolute values the
							// reference sums the absolute values of its terms.
							magGin, magParams := abs(gin), abs(gparams)
							net.LayerBackward(w.ref, l, p, abs(params), abs(in), out.ref, abs(gout), magGin, magParams, n)
							if withGin {
								w.checkSum("gin", gin, magGin)
							}
							w.checkSum("gparams", gparams, magParams)
						})
					}
				}
			}
		}
	})
}

func TestRBF(t *testing.T) {
	forEachConfig(t, func(w *twin) {
		lenet := net.LeNet5()
		l := lenet.Output()
		protos := w.values(lenet.Prototypes)
		for _, n := range w.sampleBatches() {
			w.run(fmt.Sprintf("forward/n=%d", n), func(w *twin) {
				in, out := w.random(n*l.InSize(), -net.SquashA, net.SquashA), w.poisoned(n*l.OutSize())
				w.dev.RBFForward(l, protos.dev, in.dev, out.dev, n)
				w.ref.RBFForward(l, protos.ref, in.ref, out.ref, n)
				w.check("out", out)
			})
			w.run(fmt.Sprintf("backward/n=%d", n), func(w *twin) {
				in, gout := w.random(n*l.InSize(), -net.SquashA, net.SquashA), w.random(n*l.OutSize(), -1, 1)
				gin := w.poisoned(n * l.InSize())
				w.dev.RBFBackward(l, protos.dev, in.dev, gout.dev, gin.dev, n)
				w.ref.RBFBackward(l, protos.ref, in.ref, gout.ref, gin.ref, n)
				w.check("gin", gin)
			})
		}
	})
}

var criteria = []struct {
	name string
	c    net.Criterion
}{{"MSE", net.Criterion{}}, {"MAP", net.Criterion{MAP: true, J: 10}}}

// penalties returns n samples' random RBF penalties, some below the MAP
// criterion's J = 10 and most above, as in training.
func (w *twin) penalties(n int) operand { return w.random(n*net.Classes, 0, 30) }

func TestLoss(t *testing.T) {
	forEachConfig(t, func(w *twin) {
		for _, c := range criteria {
			for _, n := range w.sampleBatches() {
				w.run(fmt.Sprintf("%s/n=%d", c.name, n), func(w *twin) {
					y, labels, gy := w.penalties(n), w.labels(n), w.poisoned(n*net.Classes)
					stats := w.values([]float32{5, 3}) // sums of earlier batches
					w.dev.Loss(c.c, y.dev, labels.dev, gy.dev, stats.dev, 0.5, n)
					w.ref.Loss(c.c, y.ref, labels.ref, gy.ref, stats.ref, 0.5, n)
					w.check("gy", gy)
					w.check("stats", stats)
				})
			}
		}
	})
}

func TestLossCurvature(t *testing.T) {
	forEachConfig(t, func(w *twin) {
		lenet := net.LeNet5()
		l := lenet.Output()
		protos := w.values(lenet.Prototypes)
		for _, c := range criteria {
			for _, n := range w.sampleBatches() {
				w.run(fmt.Sprintf("%s/n=%d", c.name, n), func(w *twin) {
					x, y, labels := w.random(n*l.InSize(), -net.SquashA, net.SquashA), w.penalties(n), w.labels(n)
					hx := w.poisoned(n * l.InSize())
					w.dev.LossCurvature(c.c, l, protos.dev, x.dev, y.dev, labels.dev, hx.dev, 1/float32(n), n)
					w.ref.LossCurvature(c.c, l, protos.ref, x.ref, y.ref, labels.ref, hx.ref, 1/float32(n), n)
					w.check("hx", hx)
				})
			}
		}
	})
}

func TestGather(t *testing.T) {
	forEachConfig(t, func(w *twin) {
		const size, count = net.InputSide * net.InputSide, 300
		images := w.uniform(count*size, -0.1, 1.175)
		labels := make([]uint8, count)
		for i := range labels {
			labels[i] = uint8(w.rng.IntN(net.Classes))
		}
		// A set larger than the device's largest buffer stays on the host.
		for _, where := range []struct {
			name     string
			maxAlloc int64
		}{{"device", w.dev.maxAlloc}, {"host", 0}} {
			w.dev.maxAlloc = where.maxAlloc
			devSet, err := w.dev.Upload(images, labels)
			if err != nil {
				w.t.Fatal(err)
			}
			refSet, _ := w.ref.Upload(images, labels)
			for _, n := range w.sampleBatches() {
				w.run(fmt.Sprintf("%s/n=%d", where.name, n), func(w *twin) {
					idx := make([]int32, n)
					for i := range idx {
						idx[i] = int32(w.rng.IntN(count))
					}
					x, xl := w.poisoned(n*size), w.poisoned(n)
					w.dev.Gather(devSet, idx, x.dev, xl.dev)
					w.ref.Gather(refSet, idx, x.ref, xl.ref)
					w.check("x", x)
					w.check("labels", xl)
				})
			}
		}
	})
}

func TestUpdate(t *testing.T) {
	forEachConfig(t, func(w *twin) {
		for _, v := range []struct {
			name       string
			curv, vel  bool
			mu, moment float32
		}{{"sgd", false, false, 1, 0}, {"sdlm", true, false, 0.02, 0}, {"momentum", false, true, 1, 0.9}, {"both", true, true, 0.02, 0.9}} {
			for _, n := range w.sampleBatches() {
				w.run(fmt.Sprintf("%s/n=%d", v.name, n), func(w *twin) {
					params, grads := w.random(n, -0.5, 0.5), w.random(n, -1, 1)
					var curv, vel operand
					if v.curv {
						curv = w.random(n, 0, 2)
					}
					if v.vel {
						vel = w.random(n, -0.01, 0.01)
					}
					w.dev.Update(net.Step{Params: params.dev, Grads: grads.dev, Curv: curv.dev, Velocity: vel.dev, LR: 0.01, Mu: v.mu, Momentum: v.moment})
					w.ref.Update(net.Step{Params: params.ref, Grads: grads.ref, Curv: curv.ref, Velocity: vel.ref, LR: 0.01, Mu: v.mu, Momentum: v.moment})
					w.check("params", params)
					if v.vel {
						w.check("velocity", vel)
					}
				})
			}
		}
	})
}
