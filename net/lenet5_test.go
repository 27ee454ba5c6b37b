package net

import "testing"

// TestPaperCounts holds the network to the paper's parameter and connection counts.
func TestPaperCounts(t *testing.T) {
	n := LeNet5()
	want := []struct {
		name        string
		kind        Kind
		maps, side  int
		params      int
		connections int
	}{
		{"C1", Conv, 6, 28, 156, 122304},
		{"S2", Subsample, 6, 14, 12, 5880},
		{"C3", Conv, 16, 10, 1516, 151600},
		{"S4", Subsample, 16, 5, 32, 2000},
		{"C5", Conv, 120, 1, 48120, 48120},
		{"F6", Full, 84, 1, 10164, 10164},
		{"OUTPUT", RBF, 10, 1, 0, 840},
	}
	if len(n.Layers) != len(want) {
		t.Fatalf("%d layers, want %d", len(n.Layers), len(want))
	}
	for i, w := range want {
		l := &n.Layers[i]
		if l.Name != w.name || l.Kind != w.kind || l.OutMaps != w.maps || l.OutSide != w.side {
			t.Errorf("layer %d is %s %v %d@%dx%d, want %s %v %d@%dx%d", i, l.Name, l.Kind, l.OutMaps, l.OutSide, l.OutSide, w.name, w.kind, w.maps, w.side, w.side)
		}
		if l.Params() != w.params || l.Connections() != w.connections {
			t.Errorf("%s: %d parameters and %d connections, want %d and %d", l.Name, l.Params(), l.Connections(), w.params, w.connections)
		}
		if i > 0 && l.InSize() != n.Layers[i-1].OutSize() {
			t.Errorf("%s reads %d values, %s gives %d", l.Name, l.InSize(), n.Layers[i-1].Name, n.Layers[i-1].OutSize())
		}
	}
	if n.Params != 60000 || n.Connections() != 340908 {
		t.Errorf("%d parameters and %d connections, want 60,000 and 340,908", n.Params, n.Connections())
	}
	if !n.Layers[4].Dense() || n.Layers[2].Dense() {
		t.Error("C5 must be dense and C3 not")
	}
}

// TestPrototypes checks the RBF codes against a few cells of the paper's Figure 3.
func TestPrototypes(t *testing.T) {
	p := LeNet5().Prototypes
	at := func(d, r, c int) float32 { return p[d*84+r*7+c] }
	cases := []struct {
		d, r, c int
		want    float32
	}{
		{0, 0, 0, -1}, {0, 0, 1, 1}, {1, 9, 6, 1}, {4, 11, 5, 1}, {4, 11, 4, -1}, {7, 0, 6, 1}, {9, 11, 6, -1},
	}
	for _, c := range cases {
		if got := at(c.d, c.r, c.c); got != c.want {
			t.Errorf("prototype %d row %d col %d = %v, want %v", c.d, c.r, c.c, got, c.want)
		}
	}
	for d := range Classes {
		for e := range d {
			diff := 0
			for j := range 84 {
				if p[d*84+j] != p[e*84+j] {
					diff++
				}
			}
			if diff < 10 {
				t.Errorf("prototypes %d and %d differ in only %d units", d, e, diff)
			}
		}
	}
}

func TestInitParams(t *testing.T) {
	n := LeNet5()
	a, b := InitParams(n, 3), InitParams(n, 3)
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("InitParams is not deterministic")
		}
	}
	for _, l := range n.Layers {
		for k := range l.Biases {
			if a[l.BiasOff+k] != 0 {
				t.Fatalf("%s bias %d = %v, want 0", l.Name, k, a[l.BiasOff+k])
			}
		}
		for k := range l.Weights {
			o := k / (l.Weights / l.OutMaps)
			if l.Kind == Conv {
				for o = 0; l.ConnStart[o+1]*l.Kernel*l.Kernel <= k; o++ {
				}
			}
			if v, r := a[l.WeightOff+k], float32(2.4/float64(l.FanIn(o))); v <= -r || v >= r || v == 0 {
				t.Fatalf("%s weight %d = %v outside (±%v)", l.Name, k, v, r)
			}
		}
	}
}
