package cl

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// requireEnv makes a missing OpenCL library or platform fail the tests
// instead of skipping them, for machines that must have OpenCL.
const requireEnv = "LENETCL_REQUIRE_OPENCL"

// childEnv marks the subprocess of TestLoadMissingLibrary.
const childEnv = "LENETCL_CL_TEST_CHILD"

// testDevice returns the first OpenCL device, skipping the test when there
// is none unless requireEnv is set.
func testDevice(t *testing.T) Device {
	t.Helper()
	unavailable := t.Skipf
	if os.Getenv(requireEnv) == "1" {
		unavailable = t.Fatalf
	}
	ps, err := Platforms()
	if err != nil {
		unavailable("OpenCL unavailable: %v", err)
	}
	for _, p := range ps {
		ds, err := p.Devices()
		if err != nil {
			t.Fatalf("%s: Devices: %v", p.Name(), err)
		}
		if len(ds) > 0 {
			return ds[0]
		}
	}
	unavailable("no OpenCL device on %d platforms", len(ps))
	return Device{}
}

// setup returns a device with a context and queue released at the end of
// the test.
func setup(t *testing.T) (Device, *Context, *Queue) {
	t.Helper()
	d := testDevice(t)
	ctx, err := CreateContext(d)
	if err != nil {
		t.Fatalf("CreateContext: %v", err)
	}
	t.Cleanup(ctx.Release)
	q, err := ctx.CreateQueue(d)
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	t.Cleanup(q.Release)
	return d, ctx, q
}

func newBuffer(t *testing.T, ctx *Context, size int64) *Buffer {
	t.Helper()
	b, err := ctx.CreateBuffer(size)
	if err != nil {
		t.Fatalf("CreateBuffer(%d): %v", size, err)
	}
	t.Cleanup(b.Release)
	return b
}

// buildKernel builds source for d and creates the named kernel.
func buildKernel(t *testing.T, ctx *Context, d Device, source, name string) *Kernel {
	t.Helper()
	p, err := ctx.CreateProgram(source)
	if err != nil {
		t.Fatalf("CreateProgram: %v", err)
	}
	t.Cleanup(p.Release)
	if err := p.Build(d, ""); err != nil {
		t.Fatalf("Build: %v", err)
	}
	k, err := p.CreateKernel(name)
	if err != nil {
		t.Fatalf("CreateKernel: %v", err)
	}
	t.Cleanup(k.Release)
	return k
}

func TestPlatformsAndDevices(t *testing.T) {
	testDevice(t)
	ps, err := Platforms()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		t.Logf("platform %q vendor %q version %q", p.Name(), p.Vendor(), p.Version())
		if p.Name() == "" || p.Version() == "" {
			t.Errorf("platform has empty name or version")
		}
		ds, err := p.Devices()
		if err != nil {
			t.Fatalf("Devices: %v", err)
		}
		for _, d := range ds {
			t.Logf("device %q (%v) vendor %q version %q driver %q: %d CUs, %d B global, %d B max alloc, %d B local, work-group %d, items %v",
				d.Name(), d.Type(), d.Vendor(), d.Version(), d.DriverVersion(), d.ComputeUnits(),
				d.GlobalMemSize(), d.MaxMemAllocSize(), d.LocalMemSize(), d.MaxWorkGroupSize(), d.MaxWorkItemSizes())
			if d.Name() == "" {
				t.Error("empty device name")
			}
			if d.ComputeUnits() <= 0 || d.MaxWorkGroupSize() <= 0 || d.GlobalMemSize() <= 0 ||
				d.MaxMemAllocSize() <= 0 || d.LocalMemSize() <= 0 {
				t.Error("device reports a non-positive size")
			}
			if got := len(d.MaxWorkItemSizes()); got < 3 {
				t.Errorf("MaxWorkItemSizes has %d dimensions, want at least 3", got)
			}
			if d.Type()&(DeviceCPU|DeviceGPU|DeviceAccelerator) == 0 {
				t.Errorf("device type %v", d.Type())
			}
			if d.Platform() != p {
				t.Error("Device.Platform differs from the platform listing it")
			}
		}
	}
}

