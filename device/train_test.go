package device

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lenetcl/lenetcl/cpu"
	"github.com/lenetcl/lenetcl/net"
)

// synthetic returns count random images, in the paper's input range, and labels.
func synthetic(count int, seed uint64) ([]float32, []uint8) {
	rng := rand.New(rand.NewPCG(seed, 3))
	images := make([]float32, count*net.InputSide*net.InputSide)
	for i := range images {
		images[i] = float32(-0.1 + 1.275*rng.Float64())
	}
	labels := make([]uint8, count)
	for i := range labels {
		labels[i] = uint8(rng.IntN(net.Classes))
	}
	return images, labels
}

// train runs the trainer for one epoch on backend b and returns its result.
func train(t *testing.T, b net.Backend, cfg net.Config, params []float32, images []float32, labels []uint8) net.EpochResult {
	t.Helper()
	lenet := net.LeNet5()
	m, err := net.NewModel(b, lenet, cfg.Capacity())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetParams(params); err != nil {
		t.Fatal(err)
	}
	set, err := b.Upload(images, labels)
	if err != nil {
		t.Fatal(err)
	}
	var res net.EpochResult
	tr := &net.Trainer{Model: m, Config: cfg, OnEpoch: func(r net.EpochResult) error { res = r; return nil }}
	if err := tr.Run(set, set); err != nil {
		t.Fatalf("%s: %v", b.Name(), err)
	}
	return res
}

// TestTraining runs the paper's training, SDLM with a curvature estimate
// and the MAP criterion, for a few steps on both backends from the same
// parameters: they must end with the same parameters, loss and errors.
func TestTraining(t *testing.T) {
	dev := openDevice(t, defaultLocal, 0)
	ref := cpu.New[float32](0)
	defer ref.Close()
	cfg := net.DefaultConfig()
	cfg.Epochs, cfg.Batch, cfg.CurvSamples = 1, 16, 64
	lenet := net.LeNet5()
	params := net.InitParams(lenet, 5)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, l := range lenet.Layers {
		for k := l.BiasOff; k < l.BiasOff+l.Biases; k++ {
			params[k] = float32(rng.Float64() - 0.5)
		}
	}
	images, labels := synthetic(10*cfg.Batch, 7)
	got := train(t, dev, cfg, params, images, labels)
	want := train(t, ref, cfg, params, images, labels)
	t.Logf("loss %g (reference %g), training errors %g, test errors %g", got.TrainLoss, want.TrainLoss, got.TrainError, got.TestError)
	if math.Abs(got.TrainLoss-want.TrainLoss) > tol*math.Max(1, want.TrainLoss) {
		t.Errorf("mean loss %g, want %g", got.TrainLoss, want.TrainLoss)
	}
	if got.TrainError != want.TrainError || got.TestError != want.TestError {
		t.Errorf("training and test error %g, %g, want %g, %g", got.TrainError, got.TestError, want.TrainError, want.TestError)
	}
	bad, moved := 0, 0
	for k, g := range got.Params {
		if w := want.Params[k]; math.Abs(float64(g-w)) > tol*math.Max(1, math.Abs(float64(w))) {
			if bad++; bad <= 5 {
				t.Errorf("parameter %d = %g, want %g", k, g, w)
			}
		}
		if want.Params[k] != params[k] {
			moved++
		}
	}
	if bad > 5 {
		t.Errorf("%d of %d parameters differ", bad, len(got.Params))
	}
	if moved < len(params)/2 {
		t.Errorf("training changed only %d of %d parameters", moved, len(params))
	}
}
