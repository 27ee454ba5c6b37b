package net

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Model is the network instantiated on a backend: its parameters and the
// activations and derivatives of minibatches of up to Cap samples, all in
// the backend's memory.
type Model struct {
	Net *Network
	B   Backend
	Cap int
	// Params is the flat parameter vector; Grads receives dE/dw and Curv
	// the SDLM second derivatives; Velocity is the momentum state (SGD).
	Params, Grads, Curv, Velocity Buffer
	// Acts[0] is the input and Acts[i+1] the output of Layers[i];
	// Derivs[i] is the derivative of E by Acts[i] (Derivs[0] is nil: the
	// input needs none).
	Acts, Derivs          []Buffer
	Labels, Protos, Stats Buffer
}

// NewModel allocates the network's buffers on b for batches of up to cap
// samples. Parameters start at zero: call Init or SetParams.
func NewModel(b Backend, n *Network, cap int) (*Model, error) {
	m := &Model{Net: n, B: b, Cap: cap}
	m.Params, m.Grads, m.Curv, m.Velocity = b.Alloc(n.Params), b.Alloc(n.Params), b.Alloc(n.Params), b.Alloc(n.Params)
	m.Acts = []Buffer{b.Alloc(cap * n.Layers[0].InSize())}
	m.Derivs = []Buffer{nil}
	for i := range n.Layers {
		size := cap * n.Layers[i].OutSize()
		m.Acts = append(m.Acts, b.Alloc(size))
		m.Derivs = append(m.Derivs, b.Alloc(size))
	}
	m.Labels, m.Protos, m.Stats = b.Alloc(cap), b.Alloc(len(n.Prototypes)), b.Alloc(2)
	if err := b.Write(m.Protos, n.Prototypes); err != nil {
		return nil, err
	}
	return m, b.Err()
}

// InitParams returns initial parameters: weights uniform in ±2.4/F, F the
// unit's fan-in (paper, appendix C). The paper is silent on biases: they
// start at zero, so every unit starts in the squashing function's linear
// range and the random weights alone break the symmetry. S2 and S4
// coefficients are weights like any other, with fan-in 4.
func InitParams(n *Network, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x1e7e75))
	p := make([]float32, n.Params)
	for li := range n.Layers {
		l := &n.Layers[li]
		if l.Weights == 0 {
			continue
		}
		per := l.Weights / l.OutMaps
		for o := range l.OutMaps {
			r := 2.4 / float64(l.FanIn(o))
			start, end := o*per, (o+1)*per
			if l.Kind == Conv {
				start, end = l.ConnStart[o]*l.Kernel*l.Kernel, l.ConnStart[o+1]*l.Kernel*l.Kernel
			}
			for k := start; k < end; k++ {
				p[l.WeightOff+k] = float32((2*rng.Float64() - 1) * r)
			}
		}
	}
	return p
}

// SetParams copies host parameters to the backend.
func (m *Model) SetParams(p []float32) error {
	if len(p) != m.Net.Params {
		return fmt.Errorf("net: %d parameters, LeNet-5 has %d", len(p), m.Net.Params)
	}
	return m.B.Write(m.Params, p)
}

// ReadParams copies the parameters back to the host and checks they are finite.
func (m *Model) ReadParams() ([]float32, error) {
	p := make([]float32, m.Net.Params)
	if err := m.B.Read(m.Params, p); err != nil {
		return nil, err
	}
	for i, v := range p {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%w: parameter %d is %v", ErrDiverged, i, v)
		}
	}
	return p, nil
}

// Forward runs the n samples in Acts[0] through every layer; the RBF
// penalties end in the last of Acts.
func (m *Model) Forward(n int) {
	for i := range m.Net.Layers {
		l := &m.Net.Layers[i]
		params := m.Params
		if l.Kind == RBF {
			params = m.Protos
		}
		LayerForward(m.B, l, params, m.Acts[i], m.Acts[i+1], n)
	}
}

// LayerForward runs one layer's forward operation on b. For the RBF
// layer, params are the prototypes.
func LayerForward(b Backend, l *Layer, params, in, out Buffer, n int) {
	switch l.Kind {
	case Conv:
		b.ConvForward(l, params, in, out, n)
	case Subsample:
		b.SubsampleForward(l, params, in, out, n)
	case Full:
		b.FullForward(l, params, in, out, n)
	case RBF:
		b.RBFForward(l, params, in, out, n)
	}
}

// LayerBackward runs the backward operation of a layer with parameters.
func LayerBackward(b Backend, l *Layer, p Pass, params, in, out, gout, gin, gparams Buffer, n int) {
	switch l.Kind {
	case Conv:
		b.ConvBackward(l, p, params, in, out, gout, gin, gparams, n)
	case Subsample:
		b.SubsampleBackward(l, p, params, in, out, gout, gin, gparams, n)
	case Full:
		b.FullBackward(l, p, params, in, out, gout, gin, gparams, n)
	default:
		panic("net: LayerBackward of a layer without parameters: " + l.Name)
	}
}

// Backward runs after Forward. The Gradient pass computes the criterion
// (adding to Stats) and leaves scale * dE/dw, summed over the batch, in
// Grads; the Curvature pass leaves scale * the Gauss-Newton d2E/dw2 in Curv.
func (m *Model) Backward(p Pass, c Criterion, scale float32, n int) {
	last := len(m.Net.Layers)
	out := m.Net.Output()
	dst := m.Grads
	if p == Gradient {
		m.B.Loss(c, m.Acts[last], m.Labels, m.Derivs[last], m.Stats, scale, n)
		m.B.RBFBackward(out, m.Protos, m.Acts[last-1], m.Derivs[last], m.Derivs[last-1], n)
	} else {
		dst = m.Curv
		m.B.LossCurvature(c, out, m.Protos, m.Acts[last-1], m.Acts[last], m.Labels, m.Derivs[last-1], scale, n)
	}
	for i := last - 2; i >= 0; i-- {
		LayerBackward(m.B, &m.Net.Layers[i], p, m.Params, m.Acts[i], m.Acts[i+1], m.Derivs[i+1], m.Derivs[i], dst, n)
	}
}
