// Forward and backward passes of the convolution (C1, C3), subsampling
// (S2, S4) and full (F6, and C5 as a full connection) layers. Backward
// passes take curv: 0 for the Gradient pass, 1 for the Curvature pass,
// which is the same computation with f', every weight and every input
// squared.

// conv_forward computes one output pixel per work-item: the valid k x k
// convolution over the input maps of the output map's connections, plus
// the bias, squashed.
__kernel void conv_forward(__global const float *params, int woff, int boff,
		__global const int *conn, __global const float *in, __global float *out,
		int inMaps, int inSide, int outMaps, int outSide, int k, int n) {
	int gid = get_global_id(0), area = outSide * outSide;
	if (gid >= n * outMaps * area)
		return;
	int pos = gid % area, o = gid / area % outMaps, s = gid / area / outMaps;
	__global const int *inmap = CONN_INMAP(conn, outMaps);
	__global const float *x = in + s * inMaps * inSide * inSide + pos / outSide * inSide + pos % outSide;
	float a = 0;
	for (int c = conn[o]; c < conn[o + 1]; c++) {
		__global const float *xi = x + inmap[c] * inSide * inSide;
		__global const float *w = params + woff + c * k * k;
		for (int ky = 0; ky < k; ky++)
			for (int kx = 0; kx < k; kx++)
				a += w[ky * k + kx] * xi[ky * inSide + kx];
	}
	out[gid] = squash(a + params[boff + o]);
}

// window returns the sum of the k x k window whose top left is x.
float window(__global const float *x, int side, int k) {
	float sum = 0;
	for (int dy = 0; dy < k; dy++)
		for (int dx = 0; dx < k; dx++)
			sum += x[dy * side + dx];
	return sum;
}

// subsample_forward computes one output pixel per work-item: the window's
// sum times the map's coefficient plus its bias, squashed.
__kernel void subsample_forward(__global const float *params, int woff, int boff,
		__global const float *in, __global float *out,
		int maps, int inSide, int outSide, int k, int n) {
	int gid = get_global_id(0), area = outSide * outSide;
	if (gid >= n * maps * area)
		return;
	int pos = gid % area, m = gid / area % maps, s = gid / area / maps;
	__global const float *x = in + (s * maps + m) * inSide * inSide + (pos / outSide * inSide + pos % outSide) * k;
	out[gid] = squash(params[woff + m] * window(x, inSide, k) + params[boff + m]);
}

// full_forward computes one output per work-item: weights [outs][ins].
__kernel void full_forward(__global const float *params, int woff, int boff,
		__global const float *in, __global float *out, int ins, int outs, int n) {
	int gid = get_global_id(0);
	if (gid >= n * outs)
		return;
	int o = gid % outs, s = gid / outs;
	__global const float *w = params + woff + o * ins;
	__global const float *x = in + s * ins;
	float a = 0;
	for (int i = 0; i < ins; i++)
		a += w[i] * x[i];
	out[gid] = squash(a + params[boff + o]);
}

// delta computes the derivative by the layer's pre-activations,
// d = gout * f', from its outputs: the start of every layer's backward pass.
__kernel void delta(__global const float *out, __global const float *gout,
		__global float *d, int curv, int total) {
	int gid = get_global_id(0);
	if (gid < total)
		d[gid] = gout[gid] * deriv(out[gid], curv);
}

// conv_backward_input computes one input derivative per work-item by
// gathering over the output pixels it feeds, through the connections that
// read its map.
__kernel void conv_backward_input(__global const float *params, int woff,
		__global const int *conn, __global const float *d, __global float *gin, int curv,
		int inMaps, int inSide, int outMaps, int outSide, int k, int n) {
	int gid = get_global_id(0), inArea = inSide * inSide, area = outSide * outSide;
	if (gid >= n * inMaps * inArea)
		return;
	int pos = gid % inArea, i = gid / inArea % inMaps, s = gid / inArea / inMaps;
	int y = pos / inSide, x = pos % inSide;
	__global const int *outmap = CONN_OUTMAP(conn, outMaps);
	__global const int *istart = CONN_ISTART(conn, outMaps);
	__global const int *inv = CONN_INV(conn, outMaps, inMaps);
	int ky0 = max(0, y - outSide + 1), ky1 = min(k - 1, y);
	int kx0 = max(0, x - outSide + 1), kx1 = min(k - 1, x);
	float g = 0;
	for (int e = istart[i]; e < istart[i + 1]; e++) {
		int c = inv[e];
		__global const float *dd = d + (s * outMaps + outmap[c]) * area + y * outSide + x;
		__global const float *w = params + woff + c * k * k;
		for (int ky = ky0; ky <= ky1; ky++)
			for (int kx = kx0; kx <= kx1; kx++)
				g += sq(w[ky * k + kx], curv) * dd[-(ky * outSide + kx)];
	}
	gin[gid] = g;
}

