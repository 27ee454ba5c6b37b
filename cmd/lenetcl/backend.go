package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/lenetcl/lenetcl/cpu"
	"github.com/lenetcl/lenetcl/device"
	"github.com/lenetcl/lenetcl/net"
)

// backendFlags are shared by every command that computes.
func backendFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "backend", Value: "auto", Usage: "where to compute: auto (an OpenCL GPU, else any OpenCL device, else the CPU), opencl or cpu"},
		&cli.IntFlag{Name: "device", Value: -1, Usage: "OpenCL device number, as `lenetcl devices` lists them (-1: choose)"},
		&cli.IntFlag{Name: "workers", Usage: "CPU backend goroutines (0: one per CPU)"},
	}
}

// openBackend returns the backend the flags ask for and a line saying which and why.
func openBackend(c *cli.Context) (net.Backend, string, error) {
	name := c.String("backend")
	switch name {
	case "cpu":
		b := cpu.New[float32](c.Int("workers"))
		return b, "backend: " + b.Name(), nil
	case "opencl", "auto":
	default:
		return nil, "", fmt.Errorf("unknown backend %q: want auto, opencl or cpu", name)
	}
	index, why := c.Int("device"), "as --device asks"
	if index < 0 {
		var err error
		index, why, err = device.Auto()
		if err != nil {
			if name == "opencl" {
				return nil, "", cli.Exit(fmt.Sprintf("--backend opencl: %v", err), 1)
			}
			b := cpu.New[float32](c.Int("workers"))
			return b, fmt.Sprintf("backend: %s, since OpenCL is unavailable: %v", b.Name(), err), nil
		}
	}
	b, err := device.Open(index)
	if err != nil {
		if name == "auto" {
			cb := cpu.New[float32](c.Int("workers"))
			return cb, fmt.Sprintf("backend: %s, since OpenCL device %d failed: %v", cb.Name(), index, err), nil
		}
		return nil, "", err
	}
	return b, fmt.Sprintf("backend: %s: %s", b.Name(), why), nil
}

func devicesCommand() *cli.Command {
	return &cli.Command{
		Name:  "devices",
		Usage: "list the OpenCL platforms and devices",
		Action: func(c *cli.Context) error {
			infos, err := device.Devices()
			if err != nil {
				return cli.Exit(fmt.Sprintf("%v\n(lenetcl runs on the CPU backend without OpenCL)", err), 1)
			}
			if len(infos) == 0 {
				fmt.Println("OpenCL platforms exist but have no device; lenetcl runs on the CPU backend")
				return nil
			}
			for _, i := range infos {
				fmt.Println(i)
				fmt.Printf("   platform %s; driver %s; max work-group %d; local memory %d KiB; largest buffer %.1f GiB\n",
					i.PlatformVersion, i.Driver, i.MaxWorkGroup, i.LocalMem>>10, float64(i.MaxAlloc)/(1<<30))
			}
			return nil
		},
	}
}
