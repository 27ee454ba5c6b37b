// Shared definitions of the LeNet-5 kernels. The host defines, as build
// options, SQUASH_A and SQUASH_S (f(a) = A tanh(S a)), SQUASH_DA = S/A and
// SQUASH_AA = A*A (for f' in terms of the output), CLASSES and IMAGE_SIZE.
//
// Every kernel launches over a global size rounded up to its work-group
// size and returns from work-items past the end of the work; kernels that
// reduce in local memory receive its size as an argument and work for any
// work-group size.
//
// Activations are sample-major: sample s of a layer with M maps of side W
// starts at s*M*W*W, map m at (s*M + m)*W*W. Parameters are the network's
// whole flat vector; a layer's weights start at woff and its biases at boff.

// squash is the paper's f(a) = A tanh(S a).
float squash(float a) { return SQUASH_A * tanh(SQUASH_S * a); }

// deriv is f'(a) written in terms of the output x = f(a),
// (S/A)(A^2 - x^2), squared for the Curvature pass.
float deriv(float x, int curv) {
	float d = SQUASH_DA * (SQUASH_AA - x * x);
	return curv ? d * d : d;
}

// sq returns v squared for the Curvature pass, v for the Gradient pass.
float sq(float v, int curv) { return curv ? v * v : v; }

// group_sum returns to every work-item of the work-group the sum of their
// v, reduced as a tree in scratch (one float per work-item) in a fixed
// order, so the result does not depend on scheduling. Every work-item must
// call it.
float group_sum(float v, __local float *scratch) {
	int lid = get_local_id(0), size = get_local_size(0);
	int half = 1;
	while (half < size)
		half <<= 1;
	barrier(CLK_LOCAL_MEM_FENCE); // earlier readers of scratch are done
	scratch[lid] = v;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (half >>= 1; half > 0; half >>= 1) {
		if (lid < half && lid + half < size)
			scratch[lid] += scratch[lid + half];
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
