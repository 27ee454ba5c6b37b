package net_test

import (
	"testing"

	"github.com/lenetcl/lenetcl/cpu"
	"github.com/lenetcl/lenetcl/device"
	"github.com/lenetcl/lenetcl/mnist"
	"github.com/lenetcl/lenetcl/net"
)

// BenchmarkEpoch trains one epoch of real MNIST (the SDLM curvature
// estimate included, no test) per op on each available backend, side by
// side; run it with -benchtime=1x. It reports images/s.
func BenchmarkEpoch(b *testing.B) {
	dir, err := mnist.Dir("")
	if err != nil {
		b.Fatal(err)
	}
	train, _, err := mnist.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	backends := map[string]func() (net.Backend, error){
		"cpu": func() (net.Backend, error) { return cpu.New[float32](0), nil },
	}
	if infos, err := device.Devices(); err == nil {
		for _, info := range infos {
			backends["opencl"+string(rune('0'+info.Index))] = func() (net.Backend, error) { return device.Open(info.Index) }
		}
	}
	for name, open := range backends {
		b.Run(name, func(b *testing.B) {
			be, err := open()
			if err != nil {
				b.Fatal(err)
			}
			defer be.Close()
			images := 0
			for range b.N {
				r, err := net.BenchEpoch(be, train.Images, train.Labels, net.DefaultConfig())
				if err != nil {
					b.Fatal(err)
				}
				images += r.Images
			}
			b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
