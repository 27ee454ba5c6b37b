// The Euclidean RBF output layer and the loss criteria. Labels are class
// numbers stored as floats; the criterion is MSE (map = 0) or MAP with the
// rubbish-class penalty j.

// rbf_forward computes one penalty per work-item:
// y_i = sum_j (x_j - w_ij)^2 over the prototypes w [outs][ins].
__kernel void rbf_forward(__global const float *protos, __global const float *in,
		__global float *out, int ins, int outs, int n) {
	int gid = get_global_id(0);
	if (gid >= n * outs)
		return;
	__global const float *x = in + gid / outs * ins;
	__global const float *w = protos + gid % outs * ins;
	float y = 0;
	for (int j = 0; j < ins; j++) {
		float d = x[j] - w[j];
		y += d * d;
	}
	out[gid] = y;
}

// rbf_backward computes one input derivative per work-item:
// dE/dx_j = sum_i dE/dy_i * 2(x_j - w_ij).
__kernel void rbf_backward(__global const float *protos, __global const float *in,
		__global const float *gout, __global float *gin, int ins, int outs, int n) {
	int gid = get_global_id(0);
	if (gid >= n * ins)
		return;
	int j = gid % ins, s = gid / ins;
	float x = in[gid], g = 0;
	for (int i = 0; i < outs; i++)
		g += 2 * gout[s * outs + i] * (x - protos[i * ins + j]);
	gin[gid] = g;
}

// posterior loads one sample's penalties into y and returns the
// criterion's value for its label d, filling p with the MAP class
// probabilities p_i = exp(-y_i) / (exp(-j) + sum_k exp(-y_k)) (zeros for
// MSE). The sums are taken relative to the smallest exponent, so no exp
// underflows to a zero denominator.
float posterior(int map, float j, __global const float *penalties, int d, float *y, float *p) {
	for (int i = 0; i < CLASSES; i++)
		y[i] = penalties[i];
	if (!map) {
		for (int i = 0; i < CLASSES; i++)
			p[i] = 0;
		return y[d];
	}
	float m = j;
	for (int i = 0; i < CLASSES; i++)
		m = min(m, y[i]);
	float z = exp(m - j);
	for (int i = 0; i < CLASSES; i++) {
		p[i] = exp(m - y[i]);
		z += p[i];
	}
	for (int i = 0; i < CLASSES; i++)
		p[i] /= z;
	return y[d] + (log(z) - m);
}

// loss handles one sample per work-item: gy = scale * dE/dy, and into
// part[2s], part[2s+1] the sample's criterion and whether its smallest
// penalty (the first on ties) is not its label's, for loss_stats to sum.
__kernel void loss(__global const float *penalties, __global const float *labels,
		__global float *gy, __global float *part, int map, float j, float scale, int n) {
	int s = get_global_id(0);
	if (s >= n)
		return;
	int d = (int)labels[s];
	float y[CLASSES], p[CLASSES];
	part[2 * s] = posterior(map, j, penalties + s * CLASSES, d, y, p);
	int best = 0;
	for (int i = 0; i < CLASSES; i++) {
		gy[s * CLASSES + i] = (i == d ? scale : 0) - scale * p[i];
		if (y[i] < y[best])
			best = i;
	}
	part[2 * s + 1] = best != d;
}

// loss_stats runs as one work-group and adds the n samples' criteria and
// errors that loss left in part to stats[0] and stats[1].
__kernel void loss_stats(__global const float *part, __global float *stats, int n,
		__local float *scratch) {
	int lid = get_local_id(0), size = get_local_size(0);
	float e = 0, errs = 0;
	for (int s = lid; s < n; s += size) {
		e += part[2 * s];
		errs += part[2 * s + 1];
	}
	e = group_sum(e, scratch);
	errs = group_sum(errs, scratch);
	if (lid == 0) {
		stats[0] += e;
		stats[1] += errs;
	}
}

// loss_curvature computes one second derivative per work-item, at F6's
// output x_j: with u_i = 2(x_j - w_ij), it is 2 for MSE and, for MAP,
// sum_i p_i u_i^2 - (sum_i p_i u_i)^2 + 2(1 - sum_i p_i), times scale.
__kernel void loss_curvature(__global const float *protos, __global const float *in,
		__global const float *penalties, __global const float *labels, __global float *hx,
		int map, float j, float scale, int ins, int n) {
	int gid = get_global_id(0);
	if (gid >= n * ins)
		return;
	int s = gid / ins, jx = gid % ins;
	float y[CLASSES], p[CLASSES];
	posterior(map, j, penalties + s * CLASSES, (int)labels[s], y, p);
	float x = in[gid], ptot = 0, m1 = 0, m2 = 0;
	for (int i = 0; i < CLASSES; i++) {
		float u = 2 * (x - protos[i * ins + jx]);
		ptot += p[i];
		m1 += p[i] * u;
		m2 += p[i] * u * u;
	}
	hx[gid] = scale * (m2 - m1 * m1 + 2 * (1 - ptot));
}
