package device

import (
	"github.com/lenetcl/lenetcl/device/cl"
	"github.com/lenetcl/lenetcl/net"
)

// conn returns the connection table of convolution layer l on the device,
// writing it on first use. Its layout is the one kernels' common.cl
// describes: cstart, inmap, outmap, istart, inv.
func (b *Backend) conn(l *net.Layer) *cl.Buffer {
	if m, ok := b.conns[l]; ok || b.err != nil {
		return m
	}
	conns := l.ConnStart[l.OutMaps]
	inmap, outmap := make([]int32, 0, conns), make([]int32, 0, conns)
	istart, inv := make([]int32, l.InMaps+1), make([]int32, 0, conns)
	for o, t := range l.Table {
		for _, i := range t {
			inmap, outmap = append(inmap, int32(i)), append(outmap, int32(o))
			istart[i+1]++
		}
	}
	for i := range l.InMaps {
		istart[i+1] += istart[i]
		for c, ci := range inmap {
			if int(ci) == i {
				inv = append(inv, int32(c))
			}
		}
	}
	table := make([]int32, 0, l.OutMaps+1+3*conns+l.InMaps+1)
	for _, c := range l.ConnStart {
		table = append(table, int32(c))
	}
	table = append(append(append(append(table, inmap...), outmap...), istart...), inv...)
	m, err := b.ctx.CreateBuffer(4 * int64(len(table)))
	if err == nil {
		err = cl.Write(b.queue, m, 0, table)
	}
	if err != nil {
		m.Release()
		b.fail(err)
		return nil
	}
	b.conns[l] = m
	return m
}

// layerSpans are the operands of a layer's forward operation.
func layerSpans(l *net.Layer, params, in, out net.Buffer, n int) []span {
	return []span{{"params", params, l.BiasOff + l.Biases}, {"in", in, n * l.InSize()}, {"out", out, n * l.OutSize()}}
}

// ConvForward runs C1 and C3; a Dense layer (C5) runs as a full connection.
func (b *Backend) ConvForward(l *net.Layer, params, in, out net.Buffer, n int) {
	if l.Dense() {
		b.FullForward(l, params, in, out, n)
		return
	}
	if !b.ready("ConvForward", layerSpans(l, params, in, out, n)...) {
		return
	}
	b.run(&b.k.convForward, n*l.OutMaps*b.rowSegs(l.OutSide), mem(params), l.WeightOff, l.BiasOff, b.conn(l), mem(in), mem(out),
		l.InMaps, l.InSide, l.OutMaps, l.OutSide, l.Kernel, n)
}

// SubsampleForward runs S2 and S4.
func (b *Backend) SubsampleForward(l *net.Layer, params, in, out net.Buffer, n int) {
	if !b.ready("SubsampleForward", layerSpans(l, params, in, out, n)...) {
		return
	}
	b.runGrid(&b.k.subsampleForward, b.segs(l.OutSide), l.OutSide, n*l.OutMaps, mem(params), l.WeightOff, l.BiasOff, mem(in), mem(out),
		l.OutMaps, l.InSide, l.OutSide, l.Kernel)
}

// FullForward runs F6, and C5 as a Dense convolution: weights [out][in].
func (b *Backend) FullForward(l *net.Layer, params, in, out net.Buffer, n int) {
	if !b.ready("FullForward", layerSpans(l, params, in, out, n)...) {
		return
	}
	b.run(&b.k.fullForward, n*b.segs(l.OutSize()), mem(params), l.WeightOff, l.BiasOff, mem(in), mem(out),
		l.InSize(), l.OutSize(), n)
}

// RBFForward computes the output penalties y_i = sum_j (x_j - w_ij)^2.
func (b *Backend) RBFForward(l *net.Layer, protos, in, out net.Buffer, n int) {
	if !b.ready("RBFForward", span{"protos", protos, l.OutMaps * l.InMaps}, span{"in", in, n * l.InMaps}, span{"out", out, n * l.OutMaps}) {
		return
	}
	b.run(&b.k.rbfForward, n*l.OutMaps, mem(protos), mem(in), mem(out), l.InMaps, l.OutMaps, n)
}

