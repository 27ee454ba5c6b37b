package cl

import (
	"fmt"
	"strings"
	"unsafe"
)

// Info parameters (cl_platform_info, cl_device_info).
const (
	platformVersion = 0x0901
	platformName    = 0x0902
	platformVendor  = 0x0903

	deviceTypeInfo         = 0x1000
	deviceMaxComputeUnits  = 0x1002
	deviceMaxWorkGroupSize = 0x1004
	deviceMaxWorkItemSizes = 0x1005
	deviceMaxMemAllocSize  = 0x1010
	deviceGlobalMemSize    = 0x101F
	deviceLocalMemSize     = 0x1023
	deviceName             = 0x102B
	deviceVendor           = 0x102C
	driverVersion          = 0x102D
	deviceVersion          = 0x102F

	deviceTypeAll = 0xFFFFFFFF
)

// Platform is an OpenCL platform: one installed implementation (ICD).
type Platform struct {
	id uintptr
}

// Platforms lists the installed OpenCL platforms. It returns ErrNoPlatform
// when the library loads but finds none.
func Platforms() ([]Platform, error) {
	if err := Load(); err != nil {
		return nil, err
	}
	var n uint32
	code := clGetPlatformIDs(0, nil, &n)
	if code == platformNotFoundKHR {
		return nil, fmt.Errorf("%w (%w)", ErrNoPlatform, check("clGetPlatformIDs", code))
	}
	if err := check("clGetPlatformIDs", code); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, ErrNoPlatform
	}
	ids := make([]uintptr, n)
	if err := check("clGetPlatformIDs", clGetPlatformIDs(n, &ids[0], &n)); err != nil {
		return nil, err
	}
	ps := make([]Platform, n)
	for i := range ps {
		ps[i] = Platform{ids[i]}
	}
	return ps, nil
}

// The info getters of Platform and Device return the zero value when the
// query fails, which only happens for an invalid object or a broken driver.

// Name returns CL_PLATFORM_NAME, such as "Portable Computing Language".
func (p Platform) Name() string { return p.str(platformName) }

// Vendor returns CL_PLATFORM_VENDOR.
func (p Platform) Vendor() string { return p.str(platformVendor) }

// Version returns CL_PLATFORM_VERSION, such as "OpenCL 3.0 PoCL 3.1".
func (p Platform) Version() string { return p.str(platformVersion) }

func (p Platform) str(param uint32) string {
	s, _ := infoString("clGetPlatformInfo", func(size uintptr, value unsafe.Pointer, sizeRet *uintptr) int32 {
		return clGetPlatformInfo(p.id, param, size, value, sizeRet)
	})
	return s
}

// Devices lists the platform's devices of every type. A platform without
// devices yields an empty list, not an error.
func (p Platform) Devices() ([]Device, error) {
	if err := Load(); err != nil {
		return nil, err
	}
	var n uint32
	code := clGetDeviceIDs(p.id, deviceTypeAll, 0, nil, &n)
	if code == deviceNotFound || (code == success && n == 0) {
		return nil, nil
	}
	if err := check("clGetDeviceIDs", code); err != nil {
		return nil, err
	}
	ids := make([]uintptr, n)
	if err := check("clGetDeviceIDs", clGetDeviceIDs(p.id, deviceTypeAll, n, &ids[0], &n)); err != nil {
		return nil, err
	}
	ds := make([]Device, n)
	for i := range ds {
		ds[i] = Device{id: ids[i], platform: p.id}
	}
	return ds, nil
}

// Device is an OpenCL device of some platform.
type Device struct {
	id       uintptr
	platform uintptr
}

// Platform returns the platform the device belongs to.
func (d Device) Platform() Platform { return Platform{d.platform} }

// Name returns CL_DEVICE_NAME.
func (d Device) Name() string { return d.str(deviceName) }

// Vendor returns CL_DEVICE_VENDOR.
func (d Device) Vendor() string { return d.str(deviceVendor) }

// Version returns CL_DEVICE_VERSION, the OpenCL version the device supports,
// such as "OpenCL 1.2 pocl".
func (d Device) Version() string { return d.str(deviceVersion) }

// DriverVersion returns CL_DRIVER_VERSION.
func (d Device) DriverVersion() string { return d.str(driverVersion) }

// Type returns CL_DEVICE_TYPE.
func (d Device) Type() DeviceType { return DeviceType(deviceValue[uint64](d, deviceTypeInfo)) }

// ComputeUnits returns CL_DEVICE_MAX_COMPUTE_UNITS.
func (d Device) ComputeUnits() int { return int(deviceValue[uint32](d, deviceMaxComputeUnits)) }

