package modelfile_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"strings"
	"testing"

	"github.com/lenetcl/lenetcl/modelfile"
)

// testModel returns a small valid model with n parameters.
func testModel(n int) *modelfile.Model {
	ps := make([]float32, n)
	for i := range ps {
		ps[i] = float32(i)*0.25 - 3
	}
	return &modelfile.Model{
		Arch:   "lenet5-1998",
		Params: ps,
		Meta: map[string]string{
			"backend":    "cpu",
			"loss":       "mse",
			"epochs":     "20",
			"test_error": "0.0095",
			"created":    "2024-01-02T03:04:05Z",
		},
	}
}

func encode(t *testing.T, m *modelfile.Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := modelfile.Encode(&b, m); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return b.Bytes()
}

// Offsets from the documented layout.
func headerLen(b []byte) int { return int(binary.LittleEndian.Uint32(b[16:])) }
func paramsOff(b []byte) int { return 24 + headerLen(b) }

// reseal replaces the trailing checksum of b with a correct one, so a test
// can reach the checks that follow the checksum.
func reseal(b []byte) []byte {
	n := len(b) - 4
	sum := crc32.Checksum(b[:n], crc32.MakeTable(crc32.Castagnoli))
	binary.LittleEndian.PutUint32(b[n:], sum)
	return b
}

// withHeader returns a resealed file for model m with its JSON header
// replaced by head.
func withHeader(t *testing.T, m *modelfile.Model, head string) []byte {
	t.Helper()
	b := encode(t, m)
	var out []byte
	out = append(out, b[:16]...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(head)))
	out = append(out, head...)
	out = append(out, b[paramsOff(b)-4:]...)
	return reseal(out)
}

