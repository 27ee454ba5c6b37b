package main

import (
	"fmt"
	"image"
	"image/color"
	_ "image/png"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/lenetcl/lenetcl/mnist"
	"github.com/lenetcl/lenetcl/net"
)

func predictCommand() *cli.Command {
	flags := []cli.Flag{
		modelFlag(false),
		&cli.IntSliceFlag{Name: "index", Aliases: []string{"i"}, Usage: "MNIST test images to classify, by index"},
		&cli.BoolFlag{Name: "show", Usage: "draw each input"},
		&cli.StringFlag{Name: "data", Usage: "folder holding the MNIST files (default: $LENETCL_DATA, else the GoMNIST Go module)"},
	}
	return &cli.Command{
		Name:      "predict",
		Usage:     "classify 28x28 greyscale PNG files (white digit on black, as MNIST) or MNIST test images",
		ArgsUsage: "[image.png ...]",
		Flags:     append(flags, backendFlags()...),
		Action:    predict,
	}
}

func predict(c *cli.Context) error {
	var names []string
	var images []float32
	var labels []uint8
	for _, path := range c.Args().Slice() {
		raw, err := readDigit(path)
		if err != nil {
			return err
		}
		img := make([]float32, mnist.Side*mnist.Side)
		mnist.Pad(raw, img)
		names, images, labels = append(names, path), append(images, img...), append(labels, 0)
	}
	if idx := c.IntSlice("index"); len(idx) > 0 {
		dir, err := mnist.Dir(c.String("data"))
		if err != nil {
			return err
		}
		_, test, err := mnist.Load(dir)
		if err != nil {
			return err
		}
		for _, i := range idx {
			if i < 0 || i >= test.N {
				return fmt.Errorf("--index %d: the test set has images 0 to %d", i, test.N-1)
			}
			names = append(names, fmt.Sprintf("test image %d (label %d)", i, test.Labels[i]))
			images = append(images, test.Images[i*1024:(i+1)*1024]...)
			labels = append(labels, test.Labels[i])
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("nothing to classify: give PNG files or --index")
	}
	m, _, err := openModel(c, len(names))
	if err != nil {
		return err
	}
	defer m.B.Close()
	s, err := m.B.Upload(images, labels)
	if err != nil {
		return err
	}
	y, err := m.Penalties(s, len(names))
	if err != nil {
		return err
	}
	for i, name := range names {
		if c.Bool("show") {
			fmt.Print(drawDigit(images[i*1024 : (i+1)*1024]))
		}
		yi := y[i*net.Classes : (i+1)*net.Classes]
		p := net.Predict(yi)
		fmt.Printf("%s: %d   penalties:", name, p)
		for d, v := range yi {
			fmt.Printf(" %d:%.1f", d, v)
		}
		fmt.Println()
	}
	return nil
}

// readDigit reads a 28x28 PNG as MNIST bytes: 255 for full ink.
func readDigit(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r := img.Bounds()
	if r.Dx() != 28 || r.Dy() != 28 {
		return nil, fmt.Errorf("%s: image is %dx%d, want 28x28 like MNIST", path, r.Dx(), r.Dy())
	}
	raw := make([]byte, 0, 784)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			raw = append(raw, color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y)
		}
	}
	return raw, nil
}
