package cl

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"unsafe"
)

const (
	programBuildLog                  = 0x1183 // CL_PROGRAM_BUILD_LOG
	kernelWorkGroupSize              = 0x11B0 // CL_KERNEL_WORK_GROUP_SIZE
	kernelPreferredWorkGroupMultiple = 0x11B3 // CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE
)

// Program is an OpenCL C program.
type Program struct {
	id uintptr
}

// CreateProgram creates a program from OpenCL C source. It must be built
// before kernels can be created from it.
func (c *Context) CreateProgram(source string) (*Program, error) {
	if c == nil || c.id == 0 {
		return nil, errReleased("context")
	}
	// OpenCL takes an array of string pointers. The array is Go memory
	// holding a Go pointer, which C may only see when the pointee is pinned.
	src := append([]byte(source), 0)
	var pin runtime.Pinner
	pin.Pin(&src[0])
	defer pin.Unpin()
	strs := []*byte{&src[0]}
	var code int32
	id := clCreateProgramWithSource(c.id, 1, &strs[0], nil, &code)
	if err := check("clCreateProgramWithSource", code); err != nil {
		return nil, err
	}
	return &Program{id}, nil
}

// Build compiles the program for device d with the given compiler options,
// such as "-cl-fast-relaxed-math". When compilation fails the error wraps an
// *Error and includes the compiler's build log.
func (p *Program) Build(d Device, options string) error {
	if p == nil || p.id == 0 {
		return errReleased("program")
	}
	err := check("clBuildProgram", clBuildProgram(p.id, 1, &d.id, options, 0, 0))
	if err == nil {
		return nil
	}
	log, _ := infoString("clGetProgramBuildInfo", func(size uintptr, value unsafe.Pointer, sizeRet *uintptr) int32 {
		return clGetProgramBuildInfo(p.id, d.id, programBuildLog, size, value, sizeRet)
	})
	if log = strings.TrimSpace(log); log != "" {
		return fmt.Errorf("%w; build log:\n%s", err, log)
	}
	return err
}

// Release releases the program. It does nothing on a nil or released
// program.
func (p *Program) Release() {
	if p == nil || p.id == 0 {
		return
	}
	clReleaseProgram(p.id)
	p.id = 0
}

// Kernel is a __kernel function of a built program, with its arguments.
type Kernel struct {
	id   uintptr
	name string
}

// CreateKernel creates a kernel for the __kernel function called name.
func (p *Program) CreateKernel(name string) (*Kernel, error) {
	if p == nil || p.id == 0 {
		return nil, errReleased("program")
	}
	var code int32
	id := clCreateKernel(p.id, name, &code)
	if err := check("clCreateKernel", code); err != nil {
		return nil, fmt.Errorf("cl: kernel %q: %w", name, err)
	}
	return &Kernel{id: id, name: name}, nil
}

// Name returns the name of the kernel function.
func (k *Kernel) Name() string { return k.name }

// LocalMem is a kernel argument that allocates that many bytes of __local
// memory for each work-group.
type LocalMem int

// SetArg sets argument i of the kernel. v is one of:
//
//   - *Buffer, for a __global or __constant pointer; a nil *Buffer passes NULL
//   - int32, uint32 or float32, for int, uint or float
//   - int, passed as int; it must fit in 32 bits
//   - LocalMem, for a __local pointer
//
// OpenCL copies the value, so v may change after SetArg returns.
func (k *Kernel) SetArg(i int, v any) error {
	if k == nil || k.id == 0 {
		return errReleased("kernel")
	}
	if i < 0 || i > math.MaxUint32 {
		return fmt.Errorf("cl: kernel %q arg %d: invalid index", k.name, i)
	}
	var code int32
	switch v := v.(type) {
	case *Buffer:
		var mem uintptr
		if v != nil {
			mem = v.id
		}
		code = setArg(k, i, mem)
	case int32:
		code = setArg(k, i, v)
	case uint32:
		code = setArg(k, i, v)
	case float32:
		code = setArg(k, i, v)
	case int:
		if v < math.MinInt32 || v > math.MaxInt32 {
			return fmt.Errorf("cl: kernel %q arg %d: %d overflows int32", k.name, i, v)
		}
		code = setArg(k, i, int32(v))
	case LocalMem:
		if v < 0 {
			return fmt.Errorf("cl: kernel %q arg %d: negative local memory size %d", k.name, i, v)
		}
		code = clSetKernelArg(k.id, uint32(i), uintptr(v), nil)
	default:
		return fmt.Errorf("cl: kernel %q arg %d: unsupported type %T", k.name, i, v)
	}
	if err := check("clSetKernelArg", code); err != nil {
		return fmt.Errorf("cl: kernel %q arg %d: %w", k.name, i, err)
	}
	return nil
}

