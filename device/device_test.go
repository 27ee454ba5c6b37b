package device

import (
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/lenetcl/lenetcl/cpu"
	"github.com/lenetcl/lenetcl/device/cl"
	"github.com/lenetcl/lenetcl/kernels"
	"github.com/lenetcl/lenetcl/net"
)

// The backend is checked against the CPU reference on the same operands.
// Outputs start as NaN, so an element a kernel fails to write shows.
//
// Values are compared as |got - want| <= tol * max(1, |want|): absolute
// below 1 and relative above, where every value here lies (activations
// are bounded by 1.7159, penalties by a few hundred). Both backends round
// every operation in float32 but sum in different orders, and reordering
// a sum of terms t_i changes it by a small multiple of u * sum |t_i|
// (u = 2^-24; Higham, Accuracy and Stability of Numerical Algorithms,
// ch. 4). That is far below tol for every value but the parameter and
// input derivatives of the backward passes: sums over the batch and the
// positions of terms of both signs, thousands of which cancel to a result
// much smaller than sum |t_i|. For those the test also allows
// sumTol * sum |t_i|, computing sum |t_i| by running the reference on the
// operands' absolute values.
const (
	tol    = 1e-4
	sumTol = 1e-6 // about 17u
)

// requireEnv makes a missing OpenCL a test failure rather than a skip, for
// CI machines that have it.
const requireEnv = "LENETCL_REQUIRE_OPENCL"

// deviceIndex returns the device Auto picks, or skips (or fails, under
// requireEnv) the test if there is none.
func deviceIndex(t testing.TB) int {
	t.Helper()
	i, _, err := Auto()
	if err != nil {
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("%s=1 but no OpenCL: %v", requireEnv, err)
		}
		t.Skipf("no OpenCL: %v", err)
	}
	return i
}

// autoInfo describes the device Auto picks.
func autoInfo(t testing.TB) Info {
	t.Helper()
	i := deviceIndex(t)
	infos, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	return infos[i]
}

