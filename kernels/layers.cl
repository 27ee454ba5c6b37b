// Forward and backward passes of the convolution (C1, C3), subsampling
// (S2, S4) and full (F6, and C5 as a full connection) layers. Backward
// passes take curv: 0 for the Gradient pass, 1 for the Curvature pass,
// which is the same computation with f', every weight and every input
// squared. They start from d, the derivative by the layer's
// pre-activations that delta computes.

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

// subsample_forward computes one output per work-item: the window's sum
// times the map's coefficient plus its bias, squashed.
__kernel void subsample_forward(__global const float *params, int woff, int boff,
		__global const float *in, __global float *out,
		int maps, int inSide, int outSide, int k, int n) {
	int gid = get_global_id(0), area = outSide * outSide;
	if (gid >= n * maps * area)
		return;
	int pos = gid % area, m = gid / area % maps, s = gid / area / maps;
	__global const float *x = in + (s * maps + m) * inSide * inSide + (pos / outSide * inSide + pos % outSide) * k;
	out[gid] = SQUASH(params[woff + m] * window(x, inSide, k) + params[boff + m]);
}

// dot returns sum x[i]*y[i] over n values, VW partial sums at a time.
float dot(__global const float *x, __global const float *y, int n) {
	floatv acc = 0;
	int i = 0;
	for (; i + VW <= n; i += VW)
		acc += VLOAD(x + i) * VLOAD(y + i);
	float sum = hsum(acc);
	for (; i < n; i++)
		sum += x[i] * y[i];
	return sum;
}

// full_forward computes one output per work-item: weights [outs][ins].
__kernel void full_forward(__global const float *params, int woff, int boff,
		__global const float *in, __global float *out, int ins, int outs, int n) {
	int gid = get_global_id(0);
	if (gid >= n * outs)
		return;
	int o = gid % outs, s = gid / outs;
	out[gid] = SQUASH(dot(params + woff + o * ins, in + s * ins, ins) + params[boff + o]);
}

// delta computes d = gout * f' (f'^2 for Curvature) from the layer's
// outputs, one value per work-item, into maps of side + 2*pad with a zero
// border of pad: a convolution's input derivative is then a valid
// convolution of d.
__kernel void delta(__global const float *out, __global const float *gout, __global float *d,
		int curv, int maps, int side, int pad, int n) {
	int gid = get_global_id(0), padded = side + 2 * pad;
	if (gid >= n * maps * padded * padded)
		return;
	int x = gid % padded - pad, y = gid / padded % padded - pad, sm = gid / padded / padded;
	float v = 0;
	if (x >= 0 && x < side && y >= 0 && y < side) {
		int k = (sm * side + y) * side + x;
		v = gout[k] * deriv(out[k], curv);
	}
	d[gid] = v;
}

// conv_backward_input computes one row segment of an input map's
// derivative per work-item, gathering over the connections that read the
// map: the valid convolution of their padded d with the flipped kernels.
__kernel void conv_backward_input(__global const float *params, int woff,
		__global const int *conn, __global const float *d, __global float *gin, int curv,
		int inMaps, int inSide, int outMaps, int outSide, int k, int n) {
	int gid = get_global_id(0), per = inSide * segs(inSide);
	if (gid >= n * inMaps * per)
		return;
	int q = gid % per, i = gid / per % inMaps, s = gid / per / inMaps;
	int y = q / segs(inSide), first = q % segs(inSide) * VW, x0 = seg_start(first, inSide);
	int pad = k - 1, padded = outSide + 2 * pad;
	__global const int *outmap = CONN_OUTMAP(conn, outMaps);
	__global const int *istart = CONN_ISTART(conn, outMaps);
	__global const int *inv = CONN_INV(conn, outMaps, inMaps);
	floatv g = 0;
	for (int e = istart[i]; e < istart[i + 1]; e++) {
		int c = inv[e];
		__global const float *dd = d + ((s * outMaps + outmap[c]) * padded + y + pad) * padded + x0 + pad;
		__global const float *w = params + woff + c * k * k;
		for (int ky = 0; ky < k; ky++)
			for (int kx = 0; kx < k; kx++)
				g += SQ(w[ky * k + kx], curv) * VLOAD(dd - ky * padded - kx);
	}
	store_seg(gin + ((s * inMaps + i) * inSide + y) * inSide, g, first, x0, inSide);
}

// row_dot returns sum d[i] * x[i] (x squared for Curvature) over w values.
float row_dot(__global const float *d, __global const float *x, int w, int curv) {
	floatv acc = 0;
	int i = 0;
	for (; i + VW <= w; i += VW)
		acc += VLOAD(d + i) * SQ(VLOAD(x + i), curv);
	float sum = hsum(acc);
	for (; i < w; i++)
		sum += d[i] * SQ(x[i], curv);
	return sum;
}

