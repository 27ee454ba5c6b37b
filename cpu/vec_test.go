package cpu

import (
	"math"
	"testing"
)

func TestTanh32(t *testing.T) {
	worst := 0.0
	for x := -12.0; x <= 12; x += 1e-4 {
		got := float64(tanh32(float32(x)))
		want := math.Tanh(float64(float32(x)))
		if e := math.Abs(got - want); e > worst {
			worst = e
		}
	}
	if worst > 4e-7 { // a few ulp of 1
		t.Errorf("tanh32: max abs error %g over [-12, 12], want <= 4e-7", worst)
	}
}
