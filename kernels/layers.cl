// Forward and backward passes of the convolution (C1, C3), subsampling
// (S2, S4) and full (F6, and C5 as a full connection) layers. Backward
// passes take the layer's outputs out and the derivative gout by them,
// and curv: 0 for the Gradient pass, 1 for the Curvature pass, which is
// the same computation with f', every weight and every input squared.

// conv_forward computes one row segment of an output map per work-item:
// the valid k x k convolution over the input maps of the output map's
// connections, plus the bias, squashed.
__kernel void conv_forward(__global const float *params, int woff, int boff,
		__global const int *conn, __global const float *in, __global float *out,
		int inMaps, int inSide, int outMaps, int outSide, int k, int n) {
	int gid = get_global_id(0), per = outSide * segs(outSide);
	if (gid >= n * outMaps * per)
		return;
	int q = gid % per, o = gid / per % outMaps, s = gid / per / outMaps;
	int y = q / segs(outSide), first = q % segs(outSide) * VW, x0 = seg_start(first, outSide);
	__global const int *inmap = CONN_INMAP(conn, outMaps);
	floatv a = 0;
	for (int c = conn[o]; c < conn[o + 1]; c++) {
		__global const float *x = in + ((s * inMaps + inmap[c]) * inSide + y) * inSide + x0;
		__global const float *w = params + woff + c * k * k;
		for (int ky = 0; ky < k; ky++)
			for (int kx = 0; kx < k; kx++)
				a += w[ky * k + kx] * VLOAD(x + ky * inSide + kx);
	}
	store_seg(out + ((s * outMaps + o) * outSide + y) * outSide, SQUASH(a + params[boff + o]), first, x0, outSide);
}

// window returns the sum of the k x k window whose top left is x.
float window(__global const float *x, int side, int k) {
	float sum = 0;
	for (int dy = 0; dy < k; dy++)
		for (int dx = 0; dx < k; dx++)
			sum += x[dy * side + dx];
	return sum;
}

// subsample_forward computes one row segment of an output map per
// work-item, segment x of row y of map z = s*maps + m: the windows' sums
// times the map's coefficient plus its bias, squashed as one vector.
__kernel void subsample_forward(__global const float *params, int woff, int boff,
		__global const float *in, __global float *out, int maps, int inSide, int outSide, int k) {
	int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2), m = z % maps;
	if (x >= segs(outSide) || y >= outSide)
		return;
	int first = x * VW, x0 = seg_start(first, outSide);
	float sum[VW];
	for (int j = 0; j < VW; j++)
		sum[j] = x0 + j < outSide ? window(in + (z * inSide + y * k) * inSide + (x0 + j) * k, inSide, k) : 0;
	floatv a = params[woff + m] * VLOAD(sum) + params[boff + m];
	store_seg(out + (z * outSide + y) * outSide, SQUASH(a), first, x0, outSide);
}

// dot returns sum x[i]*y[i] (y squared for Curvature) over n values, VW
// partial sums at a time.
float dot(__global const float *x, __global const float *y, int n, int curv) {
	floatv acc = 0;
	int i = 0;
	for (; i + VW <= n; i += VW)
		acc += VLOAD(x + i) * SQ(VLOAD(y + i), curv);
	if (i < n)
		acc += masked(VLOAD(x + i) * SQ(VLOAD(y + i), curv), n - i);
	return hsum(acc);
}

// full_forward computes one segment of a sample's outputs per work-item,
// squashed as one vector: weights [outs][ins].
__kernel void full_forward(__global const float *params, int woff, int boff,
		__global const float *in, __global float *out, int ins, int outs, int n) {
	int gid = get_global_id(0);
	if (gid >= n * segs(outs))
		return;
	int first = gid % segs(outs) * VW, x0 = seg_start(first, outs), s = gid / segs(outs);
	float sum[VW];
	for (int j = 0; j < VW; j++)
		sum[j] = x0 + j < outs ? dot(params + woff + (x0 + j) * ins, in + s * ins, ins, 0) : 0;
	store_seg(out + s * outs, SQUASH(VLOAD(sum) + VLOAD(params + boff + x0)), first, x0, outs);
}

// A convolution's backward pass lays out its derivative by its
// pre-activations, d, at the input's width W = inSide: rows of stride W,
// the output's outSide columns followed by zeros, k zero rows above and
// k-1 below. A row segment of an input derivative is then a valid
// convolution of d with the flipped kernel, whose loads that run off the
// left of a row read the previous row's zero columns, and a weight's
// derivative one dot product of d with the input, shifted.
int conv_rows(int outSide, int k) { return outSide + 2 * k - 1; }