// RBFBackward computes dE/dx_j = sum_i dE/dy_i * 2(x_j - w_ij).
func (b *Backend) RBFBackward(l *net.Layer, protos, in, gout, gin net.Buffer, n int) {
	if !b.ready("RBFBackward", span{"protos", protos, l.OutMaps * l.InMaps}, span{"in", in, n * l.InMaps},
		span{"gout", gout, n * l.OutMaps}, span{"gin", gin, n * l.InMaps}) {
		return
	}
	b.run(&b.k.rbfBackward, n*l.InMaps, mem(protos), mem(in), mem(gout), mem(gin), l.InMaps, l.OutMaps, n)
}

// criterion returns the kernels' criterion arguments: the MAP flag and J.
func criterion(c net.Criterion) (int32, float32) {
	if c.MAP {
		return 1, c.J
	}
	return 0, c.J
}

// Loss computes each sample's criterion and derivative, then, in a second
// kernel that runs as one work-group, adds the batch's loss and error
// count to stats: no two work-items ever write the same value.
func (b *Backend) Loss(c net.Criterion, y, labels, gy, stats net.Buffer, scale float32, n int) {
	if !b.ready("Loss", span{"y", y, n * net.Classes}, span{"labels", labels, n}, span{"gy", gy, n * net.Classes},
		span{"stats", stats, 2}) || n == 0 {
		return
	}
	part := b.grow(&b.part, 2*n)
	isMAP, j := criterion(c)
	b.run(&b.k.loss, n, mem(y), mem(labels), mem(gy), part, isMAP, j, scale, n)
	b.runGroups(&b.k.lossStats, 1, part, mem(stats), n)
}

// LossCurvature computes scale * d2E/dx_j^2 at the RBF layer's input, the
// start of the Curvature pass.
func (b *Backend) LossCurvature(c net.Criterion, l *net.Layer, protos, x, y, labels, hx net.Buffer, scale float32, n int) {
	if !b.ready("LossCurvature", span{"protos", protos, l.OutMaps * l.InMaps}, span{"x", x, n * l.InMaps},
		span{"y", y, n * l.OutMaps}, span{"labels", labels, n}, span{"hx", hx, n * l.InMaps}) {
		return
	}
	isMAP, j := criterion(c)
	b.run(&b.k.lossCurvature, n*l.InMaps, mem(protos), mem(x), mem(y), mem(labels), mem(hx), isMAP, j, scale, l.InMaps, n)
}

// rowSegs is the number of work-items that compute the side rows of a
// side x side map, a segment of b.vw values each.
func (b *Backend) rowSegs(side int) int { return side * b.segs(side) }

// segs is the number of b.vw-wide segments of a row of w values.
func (b *Backend) segs(w int) int { return (w + b.vw - 1) / b.vw }

// backward checks a layer's backward operands and returns the pass as
// the kernels' flag, and whether the operation may run.
func (b *Backend) backward(op string, l *net.Layer, p net.Pass, params, in, out, gout, gin, gparams net.Buffer, n int) (int32, bool) {
	spans := append(layerSpans(l, params, in, out, n), span{"gout", gout, n * l.OutSize()},
		span{"gin", gin, n * l.InSize()}, span{"gparams", gparams, l.BiasOff + l.Biases})
	if p == net.Curvature {
		return 1, b.ready(op, spans...)
	}
	return 0, b.ready(op, spans...)
}

// sumBatch sums the per-sample parameter derivatives that a layer's
// kernel left in part into the layer's part of gparams.
func (b *Backend) sumBatch(l *net.Layer, part *cl.Buffer, gparams net.Buffer, n int) {
	b.run(&b.k.sumBatch, l.Params(), part, mem(gparams), l.WeightOff, l.BiasOff, l.Weights, l.Params(), n)
}

