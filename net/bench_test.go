package net_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lenetcl/lenetcl/cpu"
	"github.com/lenetcl/lenetcl/device"
	"github.com/lenetcl/lenetcl/mnist"
	"github.com/lenetcl/lenetcl/net"
)

// The benchmarks run on the CPU backend and on every OpenCL device, side
// by side, and report images/s.

type backend struct {
	name string
	open func() (net.Backend, error)
}

func backends() []backend {
	bs := []backend{{"cpu", func() (net.Backend, error) { return cpu.New[float32](0), nil }}}
	infos, _ := device.Devices() // no OpenCL: the CPU alone
	for _, info := range infos {
		bs = append(bs, backend{fmt.Sprintf("opencl%d", info.Index), func() (net.Backend, error) { return device.Open(info.Index) }})
	}
	return bs
}

// BenchmarkStep times training steps (Gather, Forward, Backward, Update;
// SDLM) on minibatches of random images: one op is one step.
func BenchmarkStep(b *testing.B) {
	const count = 1024
	rng := rand.New(rand.NewPCG(1, 2))
	images, labels := make([]float32, count*net.InputSide*net.InputSide), make([]uint8, count)
	for i := range images {
		images[i] = rng.Float32()*(mnist.Ink-mnist.Background) + mnist.Background
	}
	for i := range labels {
		labels[i] = uint8(rng.IntN(net.Classes))
	}
	for _, be := range backends() {
		for _, batch := range []int{1, 4, 16, 64} {
			b.Run(fmt.Sprintf("%s/batch=%d", be.name, batch), func(b *testing.B) {
				dev, err := be.open()
				if err != nil {
					b.Fatal(err)
				}
				defer dev.Close()
				lenet := net.LeNet5()
				m, err := net.NewModel(dev, lenet, batch)
				if err != nil {
					b.Fatal(err)
				}
				if err := m.SetParams(net.InitParams(lenet, 1)); err != nil {
					b.Fatal(err)
				}
				set, err := dev.Upload(images, labels)
				if err != nil {
					b.Fatal(err)
				}
				idx := make([]int32, batch)
				c := net.DefaultConfig().Criterion
				step := net.Step{Params: m.Params, Grads: m.Grads, Curv: m.Curv, LR: 1e-6, Mu: 0.02}
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					for k := range idx {
						idx[k] = int32((i*batch + k) % count)
					}
					dev.Gather(set, idx, m.Acts[0], m.Labels)
					m.Forward(batch)
					m.Backward(net.Gradient, c, 1, batch)
					dev.Update(step)
				}
				// Reading waits for queued device work.
				if _, err := m.ReadParams(); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}

// BenchmarkEpoch trains one epoch of real MNIST per op at the default
// batch, the SDLM curvature estimate included; run it with -benchtime=1x.
func BenchmarkEpoch(b *testing.B) {
	dir, err := mnist.Dir("")
	if err != nil {
		b.Fatal(err)
	}
	train, _, err := mnist.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			dev, err := be.open()
			if err != nil {
				b.Fatal(err)
			}
			defer dev.Close()
			images := 0
			for range b.N {
				r, err := net.BenchEpoch(dev, train.Images, train.Labels, net.DefaultConfig())
				if err != nil {
					b.Fatal(err)
				}
				images += r.Images
			}
			b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