// GlobalMemSize returns CL_DEVICE_GLOBAL_MEM_SIZE in bytes.
func (d Device) GlobalMemSize() int64 { return int64(deviceValue[uint64](d, deviceGlobalMemSize)) }

// MaxMemAllocSize returns CL_DEVICE_MAX_MEM_ALLOC_SIZE, the largest buffer
// the device can allocate, in bytes.
func (d Device) MaxMemAllocSize() int64 { return int64(deviceValue[uint64](d, deviceMaxMemAllocSize)) }

// LocalMemSize returns CL_DEVICE_LOCAL_MEM_SIZE in bytes.
func (d Device) LocalMemSize() int64 { return int64(deviceValue[uint64](d, deviceLocalMemSize)) }

// MaxWorkGroupSize returns CL_DEVICE_MAX_WORK_GROUP_SIZE, the most work-items
// in one work-group of any kernel; a given kernel may allow fewer (see
// Kernel.WorkGroupSize).
func (d Device) MaxWorkGroupSize() int { return int(deviceValue[uintptr](d, deviceMaxWorkGroupSize)) }

// MaxWorkItemSizes returns CL_DEVICE_MAX_WORK_ITEM_SIZES, the largest local
// size in each dimension.
func (d Device) MaxWorkItemSizes() []int {
	s, _ := infoSlice[uintptr]("clGetDeviceInfo", d.info(deviceMaxWorkItemSizes))
	if s == nil {
		return nil
	}
	sizes := make([]int, len(s))
	for i, v := range s {
		sizes[i] = int(v)
	}
	return sizes
}

func (d Device) str(param uint32) string {
	s, _ := infoString("clGetDeviceInfo", d.info(param))
	return s
}

func deviceValue[T any](d Device, param uint32) T {
	v, _ := infoValue[T]("clGetDeviceInfo", d.info(param))
	return v
}

func (d Device) info(param uint32) infoFunc {
	return func(size uintptr, value unsafe.Pointer, sizeRet *uintptr) int32 {
		return clGetDeviceInfo(d.id, param, size, value, sizeRet)
	}
}

// DeviceType is a bit set of OpenCL device types (cl_device_type).
type DeviceType uint64

// Device types.
const (
	DeviceDefault     DeviceType = 1 << 0
	DeviceCPU         DeviceType = 1 << 1
	DeviceGPU         DeviceType = 1 << 2
	DeviceAccelerator DeviceType = 1 << 3
)

// String returns the names of the set bits joined by "|", such as
// "CPU|default"; bits without a name are shown in hex.
func (t DeviceType) String() string {
	var names []string
	for _, b := range []struct {
		bit  DeviceType
		name string
	}{
		{DeviceCPU, "CPU"},
		{DeviceGPU, "GPU"},
		{DeviceAccelerator, "accelerator"},
		{DeviceDefault, "default"},
	} {
		if t&b.bit != 0 {
			names = append(names, b.name)
			t &^= b.bit
		}
	}
	if t != 0 || len(names) == 0 {
		names = append(names, fmt.Sprintf("%#x", uint64(t)))
	}
	return strings.Join(names, "|")
}

// infoFunc is a clGet*Info call with the object and parameter bound.
type infoFunc func(size uintptr, value unsafe.Pointer, sizeRet *uintptr) int32

// infoSlice queries the size of an array-valued parameter, then its value.
func infoSlice[T any](op string, f infoFunc) ([]T, error) {
	if err := Load(); err != nil {
		return nil, err
	}
	var n uintptr
	if code := f(0, nil, &n); code != success {
		return nil, &Error{Op: op, Code: code}
	}
	s := make([]T, n/unsafe.Sizeof(*new(T)))
	if len(s) == 0 {
		return nil, nil
	}
	if code := f(uintptr(len(s))*unsafe.Sizeof(s[0]), unsafe.Pointer(&s[0]), nil); code != success {
		return nil, &Error{Op: op, Code: code}
	}
	return s, nil
}

// infoString queries a string parameter, dropping the NUL terminator.
func infoString(op string, f infoFunc) (string, error) {
	b, err := infoSlice[byte](op, f)
	return strings.TrimRight(string(b), "\x00"), err
}

// infoValue queries a fixed-size parameter.
func infoValue[T any](op string, f infoFunc) (T, error) {
	var v T
	if err := Load(); err != nil {
		return v, err
	}
	if code := f(unsafe.Sizeof(v), unsafe.Pointer(&v), nil); code != success {
		return v, &Error{Op: op, Code: code}
	}
	return v, nil
}
