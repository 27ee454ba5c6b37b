package mnist

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// Magic numbers of the idx files: an unsigned-byte tensor of rank 3
// (images) or rank 1 (labels).
const (
	imageMagic = 0x00000803
	labelMagic = 0x00000801
)

// rawSide is the width and height of an MNIST image.
const rawSide = 28

// growStep is the first capacity of the buffer that receives a gzipped
// body. The buffer then doubles as data actually arrives, so a header that
// lies about the item count cannot make us allocate more than about twice
// what the file really decompresses to.
const growStep = 1 << 20

// ReadImages reads an idx3 image file, gzipped or raw (decided by the gzip
// magic bytes, not by the name). It returns the image size and the pixels
// of all images, row-major, one byte per pixel, 0 = background. Only
// 28x28 images are accepted, and the file must hold exactly the images its
// header announces.
func ReadImages(path string) (rows, cols int, pixels []byte, err error) {
	f, err := openIdx(path)
	if err != nil {
		return 0, 0, nil, err
	}
	defer f.close()
	h, err := f.header(imageMagic, 3, "idx3 images")
	if err != nil {
		return 0, 0, nil, err
	}
	n, r, c := int64(h[0]), int64(h[1]), int64(h[2])
	if r != rawSide || c != rawSide {
		return 0, 0, nil, fmt.Errorf("mnist: %s: images are %dx%d, want %dx%d", path, r, c, rawSide, rawSide)
	}
	claim := fmt.Sprintf("%d images of %dx%d", n, r, c)
	pixels, err = f.body(n*r*c, claim, "pixels")
	if err != nil {
		return 0, 0, nil, err
	}
	return int(r), int(c), pixels, nil
}

// ReadLabels reads an idx1 label file, gzipped or raw (decided by the gzip
// magic bytes, not by the name). Every label must be a digit 0..9, and the
// file must hold exactly the labels its header announces.
func ReadLabels(path string) ([]uint8, error) {
	f, err := openIdx(path)
	if err != nil {
		return nil, err
	}
	defer f.close()
	h, err := f.header(labelMagic, 1, "idx1 labels")
	if err != nil {
		return nil, err
	}
	n := int64(h[0])
	labels, err := f.body(n, fmt.Sprintf("%d labels", n), "labels")
	if err != nil {
		return nil, err
	}
	for i, l := range labels {
		if l > 9 {
			return nil, fmt.Errorf("mnist: %s: label %d at index %d is not a digit 0..9", path, l, i)
		}
	}
	return labels, nil
}

// idxFile is an open idx file with its decompressing reader, if any.
type idxFile struct {
	path string
	f    *os.File
	r    io.Reader
	size int64 // raw regular files: file size; otherwise -1
	off  int64 // bytes consumed from r
}

// openIdx opens path and looks at its first two bytes to decide whether it
// is gzipped.
func openIdx(path string) (*idxFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	x := &idxFile{path: path, f: f, size: -1}
	br := bufio.NewReader(f)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		f.Close()
		return nil, fmt.Errorf("mnist: %s: %w", path, err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("mnist: %s: %w", path, err)
		}
		x.r = zr
		return x, nil
	}
	x.r = br
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		x.size = st.Size()
	}
	return x, nil
}

func (x *idxFile) close() { x.f.Close() }

// header reads the magic number and the rank dimension sizes that follow it.
func (x *idxFile) header(magic uint32, rank int, kind string) ([]uint32, error) {
	buf := make([]byte, 4*(1+rank))
	n, err := io.ReadFull(x.r, buf)
	x.off += int64(n)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("mnist: %s: file too short for an %s header (%d bytes, want %d)", x.path, kind, n, len(buf))
	}
	if err != nil {
		return nil, fmt.Errorf("mnist: %s: reading header: %w", x.path, err)
	}
	if m := binary.BigEndian.Uint32(buf); m != magic {
		return nil, fmt.Errorf("mnist: %s: magic number 0x%08x, want 0x%08x (%s)", x.path, m, magic, kind)
	}
	dims := make([]uint32, rank)
	for i := range dims {
		dims[i] = binary.BigEndian.Uint32(buf[4*(i+1):])
	}
	return dims, nil
}

// body reads the need bytes that follow the header and checks that nothing
// follows them. claim describes what the header announced and noun names
// the bytes, both for error messages. A raw file is checked against its
// size before anything is allocated; a gzipped one is read in growing
// chunks, since its header cannot be checked ahead.
func (x *idxFile) body(need int64, claim, noun string) ([]byte, error) {
	short := func(got int64) error {
		return fmt.Errorf("mnist: %s: header claims %s but the file holds %d bytes of %s", x.path, claim, got, noun)
	}
	if x.size >= 0 {
		switch avail := x.size - x.off; {
		case avail < need:
			return nil, short(avail)
		case avail > need:
			return nil, fmt.Errorf("mnist: %s: %d trailing bytes after the %s the header claims", x.path, avail-need, claim)
		}
	}
	capacity := need // checked against the file size above
	if x.size < 0 {
		capacity = min(need, growStep)
	}
	buf := make([]byte, 0, capacity)
	var err error
	for int64(len(buf)) < need && err == nil {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(need, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		var n int
		n, err = x.r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
	}
	switch {
	case int64(len(buf)) < need && err == io.EOF:
		return nil, short(int64(len(buf)))
	case int64(len(buf)) < need:
		return nil, fmt.Errorf("mnist: %s: after %d bytes of %s (header claims %s): %w", x.path, len(buf), noun, claim, err)
	case err == nil:
		// Nothing may follow. For gzip, reaching the end also checks the
		// checksum.
		var one [1]byte
		var n int
		if n, err = io.ReadFull(x.r, one[:]); n > 0 {
			return nil, fmt.Errorf("mnist: %s: trailing bytes after the %s the header claims", x.path, claim)
		}
	}
	if err != io.EOF {
		return nil, fmt.Errorf("mnist: %s: after the %s: %w", x.path, claim, err)
	}
	return buf, nil
}
