package kernels

import (
	"strings"
	"testing"
)

// Every embedded file must be part of Source: a file missing from order
// would silently drop its kernels.
func TestSourceHasEveryFile(t *testing.T) {
	entries, err := files.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(order) {
		t.Errorf("%d embedded files, %d in order", len(entries), len(order))
	}
	for _, e := range entries {
		if !strings.Contains(Source, "// "+e.Name()+"\n") {
			t.Errorf("%s is not in Source", e.Name())
		}
	}
}

func TestOptions(t *testing.T) {
	got := Options(8)
	for _, want := range []string{"-DSQUASH_A=1.71589994f", "-DSQUASH_S=0.666666687f", "-DCLASSES=10", "-DIMAGE_SIZE=1024", "-DVW=8"} {
		if !strings.Contains(got, want) {
			t.Errorf("Options(8) = %q, want %s in it", got, want)
		}
	}
}