// row_sum returns sum d[i] over w values.
float row_sum(__global const float *d, int w) {
	floatv acc = 0;
	int i = 0;
	for (; i + VW <= w; i += VW)
		acc += VLOAD(d + i);
	float sum = hsum(acc);
	for (; i < w; i++)
		sum += d[i];
	return sum;
}

// conv_backward_params computes one parameter's derivative for one sample
// per work-item, into part[s*count + t], which sum_batch then sums over the
// batch: parameter t < C*k*k is weight t, the rest are the biases.
__kernel void conv_backward_params(__global const float *d, __global const float *in,
		__global float *part, __global const int *conn, int curv,
		int inMaps, int inSide, int outMaps, int outSide, int k, int n) {
	int weights = conn[outMaps] * k * k, count = weights + outMaps, gid = get_global_id(0);
	if (gid >= n * count)
		return;
	int t = gid % count, s = gid / count, pad = k - 1, padded = outSide + 2 * pad;
	float sum = 0;
	if (t < weights) {
		int c = t / (k * k), ky = t % (k * k) / k, kx = t % k;
		__global const float *dd = d + ((s * outMaps + CONN_OUTMAP(conn, outMaps)[c]) * padded + pad) * padded + pad;
		__global const float *x = in + ((s * inMaps + CONN_INMAP(conn, outMaps)[c]) * inSide + ky) * inSide + kx;
		for (int y = 0; y < outSide; y++)
			sum += row_dot(dd + y * padded, x + y * inSide, outSide, curv);
	} else {
		__global const float *dd = d + ((s * outMaps + t - weights) * padded + pad) * padded + pad;
		for (int y = 0; y < outSide; y++)
			sum += row_sum(dd + y * padded, outSide);
	}
	part[gid] = sum;
}

// subsample_backward_input computes one input derivative per work-item:
// the derivative at its window's output times the map's coefficient (zero
// for inputs no window covers).
__kernel void subsample_backward_input(__global const float *params, int woff,
		__global const float *d, __global float *gin, int curv,
		int maps, int inSide, int outSide, int k, int n) {
	int gid = get_global_id(0), inArea = inSide * inSide;
	if (gid >= n * maps * inArea)
		return;
	int pos = gid % inArea, m = gid / inArea % maps, s = gid / inArea / maps;
	int y = pos / inSide / k, x = pos % inSide / k;
	float g = 0;
	if (y < outSide && x < outSide)
		g = SQ(params[woff + m], curv) * d[((s * maps + m) * outSide + y) * outSide + x];
	gin[gid] = g;
}

// subsample_backward_params computes one parameter's derivative for one
// sample per work-item, into part[s*2*maps + t] for sum_batch: parameter
// t < maps is map t's coefficient, whose input is the window's sum
// (squared for Curvature), and maps + m is map m's bias.
__kernel void subsample_backward_params(__global const float *d, __global const float *in,
		__global float *part, int curv, int maps, int inSide, int outSide, int k, int n) {
	int gid = get_global_id(0), area = outSide * outSide;
	if (gid >= n * 2 * maps)
		return;
	int t = gid % (2 * maps), m = t % maps, s = gid / (2 * maps);
	__global const float *dd = d + (s * maps + m) * area;
	__global const float *x = in + (s * maps + m) * inSide * inSide;
	float sum = 0;
	for (int pos = 0; pos < area; pos++) {
		float v = dd[pos];
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
		__global const float *d, __global float *gin, int curv, int ins, int outs, int n) {
	int gid = get_global_id(0);
	if (gid >= n * segs(ins))
		return;
	int first = gid % segs(ins) * VW, x0 = seg_start(first, ins), s = gid / segs(ins);
	__global const float *w = params + woff + x0;
	floatv g = 0;
	for (int o = 0; o < outs; o++)
		g += d[s * outs + o] * SQ(VLOAD(w + o * ins), curv);
	store_seg(gin + s * ins, g, first, x0, ins);
}

// full_backward_params computes one segment of a weight row's derivative,
// or one bias's, per work-item, summed over the batch.
__kernel void full_backward_params(__global const float *d, __global const float *in,
		__global float *gparams, int woff, int boff, int curv, int ins, int outs, int n) {
	int gid = get_global_id(0), wsegs = outs * segs(ins);
	if (gid >= wsegs + outs)
		return;
	if (gid >= wsegs) {
		float sum = 0;
		for (int s = 0; s < n; s++)
			sum += d[s * outs + gid - wsegs];
		gparams[boff + gid - wsegs] = sum;
		return;
	}
	int o = gid / segs(ins), first = gid % segs(ins) * VW, x0 = seg_start(first, ins);
	floatv acc = 0;
	for (int s = 0; s < n; s++)
		acc += d[s * outs + o] * SQ(VLOAD(in + s * ins + x0), curv);
	store_seg(gparams + woff + o * ins, acc, first, x0, ins);
}