const saxpySource = `
__kernel void saxpy(float a, __global const float *x, __global float *y,
                    __local float *tmp, int n) {
	int i = get_global_id(0);
	int l = get_local_id(0);
	tmp[l] = i < n ? x[i] : 0.0f;
	barrier(CLK_LOCAL_MEM_FENCE);
	if (i < n)
		y[i] = a * tmp[l] + y[i];
}
`

func TestSaxpy(t *testing.T) {
	d, ctx, q := setup(t)
	k := buildKernel(t, ctx, d, saxpySource, "saxpy")
	if k.Name() != "saxpy" {
		t.Errorf("Name() = %q", k.Name())
	}
	wg, err := k.WorkGroupSize(d)
	if err != nil || wg <= 0 {
		t.Fatalf("WorkGroupSize = %d, %v", wg, err)
	}
	mult, err := k.PreferredMultiple(d)
	if err != nil || mult <= 0 {
		t.Fatalf("PreferredMultiple = %d, %v", mult, err)
	}
	t.Logf("kernel work-group size %d, preferred multiple %d", wg, mult)

	const n, a = 1000, float32(2.5)
	x, y := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], y[i] = float32(i), float32(n-i)/3
	}
	want := make([]float32, n)
	for i := range want {
		want[i] = a*x[i] + y[i]
	}
	local := min(64, wg)
	for _, tc := range []struct {
		name          string
		global, local []int
		scratch       int // work-items of __local scratch
	}{
		{"auto local", []int{n}, nil, wg},
		{"explicit local", []int{(n + local - 1) / local * local}, []int{local}, local},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bx, by := newBuffer(t, ctx, 4*n), newBuffer(t, ctx, 4*n)
			if err := Write(q, bx, 0, x); err != nil {
				t.Fatal(err)
			}
			if err := Write(q, by, 0, y); err != nil {
				t.Fatal(err)
			}
			if err := k.SetArgs(a, bx, by, LocalMem(4*tc.scratch), n); err != nil {
				t.Fatal(err)
			}
			if err := q.Run(k, tc.global, tc.local); err != nil {
				t.Fatal(err)
			}
			if err := q.Finish(); err != nil {
				t.Fatal(err)
			}
			got := make([]float32, n)
			if err := Read(q, by, 0, got); err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("y[%d] = %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}

func TestFillRead(t *testing.T) {
	_, ctx, q := setup(t)
	b := newBuffer(t, ctx, 4*256)
	if err := Fill(q, b, float32(0), 0, b.Size()); err != nil {
		t.Fatal(err)
	}
	if err := Fill(q, b, float32(1.5), 64, 128); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, 256)
	if err := Read(q, b, 0, got); err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		want := float32(0)
		if i >= 16 && i < 48 {
			want = 1.5
		}
		if v != want {
			t.Fatalf("element %d = %v, want %v", i, v, want)
		}
	}
}