// setArg passes v by address; clSetKernelArg copies it before returning.
func setArg[T any](k *Kernel, i int, v T) int32 {
	return clSetKernelArg(k.id, uint32(i), unsafe.Sizeof(v), unsafe.Pointer(&v))
}

// SetArgs sets arguments 0 to len(args)-1 as SetArg does.
func (k *Kernel) SetArgs(args ...any) error {
	for i, v := range args {
		if err := k.SetArg(i, v); err != nil {
			return err
		}
	}
	return nil
}

// WorkGroupSize returns the largest work-group size the kernel can run with
// on device d (CL_KERNEL_WORK_GROUP_SIZE), which may be below the device's
// MaxWorkGroupSize.
func (k *Kernel) WorkGroupSize(d Device) (int, error) {
	return k.workGroupInfo(d, kernelWorkGroupSize)
}

// PreferredMultiple returns the work-group size multiple that runs best on
// device d (CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE), such as the warp
// or SIMD width.
func (k *Kernel) PreferredMultiple(d Device) (int, error) {
	return k.workGroupInfo(d, kernelPreferredWorkGroupMultiple)
}

func (k *Kernel) workGroupInfo(d Device, param uint32) (int, error) {
	if k == nil || k.id == 0 {
		return 0, errReleased("kernel")
	}
	v, err := infoValue[uintptr]("clGetKernelWorkGroupInfo", func(size uintptr, value unsafe.Pointer, sizeRet *uintptr) int32 {
		return clGetKernelWorkGroupInfo(k.id, d.id, param, size, value, sizeRet)
	})
	return int(v), err
}

// Release releases the kernel. It does nothing on a nil or released kernel.
func (k *Kernel) Release() {
	if k == nil || k.id == 0 {
		return
	}
	clReleaseKernel(k.id)
	k.id = 0
}

// Run enqueues kernel k over the global work size, in 1 to 3 dimensions, with
// work-groups of size local, or of a size OpenCL picks when local is nil. In
// OpenCL 1.2 each global size must be a multiple of the local one. Run does
// not wait for the kernel; use Finish or a blocking Read.
func (q *Queue) Run(k *Kernel, global, local []int) error {
	if q == nil || q.id == 0 {
		return errReleased("queue")
	}
	if k == nil || k.id == 0 {
		return errReleased("kernel")
	}
	dim := len(global)
	if dim < 1 || dim > 3 {
		return fmt.Errorf("cl: run %q: %d dimensions, want 1 to 3", k.name, dim)
	}
	if local != nil && len(local) != dim {
		return fmt.Errorf("cl: run %q: local size has %d dimensions, global %d", k.name, len(local), dim)
	}
	var g, l [3]uintptr
	var lp *uintptr
	for i := range dim {
		if global[i] < 0 || (local != nil && local[i] < 0) {
			return fmt.Errorf("cl: run %q: negative work size", k.name)
		}
		g[i] = uintptr(global[i])
		if local != nil {
			l[i] = uintptr(local[i])
			lp = &l[0]
		}
	}
	code := clEnqueueNDRangeKernel(q.id, k.id, uint32(dim), nil, &g[0], lp, 0, nil, nil)
	if err := check("clEnqueueNDRangeKernel", code); err != nil {
		return fmt.Errorf("cl: run %q: %w", k.name, err)
	}
	return nil
}
