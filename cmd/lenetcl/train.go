package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/lenetcl/lenetcl/mnist"
	"github.com/lenetcl/lenetcl/modelfile"
	"github.com/lenetcl/lenetcl/net"
)

func dataFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "data", Usage: "folder holding the four MNIST idx files (default: $LENETCL_DATA, else the GoMNIST Go module)"},
		&cli.IntFlag{Name: "limit", Usage: "use only the first N training and test images (0: all)"},
	}
}

func criterionFlags() []cli.Flag {
	d := net.DefaultConfig()
	return []cli.Flag{
		&cli.StringFlag{Name: "loss", Value: "map", Usage: "criterion: map (the paper's MAP, with a rubbish class) or mse"},
		&cli.Float64Flag{Name: "map-j", Value: float64(d.Criterion.J), Usage: "penalty j of the MAP criterion's rubbish class"},
	}
}

func criterion(c *cli.Context) (net.Criterion, error) {
	switch c.String("loss") {
	case "map":
		return net.Criterion{MAP: true, J: float32(c.Float64("map-j"))}, nil
	case "mse":
		return net.Criterion{}, nil
	}
	return net.Criterion{}, fmt.Errorf("unknown loss %q: want map or mse", c.String("loss"))
}

// loadData reads MNIST from where the flags say, cut to --limit.
func loadData(c *cli.Context) (train, test *mnist.Set, err error) {
	dir, err := mnist.Dir(c.String("data"))
	if err != nil {
		return nil, nil, err
	}
	train, test, err = mnist.Load(dir)
	if err != nil {
		return nil, nil, err
	}
	if n := c.Int("limit"); n > 0 {
		train, test = train.Subset(n), test.Subset(n)
	}
	return train, test, nil
}

func trainCommand() *cli.Command {
	d := net.DefaultConfig()
	flags := []cli.Flag{
		&cli.IntFlag{Name: "epochs", Value: d.Epochs, Usage: "passes over the training set"},
		&cli.IntFlag{Name: "batch", Value: d.Batch, Usage: "minibatch size; 1 gives the paper's per-sample updates"},
		&cli.StringFlag{Name: "optimizer", Value: d.Optimizer.String(), Usage: "sdlm (the paper's stochastic diagonal Levenberg-Marquardt) or sgd (with momentum)"},
		&cli.Float64Flag{Name: "lr", Usage: "first epochs' learning rate; later epochs follow the paper's schedule in proportion (default: 0.001 for sdlm, 5e-05 for sgd)"},
		&cli.Float64Flag{Name: "mu", Value: d.Mu, Usage: "SDLM's mu"},
		&cli.IntFlag{Name: "curv-samples", Value: d.CurvSamples, Usage: "samples in SDLM's second-derivative estimate before each epoch"},
		&cli.Float64Flag{Name: "momentum", Value: d.Momentum, Usage: "SGD's momentum"},
		&cli.Uint64Flag{Name: "seed", Value: d.Seed, Usage: "random seed: the same seed on the same backend gives the same model"},
		&cli.StringFlag{Name: "out", Value: "lenet5.model", Usage: "model file, written after every epoch"},
		&cli.StringFlag{Name: "init", Usage: "start from this model file's parameters instead of the paper's random initialisation"},
	}
	flags = append(flags, criterionFlags()...)
	flags = append(flags, dataFlags()...)
	flags = append(flags, backendFlags()...)
	return &cli.Command{
		Name:   "train",
		Usage:  "train LeNet-5 on MNIST and save the model after every epoch",
		Flags:  flags,
		Action: train,
	}
}

func trainConfig(c *cli.Context) (net.Config, error) {
	cfg := net.DefaultConfig()
	var err error
	if cfg.Optimizer, err = net.ParseOptimizer(c.String("optimizer")); err != nil {
		return cfg, err
	}
	if cfg.Criterion, err = criterion(c); err != nil {
		return cfg, err
	}
	cfg.Epochs, cfg.Batch, cfg.Seed = c.Int("epochs"), c.Int("batch"), c.Uint64("seed")
	cfg.Mu, cfg.Momentum, cfg.CurvSamples = c.Float64("mu"), c.Float64("momentum"), c.Int("curv-samples")
	if cfg.Optimizer == net.SGD {
		cfg.LR = 0.00005
	}
	if c.IsSet("lr") {
		cfg.LR = c.Float64("lr")
	}
	return cfg, cfg.Check()
}