// openDevice opens the device Auto picks with work-groups of at most
// maxLocal work-items and vector width vw (0: the device's), closing it
// when the test ends.
func openDevice(t testing.TB, maxLocal, vw int) *Backend {
	t.Helper()
	b, err := open(deviceIndex(t), maxLocal, vw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

func TestDevices(t *testing.T) {
	deviceIndex(t)
	infos, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	for i, info := range infos {
		t.Log(info)
		if info.Index != i || info.Name == "" || info.Platform == "" || info.ComputeUnits < 1 || info.MaxWorkGroup < 1 || info.MaxAlloc < 1 {
			t.Errorf("device %d: implausible %+v", i, info)
		}
	}
	for _, i := range []int{-1, len(infos)} {
		if _, err := Open(i); err == nil {
			t.Errorf("Open(%d) of %d devices succeeded", i, len(infos))
		}
	}
}

func TestAuto(t *testing.T) {
	i := deviceIndex(t)
	_, why, _ := Auto()
	b, err := Open(i)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	t.Logf("%s: %s", b.Name(), why)
	if !strings.HasPrefix(b.Name(), "opencl: "+b.Info().Name+" (") {
		t.Errorf("Name() = %q", b.Name())
	}
}

// TestAutoWithoutLibrary runs itself again in a process whose OpenCL
// library cannot load (the library is loaded once per process), where Auto
// must say so.
func TestAutoWithoutLibrary(t *testing.T) {
	const child = "LENETCL_TEST_NO_LIBRARY"
	if os.Getenv(child) == "1" {
		_, _, err := Auto()
		if err == nil || !strings.Contains(err.Error(), "no OpenCL library") {
			t.Fatalf("Auto() error = %v, want no OpenCL library", err)
		}
		t.Log(err)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAutoWithoutLibrary$", "-test.v")
	cmd.Env = append(os.Environ(), child+"=1", "LENETCL_OPENCL_LIBRARY=/nonexistent")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func TestBuildLog(t *testing.T) {
	i := deviceIndex(t)
	ds, err := devices()
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = build(ds[i], "__kernel void broken(__global float *x) { x[0] = undefined_name; }", kernels.Options(4))
	if err == nil || !strings.Contains(err.Error(), "build log") || !strings.Contains(err.Error(), "undefined_name") {
		t.Fatalf("build of a bad source: error %v, want one with the build log", err)
	}
}

func TestFirstErrorRemembered(t *testing.T) {
	b := openDevice(t, defaultLocal, 0)
	x := b.Alloc(4)
	err := b.Write(x, make([]float32, 5))
	if err == nil {
		t.Fatal("Write of 5 values into 4 succeeded")
	}
	b.Update(net.Step{Params: x, Grads: b.Alloc(3), LR: 1, Mu: 1})
	if b.Err() != err || b.Read(x, make([]float32, 4)) != err {
		t.Errorf("Err() = %v and Read returns %v, want the first error %v", b.Err(), b.Read(x, nil), err)
	}
}

// twin holds the device and the CPU reference, to run one operation on
// both from the same operands.
type twin struct {
	t   *testing.T
	dev *Backend
	ref *cpu.Backend[float32]
	rng *rand.Rand
}

// operand is one buffer on both backends.
type operand struct{ dev, ref net.Buffer }

func newTwin(t *testing.T, maxLocal, vw int) *twin {
	ref := cpu.New[float32](0)
	t.Cleanup(func() { ref.Close() })
	return &twin{t: t, dev: openDevice(t, maxLocal, vw), ref: ref, rng: rand.New(rand.NewPCG(1, 2))}
}

// values returns an operand holding v on both backends.
func (w *twin) values(v []float32) operand {
	w.t.Helper()
	o := operand{w.dev.Alloc(len(v)), w.ref.Alloc(len(v))}
	if err := w.dev.Write(o.dev, v); err != nil {
		w.t.Fatal(err)
	}
	if err := w.ref.Write(o.ref, v); err != nil {
		w.t.Fatal(err)
	}
	return o
}

// uniform returns n values uniform in [lo, hi).
func (w *twin) uniform(n int, lo, hi float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(lo + (hi-lo)*w.rng.Float64())
	}
	return v
}

// random returns an operand of n values uniform in [lo, hi).
func (w *twin) random(n int, lo, hi float64) operand { return w.values(w.uniform(n, lo, hi)) }

// poisoned returns an operand of n NaNs, the device's filled by cl.Fill.
func (w *twin) poisoned(n int) operand {
	w.t.Helper()
	o := operand{w.dev.Alloc(n), w.ref.Alloc(n)}
	nan := float32(math.NaN())
	if err := cl.Fill(w.dev.queue, mem(o.dev), nan, 0, 4*int64(n)); err != nil {
		w.t.Fatal(err)
	}
	for i := range o.ref.(*cpu.Buffer[float32]).Data {
		o.ref.(*cpu.Buffer[float32]).Data[i] = nan
	}
	return o
}

// params returns LeNet-5's initial parameters with random biases.
func (w *twin) params(lenet *net.Network) operand {
	p := net.InitParams(lenet, w.rng.Uint64())
	for _, l := range lenet.Layers {
		copy(p[l.BiasOff:l.BiasOff+l.Biases], w.uniform(l.Biases, -0.5, 0.5))
	}
	return w.values(p)
}

// labels returns n random class labels, as values.
func (w *twin) labels(n int) operand {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(w.rng.IntN(net.Classes))
	}
	return w.values(v)
}

// check compares an operand's values on the two backends: NaN where the
// reference has NaN (left untouched), within tol elsewhere.
func (w *twin) check(name string, o operand) { w.checkSum(name, o, nil) }

// checkSum is check for sums whose terms' absolute values add up to mag
// (a reference buffer; nil for values that are not cancelling sums).
func (w *twin) checkSum(name string, o operand, mag net.Buffer) {
	w.t.Helper()
	want := o.ref.(*cpu.Buffer[float32]).Data
	got := make([]float32, len(want))
	if err := w.dev.Read(o.dev, got); err != nil {
		w.t.Fatalf("%s: %v", name, err)
	}
	bad := 0
	for i, g := range got {
		gv, wv := float64(g), float64(want[i])
		allowed := tol * math.Max(1, math.Abs(wv))
		if mag != nil {
			allowed += sumTol * float64(mag.(*cpu.Buffer[float32]).Data[i])
		}
		if math.IsNaN(wv) && math.IsNaN(gv) || math.Abs(gv-wv) <= allowed {
			continue
		}
		if bad++; bad <= 5 {
			w.t.Errorf("%s[%d] = %g, want %g", name, i, g, want[i])
		}
	}
	if bad > 5 {
		w.t.Errorf("%s: %d of %d values differ", name, bad, len(got))
	}
}

// abs returns a reference buffer of the absolute values of o's, or nil
// for a nil operand.
func abs(o operand) net.Buffer {
	if o.ref == nil {
		return nil
	}
	v := slices.Clone(o.ref.(*cpu.Buffer[float32]).Data)
	for i := range v {
		v[i] = float32(math.Abs(float64(v[i])))
	}
	return &cpu.Buffer[float32]{Data: v}
}