// ConvBackward is the backward pass of C1 and C3, or of a Dense C5 as a
// full connection. It first lays out the derivative by the
// pre-activations at the input's width, in zeros (see conv_rows in the
// kernels); input derivatives then gather over the connection table, from
// the weights squared once per call for Curvature as the CPU backend
// does, and parameter derivatives are taken per sample, then summed.
func (b *Backend) ConvBackward(l *net.Layer, p net.Pass, params, in, out, gout, gin, gparams net.Buffer, n int) {
	if l.Dense() {
		b.FullBackward(l, p, params, in, out, gout, gin, gparams, n)
		return
	}
	curv, ok := b.backward("ConvBackward", l, p, params, in, out, gout, gin, gparams, n)
	if !ok {
		return
	}
	rows := l.OutSide + 2*l.Kernel - 1
	d := b.grow(&b.delta, n*l.OutMaps*rows*l.InSide)
	b.runGrid(&b.k.convDelta, l.InSide, rows, n*l.OutMaps, mem(out), mem(gout), d, curv, l.InSide, l.OutSide, l.Kernel)
	conn := b.conn(l)
	if gin != nil {
		w, woff := mem(params), l.WeightOff
		if curv != 0 {
			w, woff = b.grow(&b.wsq, l.Weights), 0
			b.run(&b.k.squareWeights, l.Weights, mem(params), l.WeightOff, w, l.Weights)
		}
		b.run(&b.k.convBackwardInput, n*l.InMaps*b.rowSegs(l.InSide), w, woff, conn, d, mem(gin),
			l.InMaps, l.InSide, l.OutMaps, l.OutSide, l.Kernel, n)
	}
	part := b.grow(&b.part, n*l.Params())
	b.run(&b.k.convBackwardParams, n*l.Params(), d, mem(in), part, conn, curv,
		l.InMaps, l.InSide, l.OutMaps, l.OutSide, l.Kernel, n)
	b.sumBatch(l, part, gparams, n)
}

// SubsampleBackward is the backward pass of S2 and S4. The coefficient
// multiplies the window's sum s, so its derivative is the sum of d*s (and
// of h*s^2 for Curvature).
func (b *Backend) SubsampleBackward(l *net.Layer, p net.Pass, params, in, out, gout, gin, gparams net.Buffer, n int) {
	curv, ok := b.backward("SubsampleBackward", l, p, params, in, out, gout, gin, gparams, n)
	if !ok {
		return
	}
	if gin != nil {
		windows := (l.InSide + l.Kernel - 1) / l.Kernel
		b.runGrid(&b.k.subsampleBackwardInput, windows, windows, n*l.OutMaps, mem(params), l.WeightOff, mem(out), mem(gout), mem(gin), curv,
			l.OutMaps, l.InSide, l.OutSide, l.Kernel)
	}
	part := b.grow(&b.part, n*l.Params())
	b.run(&b.k.subsampleBackwardParams, n*l.Params(), mem(out), mem(gout), mem(in), part, curv, l.OutMaps, l.InSide, l.OutSide, l.Kernel, n)
	b.sumBatch(l, part, gparams, n)
}

// FullBackward is the backward pass of F6 and of a Dense C5: weights
// [out][in], whose row segments' work-items loop over the batch.
func (b *Backend) FullBackward(l *net.Layer, p net.Pass, params, in, out, gout, gin, gparams net.Buffer, n int) {
	curv, ok := b.backward("FullBackward", l, p, params, in, out, gout, gin, gparams, n)
	if !ok {
		return
	}
	I, O := l.InSize(), l.OutSize()
	if gin != nil {
		b.run(&b.k.fullBackwardInput, n*b.segs(I), mem(params), l.WeightOff, mem(out), mem(gout), mem(gin), curv, I, O, n)
	}
	b.run(&b.k.fullBackwardParams, O*b.segs(I)+O, mem(out), mem(gout), mem(in), mem(gparams), l.WeightOff, l.BiasOff, curv, I, O, n)
}
