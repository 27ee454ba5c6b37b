// Shared definitions of the LeNet-5 kernels. The host defines, as build
// options, SQUASH_A and SQUASH_S (f(a) = A tanh(S a)), SQUASH_DA = S/A and
// SQUASH_AA = A*A (for f' in terms of the output), CLASSES, IMAGE_SIZE and
// VW (see below).
//
// Every kernel launches over a global size rounded up to its work-group
// size, which may be any size the device allows, and returns from
// work-items past the end of the work. No two work-items write the same
// value, and every sum is taken in a fixed order.
//
// Activations are sample-major: sample s of a layer with M maps of side W
// starts at s*M*W*W, map m at (s*M + m)*W*W. Parameters are the network's
// whole flat vector; a layer's weights start at woff and its biases at boff.

// SQUASH is the paper's f(a) = A tanh(S a), of a float or a vector.
#define SQUASH(a) (SQUASH_A * tanh(SQUASH_S * (a)))

// SQ squares v, a float or a vector, for the Curvature pass (curv != 0).
#define SQ(v, curv) ((curv) ? (v) * (v) : (v))

// delta returns the derivative by unit i's pre-activation a, the start of
// every layer's backward pass: gout[i] * f'(a) (f'^2 for Curvature), with
// f' written in terms of the output x = f(a), (S/A)(A^2 - x^2).
float delta(__global const float *out, __global const float *gout, int i, int curv) {
	float x = out[i];
	return gout[i] * SQ(SQUASH_DA * (SQUASH_AA - x * x), curv);
}

// Rows of maps, and of weight matrices, are computed in segments of VW
// (a build option) consecutive values, one vector per work-item: explicit
// SIMD on CPUs, independent sums on GPUs. Segment j of a row of width w
// starts at first = j*VW; it is computed at x0 = seg_start(first, w),
// moved left so as to end at the row's end, and stored by store_seg, which
// skips the lanes before first (the previous segment's) and past the row's
// end. Loads stay in the row when w >= VW; narrower rows read up to VW-1
// values past it, as do sums that end in a partial vector: the host
// allocates that slack.
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
typedef CAT(float, VW) floatv;
#define VLOAD(p) CAT(vload, VW)(0, p)
#define VSTORE(v, p) CAT(vstore, VW)(v, 0, p)

// segs returns the number of segments of a row of width w.
int segs(int w) { return (w + VW - 1) / VW; }

int seg_start(int first, int w) { return max(0, min(first, w - VW)); }

void store_seg(__global float *row, floatv v, int first, int x0, int w) {
	if (x0 == first && first + VW <= w) {
		VSTORE(v, row + x0);
		return;
	}
	float lane[VW];
	VSTORE(v, lane);
	for (int j = first - x0; j < VW && x0 + j < w; j++)
		row[x0 + j] = lane[j];
}

// masked returns v with the lanes from n on zeroed: the tail of a sum
// whose loads ran past its end.
typedef CAT(int, VW) intv;
floatv masked(floatv v, int n) {
	int lane[VW];
	for (int j = 0; j < VW; j++)
		lane[j] = j;
	return select((floatv)0, v, CAT(vload, VW)(0, lane) < n);
}

// hsum returns the sum of a vector's lanes.
float hsum(floatv v) {
	float lane[VW];
	VSTORE(v, lane);
	float sum = 0;
	for (int j = 0; j < VW; j++)
		sum += lane[j];
	return sum;
}

// group_sum returns to every work-item of the work-group the sum of their
// v, reduced as a tree in scratch (one float per work-item) in a fixed
// order. Every work-item must call it.
float group_sum(float v, __local float *scratch) {
	int lid = get_local_id(0), size = get_local_size(0);
	int stride = 1;
	while (stride < size)
		stride <<= 1;
	barrier(CLK_LOCAL_MEM_FENCE); // earlier readers of scratch are done
	scratch[lid] = v;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (stride >>= 1; stride > 0; stride >>= 1) {
		if (lid < stride && lid + stride < size)
			scratch[lid] += scratch[lid + stride];
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	return scratch[0];
}

// A convolution layer's connection table is one int buffer:
//   cstart[outMaps+1]  output map o reads connections cstart[o] .. cstart[o+1]-1;
//   inmap[C], outmap[C] the input and output map of connection c, where
//                      C = cstart[outMaps]; its k*k weights start at woff + c*k*k;
//   istart[inMaps+1], inv[C]  input map i feeds connections inv[istart[i]] ..
//                      inv[istart[i+1]-1].
#define CONN_INMAP(conn, outMaps) ((conn) + (outMaps) + 1)
#define CONN_OUTMAP(conn, outMaps) (CONN_INMAP(conn, outMaps) + (conn)[outMaps])
#define CONN_ISTART(conn, outMaps) (CONN_OUTMAP(conn, outMaps) + (conn)[outMaps])
#define CONN_INV(conn, outMaps, inMaps) (CONN_ISTART(conn, outMaps) + (inMaps) + 1)