// conv_backward_params computes one parameter derivative per work-group,
// summed over the batch: work-group g < C*k*k is weight g, the rest are the
// biases. Its work-items split the batch's output rows, then reduce.
__kernel void conv_backward_params(__global const float *d, __global const float *in,
		__global float *gparams, int woff, int boff, __global const int *conn, int curv,
		int inMaps, int inSide, int outMaps, int outSide, int k, int n,
		__local float *scratch) {
	int g = get_group_id(0), lid = get_local_id(0), size = get_local_size(0);
	int weights = conn[outMaps] * k * k, rows = n * outSide;
	float acc = 0;
	if (g < weights) {
		int c = g / (k * k), ky = g % (k * k) / k, kx = g % k;
		int i = CONN_INMAP(conn, outMaps)[c], o = CONN_OUTMAP(conn, outMaps)[c];
		for (int r = lid; r < rows; r += size) {
			int s = r / outSide, y = r % outSide;
			__global const float *dd = d + ((s * outMaps + o) * outSide + y) * outSide;
			__global const float *x = in + ((s * inMaps + i) * inSide + y + ky) * inSide + kx;
			for (int xo = 0; xo < outSide; xo++)
				acc += dd[xo] * sq(x[xo], curv);
		}
	} else {
		int o = g - weights;
		for (int r = lid; r < rows; r += size) {
			__global const float *dd = d + ((r / outSide * outMaps + o) * outSide + r % outSide) * outSide;
			for (int xo = 0; xo < outSide; xo++)
				acc += dd[xo];
		}
	}
	float sum = group_sum(acc, scratch);
	if (lid == 0)
		gparams[g < weights ? woff + g : boff + g - weights] = sum;
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
		g = sq(params[woff + m], curv) * d[((s * maps + m) * outSide + y) * outSide + x];
	gin[gid] = g;
}

// subsample_backward_params computes one parameter derivative per
// work-group, summed over the batch: work-group m < maps is map m's
// coefficient, whose input is the window's sum (squared for Curvature),
// and work-group maps + m its bias.
__kernel void subsample_backward_params(__global const float *d, __global const float *in,
		__global float *gparams, int woff, int boff, int curv,
		int maps, int inSide, int outSide, int k, int n, __local float *scratch) {
	int g = get_group_id(0), lid = get_local_id(0), size = get_local_size(0);
	int m = g % maps, area = outSide * outSide;
	float acc = 0;
	for (int r = lid; r < n * area; r += size) {
		int s = r / area, pos = r % area;
		float dd = d[(s * maps + m) * area + pos];
		if (g < maps) {
			__global const float *x = in + (s * maps + m) * inSide * inSide + (pos / outSide * inSide + pos % outSide) * k;
			dd *= sq(window(x, inSide, k), curv);
		}
		acc += dd;
	}
	float sum = group_sum(acc, scratch);
	if (lid == 0)
		gparams[g < maps ? woff + m : boff + m] = sum;
}

// full_backward_input computes one input derivative per work-item.
__kernel void full_backward_input(__global const float *params, int woff,
		__global const float *d, __global float *gin, int curv, int ins, int outs, int n) {
	int gid = get_global_id(0);
	if (gid >= n * ins)
		return;
	int i = gid % ins, s = gid / ins;
	__global const float *w = params + woff + i;
	__global const float *dd = d + s * outs;
	float g = 0;
	for (int o = 0; o < outs; o++)
		g += dd[o] * sq(w[o * ins], curv);
	gin[gid] = g;
}

// full_backward_params computes one parameter derivative per work-item,
// looping over the batch: work-item t < outs*ins is weight t, the rest
// are the biases.
__kernel void full_backward_params(__global const float *d, __global const float *in,
		__global float *gparams, int woff, int boff, int curv, int ins, int outs, int n) {
	int t = get_global_id(0), weights = outs * ins;
	if (t >= weights + outs)
		return;
	float acc = 0;
	if (t < weights) {
		int o = t / ins, i = t % ins;
		for (int s = 0; s < n; s++)
			acc += d[s * outs + o] * sq(in[s * ins + i], curv);
		gparams[woff + t] = acc;
	} else {
		for (int s = 0; s < n; s++)
			acc += d[s * outs + t - weights];
		gparams[boff + t - weights] = acc;
	}
}
