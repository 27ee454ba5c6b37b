// Package cl is a thin binding to the OpenCL 1.2 host API.
//
// The OpenCL library is opened at run time with purego rather than linked
// with cgo, so programs build with CGO_ENABLED=0 and still start on machines
// without OpenCL: there every entry point returns the loading error, letting
// the caller fall back to another backend.
//
// The library is loaded once, on first use. Its path is taken from the
// LENETCL_OPENCL_LIBRARY environment variable when set; otherwise
// libOpenCL.so.1 and then libOpenCL.so are tried.
//
// Objects (contexts, queues, buffers, programs, kernels) are not safe for
// concurrent use unless OpenCL itself says so; in particular Release must not
// race with other uses of the same object.
package cl

import (
	"fmt"
	"os"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// libraryEnv names the environment variable that overrides the path of the
// OpenCL library.
const libraryEnv = "LENETCL_OPENCL_LIBRARY"

// OpenCL entry points, bound by load. Handles are uintptr, size_t is uintptr,
// cl_uint and cl_bool are uint32, bitfields are uint64.
var (
	clGetPlatformIDs          func(num uint32, platforms *uintptr, numRet *uint32) int32
	clGetPlatformInfo         func(platform uintptr, param uint32, size uintptr, value unsafe.Pointer, sizeRet *uintptr) int32
	clGetDeviceIDs            func(platform uintptr, typ uint64, num uint32, devices *uintptr, numRet *uint32) int32
	clGetDeviceInfo           func(device uintptr, param uint32, size uintptr, value unsafe.Pointer, sizeRet *uintptr) int32
	clCreateContext           func(props *uintptr, num uint32, devices *uintptr, notify, userData uintptr, errRet *int32) uintptr
	clReleaseContext          func(ctx uintptr) int32
	clCreateCommandQueue      func(ctx, device uintptr, props uint64, errRet *int32) uintptr
	clReleaseCommandQueue     func(queue uintptr) int32
	clFinish                  func(queue uintptr) int32
	clFlush                   func(queue uintptr) int32
	clCreateBuffer            func(ctx uintptr, flags uint64, size uintptr, host unsafe.Pointer, errRet *int32) uintptr
	clReleaseMemObject        func(mem uintptr) int32
	clEnqueueReadBuffer       func(queue, mem uintptr, blocking uint32, offset, size uintptr, ptr unsafe.Pointer, numEvents uint32, events, event unsafe.Pointer) int32
	clEnqueueWriteBuffer      func(queue, mem uintptr, blocking uint32, offset, size uintptr, ptr unsafe.Pointer, numEvents uint32, events, event unsafe.Pointer) int32
	clEnqueueFillBuffer       func(queue, mem uintptr, pattern unsafe.Pointer, patternSize, offset, size uintptr, numEvents uint32, events, event unsafe.Pointer) int32
	clCreateProgramWithSource func(ctx uintptr, count uint32, strs **byte, lengths *uintptr, errRet *int32) uintptr
	clBuildProgram            func(program uintptr, num uint32, devices *uintptr, options string, notify, userData uintptr) int32
	clGetProgramBuildInfo     func(program, device uintptr, param uint32, size uintptr, value unsafe.Pointer, sizeRet *uintptr) int32
	clReleaseProgram          func(program uintptr) int32
	clCreateKernel            func(program uintptr, name string, errRet *int32) uintptr
	clSetKernelArg            func(kernel uintptr, index uint32, size uintptr, value unsafe.Pointer) int32
	clGetKernelWorkGroupInfo  func(kernel, device uintptr, param uint32, size uintptr, value unsafe.Pointer, sizeRet *uintptr) int32
	clReleaseKernel           func(kernel uintptr) int32
	clEnqueueNDRangeKernel    func(queue, kernel uintptr, dim uint32, offset, global, local *uintptr, numEvents uint32, events, event unsafe.Pointer) int32
)

// symbols pairs each entry point with its C name.
var symbols = []struct {
	fptr any
	name string
}{
	{&clGetPlatformIDs, "clGetPlatformIDs"},
	{&clGetPlatformInfo, "clGetPlatformInfo"},
	{&clGetDeviceIDs, "clGetDeviceIDs"},
	{&clGetDeviceInfo, "clGetDeviceInfo"},
	{&clCreateContext, "clCreateContext"},
	{&clReleaseContext, "clReleaseContext"},
	{&clCreateCommandQueue, "clCreateCommandQueue"},
	{&clReleaseCommandQueue, "clReleaseCommandQueue"},
	{&clFinish, "clFinish"},
	{&clFlush, "clFlush"},
	{&clCreateBuffer, "clCreateBuffer"},
	{&clReleaseMemObject, "clReleaseMemObject"},
	{&clEnqueueReadBuffer, "clEnqueueReadBuffer"},
	{&clEnqueueWriteBuffer, "clEnqueueWriteBuffer"},
	{&clEnqueueFillBuffer, "clEnqueueFillBuffer"},
	{&clCreateProgramWithSource, "clCreateProgramWithSource"},
	{&clBuildProgram, "clBuildProgram"},
	{&clGetProgramBuildInfo, "clGetProgramBuildInfo"},
	{&clReleaseProgram, "clReleaseProgram"},
	{&clCreateKernel, "clCreateKernel"},
	{&clSetKernelArg, "clSetKernelArg"},
	{&clGetKernelWorkGroupInfo, "clGetKernelWorkGroupInfo"},
	{&clReleaseKernel, "clReleaseKernel"},
	{&clEnqueueNDRangeKernel, "clEnqueueNDRangeKernel"},
}

var (
	loadOnce sync.Once
	loadErr  error
)

// Load loads the OpenCL library if that has not been tried yet and reports
// whether it succeeded. Other functions load it on demand and return the same
// error; Load lets a program decide on a backend up front.
func Load() error {
	loadOnce.Do(func() { loadErr = load() })
	return loadErr
}

func load() error {
	h, err := openLibrary()
	if err != nil {
		return fmt.Errorf("cl: loading OpenCL library: %w", err)
	}
	// Symbols are looked up with Dlsym rather than purego.RegisterLibFunc,
	// which panics on a missing one (say, an OpenCL 1.1 library without
	// clEnqueueFillBuffer).
	for _, s := range symbols {
		sym, err := purego.Dlsym(h, s.name)
		if err != nil {
			purego.Dlclose(h)
			return fmt.Errorf("cl: OpenCL library lacks %s: %w", s.name, err)
		}
		purego.RegisterFunc(s.fptr, sym)
	}
	return nil
}

// openLibrary opens the library named by libraryEnv or else the ICD loader:
// libOpenCL.so.1 is what loader packages install, the bare libOpenCL.so comes
// with -dev packages and some vendor installs.
func openLibrary() (uintptr, error) {
	if name := os.Getenv(libraryEnv); name != "" {
		return dlopen(name)
	}
	h, err1 := dlopen("libOpenCL.so.1")
	if err1 == nil {
		return h, nil
	}
	h, err2 := dlopen("libOpenCL.so")
	if err2 == nil {
		return h, nil
	}
	return 0, fmt.Errorf("%w; %w", err1, err2)
}

func dlopen(name string) (uintptr, error) {
	h, err := purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return 0, fmt.Errorf("dlopen %s: %w", name, err)
	}
	return h, nil
}
