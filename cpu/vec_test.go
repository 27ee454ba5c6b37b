package cpu

import (
	"math"
	"testing"
)

// TestSquash32 checks float32 squashing (SIMD where built with it) against
// math.Tanh, at lengths that leave partial vectors.
func TestSquash32(t *testing.T) {
	x := make([]float32, 0, 240003)
	for a := -18.0; a <= 18; a += 1.5e-4 {
		x = append(x, float32(a))
	}
	want := make([]float64, len(x))
	for i, a := range x {
		want[i] = 1.7159 * math.Tanh(2.0/3.0*float64(a))
	}
	squash(x)
	worst := 0.0
	for i, v := range x {
		worst = max(worst, math.Abs(float64(v)-want[i]))
	}
	if worst > 1e-6 { // a few ulp of A
		t.Errorf("squash: max abs error %g over [-18, 18], want <= 1e-6", worst)
	}
	// A diverged value must stay visible to the trainer's check.
	bad := make([]float32, 19)
	bad[3], bad[17] = float32(math.NaN()), float32(math.Inf(1))
	squash(bad)
	for i, v := range bad {
		if nan := math.IsNaN(float64(v)); nan != (i == 3 || i == 17) {
			t.Errorf("squash: element %d gives %v", i, v)
		}
	}
}

// TestVec checks axpy and dot (SIMD where built with it) against plain
// float64 sums, at lengths around the vector width.
func TestVec(t *testing.T) {
	for n := 0; n <= 70; n++ {
		x, y := make([]float32, n+3), make([]float32, n)
		for i := range x {
			x[i] = float32(i%7) - 2.5
		}
		for i := range y {
			y[i] = float32(i%5) * 0.5
		}
		want := 0.0
		for i := range y {
			want += float64(x[i]) * float64(y[i])
		}
		if got := dot(y, x); math.Abs(float64(got)-want) > 1e-4*math.Max(1, math.Abs(want)) {
			t.Errorf("dot, n=%d: %v, want %v", n, got, want)
		}
		axpy(y, 2, x)
		for i := range y {
			if w := float32(i%5)*0.5 + 2*x[i]; y[i] != w {
				t.Fatalf("axpy, n=%d: y[%d] = %v, want %v", n, i, y[i], w)
			}
		}
		if n > 0 && x[n] != float32(n%7)-2.5 {
			t.Fatalf("axpy, n=%d wrote past y", n)
		}
	}
}
