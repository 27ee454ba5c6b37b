package cpu

import (
	"errors"
	"sync"
	"testing"

	"github.com/lenetcl/lenetcl/mnist"
	"github.com/lenetcl/lenetcl/net"
)

// loadMNIST reads the real data once per test binary.
var loadMNIST = sync.OnceValues(func() ([2]*mnist.Set, error) {
	dir, err := mnist.Dir("")
	if err != nil {
		return [2]*mnist.Set{}, err
	}
	train, test, err := mnist.Load(dir)
	return [2]*mnist.Set{train, test}, err
})

// trainSubset trains on the first ntrain MNIST training images and returns
// the final epoch's result, testing on the first ntest test images.
func trainSubset(t *testing.T, ntrain, ntest, epochs int, seed uint64) net.EpochResult {
	t.Helper()
	sets, err := loadMNIST()
	if err != nil {
		t.Fatal(err)
	}
	train, test := sets[0].Subset(ntrain), sets[1].Subset(ntest)
	b := New[float32](0)
	defer b.Close()
	cfg := net.DefaultConfig()
	cfg.Epochs, cfg.Seed = epochs, seed
	lenet := net.LeNet5()
	m, err := net.NewModel(b, lenet, cfg.Capacity())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetParams(net.InitParams(lenet, seed)); err != nil {
		t.Fatal(err)
	}
	trainS, err := b.Upload(train.Images, train.Labels)
	if err != nil {
		t.Fatal(err)
	}
	testS, err := b.Upload(test.Images, test.Labels)
	if err != nil {
		t.Fatal(err)
	}
	var last net.EpochResult
	tr := &net.Trainer{Model: m, Config: cfg, OnEpoch: func(r net.EpochResult) error {
		t.Logf("epoch %d: train loss %.4f, train error %.2f%%, test error %.2f%%", r.Epoch, r.TrainLoss, 100*r.TrainError, 100*r.TestError)
		last = r
		return nil
	}}
	if err := tr.Run(trainS, testS); err != nil {
		t.Fatal(err)
	}
	return last
}

// TestLearnsMNIST is a real learning check: the default training on 8,000
// real MNIST images for two epochs must get well under 10% test error.
func TestLearnsMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on real MNIST")
	}
	r := trainSubset(t, 8000, 1000, 2, 1)
	if r.TestError > 0.06 {
		t.Errorf("test error %.2f%% after 2 epochs on 8,000 images, want under 6%%", 100*r.TestError)
	}
	if r.TrainLoss >= 5 {
		t.Errorf("train loss %.3f: the criterion barely fell", r.TrainLoss)
	}
}

// TestDeterministic: the same seed on the same backend gives the same
// parameters, bit for bit.
func TestDeterministic(t *testing.T) {
	a, b := trainSubset(t, 300, 100, 1, 5), trainSubset(t, 300, 100, 1, 5)
	for i := range a.Params {
		if a.Params[i] != b.Params[i] {
			t.Fatalf("parameter %d differs between runs with the same seed: %v, %v", i, a.Params[i], b.Params[i])
		}
	}
	c := trainSubset(t, 300, 100, 1, 6)
	same := 0
	for i := range a.Params {
		if a.Params[i] == c.Params[i] {
			same++
		}
	}
	if same > len(a.Params)/2 {
		t.Errorf("%d of %d parameters equal under different seeds", same, len(a.Params))
	}
}

// TestStepAllocs: a training step allocates nothing once warm.
func TestStepAllocs(t *testing.T) {
	b := New[float32](2)
	defer b.Close()
	lenet := net.LeNet5()
	const n = 8
	m, err := net.NewModel(b, lenet, n)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetParams(net.InitParams(lenet, 1)); err != nil {
		t.Fatal(err)
	}
	set, err := b.Upload(make([]float32, n*1024), make([]uint8, n))
	if err != nil {
		t.Fatal(err)
	}
	idx := []int32{0, 1, 2, 3, 4, 5, 6, 7}
	c := net.Criterion{MAP: true, J: net.DefaultJ}
	step := func() {
		b.Gather(set, idx, m.Acts[0], m.Labels)
		m.Forward(n)
		m.Backward(net.Curvature, c, 1.0/n, n)
		m.Backward(net.Gradient, c, 1, n)
		b.Update(net.Step{Params: m.Params, Grads: m.Grads, Curv: m.Curv, LR: 1e-5, Mu: 0.02})
	}
	step()
	if allocs := testing.AllocsPerRun(10, step); allocs != 0 {
		t.Errorf("a training step allocates %v times, want 0", allocs)
	}
}

// TestDivergenceStops: a non-finite loss stops training with ErrDiverged
// before the broken epoch is reported (so the CLI keeps the last good model).
func TestDivergenceStops(t *testing.T) {
	b := New[float32](2)
	defer b.Close()
	lenet := net.LeNet5()
	cfg := net.DefaultConfig()
	cfg.LR, cfg.Batch, cfg.CurvSamples = 1e38, 4, 8
	m, err := net.NewModel(b, lenet, cfg.Capacity())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetParams(net.InitParams(lenet, 1)); err != nil {
		t.Fatal(err)
	}
	images := make([]float32, 64*1024)
	for i := range images {
		images[i] = float32(i%7) / 7
	}
	labels := make([]uint8, 64)
	for i := range labels {
		labels[i] = uint8(i % 10)
	}
	set, err := b.Upload(images, labels)
	if err != nil {
		t.Fatal(err)
	}
	reported := 0
	tr := &net.Trainer{Model: m, Config: cfg, OnEpoch: func(net.EpochResult) error { reported++; return nil }}
	err = tr.Run(set, nil)
	if !errors.Is(err, net.ErrDiverged) {
		t.Fatalf("training at rate 1e38: %v, want ErrDiverged", err)
	}
	if reported != 0 {
		t.Errorf("%d diverged epochs reported", reported)
	}
}