func sameModel(t *testing.T, got, want *modelfile.Model) {
	t.Helper()
	if got.Arch != want.Arch {
		t.Errorf("Arch = %q, want %q", got.Arch, want.Arch)
	}
	if len(got.Params) != len(want.Params) {
		t.Fatalf("len(Params) = %d, want %d", len(got.Params), len(want.Params))
	}
	for i := range want.Params {
		if g, w := math.Float32bits(got.Params[i]), math.Float32bits(want.Params[i]); g != w {
			t.Errorf("Params[%d] bits = %#08x, want %#08x", i, g, w)
		}
	}
	if got.Meta == nil {
		t.Error("Meta is nil")
	}
	if len(got.Meta) != len(want.Meta) {
		t.Errorf("Meta = %v, want %v", got.Meta, want.Meta)
	}
	for k, v := range want.Meta {
		if got.Meta[k] != v {
			t.Errorf("Meta[%q] = %q, want %q", k, got.Meta[k], v)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		m    *modelfile.Model
	}{
		{"typical", testModel(100)},
		{"special values", &modelfile.Model{
			Arch: "lenet5-1998",
			Params: []float32{
				0,
				float32(math.Copysign(0, -1)),
				math.SmallestNonzeroFloat32,
				-math.SmallestNonzeroFloat32,
				math.Float32frombits(0x007fffff), // largest subnormal
				math.MaxFloat32,
				-math.MaxFloat32,
				1, -1, 0.1,
			},
			Meta: map[string]string{"note": "signed zeros & subnormals"},
		}},
		{"no params, nil meta", &modelfile.Model{Arch: "empty"}},
		{"unicode and escapes", &modelfile.Model{
			Arch:   "réseau-🧠",
			Params: []float32{2},
			Meta:   map[string]string{"": "empty key", "quote\"\n\t<&>": "\u2028\x00ünï"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := modelfile.Decode(encode(t, tt.m))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			sameModel(t, got, tt.m)
		})
	}
}

func TestDeterministic(t *testing.T) {
	keys := []string{"b", "a", "created", "epochs", "z", "backend", "A", "loss", "é"}
	fwd, rev := map[string]string{}, map[string]string{}
	for i, k := range keys {
		fwd[k] = fmt.Sprint(i)
	}
	for i := len(keys) - 1; i >= 0; i-- {
		rev[keys[i]] = fmt.Sprint(i)
	}
	want := encode(t, &modelfile.Model{Arch: "x", Params: []float32{1, 2}, Meta: fwd})
	for range 20 {
		got := encode(t, &modelfile.Model{Arch: "x", Params: []float32{1, 2}, Meta: rev})
		if !bytes.Equal(got, want) {
			t.Fatalf("encodings differ:\n%q\n%q", got, want)
		}
	}
}

// TestGolden pins the encoding to the example in the package documentation.
func TestGolden(t *testing.T) {
	m := &modelfile.Model{
		Arch:   "demo",
		Params: []float32{1, float32(math.Copysign(0, -1))},
		Meta:   map[string]string{"epochs": "1"},
	}
	want := []byte("\x89LENETCL\r\n\x1a\n" +
		"\x01\x00\x00\x00" +
		"\x25\x00\x00\x00" +
		`{"arch":"demo","meta":{"epochs":"1"}}` +
		"\x02\x00\x00\x00" +
		"\x00\x00\x80\x3f" +
		"\x00\x00\x00\x80" +
		"\x6a\x04\xff\x90")
	if got := encode(t, m); !bytes.Equal(got, want) {
		t.Errorf("Encode =\n%q\nwant\n%q", got, want)
	}
}

func TestTruncated(t *testing.T) {
	b := encode(t, testModel(100))
	for n := range len(b) {
		_, err := modelfile.Decode(b[:n])
		if !errors.Is(err, modelfile.ErrTruncated) {
			t.Errorf("Decode(first %d of %d bytes) = %v, want ErrTruncated", n, len(b), err)
		}
	}
}

func TestEveryByteChangeRefused(t *testing.T) {
	b := encode(t, testModel(100))
	c := make([]byte, len(b))
	for i := range b {
		for x := 1; x < 256; x++ {
			copy(c, b)
			c[i] ^= byte(x)
			if _, err := modelfile.Decode(c); err == nil {
				t.Fatalf("Decode accepted byte %d xor %#02x", i, x)
			}
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	good := func() []byte { return encode(t, testModel(3)) }
	setParam := func(bits uint32) []byte {
		b := good()
		binary.LittleEndian.PutUint32(b[paramsOff(b)+4:], bits)
		return reseal(b)
	}
	tests := []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"empty", nil, modelfile.ErrTruncated, "truncated: file is 0 bytes, expected at least 28"},
		{"text", []byte("this is not a model file, just text"), modelfile.ErrNotModel, "modelfile: not a lenetcl model file"},
		{"CRLF mangled", func() []byte {
			b := good()
			return append(b[:8:8], b[9:]...) // \r\n became \n
		}(), modelfile.ErrNotModel, "not a lenetcl model file"},
		{"future version", func() []byte {
			b := good()
			binary.LittleEndian.PutUint32(b[12:], 2)
			return reseal(b)
		}(), modelfile.ErrVersion, "unsupported version 2, this build reads 1"},
		{"version 0", func() []byte {
			b := good()
			binary.LittleEndian.PutUint32(b[12:], 0)
			return b
		}(), modelfile.ErrVersion, "unsupported version 0, this build reads 1"},
		{"huge header length", func() []byte {
			b := good()
			binary.LittleEndian.PutUint32(b[16:], math.MaxUint32)
			return b
		}(), modelfile.ErrTruncated, "truncated: 4294967295-byte header needs at least 4294967323 bytes, file is"},
		{"huge parameter count", func() []byte {
			b := good()
			binary.LittleEndian.PutUint32(b[paramsOff(b)-4:], math.MaxUint32)
			return b
		}(), modelfile.ErrTruncated, "truncated: 4294967295 parameters need"},
		{"bad checksum", func() []byte {
			b := good()
			b[len(b)-1] ^= 1
			return b
		}(), modelfile.ErrChecksum, "corrupt: checksum mismatch: stored"},
		{"header not JSON", withHeader(t, testModel(3), `{"arch":`), modelfile.ErrCorrupt, "corrupt: header:"},
		{"header not object", withHeader(t, testModel(3), `[1,2]`), modelfile.ErrCorrupt, "corrupt: header:"},
		{"header meta not strings", withHeader(t, testModel(3), `{"arch":"x","meta":{"epochs":20}}`), modelfile.ErrCorrupt, "corrupt: header:"},
		{"header invalid UTF-8", withHeader(t, testModel(3), "{\"arch\":\"\xff\"}"), modelfile.ErrCorrupt, "header is not valid UTF-8"},
		{"header no arch", withHeader(t, testModel(3), `{"meta":{}}`), modelfile.ErrCorrupt, "header has no arch"},
		{"header null", withHeader(t, testModel(3), `null`), modelfile.ErrCorrupt, "header has no arch"},
		{"trailing byte", append(good(), 0), modelfile.ErrCorrupt, "trailing bytes after checksum"},
		{"NaN", setParam(0x7fc00000), modelfile.ErrCorrupt, "corrupt: parameter 1 is NaN"},
		{"+Inf", setParam(0x7f800000), modelfile.ErrCorrupt, "parameter 1 is +Inf"},
		{"-Inf", setParam(0xff800000), modelfile.ErrCorrupt, "parameter 1 is -Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := modelfile.Decode(tt.data)
			if err == nil {
				t.Fatalf("Decode = %+v, want error", m)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Decode error %q is not %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "modelfile: ") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Decode error %q, want it to contain %q", err, tt.msg)
			}
		})
	}
}

