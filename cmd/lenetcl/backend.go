package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/lenetcl/lenetcl/cpu"
	"github.com/lenetcl/lenetcl/net"
)

// backendFlags are shared by every command that computes.
func backendFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "backend", Value: "auto", Usage: "where to compute: auto, opencl or cpu"},
		&cli.IntFlag{Name: "workers", Usage: "CPU backend goroutines (0: one per CPU)"},
	}
}

// openBackend returns the backend the flags ask for and a line saying which and why.
func openBackend(c *cli.Context) (net.Backend, string, error) {
	switch name := c.String("backend"); name {
	case "cpu", "auto":
		b := cpu.New[float32](c.Int("workers"))
		return b, "backend: " + b.Name(), nil
	default:
		return nil, "", fmt.Errorf("unknown backend %q: want auto, opencl or cpu", name)
	}
}
