// Package mnist reads the MNIST handwritten digits from the original idx
// files and turns them into the input format of LeNet-5 (LeCun et al.
// 1998): 32x32 images whose background is -0.1 and whose ink is 1.175, so
// that the input has mean about 0 and variance about 1.
package mnist

import (
	"fmt"
	"os"
	"path/filepath"
)

// Side is the width and height of a network input: the paper centres the
// 28x28 MNIST field in a 32x32 image so that stroke end-points can reach
// the centre of the top feature detectors' receptive fields.
const Side = 32

// Input levels of the paper: a white (0) MNIST pixel becomes Background,
// a black (255) one becomes Ink, and grey levels map linearly in between.
const (
	Background = -0.1
	Ink        = 1.175
)

// border is the width of the Background frame around the 28x28 field.
const border = (Side - rawSide) / 2

// level maps an MNIST grey level to its input value.
var level = func() (t [256]float32) {
	for g := range t {
		f := float64(g) / 255
		t[g] = float32(Background*(1-f) + Ink*f) // exact at both ends
	}
	return t
}()

// Set is a set of labelled images in the paper's input format.
type Set struct {
	N      int
	Images []float32 // N images of Side*Side values; image i at [i*Side*Side:(i+1)*Side*Side], row-major
	Labels []uint8   // N digits 0..9
}

// Pad turns one 28x28 MNIST image (784 grey levels, row-major, 0 =
// background) into a Side*Side input in dst: the field centred with a
// 2-pixel Background border, grey levels mapped between Background and Ink.
// It panics if raw or dst has the wrong length.
func Pad(raw []byte, dst []float32) {
	if len(raw) != rawSide*rawSide || len(dst) != Side*Side {
		panic(fmt.Sprintf("mnist: Pad of %d bytes into %d values, want %d into %d", len(raw), len(dst), rawSide*rawSide, Side*Side))
	}
	for i := range dst {
		dst[i] = Background
	}
	for y := range rawSide {
		row := dst[(y+border)*Side+border:][:rawSide]
		for x, g := range raw[y*rawSide : (y+1)*rawSide] {
			row[x] = level[g]
		}
	}
}

// Subset returns the first n samples of s, sharing its storage, or s
// itself when n ≤ 0 or n ≥ s.N.
func (s *Set) Subset(n int) *Set {
	if n <= 0 || n >= s.N {
		return s
	}
	return &Set{N: n, Images: s.Images[:n*Side*Side], Labels: s.Labels[:n]}
}

// Load reads the training and test sets from dir, which holds the four
// original files train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each gzipped (name
// ending in .gz, tried first) or not.
func Load(dir string) (train, test *Set, err error) {
	train, err = loadSet(dir, fileNames[0], fileNames[1])
	if err != nil {
		return nil, nil, err
	}
	test, err = loadSet(dir, fileNames[2], fileNames[3])
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// fileNames are the base names, without .gz, of the files Load reads.
var fileNames = []string{
	"train-images-idx3-ubyte",
	"train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte",
	"t10k-labels-idx1-ubyte",
}

// findFile returns the path of the file called base or base.gz in dir,
// preferring base.gz, or "" if neither exists.
func findFile(dir, base string) string {
	for _, name := range []string{base + ".gz", base} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// loadSet reads the images and labels files called images and labels
// (with or without .gz) in dir.
func loadSet(dir, images, labels string) (*Set, error) {
	paths := make([]string, 2)
	for i, base := range []string{images, labels} {
		if paths[i] = findFile(dir, base); paths[i] == "" {
			return nil, fmt.Errorf("mnist: %s: neither %s.gz nor %s found", dir, base, base)
		}
	}
	_, _, pixels, err := ReadImages(paths[0])
	if err != nil {
		return nil, err
	}
	digits, err := ReadLabels(paths[1])
	if err != nil {
		return nil, err
	}
	n := len(pixels) / (rawSide * rawSide)
	if n != len(digits) {
		return nil, fmt.Errorf("mnist: %s holds %d images but %s holds %d labels", paths[0], n, paths[1], len(digits))
	}
	if n == 0 {
		return nil, fmt.Errorf("mnist: %s holds no images", paths[0])
	}
	s := &Set{N: n, Images: make([]float32, n*Side*Side), Labels: digits}
	for i := range n {
		Pad(pixels[i*rawSide*rawSide:(i+1)*rawSide*rawSide], s.Images[i*Side*Side:(i+1)*Side*Side])
	}
	return s, nil
}
