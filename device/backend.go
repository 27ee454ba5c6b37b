package device

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/lenetcl/lenetcl/device/cl"
	"github.com/lenetcl/lenetcl/net"
)

// defaultLocal caps the work-group size of every kernel: large enough to
// fill a GPU's compute unit, small enough that a CPU device's work-groups
// spread over its cores. Each kernel runs with the least of this, what the
// kernel allows on the device and the device's first-dimension limit.
const defaultLocal = 256

// Backend implements net.Backend on one OpenCL device, in float32. Every
// operation is one to four kernel launches over the whole minibatch on an
// in-order queue, which nothing waits for but Read and Write; only Write,
// Read, Upload and Gather's indices cross between host and device. It is
// not safe for concurrent use.
type Backend struct {
	info  Info
	ctx   *cl.Context // shared with every Backend on the device
	queue *cl.Queue
	k     kernelSet
	// vw is the kernels' vector width (see kernels.Options).
	vw int
	// itemSizes are the device's largest work-group sizes per dimension.
	itemSizes []int
	// maxAlloc is the largest data set, in bytes, Upload keeps on the device.
	maxAlloc int64
	// owned are the buffers of Alloc and Upload, released by Close.
	owned []*cl.Buffer
	// conns holds each convolution layer's connection table (see conn).
	conns map[*net.Layer]*cl.Buffer
	// delta, wsq, idx and part are scratch, grown on demand: a
	// convolution's derivative by its pre-activations and its squared
	// weights, Gather's indices and the per-sample sums of Loss and of
	// parameter derivatives.
	delta, wsq, idx, part *cl.Buffer
	// batch holds the gathered images and labels of a data set kept on the host.
	batch, labels []float32
	err           error
}

// kernel is a kernel, the work-group size it runs with and the arguments
// it was last given.
type kernel struct {
	*cl.Kernel
	local int
	args  []any
}

// setArgs sets the kernel's arguments, skipping those that are as last
// set: each is a call into OpenCL, and a training step launches dozens of
// kernels with mostly the same buffers and sizes as the step before.
func (k *kernel) setArgs(args []any) error {
	if len(k.args) != len(args) {
		k.args = make([]any, len(args))
	}
	for i, v := range args {
		if k.args[i] == v {
			continue
		}
		if err := k.SetArg(i, v); err != nil {
			k.args[i] = nil
			return err
		}
		k.args[i] = v
	}
	return nil
}

// kernelSet holds one kernel per __kernel function of package kernels.
type kernelSet struct {
	gather, update                                            kernel
	convForward, subsampleForward, fullForward, rbfForward    kernel
	loss, lossStats, lossCurvature, rbfBackward, convDelta    kernel
	convBackwardInput, convBackwardParams, squareWeights      kernel
	subsampleBackwardInput, subsampleBackwardParams, sumBatch kernel
	fullBackwardInput, fullBackwardParams                     kernel
}

// namedKernel is a kernel of a kernelSet and its function's name.
type namedKernel struct {
	k    *kernel
	name string
}

func (s *kernelSet) named() []namedKernel {
	return []namedKernel{
		{&s.gather, "gather"}, {&s.update, "update"},
		{&s.convForward, "conv_forward"}, {&s.subsampleForward, "subsample_forward"},
		{&s.fullForward, "full_forward"}, {&s.rbfForward, "rbf_forward"},
		{&s.loss, "loss"}, {&s.lossStats, "loss_stats"}, {&s.lossCurvature, "loss_curvature"},
		{&s.rbfBackward, "rbf_backward"}, {&s.convDelta, "conv_delta"},
		{&s.convBackwardInput, "conv_backward_input"}, {&s.convBackwardParams, "conv_backward_params"},
		{&s.squareWeights, "square_weights"},
		{&s.subsampleBackwardInput, "subsample_backward_input"}, {&s.subsampleBackwardParams, "subsample_backward_params"},
		{&s.sumBatch, "sum_batch"},
		{&s.fullBackwardInput, "full_backward_input"}, {&s.fullBackwardParams, "full_backward_params"},
	}
}