func train(c *cli.Context) error {
	cfg, err := trainConfig(c)
	if err != nil {
		return err
	}
	out := c.String("out")
	if st, err := os.Stat(filepath.Dir(out)); err != nil || !st.IsDir() {
		return fmt.Errorf("--out %s: no folder %s to write the model in", out, filepath.Dir(out))
	}
	trainSet, testSet, err := loadData(c)
	if err != nil {
		return err
	}
	b, why, err := openBackend(c)
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Fprintln(os.Stderr, why)
	lenet := net.LeNet5()
	m, err := net.NewModel(b, lenet, cfg.Capacity())
	if err != nil {
		return err
	}
	params := net.InitParams(lenet, cfg.Seed)
	if path := c.String("init"); path != "" {
		f, err := readModel(path)
		if err != nil {
			return err
		}
		params = f.Params
	}
	if err := m.SetParams(params); err != nil {
		return err
	}
	trainS, err := b.Upload(trainSet.Images, trainSet.Labels)
	if err != nil {
		return err
	}
	testS, err := b.Upload(testSet.Images, testSet.Labels)
	if err != nil {
		return err
	}
	fmt.Printf("training LeNet-5 on %d images, testing on %d: %s, %s loss, batch %d, %d epochs, seed %d\n",
		trainSet.N, testSet.N, cfg.Optimizer, c.String("loss"), cfg.Batch, cfg.Epochs, cfg.Seed)
	bar := newProgressBar(os.Stderr)
	saved := 0
	start := time.Now()
	t := &net.Trainer{
		Model: m, Config: cfg, ProgressEvery: 200 * time.Millisecond,
		OnProgress: func(p net.Progress) { bar.update(p, cfg.Epochs) },
		OnEpoch: func(r net.EpochResult) error {
			bar.clear()
			fmt.Printf("epoch %2d/%d  lr %.3g  train loss %.4f  train error %5.2f%%  test error %5.2f%%  %6.1f s  %6.0f images/s\n",
				r.Epoch, cfg.Epochs, r.LR, r.TrainLoss, 100*r.TrainError, 100*r.TestError,
				r.Duration.Seconds(), float64(r.Images)/r.Duration.Seconds())
			meta := map[string]string{
				"backend": b.Name(), "optimizer": cfg.Optimizer.String(), "loss": c.String("loss"),
				"batch": strconv.Itoa(cfg.Batch), "seed": strconv.FormatUint(cfg.Seed, 10),
				"epochs": strconv.Itoa(r.Epoch), "train_images": strconv.Itoa(trainSet.N),
				"test_error": fmt.Sprintf("%.4f", r.TestError), "created": time.Now().UTC().Format(time.RFC3339),
			}
			if cfg.Criterion.MAP {
				meta["map_j"] = strconv.FormatFloat(float64(cfg.Criterion.J), 'g', -1, 32)
			}
			if err := modelfile.Save(out, &modelfile.Model{Arch: net.Arch, Params: r.Params, Meta: meta}); err != nil {
				return err
			}
			saved = r.Epoch
			return nil
		},
	}
	if err := t.Run(trainS, testS); err != nil {
		bar.clear()
		if errors.Is(err, net.ErrDiverged) {
			if saved > 0 {
				return fmt.Errorf("%w; the last good model, after epoch %d, is kept in %s", err, saved, out)
			}
			return fmt.Errorf("%w before the first epoch ended; no model was written (try a smaller --lr)", err)
		}
		return err
	}
	fmt.Printf("done in %s; model saved to %s\n", time.Since(start).Round(time.Second), out)
	return nil
}
