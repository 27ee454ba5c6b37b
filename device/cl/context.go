package cl

import (
	"fmt"
	"runtime"
	"unsafe"
)

const (
	contextPlatform = 0x1084 // CL_CONTEXT_PLATFORM
	memReadWrite    = 1      // CL_MEM_READ_WRITE
	clTrue          = 1      // CL_TRUE
)

// Context is an OpenCL context for one device.
type Context struct {
	id uintptr
}

// CreateContext creates a context holding the single device d.
func CreateContext(d Device) (*Context, error) {
	if err := Load(); err != nil {
		return nil, err
	}
	// Naming the platform keeps the ICD loader from having to guess it.
	var props *uintptr
	if d.platform != 0 {
		p := [3]uintptr{contextPlatform, d.platform, 0}
		props = &p[0]
	}
	var code int32
	id := clCreateContext(props, 1, &d.id, 0, 0, &code)
	if err := check("clCreateContext", code); err != nil {
		return nil, err
	}
	return &Context{id}, nil
}

// Release releases the context. It does nothing on a nil or released
// context.
func (c *Context) Release() {
	if c == nil || c.id == 0 {
		return
	}
	clReleaseContext(c.id)
	c.id = 0
}

// Queue is an in-order command queue.
type Queue struct {
	id uintptr
}

// CreateQueue creates an in-order command queue for device d, which must
// belong to the context.
func (c *Context) CreateQueue(d Device) (*Queue, error) {
	if c == nil || c.id == 0 {
		return nil, errReleased("context")
	}
	var code int32
	id := clCreateCommandQueue(c.id, d.id, 0, &code)
	if err := check("clCreateCommandQueue", code); err != nil {
		return nil, err
	}
	return &Queue{id}, nil
}

// Finish blocks until every command queued so far has completed.
func (q *Queue) Finish() error {
	if q == nil || q.id == 0 {
		return errReleased("queue")
	}
	return check("clFinish", clFinish(q.id))
}

// Flush submits the queued commands to the device without waiting for them.
func (q *Queue) Flush() error {
	if q == nil || q.id == 0 {
		return errReleased("queue")
	}
	return check("clFlush", clFlush(q.id))
}

// Release releases the queue. It does nothing on a nil or released queue.
func (q *Queue) Release() {
	if q == nil || q.id == 0 {
		return
	}
	clReleaseCommandQueue(q.id)
	q.id = 0
}

// Buffer is a read-write device memory object.
type Buffer struct {
	id   uintptr
	size int64
}

// CreateBuffer allocates a read-write buffer of size bytes. Its contents are
// undefined until written or filled.
func (c *Context) CreateBuffer(size int64) (*Buffer, error) {
	if c == nil || c.id == 0 {
		return nil, errReleased("context")
	}
	if size <= 0 {
		return nil, fmt.Errorf("cl: buffer size %d is not positive", size)
	}
	var code int32
	id := clCreateBuffer(c.id, memReadWrite, uintptr(size), nil, &code)
	if err := check("clCreateBuffer", code); err != nil {
		return nil, err
	}
	return &Buffer{id: id, size: size}, nil
}

// Size returns the size of the buffer in bytes.
func (b *Buffer) Size() int64 { return b.size }

// Release releases the buffer. It does nothing on a nil or released buffer.
func (b *Buffer) Release() {
	if b == nil || b.id == 0 {
		return
	}
	clReleaseMemObject(b.id)
	b.id = 0
}

// Write copies src into b starting offset bytes into the buffer. T must not
// contain Go pointers. Write blocks until the copy is done: OpenCL reads src
// asynchronously otherwise, and Go memory may only be used by C code for the
// duration of a call. Writing an empty slice does nothing.
func Write[T any](q *Queue, b *Buffer, offset int64, src []T) error {
	if len(src) == 0 {
		return nil
	}
	n := int64(len(src)) * int64(unsafe.Sizeof(src[0]))
	if err := checkRange("Write", q, b, offset, n); err != nil {
		return err
	}
	code := clEnqueueWriteBuffer(q.id, b.id, clTrue, uintptr(offset), uintptr(n),
		unsafe.Pointer(unsafe.SliceData(src)), 0, nil, nil)
	runtime.KeepAlive(src)
	return check("clEnqueueWriteBuffer", code)
}

// Read copies len(dst) elements from b, starting offset bytes into the
// buffer, into dst. T must not contain Go pointers. Like Write, Read blocks
// until the copy is done so that dst is only used during the call. Reading
// into an empty slice does nothing.
func Read[T any](q *Queue, b *Buffer, offset int64, dst []T) error {
	if len(dst) == 0 {
		return nil
	}
	n := int64(len(dst)) * int64(unsafe.Sizeof(dst[0]))
	if err := checkRange("Read", q, b, offset, n); err != nil {
		return err
	}
	code := clEnqueueReadBuffer(q.id, b.id, clTrue, uintptr(offset), uintptr(n),
		unsafe.Pointer(unsafe.SliceData(dst)), 0, nil, nil)
	runtime.KeepAlive(dst)
	return check("clEnqueueReadBuffer", code)
}

// Fill sets size bytes of b, starting offset bytes into it, to repetitions of
// value. The size of T must be 1, 2, 4, ..., or 128 bytes, and offset and
// size multiples of it. Fill does not wait for the fill to finish: OpenCL
// copies value before returning. A size of zero does nothing.
func Fill[T any](q *Queue, b *Buffer, value T, offset, size int64) error {
	if size == 0 {
		return nil
	}
	if err := checkRange("Fill", q, b, offset, size); err != nil {
		return err
	}
	code := clEnqueueFillBuffer(q.id, b.id, unsafe.Pointer(&value), unsafe.Sizeof(value),
		uintptr(offset), uintptr(size), 0, nil, nil)
	return check("clEnqueueFillBuffer", code)
}

// checkRange validates the objects and byte range of a transfer before it
// reaches OpenCL, which would report a bad range only as CL_INVALID_VALUE.
func checkRange(op string, q *Queue, b *Buffer, offset, n int64) error {
	if q == nil || q.id == 0 {
		return errReleased("queue")
	}
	if b == nil || b.id == 0 {
		return errReleased("buffer")
	}
	if offset < 0 || n < 0 || n > b.size || offset > b.size-n {
		return fmt.Errorf("cl: %s of %d bytes at offset %d is out of range for a %d-byte buffer", op, n, offset, b.size)
	}
	return nil
}