// Open returns a backend on device index, numbered as in Devices.
func Open(index int) (*Backend, error) { return open(index, defaultLocal, 0) }

// vectorWidth is the width of the vectors the kernels compute rows in
// (see kernels.Options) on a device of type t: 16 floats on a CPU, which
// fill AVX-512 registers and give narrower units several independent
// vectors; 4 on a GPU, whose threads each compute fewer values, leaving
// more threads.
func vectorWidth(t cl.DeviceType) int {
	if t&cl.DeviceCPU != 0 {
		return 16
	}
	return 4
}

// open is Open with the work-group sizes capped at maxLocal and vector
// width vw (0: the device type's), which tests vary.
func open(index, maxLocal, vw int) (*Backend, error) {
	ds, err := devices()
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= len(ds) {
		return nil, fmt.Errorf("device: no OpenCL device %d: there are %d", index, len(ds))
	}
	d := ds[index]
	if vw == 0 {
		vw = vectorWidth(d.Type())
	}
	p, err := shared(d, vw)
	if err != nil {
		return nil, err
	}
	b := &Backend{info: describe(index, d), ctx: p.ctx, vw: vw, maxAlloc: d.MaxMemAllocSize(),
		itemSizes: d.MaxWorkItemSizes(), conns: make(map[*net.Layer]*cl.Buffer)}
	if b.queue, err = p.ctx.CreateQueue(d); err != nil {
		return nil, fmt.Errorf("device: creating a queue on %s: %w", b.info.Name, err)
	}
	limit := maxLocal
	if len(b.itemSizes) > 0 {
		limit = min(limit, b.itemSizes[0])
	}
	for _, e := range b.k.named() {
		k, err := p.prog.CreateKernel(e.name)
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("device: %w", err)
		}
		e.k.Kernel = k
		size, err := k.WorkGroupSize(d)
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("device: work-group size of %s: %w", e.name, err)
		}
		e.k.local = max(1, min(limit, size))
	}
	return b, nil
}

// Name says "opencl: " and the device, such as
// "opencl: NVIDIA H100 (GPU, NVIDIA CUDA, OpenCL 3.0)".
func (b *Backend) Name() string { return "opencl: " + b.info.short() }

// Info describes the backend's device.
func (b *Backend) Info() Info { return b.info }

// Err returns the first failure since Open. Failures of kernels surface
// only at the next Read or Write, which wait for them.
func (b *Backend) Err() error { return b.err }

// fail remembers err if it is the first failure.
func (b *Backend) fail(err error) {
	if b.err == nil && err != nil {
		b.err = err
	}
}

var errClosed = errors.New("device: backend is closed")

// Close waits for the queued work and releases the backend's kernels,
// queue and buffers; the context and program stay for the next Open of
// the device. Later operations fail.
func (b *Backend) Close() error {
	if b.queue == nil {
		return nil
	}
	err := b.queue.Finish()
	for _, e := range b.k.named() {
		e.k.Release()
	}
	for _, m := range b.owned {
		m.Release()
	}
	for _, m := range b.conns {
		m.Release()
	}
	for _, m := range []*cl.Buffer{b.delta, b.wsq, b.idx, b.part} {
		m.Release()
	}
	b.queue.Release()
	b.queue, b.owned, b.conns = nil, nil, nil
	b.fail(errClosed)
	if err != nil {
		return fmt.Errorf("device: %w", err)
	}
	return nil
}

// buffer is a device buffer of float32 values.
type buffer struct {
	mem *cl.Buffer
	n   int
}

func (b *buffer) Len() int { return b.n }

// mem returns a net.Buffer's device memory, nil for a nil buffer.
func mem(b net.Buffer) *cl.Buffer {
	if b == nil {
		return nil
	}
	return b.(*buffer).mem
}

