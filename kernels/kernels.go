// Package kernels holds the OpenCL C 1.2 source of LeNet-5's operations:
// every operation of package net's Backend, each over a whole minibatch in
// one to four launches. Package device builds and runs them.
//
// The kernels compute what the CPU backend (package cpu) does, up to the
// order of float32 sums: the Curvature pass is the Gradient pass with f',
// every weight and every input squared, selected by a flag. Parameter
// derivatives are summed over the batch without atomics, in a fixed
// order, so results are deterministic on a given device.
package kernels

import (
	"embed"
	"fmt"
	"strings"

	"github.com/lenetcl/lenetcl/net"
)

//go:embed *.cl
var files embed.FS

// order lists the source files as they are concatenated: common.cl first,
// since the others use its definitions.
var order = []string{"common.cl", "layers.cl", "output.cl", "train.cl"}

// Source is the program's OpenCL C source. Build it with Options.
var Source = func() string {
	var b strings.Builder
	for _, name := range order {
		src, err := files.ReadFile(name)
		if err != nil {
			panic(err) // embedded above: cannot happen
		}
		fmt.Fprintf(&b, "// %s\n%s\n", name, src)
	}
	return b.String()
}()

// Options returns the build options: the constants the source takes
// from package net, so that both backends use the same values, and vw, the
// width of the vectors the kernels compute rows in (2, 4, 8 or 16: wide
// for a CPU's SIMD, narrow for a GPU's threads). Kernels read up to vw-1
// values past the end of rows narrower than vw, so every buffer needs vw
// values of slack at its end.
func Options(vw int) string {
	f := func(v float32) string { return fmt.Sprintf("%.9gf", v) }
	return strings.Join([]string{
		"-DSQUASH_A=" + f(net.SquashA),
		"-DSQUASH_S=" + f(net.SquashS),
		"-DSQUASH_DA=" + f(net.SquashS/net.SquashA),
		"-DSQUASH_AA=" + f(net.SquashA*net.SquashA),
		fmt.Sprintf("-DCLASSES=%d", net.Classes),
		fmt.Sprintf("-DIMAGE_SIZE=%d", net.InputSide*net.InputSide),
		fmt.Sprintf("-DVW=%d", vw),
	}, " ")
}
