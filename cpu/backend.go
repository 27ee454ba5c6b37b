// Package cpu is the pure-Go backend: the reference every other backend is
// checked against, and the fallback where no OpenCL exists. It runs in
// float32 for training and in float64 for the finite-difference checks, from
// one generic implementation, parallel over the minibatch.
package cpu

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/lenetcl/lenetcl/net"
)

// Float is the element type the backend computes in.
type Float interface{ ~float32 | ~float64 }

// Buffer is the CPU backend's net.Buffer: a plain slice.
type Buffer[T Float] struct{ Data []T }

// Len returns the number of values in the buffer.
func (b *Buffer[T]) Len() int { return len(b.Data) }

// samples is a data set resident in memory.
type samples[T Float] struct {
	images []T
	labels []uint8
}

func (s *samples[T]) Len() int { return len(s.labels) }

// Backend implements net.Backend on the host's cores. It is not safe for
// concurrent use: one operation runs at a time, spread over the workers.
type Backend[T Float] struct {
	workers int
	// start wakes workers 1..workers-1 for the current job; the caller is worker 0.
	start []chan struct{}
	done  sync.WaitGroup
	job   job
	a     args[T]
	// scratch is each worker's private working memory, grown on demand so
	// the steady state allocates nothing.
	scratch []scratch[T]
	// wsq holds a layer's squared weights for the Curvature pass.
	wsq []T
}

// job names an operation's per-worker part; a switch rather than a func
// value, since a generic method value allocates on every call.
type job uint8

const (
	jobConvForward job = iota
	jobConvBackward
	jobSubsampleForward
	jobSubsampleBackward
	jobFullForward
	jobFullBackward
	jobRbfForward
	jobRbfBackward
	jobLoss
	jobLossCurvature
	jobUpdate
)

// exec runs worker w's part of job j.
func (b *Backend[T]) exec(j job, w, lo, hi int) {
	switch j {
	case jobConvForward:
		b.convForward(w, lo, hi)
	case jobConvBackward:
		b.convBackward(w, lo, hi)
	case jobSubsampleForward:
		b.subsampleForward(w, lo, hi)
	case jobSubsampleBackward:
		b.subsampleBackward(w, lo, hi)
	case jobFullForward:
		b.fullForward(w, lo, hi)
	case jobFullBackward:
		b.fullBackward(w, lo, hi)
	case jobRbfForward:
		b.rbfForward(w, lo, hi)
	case jobRbfBackward:
		b.rbfBackward(w, lo, hi)
	case jobLoss:
		b.loss(w, lo, hi)
	case jobLossCurvature:
		b.lossCurvature(w, lo, hi)
	case jobUpdate:
		b.update(w, lo, hi)
	}
}

// args are the operands of the running job, set by the operation before
// the workers start: one struct rather than a closure per call, so that
// dispatch does not allocate.
type args[T Float] struct {
	l                           *net.Layer
	curv                        bool
	n                           int
	w, bias                     []T // the layer's weights (squared for Curvature) and biases
	in, out, gout, gin, gparams []T
	hess, velocity              []T // Update's curvature and momentum, nil where unused
	labels, stats               []T
	crit                        net.Criterion
	scale                       T
	idx                         []int32
	set                         *samples[T]
	step                        net.Step
}

type scratch[T Float] struct {
	wide  []T // a map's rows at input width (see convForward)
	sqin  []T // the squared input of one sample
	gacc  []T // this worker's parameter derivative sums for one layer
	probs []T
	stats [2]T
}

// New returns a backend running on the given number of workers (0: one per
// CPU the Go runtime may use).
func New[T Float](workers int) *Backend[T] {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	b := &Backend[T]{workers: workers, start: make([]chan struct{}, workers), scratch: make([]scratch[T], workers)}
	for w := 1; w < workers; w++ {
		b.start[w] = make(chan struct{})
		go b.worker(w)
	}
	return b
}

func (b *Backend[T]) worker(w int) {
	for range b.start[w] {
		lo, hi := b.part(w)
		b.exec(b.job, w, lo, hi)
		b.done.Done()
	}
}

// part is worker w's share of the job's n items: a fixed contiguous range,
// so results do not depend on scheduling.
func (b *Backend[T]) part(w int) (lo, hi int) {
	return b.a.n * w / b.workers, b.a.n * (w + 1) / b.workers
}

// run executes job over b.a.n items on all workers and waits for them.
func (b *Backend[T]) run(j job) {
	b.job = j
	b.done.Add(b.workers - 1)
	for w := 1; w < b.workers; w++ {
		b.start[w] <- struct{}{}
	}
	lo, hi := b.part(0)
	b.exec(j, 0, lo, hi)
	b.done.Wait()
}

// Name describes the backend.
func (b *Backend[T]) Name() string {
	var z T
	return fmt.Sprintf("cpu (pure Go, %d workers, float%d)", b.workers, sizeof(z)*8)
}

// Alloc returns a zeroed buffer of n values.
func (b *Backend[T]) Alloc(n int) net.Buffer { return &Buffer[T]{Data: make([]T, n)} }

// Write copies src into the start of dst.
func (b *Backend[T]) Write(dst net.Buffer, src []float32) error {
	d := data[T](dst)
	if len(src) > len(d) {
		return fmt.Errorf("cpu: write of %d values into a buffer of %d", len(src), len(d))
	}
	for i, v := range src {
		d[i] = T(v)
	}
	return nil
}

// Read copies the start of src into dst.
func (b *Backend[T]) Read(src net.Buffer, dst []float32) error {
	s := data[T](src)
	if len(dst) > len(s) {
		return fmt.Errorf("cpu: read of %d values from a buffer of %d", len(dst), len(s))
	}
	for i := range dst {
		dst[i] = float32(s[i])
	}
	return nil
}

// Upload keeps the data set in memory; float32 images are used in place, not copied.
func (b *Backend[T]) Upload(images []float32, labels []uint8) (net.Samples, error) {
	const size = net.InputSide * net.InputSide
	if len(images) != len(labels)*size {
		return nil, fmt.Errorf("cpu: %d image values for %d labels, want %d", len(images), len(labels), len(labels)*size)
	}
	s := &samples[T]{labels: labels}
	if im, ok := any(images).([]T); ok {
		s.images = im
	} else {
		s.images = make([]T, len(images))
		for i, v := range images {
			s.images[i] = T(v)
		}
	}
	return s, nil
}

// Err always returns nil: nothing on the CPU fails after allocation.
func (b *Backend[T]) Err() error { return nil }

// Close stops the workers; closing again does nothing.
func (b *Backend[T]) Close() error {
	for w := 1; w < len(b.start); w++ {
		close(b.start[w])
	}
	b.start = nil
	return nil
}

// data returns a buffer's slice, or nil for a nil buffer.
func data[T Float](b net.Buffer) []T {
	if b == nil {
		return nil
	}
	return b.(*Buffer[T]).Data
}

// grow returns s resized to n, reallocating only when it is too small.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