// conv_delta lays out a convolution's derivative by its pre-activations,
// d = delta(out, gout), one value per work-item, (x, y) of map
// z = s*maps + m of d (see conv_rows).
__kernel void conv_delta(__global const float *out, __global const float *gout, __global float *d,
		int curv, int inSide, int outSide, int k) {
	int x = get_global_id(0), y = get_global_id(1) - k, z = get_global_id(2);
	if (x >= inSide || y + k >= conv_rows(outSide, k))
		return;
	float v = 0;
	if (x < outSide && y >= 0 && y < outSide)
		v = delta(out, gout, (z * outSide + y) * outSide + x, curv);
	d[(z * conv_rows(outSide, k) + y + k) * inSide + x] = v;
}

// square_weights copies count weights from w + woff squared into sq, for
// the Curvature pass of conv_backward_input. (Squaring each weight inside
// that kernel's loop runs a hundred times slower on PoCL 3.1 whenever the
// kernel's first launch is a Curvature pass.)
__kernel void square_weights(__global const float *w, int woff, __global float *sq, int count) {
	int i = get_global_id(0);
	if (i < count)
		sq[i] = w[woff + i] * w[woff + i];
}

// conv_backward_input computes one row segment of an input map's
// derivative per work-item, gathering over the connections that read the
// map, with the layer's weights at w + woff (squared, for the Curvature
// pass, by square_weights).
__kernel void conv_backward_input(__global const float *w, int woff,
		__global const int *conn, __global const float *d, __global float *gin,
		int inMaps, int inSide, int outMaps, int outSide, int k, int n) {
	int gid = get_global_id(0), per = inSide * segs(inSide);
	if (gid >= n * inMaps * per)
		return;
	int q = gid % per, i = gid / per % inMaps, s = gid / per / inMaps;
	int y = q / segs(inSide), first = q % segs(inSide) * VW, x0 = seg_start(first, inSide);
	int size = conv_rows(outSide, k) * inSide;
	__global const int *outmap = CONN_OUTMAP(conn, outMaps);
	__global const int *istart = CONN_ISTART(conn, outMaps);
	__global const int *inv = CONN_INV(conn, outMaps, inMaps);
	floatv g = 0;
	for (int e = istart[i]; e < istart[i + 1]; e++) {
		int c = inv[e];
		__global const float *dd = d + (s * outMaps + outmap[c]) * size + (y + k) * inSide + x0;
		__global const float *wc = w + woff + c * k * k;
		for (int ky = 0; ky < k; ky++)
			for (int kx = 0; kx < k; kx++)
				g += wc[ky * k + kx] * VLOAD(dd - ky * inSide - kx);
	}
	store_seg(gin + ((s * inMaps + i) * inSide + y) * inSide, g, first, x0, inSide);
}

// sum_of returns sum x[i] over n values.
float sum_of(__global const float *x, int n) {
	floatv acc = 0;
	int i = 0;
	for (; i + VW <= n; i += VW)
		acc += VLOAD(x + i);
	if (i < n)
		acc += masked(VLOAD(x + i), n - i);
	return hsum(acc);
}

// conv_backward_params computes one parameter's derivative for one sample
// per work-item, into part[s*count + t], which sum_batch then sums over the
// batch: parameter t < C*k*k is weight t, the rest are the biases. Over
// the rows of d at the input's width, a weight's derivative is one dot
// product with the input, shifted by the weight's offset.
__kernel void conv_backward_params(__global const float *d, __global const float *in,
		__global float *part, __global const int *conn, int curv,
		int inMaps, int inSide, int outMaps, int outSide, int k, int n) {
	int weights = conn[outMaps] * k * k, count = weights + outMaps, gid = get_global_id(0);
	if (gid >= n * count)
		return;
	int t = gid % count, s = gid / count, c = t / (k * k);
	int len = (outSide - 1) * inSide + outSide, size = conv_rows(outSide, k) * inSide;
	if (t >= weights) {
		part[gid] = sum_of(d + (s * outMaps + t - weights) * size + k * inSide, len);
		return;
	}
	__global const float *dd = d + (s * outMaps + CONN_OUTMAP(conn, outMaps)[c]) * size + k * inSide;
	__global const float *x = in + (s * inMaps + CONN_INMAP(conn, outMaps)[c]) * inSide * inSide;
	part[gid] = dot(dd, x + t % (k * k) / k * inSide + t % k, len, curv);
}

