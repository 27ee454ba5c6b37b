package modelfile

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"unicode/utf8"
)

// Version is the format version this package writes and the only one it reads.
const Version = 1

// MaxFileSize is the largest encoded model, in bytes, that Encode writes and
// Load reads. It is far above LeNet-5's needs (about 60,000 parameters,
// 240 KB) and keeps a wrong path from reading an enormous file into memory.
const MaxFileSize = 64 << 20

// magic opens every model file; see the package documentation.
const magic = "\x89LENETCL\r\n\x1a\n"

// Byte offsets and sizes of the fixed fields.
const (
	versionOff = len(magic)      // uint32 format version
	headLenOff = versionOff + 4  // uint32 header length H
	headOff    = headLenOff + 4  // header bytes start here
	fixedSize  = headOff + 4 + 4 // everything but the header and parameters
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors this package returns wrapped with details; test for them with
// errors.Is. ErrCorrupt covers damage found after the checksum passed:
// a bad header, trailing bytes or non-finite parameters.
var (
	ErrNotModel     = errors.New("not a lenetcl model file")
	ErrVersion      = errors.New("unsupported version")
	ErrTruncated    = errors.New("truncated")
	ErrTooLarge     = errors.New("too large")
	ErrChecksum     = errors.New("corrupt: checksum mismatch")
	ErrCorrupt      = errors.New("corrupt")
	ErrIncompatible = errors.New("incompatible model")
)

// Model is a trained network: its parameters and what is needed to use and
// describe them.
type Model struct {
	// Arch names the network definition that gives Params their order and
	// meaning, e.g. "lenet5-1998". It must not be empty.
	Arch string
	// Params is the flat parameter vector. Every value must be finite.
	Params []float32
	// Meta holds free-form facts about the model (backend, loss, epochs,
	// test error, creation time...). Nothing in this package interprets it.
	Meta map[string]string
}

// header is the JSON header. Field order and Go's sorted map keys make its
// encoding deterministic.
type header struct {
	Arch string            `json:"arch"`
	Meta map[string]string `json:"meta"`
}

// Encode writes m to w in the model file format. It validates m before
// writing anything, so an invalid model leaves w untouched.
func Encode(w io.Writer, m *Model) error {
	b, err := marshal(m)
	if err != nil {
		return fmt.Errorf("modelfile: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("modelfile: write: %w", err)
	}
	return nil
}

// marshal validates m and returns its encoding. Its errors carry no prefix so
// that Encode and Save can each add their own.
func marshal(m *Model) ([]byte, error) {
	if m == nil {
		return nil, errors.New("nil model")
	}
	if m.Arch == "" {
		return nil, errors.New("model has no arch")
	}
	if !utf8.ValidString(m.Arch) {
		return nil, fmt.Errorf("arch %q is not valid UTF-8", m.Arch)
	}
	// encoding/json would silently replace invalid UTF-8, so the model
	// would not read back as written.
	for k, v := range m.Meta {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, fmt.Errorf("meta %q=%q is not valid UTF-8", k, v)
		}
	}
	if err := checkFinite(m.Params); err != nil {
		return nil, err
	}
	h := header{Arch: m.Arch, Meta: m.Meta}
	if h.Meta == nil {
		h.Meta = map[string]string{} // "{}" rather than "null"
	}
	head, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	size := uint64(fixedSize) + uint64(len(head)) + 4*uint64(len(m.Params))
	if size > MaxFileSize {
		return nil, fmt.Errorf("%w: encoding is %d bytes, limit is %d", ErrTooLarge, size, MaxFileSize)
	}

	b := make([]byte, 0, size)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint32(b, Version)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(head)))
	b = append(b, head...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.Params)))
	for _, p := range m.Params {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p))
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)), nil
}

// Decode parses a model file held in data. It checks, in order: that data
// holds at least the fixed-size fields, the magic, the version, that the
// header and parameters fit in data, the checksum, the JSON header, that
// nothing follows the checksum, and that every parameter is finite.
// The returned model's Meta is never nil.
func Decode(data []byte) (*Model, error) {
	m, err := unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("modelfile: %w", err)
	}
	return m, nil
}

// unmarshal is Decode without the error prefix, so Load can name the file.
func unmarshal(data []byte) (*Model, error) {
	size := uint64(len(data))
	if size < uint64(fixedSize) {
		return nil, fmt.Errorf("%w: file is %d bytes, expected at least %d", ErrTruncated, size, fixedSize)
	}
	if string(data[:len(magic)]) != magic {
		return nil, ErrNotModel
	}
	if v := binary.LittleEndian.Uint32(data[versionOff:]); v != Version {
		return nil, fmt.Errorf("%w %d, this build reads %d", ErrVersion, v, Version)
	}

	// Check lengths against the bytes present before slicing or
	// allocating. uint64 arithmetic cannot overflow with 32-bit fields.
	headLen := uint64(binary.LittleEndian.Uint32(data[headLenOff:]))
	if need := uint64(fixedSize) + headLen; size < need {
		return nil, fmt.Errorf("%w: %d-byte header needs at least %d bytes, file is %d", ErrTruncated, headLen, need, size)
	}
	countOff := uint64(headOff) + headLen
	count := uint64(binary.LittleEndian.Uint32(data[countOff:]))
	sumOff := countOff + 4 + 4*count
	if need := sumOff + 4; size < need {
		return nil, fmt.Errorf("%w: %d parameters need %d bytes, file is %d", ErrTruncated, count, need, size)
	}

	stored := binary.LittleEndian.Uint32(data[sumOff:])
	if sum := crc32.Checksum(data[:sumOff], castagnoli); sum != stored {
		return nil, fmt.Errorf("%w: stored %#08x, computed %#08x", ErrChecksum, stored, sum)
	}

	head := data[headOff:countOff]
	if !utf8.Valid(head) {
		return nil, fmt.Errorf("%w: header is not valid UTF-8", ErrCorrupt)
	}
	var h header
	if err := json.Unmarshal(head, &h); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrCorrupt, err)
	}
	if h.Arch == "" {
		return nil, fmt.Errorf("%w: header has no arch", ErrCorrupt)
	}
	if h.Meta == nil {
		h.Meta = map[string]string{}
	}

	if end := sumOff + 4; size > end {
		return nil, fmt.Errorf("%w: trailing bytes after checksum (file is %d bytes, expected %d)", ErrCorrupt, size, end)
	}

	params := make([]float32, count)
	raw := data[countOff+4 : sumOff]
	for i := range params {
		params[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	if err := checkFinite(params); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return &Model{Arch: h.Arch, Params: params, Meta: h.Meta}, nil
}

// checkFinite reports the first NaN or infinite value in ps. Such values
// mean training diverged; a model holding them is never useful.
func checkFinite(ps []float32) error {
	for i, p := range ps {
		f := float64(p)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("parameter %d is %v", i, p)
		}
	}
	return nil
}

// Check reports whether m fits a network definition named arch with nparams
// parameters, so a model is never loaded into a network it was not trained
// for.
func (m *Model) Check(arch string, nparams int) error {
	if m.Arch != arch || len(m.Params) != nparams {
		return fmt.Errorf("modelfile: %w: built for %q with %d parameters, this build expects %q with %d",
			ErrIncompatible, m.Arch, len(m.Params), arch, nparams)
	}
	return nil
}