func TestWriteReadOffset(t *testing.T) {
	_, ctx, q := setup(t)
	b := newBuffer(t, ctx, 4*8)
	if err := Fill(q, b, int32(-1), 0, b.Size()); err != nil {
		t.Fatal(err)
	}
	if err := Write(q, b, 8, []int32{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	part := make([]int32, 3)
	if err := Read(q, b, 8, part); err != nil {
		t.Fatal(err)
	}
	if want := []int32{1, 2, 3}; !equal(part, want) {
		t.Errorf("Read at offset 8 = %v, want %v", part, want)
	}
	all := make([]int32, 8)
	if err := Read(q, b, 0, all); err != nil {
		t.Fatal(err)
	}
	if want := []int32{-1, -1, 1, 2, 3, -1, -1, -1}; !equal(all, want) {
		t.Errorf("buffer = %v, want %v", all, want)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTransferOutOfRange(t *testing.T) {
	_, ctx, q := setup(t)
	b := newBuffer(t, ctx, 16)
	for _, tc := range []struct {
		name string
		f    func() error
	}{
		{"write too long", func() error { return Write(q, b, 0, make([]float32, 5)) }},
		{"write past end", func() error { return Write(q, b, 12, make([]float32, 2)) }},
		{"write negative offset", func() error { return Write(q, b, -4, make([]float32, 1)) }},
		{"write huge offset", func() error { return Write(q, b, math.MaxInt64, make([]byte, 1)) }},
		{"read past end", func() error { return Read(q, b, 8, make([]float64, 2)) }},
		{"fill past end", func() error { return Fill(q, b, float32(0), 8, 16) }},
		{"nil buffer", func() error { return Write(q, nil, 0, make([]byte, 1)) }},
		{"nil queue", func() error { return Read(nil, b, 0, make([]byte, 1)) }},
	} {
		if err := tc.f(); err == nil {
			t.Errorf("%s: no error", tc.name)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
	if err := Write(q, nil, 0, []float32{}); err != nil {
		t.Errorf("empty Write: %v", err)
	}
}

func TestBuildError(t *testing.T) {
	d, ctx, _ := setup(t)
	p, err := ctx.CreateProgram(`__kernel void bad(__global float *x) { x[0] = no_such_identifier; }`)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release()
	err = p.Build(d, "")
	if err == nil {
		t.Fatal("Build succeeded")
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "no_such_identifier") {
		t.Errorf("error lacks the build log: %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != -11 || e.Op != "clBuildProgram" {
		t.Errorf("error %v is not clBuildProgram CL_BUILD_PROGRAM_FAILURE", err)
	}
}

func TestInvalidWorkGroupSize(t *testing.T) {
	d, ctx, q := setup(t)
	k := buildKernel(t, ctx, d, saxpySource, "saxpy")
	b := newBuffer(t, ctx, 4)
	if err := k.SetArgs(float32(1), b, b, LocalMem(4), 1); err != nil {
		t.Fatal(err)
	}
	size := 2 * d.MaxWorkGroupSize()
	err := q.Run(k, []int{size}, []int{size})
	var e *Error
	if !errors.As(err, &e) || !strings.HasPrefix(e.Name(), "CL_") {
		t.Fatalf("Run with local size %d: %v, want an OpenCL error", size, err)
	}
	t.Log(err)
	if e.Code != -54 && e.Code != -55 {
		t.Errorf("code %d, want CL_INVALID_WORK_GROUP_SIZE or CL_INVALID_WORK_ITEM_SIZE", e.Code)
	}
}

func TestSetArgErrors(t *testing.T) {
	d, ctx, _ := setup(t)
	k := buildKernel(t, ctx, d, saxpySource, "saxpy")
	b := newBuffer(t, ctx, 4)
	for _, tc := range []struct {
		name string
		args []any
		want string // in the error; "" for success
	}{
		{"valid", []any{float32(1), b, (*Buffer)(nil), LocalMem(16), int32(3)}, ""},
		{"int", []any{float32(1), b, b, LocalMem(16), 3}, ""},
		{"int overflow", []any{float32(1), b, b, LocalMem(16), 1 << 40}, "arg 4"},
		{"unsupported type", []any{float64(1)}, "arg 0"},
		{"negative local", []any{float32(1), b, b, LocalMem(-1)}, "arg 3"},
		{"too many", []any{float32(1), b, b, LocalMem(16), 3, 4}, "arg 5"},
	} {
		err := k.SetArgs(tc.args...)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one naming %q", tc.name, err, tc.want)
		}
	}
}

func TestRunArgErrors(t *testing.T) {
	d, ctx, q := setup(t)
	k := buildKernel(t, ctx, d, saxpySource, "saxpy")
	for _, tc := range []struct {
		name          string
		global, local []int
	}{
		{"no dimensions", nil, nil},
		{"four dimensions", []int{1, 1, 1, 1}, nil},
		{"local dimensions differ", []int{8, 8}, []int{8}},
		{"negative", []int{-1}, nil},
	} {
		if err := q.Run(k, tc.global, tc.local); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// TestNilObjects checks that nil objects give errors, not crashes, even
// without OpenCL.
func TestNilObjects(t *testing.T) {
	var (
		ctx *Context
		q   *Queue
		b   *Buffer
		p   *Program
		k   *Kernel
	)
	ctx.Release()
	q.Release()
	b.Release()
	p.Release()
	k.Release()
	if _, err := ctx.CreateBuffer(4); err == nil {
		t.Error("CreateBuffer on nil context: no error")
	}
	if _, err := ctx.CreateProgram(""); err == nil {
		t.Error("CreateProgram on nil context: no error")
	}
	if err := q.Finish(); err == nil {
		t.Error("Finish on nil queue: no error")
	}
	if err := k.SetArg(0, int32(0)); err == nil {
		t.Error("SetArg on nil kernel: no error")
	}
	if err := q.Run(k, []int{1}, nil); err == nil {
		t.Error("Run on nil queue: no error")
	}
}

// TestReleased checks that Release may be repeated and that released
// objects give errors.
func TestReleased(t *testing.T) {
	_, ctx, q := setup(t)
	b := newBuffer(t, ctx, 4)
	b.Release()
	b.Release()
	if err := Write(q, b, 0, []byte{1}); err == nil {
		t.Error("Write to released buffer: no error")
	}
	if _, err := ctx.CreateBuffer(0); err == nil {
		t.Error("CreateBuffer(0): no error")
	}
	q.Release()
	q.Release()
	if err := q.Flush(); err == nil {
		t.Error("Flush on released queue: no error")
	}
}

func TestDeviceTypeString(t *testing.T) {
	for _, tc := range []struct {
		t    DeviceType
		want string
	}{
		{DeviceCPU, "CPU"},
		{DeviceGPU, "GPU"},
		{DeviceAccelerator, "accelerator"},
		{DeviceDefault, "default"},
		{DeviceCPU | DeviceDefault, "CPU|default"},
		{DeviceGPU | 1<<4, "GPU|0x10"},
		{0, "0x0"},
	} {
		if got := tc.t.String(); got != tc.want {
			t.Errorf("DeviceType(%#x).String() = %q, want %q", uint64(tc.t), got, tc.want)
		}
	}
}

func TestErrorNames(t *testing.T) {
	for _, tc := range []struct {
		code int32
		want string
	}{
		{0, "CL_SUCCESS"},
		{-1, "CL_DEVICE_NOT_FOUND"},
		{-11, "CL_BUILD_PROGRAM_FAILURE"},
		{-19, "CL_KERNEL_ARG_INFO_NOT_AVAILABLE"},
		{-30, "CL_INVALID_VALUE"},
		{-54, "CL_INVALID_WORK_GROUP_SIZE"},
		{-68, "CL_INVALID_DEVICE_PARTITION_COUNT"},
		{-1001, "CL_PLATFORM_NOT_FOUND_KHR"},
		{-20, "unknown OpenCL error"},
		{-69, "unknown OpenCL error"},
		{1, "unknown OpenCL error"},
	} {
		if got := (&Error{Code: tc.code}).Name(); got != tc.want {
			t.Errorf("Name of %d = %q, want %q", tc.code, got, tc.want)
		}
	}
	for code := int32(0); code >= -68; code-- {
		if code <= -20 && code >= -29 {
			continue // unassigned
		}
		if name := (&Error{Code: code}).Name(); !strings.HasPrefix(name, "CL_") {
			t.Errorf("code %d has no name", code)
		}
	}
	e := &Error{Op: "clBuildProgram", Code: -11}
	if got, want := e.Error(), "clBuildProgram: CL_BUILD_PROGRAM_FAILURE (-11)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestLoadMissingLibrary loads a library that does not exist in a
// subprocess, since loading happens once per process.
func TestLoadMissingLibrary(t *testing.T) {
	const path = "/nonexistent/libOpenCL.so"
	if os.Getenv(childEnv) == "1" {
		err := Load()
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("Load() = %v, want an error naming %s", err, path)
		}
		if _, err2 := Platforms(); err2 != err {
			t.Errorf("Platforms() = %v, want the load error", err2)
		}
		if _, err2 := CreateContext(Device{}); err2 != err {
			t.Errorf("CreateContext() = %v, want the load error", err2)
		}
		if _, err2 := (Platform{}).Devices(); err2 != err {
			t.Errorf("Devices() = %v, want the load error", err2)
		}
		var d Device
		if d.Name() != "" || d.ComputeUnits() != 0 || d.MaxWorkItemSizes() != nil || (Platform{}).Name() != "" {
			t.Error("info getters return non-zero values without a library")
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadMissingLibrary$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1", libraryEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("subprocess: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestLoadMissingLibrary") {
		t.Fatalf("subprocess did not pass:\n%s", out)
	}
}
