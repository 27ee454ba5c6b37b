package cpu

import (
	"math/rand/v2"
	"testing"

	"github.com/lenetcl/lenetcl/net"
)

// BenchmarkTrainStep measures training throughput: one op is one SDLM step
// (Gather, Forward, Backward, Update) on a minibatch of random images.
func BenchmarkTrainStep(b *testing.B) {
	for _, batch := range []int{1, 16, 64} {
		b.Run("batch="+itoa(batch), func(b *testing.B) {
			be := New[float32](0)
			defer be.Close()
			benchTrainStep(b, be, batch)
		})
	}
}

// benchTrainStep runs SDLM training steps on backend be and reports images/s.
func benchTrainStep(b *testing.B, be net.Backend, batch int) {
	lenet := net.LeNet5()
	m, err := net.NewModel(be, lenet, batch)
	if err != nil {
		b.Fatal(err)
	}
	if err := m.SetParams(net.InitParams(lenet, 1)); err != nil {
		b.Fatal(err)
	}
	const n = 1024
	rng := rand.New(rand.NewPCG(1, 2))
	images := make([]float32, n*net.InputSide*net.InputSide)
	labels := make([]uint8, n)
	for i := range images {
		images[i] = rng.Float32()*1.275 - 0.1
	}
	for i := range labels {
		labels[i] = uint8(rng.IntN(net.Classes))
	}
	set, err := be.Upload(images, labels)
	if err != nil {
		b.Fatal(err)
	}
	idx := make([]int32, batch)
	c := net.Criterion{MAP: true, J: net.DefaultJ}
	step := net.Step{Params: m.Params, Grads: m.Grads, Curv: m.Curv, LR: 1e-6, Mu: 0.02}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		for k := range idx {
			idx[k] = int32((i*batch + k) % n)
		}
		be.Gather(set, idx, m.Acts[0], m.Labels)
		m.Forward(batch)
		m.Backward(net.Gradient, c, 1, batch)
		be.Update(step)
	}
	if err := be.Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
