// Package device is the OpenCL backend: it runs every operation of
// net.Backend as kernels from package kernels on an OpenCL device, in
// float32, with the data set, parameters and activations resident in
// device memory. It lists the devices of every installed platform and
// picks one for the user; without OpenCL it says why, and the caller falls
// back to the CPU backend.
package device

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/lenetcl/lenetcl/device/cl"
	"github.com/lenetcl/lenetcl/kernels"
)

// Info describes one OpenCL device.
type Info struct {
	// Index numbers the devices of all platforms in turn, as Open takes it.
	Index           int
	Platform        string // platform name, such as "NVIDIA CUDA"
	PlatformVersion string
	Name, Vendor    string
	Type            cl.DeviceType
	ComputeUnits    int
	GlobalMem       int64  // bytes
	MaxAlloc        int64  // the largest buffer, in bytes
	LocalMem        int64  // bytes per work-group
	MaxWorkGroup    int    // the most work-items in a work-group
	Version         string // the device's OpenCL version, such as "OpenCL 3.0 CUDA"
	Driver          string // driver version
}

// kind names the device's type without the "default" flag, such as "GPU".
func (i Info) kind() string {
	if t := i.Type &^ cl.DeviceDefault; t != 0 {
		return t.String()
	}
	return i.Type.String()
}

// String is a one-line description for device listings.
func (i Info) String() string {
	return fmt.Sprintf("%d: %s (%s, %s, %s, %d compute units, %.1f GiB)",
		i.Index, i.Name, i.kind(), i.Platform, i.Version, i.ComputeUnits, float64(i.GlobalMem)/(1<<30))
}

// short is the device as Backend.Name shows it: name, type, platform and
// OpenCL version, such as "NVIDIA H100 (GPU, NVIDIA CUDA, OpenCL 3.0)".
func (i Info) short() string {
	version := strings.Fields(i.Version)
	version = version[:min(2, len(version))]
	return fmt.Sprintf("%s (%s, %s, %s)", i.Name, i.kind(), i.Platform, strings.Join(version, " "))
}

// ErrNoDevice is returned by Auto when OpenCL platforms exist but have no device.
var ErrNoDevice = errors.New("device: no OpenCL device")

// Devices lists every device of every OpenCL platform. Its error says
// whether the OpenCL library is missing (see cl.Load) or has no platform
// (cl.ErrNoPlatform).
func Devices() ([]Info, error) {
	ds, err := devices()
	if err != nil {
		return nil, err
	}
	infos := make([]Info, len(ds))
	for i, d := range ds {
		infos[i] = describe(i, d)
	}
	return infos, nil
}

// describe returns the Info of device d, numbered index.
func describe(index int, d cl.Device) Info {
	p := d.Platform()
	return Info{
		Index: index, Platform: p.Name(), PlatformVersion: p.Version(),
		Name: d.Name(), Vendor: d.Vendor(), Type: d.Type(),
		ComputeUnits: d.ComputeUnits(), GlobalMem: d.GlobalMemSize(), MaxAlloc: d.MaxMemAllocSize(),
		LocalMem: d.LocalMemSize(), MaxWorkGroup: d.MaxWorkGroupSize(),
		Version: d.Version(), Driver: d.DriverVersion(),
	}
}

// devices returns the devices of all platforms, numbered as in Devices.
func devices() ([]cl.Device, error) {
	ps, err := cl.Platforms()
	if err != nil {
		return nil, fmt.Errorf("device: %w", err)
	}
	var all []cl.Device
	for _, p := range ps {
		ds, err := p.Devices()
		if err != nil {
			return nil, fmt.Errorf("device: listing the devices of %s: %w", p.Name(), err)
		}
		all = append(all, ds...)
	}
	return all, nil
}

// Auto picks the device to train on: the first GPU, else the first device
// of any type. why says which it chose and why, for the user. The error
// says why there is none: no OpenCL library, no platform, or no device.
func Auto() (index int, why string, err error) {
	if err := cl.Load(); err != nil {
		return -1, "", fmt.Errorf("device: no OpenCL library: %w", err)
	}
	infos, err := Devices()
	if err != nil {
		return -1, "", err
	}
	if len(infos) == 0 {
		return -1, "", ErrNoDevice
	}
	for _, i := range infos {
		if i.Type&cl.DeviceGPU != 0 {
			return i.Index, fmt.Sprintf("the first OpenCL GPU (device %d of %d)", i.Index, len(infos)), nil
		}
	}
	return 0, fmt.Sprintf("no OpenCL GPU; the first OpenCL device, a %s (device 0 of %d)", infos[0].kind(), len(infos)), nil
}

// A program is the context and built kernels that every Backend on one
// device, with one vector width, shares: building takes seconds on some
// drivers, so it happens once per process, and both live as long as the
// process.
type program struct {
	once sync.Once
	ctx  *cl.Context
	prog *cl.Program
	err  error
}

type programKey struct {
	dev cl.Device
	vw  int
}

var programs struct {
	sync.Mutex
	m map[programKey]*program
}

// shared returns device d's program for vector width vw (see
// kernels.Options), building it on first use.
func shared(d cl.Device, vw int) (*program, error) {
	key := programKey{d, vw}
	programs.Lock()
	p := programs.m[key]
	if p == nil {
		if programs.m == nil {
			programs.m = make(map[programKey]*program)
		}
		p = &program{}
		programs.m[key] = p
	}
	programs.Unlock()
	p.once.Do(func() { p.ctx, p.prog, p.err = build(d, kernels.Source, kernels.Options(vw)) })
	return p, p.err
}

// build makes a context for d and builds src in it. A compilation error
// includes the compiler's log.
func build(d cl.Device, src, options string) (*cl.Context, *cl.Program, error) {
	ctx, err := cl.CreateContext(d)
	if err != nil {
		return nil, nil, fmt.Errorf("device: creating a context on %s: %w", d.Name(), err)
	}
	prog, err := ctx.CreateProgram(src)
	if err == nil {
		err = prog.Build(d, options)
		if err != nil {
			prog.Release()
		}
	}
	if err != nil {
		ctx.Release()
		return nil, nil, fmt.Errorf("device: building the kernels for %s: %w", d.Name(), err)
	}
	return ctx, prog, nil
}
