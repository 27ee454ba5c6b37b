package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/lenetcl/lenetcl/mnist"
	"github.com/lenetcl/lenetcl/modelfile"
	"github.com/lenetcl/lenetcl/net"
)

func modelFlag(required bool) cli.Flag {
	return &cli.StringFlag{Name: "model", Aliases: []string{"m"}, Value: "lenet5.model", Required: required, Usage: "model file written by train"}
}

// readModel loads a model file and checks it holds LeNet-5 as this build defines it.
func readModel(path string) (*modelfile.Model, error) {
	f, err := modelfile.Load(path)
	if err != nil {
		return nil, err
	}
	if err := f.Check(net.Arch, net.LeNet5().Params); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// openModel loads a model file onto the backend the flags choose, for
// batches of up to cap samples.
func openModel(c *cli.Context, cap int) (*net.Model, *modelfile.Model, error) {
	f, err := readModel(c.String("model"))
	if err != nil {
		return nil, nil, err
	}
	lenet := net.LeNet5()
	b, why, err := openBackend(c)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintln(os.Stderr, why)
	m, err := net.NewModel(b, lenet, cap)
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	if err := m.SetParams(f.Params); err != nil {
		b.Close()
		return nil, nil, err
	}
	return m, f, nil
}

func evalCommand() *cli.Command {
	flags := append([]cli.Flag{modelFlag(false)}, dataFlags()...)
	flags = append(flags, backendFlags()...)
	return &cli.Command{
		Name:   "eval",
		Usage:  "test a model on the MNIST test set: error rate and confusion matrix",
		Flags:  flags,
		Action: eval,
	}
}

func eval(c *cli.Context) error {
	_, test, err := loadData(c)
	if err != nil {
		return err
	}
	m, _, err := openModel(c, 500)
	if err != nil {
		return err
	}
	defer m.B.Close()
	s, err := m.B.Upload(test.Images, test.Labels)
	if err != nil {
		return err
	}
	y, err := m.Penalties(s, test.N)
	if err != nil {
		return err
	}
	var confusion [net.Classes][net.Classes]int
	wrong := 0
	for i, label := range test.Labels {
		p := net.Predict(y[i*net.Classes:])
		confusion[label][p]++
		if p != int(label) {
			wrong++
		}
	}
	fmt.Printf("test error %.2f%% (%d of %d misclassified)\n\n", 100*float64(wrong)/float64(test.N), wrong, test.N)
	fmt.Println("confusion matrix: rows are true digits, columns predicted")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "\t")
	for p := range net.Classes {
		fmt.Fprintf(tw, "%d\t", p)
	}
	fmt.Fprint(tw, "error\t\n")
	for d := range net.Classes {
		fmt.Fprintf(tw, "%d\t", d)
		total := 0
		for p := range net.Classes {
			total += confusion[d][p]
			fmt.Fprintf(tw, "%d\t", confusion[d][p])
		}
		fmt.Fprintf(tw, "%.2f%%\t\n", 100*(1-float64(confusion[d][d])/float64(max(total, 1))))
	}
	return tw.Flush()
}

func infoCommand() *cli.Command {
	return &cli.Command{
		Name:  "info",
		Usage: "print LeNet-5's layers, parameters and connections, and a model file's facts if given",
		Flags: []cli.Flag{&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "model file to describe"}},
		Action: func(c *cli.Context) error {
			lenet := net.LeNet5()
			tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "layer\tkind\toutput\tparameters\tconnections\t")
			fmt.Fprintf(tw, "INPUT\t\t1@%dx%d\t\t\t\n", net.InputSide, net.InputSide)
			for _, l := range lenet.Layers {
				shape := fmt.Sprintf("%d@%dx%d", l.OutMaps, l.OutSide, l.OutSide)
				if l.OutSide == 1 {
					shape = strconv.Itoa(l.OutMaps)
				}
				kind := l.Kind.String()
				if l.Kind == net.Conv {
					kind = fmt.Sprintf("%dx%d convolution", l.Kernel, l.Kernel)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", l.Name, kind, shape, commas(l.Params()), commas(l.Connections()))
			}
			fmt.Fprintf(tw, "total\t\t\t%s\t%s\t\n", commas(lenet.Params), commas(lenet.Connections()))
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Println("\nC3 reads S2 maps (the paper's Table I):")
			for o, t := range net.C3Table {
				fmt.Printf("  %2d: %v\n", o, t)
			}
			path := c.String("model")
			if path == "" {
				return nil
			}
			f, err := modelfile.Load(path)
			if err != nil {
				return err
			}
			fmt.Printf("\nmodel %s: %s, %d parameters\n", path, f.Arch, len(f.Params))
			keys := make([]string, 0, len(f.Meta))
			for k := range f.Meta {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Printf("  %-13s %s\n", k, f.Meta[k])
			}
			return f.Check(net.Arch, lenet.Params)
		},
	}
}

// commas writes n with thousands separators, as the paper prints counts.
func commas(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// drawDigit renders a 32x32 paper input as text, darker for more ink.
func drawDigit(img []float32) string {
	var b strings.Builder
	const shades = " .:-=+*#%@"
	for y := range mnist.Side {
		for x := range mnist.Side {
			v := (img[y*mnist.Side+x] - mnist.Background) / (mnist.Ink - mnist.Background)
			b.WriteByte(shades[min(len(shades)-1, max(0, int(v*float32(len(shades)))))])
		}
		b.WriteByte('\n')
	}
	return b.String()
}