// create allocates n float32s and the slack the kernels may read past
// them (see kernels.Options).
func (b *Backend) create(n int) *cl.Buffer {
	if b.err != nil {
		return nil
	}
	m, err := b.ctx.CreateBuffer(4 * int64(n+b.vw))
	if err != nil {
		b.fail(fmt.Errorf("device: allocating %d values: %w", n, err))
		return nil
	}
	return m
}

// Alloc returns a buffer of n zeros. On failure it returns a buffer no
// operation will touch, and Err says why.
func (b *Backend) Alloc(n int) net.Buffer {
	m := b.create(n)
	if m != nil {
		b.owned = append(b.owned, m)
		b.fail(cl.Fill(b.queue, m, float32(0), 0, m.Size()))
	}
	return &buffer{mem: m, n: n}
}

// grow returns the scratch buffer *s holding at least n values, replacing
// a smaller one. Releasing the old one is safe while queued kernels still
// use it: OpenCL frees it only after them.
func (b *Backend) grow(s **cl.Buffer, n int) *cl.Buffer {
	if *s != nil && (*s).Size() >= 4*int64(n+b.vw) {
		return *s
	}
	m := b.create(n)
	if m != nil {
		(*s).Release()
		*s = m
	}
	return m
}

// Write copies src into the start of dst.
func (b *Backend) Write(dst net.Buffer, src []float32) error {
	if b.err == nil {
		if len(src) > dst.Len() {
			b.fail(fmt.Errorf("device: write of %d values into a buffer of %d", len(src), dst.Len()))
		} else {
			b.fail(cl.Write(b.queue, mem(dst), 0, src))
		}
	}
	return b.err
}

// Read copies the start of src into dst, after the queued operations.
func (b *Backend) Read(src net.Buffer, dst []float32) error {
	if b.err == nil {
		if len(dst) > src.Len() {
			b.fail(fmt.Errorf("device: read of %d values from a buffer of %d", len(dst), src.Len()))
		} else {
			b.fail(cl.Read(b.queue, mem(src), 0, dst))
		}
	}
	return b.err
}

// samples is a data set: on the device (images, labels), or on the host
// (hostImages, hostLabels) when it is too large for one buffer.
type samples struct {
	n              int
	images, labels *cl.Buffer
	hostImages     []float32
	hostLabels     []uint8
}

func (s *samples) Len() int { return s.n }

const imageSize = net.InputSide * net.InputSide

// Upload copies the data set to the device once, labels as float values.
// A set larger than the device's largest buffer stays on the host, and
// Gather then writes each batch.
func (b *Backend) Upload(images []float32, labels []uint8) (net.Samples, error) {
	if b.err != nil {
		return nil, b.err
	}
	if len(images) != len(labels)*imageSize {
		return nil, fmt.Errorf("device: %d image values for %d labels, want %d", len(images), len(labels), len(labels)*imageSize)
	}
	fl := make([]float32, len(labels))
	for i, l := range labels {
		if l >= net.Classes {
			return nil, fmt.Errorf("device: label %d of sample %d is not a class", l, i)
		}
		fl[i] = float32(l)
	}
	s := &samples{n: len(labels)}
	if 4*int64(len(images)) > b.maxAlloc || len(images) > math.MaxInt32 {
		s.hostImages, s.hostLabels = images, labels
		return s, nil
	}
	s.images, s.labels = b.create(len(images)), b.create(len(labels))
	b.owned = append(b.owned, s.images, s.labels)
	if b.err == nil {
		b.fail(cl.Write(b.queue, s.images, 0, images))
		b.fail(cl.Write(b.queue, s.labels, 0, fl))
	}
	if b.err != nil {
		return nil, b.err
	}
	return s, nil
}

