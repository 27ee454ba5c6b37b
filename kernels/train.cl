// Moving samples into the network and updating its parameters.

// gather copies one pixel per work-item of samples idx[0..n) of a resident
// data set (images of IMAGE_SIZE values, labels as floats) into the input
// x and labels.
__kernel void gather(__global const float *images, __global const float *labels,
		__global const int *idx, __global float *x, __global float *xlabels, int n) {
	int gid = get_global_id(0);
	if (gid >= n * IMAGE_SIZE)
		return;
	int s = gid / IMAGE_SIZE, p = gid % IMAGE_SIZE;
	x[gid] = images[idx[s] * IMAGE_SIZE + p];
	if (p == 0)
		xlabels[s] = labels[idx[s]];
}

// update applies one step to one parameter per work-item:
// v = lr*g/(mu+h) (h = 0 without curv), plus mom * the old velocity and
// stored with vel; w -= v. curv and vel may be NULL.
__kernel void update(__global float *params, __global const float *grads,
		__global const float *curv, __global float *vel, float lr, float mu, float mom, int total) {
	int k = get_global_id(0);
	if (k >= total)
		return;
	float v = lr * grads[k];
	v /= curv ? mu + curv[k] : mu;
	if (vel) {
		v += mom * vel[k];
		vel[k] = v;
	}
	params[k] -= v;
}