// subsample_backward_input computes the derivative of one window's inputs
// per work-item, window (x, y) of map z = s*maps + m: the delta at the
// window's output times the map's coefficient, or zero for inputs no
// window covers.
__kernel void subsample_backward_input(__global const float *params, int woff,
		__global const float *out, __global const float *gout, __global float *gin, int curv,
		int maps, int inSide, int outSide, int k) {
	int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);
	int windows = (inSide + k - 1) / k;
	if (x >= windows || y >= windows)
		return;
	float g = 0;
	if (y < outSide && x < outSide)
		g = SQ(params[woff + z % maps], curv) * delta(out, gout, (z * outSide + y) * outSide + x, curv);
	__global float *win = gin + (z * inSide + y * k) * inSide + x * k;
	for (int dy = 0; dy < k && y * k + dy < inSide; dy++)
		for (int dx = 0; dx < k && x * k + dx < inSide; dx++)
			win[dy * inSide + dx] = g;
}

// subsample_backward_params computes one parameter's derivative for one
// sample per work-item, into part[s*2*maps + t] for sum_batch: parameter
// t < maps is map t's coefficient, whose input is the window's sum
// (squared for Curvature), and maps + m is map m's bias.
__kernel void subsample_backward_params(__global const float *out, __global const float *gout,
		__global const float *in, __global float *part, int curv, int maps, int inSide, int outSide, int k, int n) {
	int gid = get_global_id(0), area = outSide * outSide;
	if (gid >= n * 2 * maps)
		return;
	int t = gid % (2 * maps), m = t % maps, s = gid / (2 * maps);
	__global const float *x = in + (s * maps + m) * inSide * inSide;
	float sum = 0;
	for (int pos = 0; pos < area; pos++) {
		float v = delta(out, gout, (s * maps + m) * area + pos, curv);
		if (t < maps)
			v *= SQ(window(x + (pos / outSide * inSide + pos % outSide) * k, inSide, k), curv);
		sum += v;
	}
	part[gid] = sum;
}

// sum_batch adds up, one parameter per work-item, the n samples'
// derivatives part[s*count + t] of a layer's count parameters into
// gparams: t < weights at woff + t, the biases at boff + t - weights.
__kernel void sum_batch(__global const float *part, __global float *gparams,
		int woff, int boff, int weights, int count, int n) {
	int t = get_global_id(0);
	if (t >= count)
		return;
	float sum = 0;
	for (int s = 0; s < n; s++)
		sum += part[s * count + t];
	gparams[t < weights ? woff + t : boff + t - weights] = sum;
}

// full_backward_input computes one segment of a sample's input derivative
// per work-item.
__kernel void full_backward_input(__global const float *params, int woff,
		__global const float *out, __global const float *gout, __global float *gin, int curv,
		int ins, int outs, int n) {
	int gid = get_global_id(0);
	if (gid >= n * segs(ins))
		return;
	int first = gid % segs(ins) * VW, x0 = seg_start(first, ins), s = gid / segs(ins);
	__global const float *w = params + woff + x0;
	floatv g = 0;
	for (int o = 0; o < outs; o++)
		g += delta(out, gout, s * outs + o, curv) * SQ(VLOAD(w + o * ins), curv);
	store_seg(gin + s * ins, g, first, x0, ins);
}

// full_backward_params computes one segment of a weight row's derivative,
// or one bias's, per work-item, summed over the batch.
__kernel void full_backward_params(__global const float *out, __global const float *gout,
		__global const float *in, __global float *gparams, int woff, int boff, int curv,
		int ins, int outs, int n) {
	int gid = get_global_id(0), wsegs = outs * segs(ins);
	if (gid >= wsegs + outs)
		return;
	if (gid >= wsegs) {
		float sum = 0;
		for (int s = 0; s < n; s++)
			sum += delta(out, gout, s * outs + gid - wsegs, curv);
		gparams[boff + gid - wsegs] = sum;
		return;
	}
	int o = gid / segs(ins), first = gid % segs(ins) * VW, x0 = seg_start(first, ins);
	floatv acc = 0;
	for (int s = 0; s < n; s++)
		acc += delta(out, gout, s * outs + o, curv) * SQ(VLOAD(in + s * ins + x0), curv);
	store_seg(gparams + woff + o * ins, acc, first, x0, ins);
}