// Gather copies samples idx of s into x and labels: on the device, from
// the resident set, after writing the indices; or, for a set on the host,
// by writing the gathered batch.
func (b *Backend) Gather(set net.Samples, idx []int32, x, labels net.Buffer) {
	n, s := len(idx), set.(*samples)
	if !b.ready("Gather", span{"x", x, n * imageSize}, span{"labels", labels, n}) || n == 0 {
		return
	}
	for _, i := range idx {
		if i < 0 || int(i) >= s.n {
			b.fail(fmt.Errorf("device: Gather of sample %d from a set of %d", i, s.n))
			return
		}
	}
	if s.images == nil {
		b.batch, b.labels = b.batch[:0], b.labels[:0]
		for _, i := range idx {
			b.batch = append(b.batch, s.hostImages[int(i)*imageSize:(int(i)+1)*imageSize]...)
			b.labels = append(b.labels, float32(s.hostLabels[i]))
		}
		b.fail(cl.Write(b.queue, mem(x), 0, b.batch))
		b.fail(cl.Write(b.queue, mem(labels), 0, b.labels))
		return
	}
	m := b.grow(&b.idx, n)
	if b.err == nil {
		b.fail(cl.Write(b.queue, m, 0, idx))
	}
	b.run(&b.k.gather, n*imageSize, s.images, s.labels, m, mem(x), mem(labels), n)
}

// Update applies one Step to every parameter.
func (b *Backend) Update(st net.Step) {
	n := st.Params.Len()
	if !b.ready("Update", span{"Grads", st.Grads, n}, span{"Curv", st.Curv, n}, span{"Velocity", st.Velocity, n}) {
		return
	}
	b.run(&b.k.update, n, mem(st.Params), mem(st.Grads), mem(st.Curv), mem(st.Velocity), st.LR, st.Mu, st.Momentum, n)
}

// span is an operand and the number of values an operation uses of it.
type span struct {
	name string
	buf  net.Buffer
	n    int
}

// ready reports whether an operation may run: no earlier failure, and
// every operand long enough, which the device would not check.
func (b *Backend) ready(op string, spans ...span) bool {
	if b.err != nil {
		return false
	}
	for _, s := range spans {
		if s.buf != nil && s.buf.Len() < s.n {
			b.fail(fmt.Errorf("device: %s: %s holds %d values, needs %d", op, s.name, s.buf.Len(), s.n))
			return false
		}
	}
	return true
}

// run enqueues k over items work-items, rounded up to whole work-groups.
func (b *Backend) run(k *kernel, items int, args ...any) {
	b.launch(k, []int{(items + k.local - 1) / k.local * k.local}, []int{k.local}, args)
}

// runGrid enqueues k over a w x h x depth grid of work-items (columns,
// rows and maps of a batch, say), in work-groups of one map's columns and
// rows, split as evenly as the kernel's work-group size allows; w and h
// are rounded up to whole work-groups. Kernels then find their column, row
// and map without dividing.
func (b *Backend) runGrid(k *kernel, w, h, depth int, args ...any) {
	lw := fit(w, k.local)
	lh := fit(h, k.local/lw)
	if len(b.itemSizes) > 1 {
		lh = min(lh, b.itemSizes[1])
	}
	b.launch(k, []int{(w + lw - 1) / lw * lw, (h + lh - 1) / lh * lh, depth}, []int{lw, lh, 1}, args)
}

// fit returns the size of the most even split of n into parts of at most
// limit (at least 1).
func fit(n, limit int) int {
	limit = max(limit, 1)
	parts := max((n+limit-1)/limit, 1)
	return max((n+parts-1)/parts, 1)
}

// launch sets k's arguments and enqueues it, unless an operation failed
// before or there is no work.
func (b *Backend) launch(k *kernel, global, local []int, args []any) {
	if b.err != nil || slices.Contains(global, 0) {
		return
	}
	if err := k.setArgs(args); err != nil {
		b.fail(fmt.Errorf("device: %w", err))
		return
	}
	b.fail(b.queue.Run(k.Kernel, global, local))
}

// runGroups enqueues k over groups work-groups, passing it one float of
// local memory per work-item as its last argument.
func (b *Backend) runGroups(k *kernel, groups int, args ...any) {
	b.run(k, groups*k.local, append(args, cl.LocalMem(4*k.local))...)
}