// TestUnknownHeaderMembers checks that readers ignore members they do not
// know, as the format documents.
func TestUnknownHeaderMembers(t *testing.T) {
	b := withHeader(t, testModel(3), `{"arch":"a","future":[1,{"x":2}],"meta":{"k":"v"}}`)
	m, err := modelfile.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if m.Arch != "a" || m.Meta["k"] != "v" || len(m.Params) != 3 {
		t.Errorf("Decode = %+v", m)
	}
}

func TestEncodeRejects(t *testing.T) {
	nan := testModel(5)
	nan.Params[2] = float32(math.NaN())
	inf := testModel(5)
	inf.Params[4] = float32(math.Inf(-1))
	tests := []struct {
		name string
		m    *modelfile.Model
		msg  string
	}{
		{"nil", nil, "nil model"},
		{"no arch", &modelfile.Model{Params: []float32{1}}, "model has no arch"},
		{"NaN", nan, "parameter 2 is NaN"},
		{"-Inf", inf, "parameter 4 is -Inf"},
		{"arch not UTF-8", &modelfile.Model{Arch: "\xff"}, "not valid UTF-8"},
		{"meta key not UTF-8", &modelfile.Model{Arch: "a", Meta: map[string]string{"\xfe": "v"}}, "not valid UTF-8"},
		{"meta value not UTF-8", &modelfile.Model{Arch: "a", Meta: map[string]string{"k": "\xc3"}}, "not valid UTF-8"},
		{"too large", &modelfile.Model{Arch: "a", Params: make([]float32, modelfile.MaxFileSize/4)}, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := modelfile.Encode(&b, tt.m)
			if err == nil || !strings.HasPrefix(err.Error(), "modelfile: ") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Encode error = %v, want one containing %q", err, tt.msg)
			}
			if b.Len() != 0 {
				t.Errorf("Encode wrote %d bytes before failing", b.Len())
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestEncodeWriteError(t *testing.T) {
	err := modelfile.Encode(failWriter{}, testModel(3))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Encode error = %v, want the writer's error", err)
	}
}

func TestCheck(t *testing.T) {
	m := testModel(10)
	tests := []struct {
		name    string
		arch    string
		nparams int
		msg     string // empty: compatible
	}{
		{"match", "lenet5-1998", 10, ""},
		{"wrong count", "lenet5-1998", 60000,
			`modelfile: incompatible model: built for "lenet5-1998" with 10 parameters, this build expects "lenet5-1998" with 60000`},
		{"wrong arch", "lenet5-relu", 10,
			`modelfile: incompatible model: built for "lenet5-1998" with 10 parameters, this build expects "lenet5-relu" with 10`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := m.Check(tt.arch, tt.nparams)
			if tt.msg == "" {
				if err != nil {
					t.Errorf("Check = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.msg || !errors.Is(err, modelfile.ErrIncompatible) {
				t.Errorf("Check = %v, want %q", err, tt.msg)
			}
		})
	}
}
