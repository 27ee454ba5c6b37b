// Package net is the one definition of LeNet-5 (LeCun, Bottou, Bengio and
// Haffner, 1998): its layers, parameters, initialisation, loss criteria and
// trainer. Backends (the pure-Go reference in cpu/, the OpenCL one in
// device/) implement the Backend interface; nothing here knows which one
// runs.
package net

import "fmt"

// The squashing function of every hidden layer is f(a) = A tanh(S a), with A
// and S chosen so that f(1) = 1 and f(-1) = -1 (paper, appendix A).
const (
	SquashA = 1.7159
	SquashS = 2.0 / 3.0
)

// Kind says what a layer computes.
type Kind uint8

const (
	// Conv is a valid convolution over the input maps its table lists, plus a
	// bias, squashed (C1, C3, C5).
	Conv Kind = iota
	// Subsample sums each non-overlapping Kernel x Kernel window, multiplies
	// by one trainable coefficient per map, adds a bias and squashes (S2, S4).
	Subsample
	// Full is a full connection plus bias, squashed (F6).
	Full
	// RBF is the Euclidean radial basis output: y_i = sum_j (x_j - w_ij)^2
	// with fixed prototypes w. It has no parameters and no squashing.
	RBF
)

func (k Kind) String() string {
	switch k {
	case Conv:
		return "convolution"
	case Subsample:
		return "subsampling"
	case Full:
		return "full"
	case RBF:
		return "Euclidean RBF"
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Layer is the geometry of one layer and where its parameters live in the
// network's flat parameter vector. Maps are square: Side x Side.
type Layer struct {
	Name    string
	Kind    Kind
	InMaps  int
	InSide  int
	OutMaps int
	OutSide int
	// Kernel is the convolution size (Conv) or the subsampling window (Subsample).
	Kernel int
	// Table lists, for each output map of a Conv layer, the input maps it
	// reads, in ascending order. Map o's weights are stored as
	// [len(Table[o])][Kernel][Kernel] from WeightOff + ConnStart[o]*Kernel*Kernel.
	Table     [][]int
	ConnStart []int
	// WeightOff and Weights locate the layer's weights (Conv, Full: as above
	// and [OutMaps][InMaps] respectively; Subsample: one coefficient per map);
	// BiasOff and Biases its biases, one per output map.
	WeightOff, Weights int
	BiasOff, Biases    int
}

// InSize and OutSize count the values one sample has at the layer's input and output.
func (l *Layer) InSize() int  { return l.InMaps * l.InSide * l.InSide }
func (l *Layer) OutSize() int { return l.OutMaps * l.OutSide * l.OutSide }

// Params counts the layer's trainable parameters.
func (l *Layer) Params() int { return l.Weights + l.Biases }

// Dense reports whether a Conv layer is, by its geometry, a full connection:
// a complete table and a kernel covering the whole input (C5 on a 5x5 input).
// Its weights are then laid out exactly as a Full layer's, so backends may
// run it as one.
func (l *Layer) Dense() bool {
	if l.Kind != Conv || l.OutSide != 1 || l.Kernel != l.InSide {
		return false
	}
	for _, t := range l.Table {
		if len(t) != l.InMaps {
			return false
		}
	}
	return true
}

// FanIn is the number of weighted inputs of output map o's units, which sets the initial weight range (paper, appendix C: uniform in ±2.4/F).
func (l *Layer) FanIn(o int) int {
	switch l.Kind {
	case Conv:
		return len(l.Table[o]) * l.Kernel * l.Kernel
	case Subsample:
		return l.Kernel * l.Kernel
	case Full:
		return l.InMaps
	}
	return 0
}

// Connections counts the layer's connections as the paper does: each
// weighted input of each output unit, bias included (RBF: one per weight).
func (l *Layer) Connections() int {
	area := l.OutSide * l.OutSide
	switch l.Kind {
	case Conv:
		return l.ConnStart[l.OutMaps]*l.Kernel*l.Kernel*area + l.OutMaps*area
	case Subsample:
		return l.OutMaps * area * (l.Kernel*l.Kernel + 1)
	case Full:
		return l.OutMaps * (l.InMaps + 1)
	case RBF:
		return l.OutMaps * l.InMaps
	}
	return 0
}

// C3Table is the paper's Table I: the S2 maps each C3 map reads.
var C3Table = [][]int{
	{0, 1, 2}, {1, 2, 3}, {2, 3, 4}, {3, 4, 5}, {0, 4, 5}, {0, 1, 5},
	{0, 1, 2, 3}, {1, 2, 3, 4}, {2, 3, 4, 5}, {0, 3, 4, 5}, {0, 1, 4, 5}, {0, 1, 2, 5},
	{0, 1, 3, 4}, {1, 2, 4, 5}, {0, 2, 3, 5},
	{0, 1, 2, 3, 4, 5},
}

// Network is LeNet-5: its layers in order and the fixed RBF prototypes.
type Network struct {
	Layers []Layer
	// Params is the length of the flat parameter vector (60,000).
	Params int
	// Prototypes holds the RBF output's fixed +1/-1 codes, [10][84].
	Prototypes []float32
}

// Arch names this network definition in model files: a model trained for
// another definition is refused.
const Arch = "lenet5-1998"

// InputSide is the paper's input plane, 32x32.
const InputSide = 32

// Classes is the number of outputs, one per digit.
const Classes = 10

// LeNet5 returns the network exactly as published.
func LeNet5() *Network {
	all := func(out, in int) [][]int {
		t := make([][]int, out)
		for o := range t {
			for i := range in {
				t[o] = append(t[o], i)
			}
		}
		return t
	}
	layers := []Layer{
		{Name: "C1", Kind: Conv, InMaps: 1, InSide: 32, OutMaps: 6, OutSide: 28, Kernel: 5, Table: all(6, 1)},
		{Name: "S2", Kind: Subsample, InMaps: 6, InSide: 28, OutMaps: 6, OutSide: 14, Kernel: 2},
		{Name: "C3", Kind: Conv, InMaps: 6, InSide: 14, OutMaps: 16, OutSide: 10, Kernel: 5, Table: C3Table},
		{Name: "S4", Kind: Subsample, InMaps: 16, InSide: 10, OutMaps: 16, OutSide: 5, Kernel: 2},
		{Name: "C5", Kind: Conv, InMaps: 16, InSide: 5, OutMaps: 120, OutSide: 1, Kernel: 5, Table: all(120, 16)},
		{Name: "F6", Kind: Full, InMaps: 120, InSide: 1, OutMaps: 84, OutSide: 1},
		{Name: "OUTPUT", Kind: RBF, InMaps: 84, InSide: 1, OutMaps: Classes, OutSide: 1},
	}
	off := 0
	for i := range layers {
		l := &layers[i]
		switch l.Kind {
		case Conv:
			l.ConnStart = make([]int, l.OutMaps+1)
			for o, t := range l.Table {
				l.ConnStart[o+1] = l.ConnStart[o] + len(t)
			}
			l.Weights = l.ConnStart[l.OutMaps] * l.Kernel * l.Kernel
		case Subsample:
			l.Weights = l.OutMaps
		case Full:
			l.Weights = l.OutMaps * l.InMaps
		}
		if l.Kind != RBF {
			l.Biases = l.OutMaps
		}
		l.WeightOff, l.BiasOff = off, off+l.Weights
		off += l.Params()
	}
	return &Network{Layers: layers, Params: off, Prototypes: prototypes()}
}

// Output returns the RBF output layer, the last.
func (n *Network) Output() *Layer { return &n.Layers[len(n.Layers)-1] }

// Connections counts the connections of the whole network.
func (n *Network) Connections() int {
	c := 0
	for i := range n.Layers {
		c += n.Layers[i].Connections()
	}
	return c
}

// protoArt is the paper's Figure 3: each digit's prototype drawn as a 7x12
// bitmap, '#' = +1, '.' = -1; component 7r+c is row r, column c.
var protoArt = [12]string{
	".#####.  ...##..  .#####.  #######  .#####.  .#####.  ..####.  #######  .#####.  .#####.",
	".......  ..###..  .......  .....##  .......  .......  .##....  .....##  ##...##  ##..###",
	"..###..  .####..  .#####.  ....##.  .......  #######  ##.....  .....##  ##...##  ##...##",
	".##.##.  ...##..  ##...##  ...##..  .##..##  ##.....  ##.....  ....##.  ##...##  ##...##",
	"##...##  ...##..  #....##  ..####.  .##..##  ##.....  ######.  ...##..  .#####.  ##..###",
	"##...##  ...##..  ....##.  .....##  ###..##  .####..  ###..##  ...##..  ##...##  .######",
	"##...##  ...##..  ..###..  .....##  ##...##  ..####.  ##...##  ..##...  ##...##  .....##",
	"##...##  ...##..  .##....  .....##  ##...##  .....##  ##...##  ..##...  ##...##  .....##",
	".##.##.  ...##..  ##.....  ##...##  ##..###  ##...##  ###..##  ..##...  ##...##  ....##.",
	"..###..  .######  #######  .#####.  .######  .#####.  .#####.  ..##...  .#####.  .####..",
	".......  .......  .......  .......  .....##  .......  .......  .......  .......  .......",
	".......  .......  .......  .......  .....##  .......  .......  .......  .......  .......",
}

// ProtoWidth and ProtoHeight are the prototypes' bitmap size; F6 has
// ProtoWidth*ProtoHeight = 84 units.
const (
	ProtoWidth  = 7
	ProtoHeight = 12
)

func prototypes() []float32 {
	p := make([]float32, Classes*ProtoWidth*ProtoHeight)
	for d := range Classes {
		for r, line := range protoArt {
			for c := range ProtoWidth {
				v := float32(-1)
				if line[d*(ProtoWidth+2)+c] == '#' {
					v = 1
				}
				p[d*ProtoWidth*ProtoHeight+r*ProtoWidth+c] = v
			}
		}
	}
	return p
}
