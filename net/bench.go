package net

// BenchEpoch trains one epoch of cfg on b from the paper's initialisation,
// the SDLM curvature estimate included and no test, and returns its
// result: the measurement behind `lenetcl bench` and BenchmarkEpoch.
func BenchEpoch(b Backend, images []float32, labels []uint8, cfg Config) (EpochResult, error) {
	cfg.Epochs = 1
	lenet := LeNet5()
	m, err := NewModel(b, lenet, cfg.Capacity())
	if err != nil {
		return EpochResult{}, err
	}
	if err := m.SetParams(InitParams(lenet, cfg.Seed)); err != nil {
		return EpochResult{}, err
	}
	set, err := b.Upload(images, labels)
	if err != nil {
		return EpochResult{}, err
	}
	var r EpochResult
	t := &Trainer{Model: m, Config: cfg, OnEpoch: func(e EpochResult) error { r = e; return nil }}
	return r, t.Run(set, nil)
}
