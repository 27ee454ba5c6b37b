package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/lenetcl/lenetcl/cpu"
	"github.com/lenetcl/lenetcl/device"
	"github.com/lenetcl/lenetcl/net"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "time one training epoch on each available backend and print images/s side by side",
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "batch", Value: net.DefaultBatch, Usage: "minibatch size"},
			&cli.IntFlag{Name: "workers", Usage: "CPU backend goroutines (0: one per CPU)"},
		}, dataFlags()...),
		Action: bench,
	}
}

// bench trains one epoch (the SDLM curvature estimate included, no test)
// on the CPU backend and on every OpenCL device.
func bench(c *cli.Context) error {
	train, _, err := loadData(c)
	if err != nil {
		return err
	}
	type candidate struct {
		name string
		open func() (net.Backend, error)
	}
	cands := []candidate{{"cpu", func() (net.Backend, error) { return cpu.New[float32](c.Int("workers")), nil }}}
	infos, err := device.Devices()
	if err != nil {
		fmt.Fprintf(os.Stderr, "no OpenCL backend: %v\n", err)
	}
	for _, info := range infos {
		cands = append(cands, candidate{fmt.Sprintf("opencl %d", info.Index), func() (net.Backend, error) { return device.Open(info.Index) }})
	}
	cfg := net.DefaultConfig()
	cfg.Batch = c.Int("batch")
	if err := cfg.Check(); err != nil {
		return err
	}
	fmt.Printf("one epoch of %d images, batch %d, SDLM with its curvature estimate\n", train.N, cfg.Batch)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "backend\tseconds\timages/s\tdevice\t")
	for _, cand := range cands {
		b, err := cand.open()
		if err != nil {
			fmt.Fprintf(tw, "%s\t\t\tfailed: %v\t\n", cand.name, err)
			continue
		}
		r, err := net.BenchEpoch(b, train.Images, train.Labels, cfg)
		if err != nil {
			fmt.Fprintf(tw, "%s\t\t\tfailed: %v\t\n", cand.name, err)
		} else {
			secs := r.Duration.Seconds()
			fmt.Fprintf(tw, "%s\t%.2f\t%.0f\t%s\t\n", cand.name, secs, float64(r.Images)/secs, b.Name())
		}
		b.Close()
	}
	return tw.Flush()
}
