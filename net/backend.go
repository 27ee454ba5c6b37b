package net

// Buffer is a backend's storage for a vector of values (float32 on the
// device, float32 or float64 on the CPU). Its contents stay on the backend;
// only Write and Read cross to the host.
type Buffer interface {
	Len() int
}

// Samples is a labelled data set held by a backend, uploaded once.
type Samples interface {
	Len() int
}

// Pass selects what a backward operation propagates.
type Pass uint8

const (
	// Gradient propagates first derivatives dE/dx and yields dE/dw.
	Gradient Pass = iota
	// Curvature propagates the Gauss-Newton diagonal second derivatives of
	// stochastic diagonal Levenberg-Marquardt (paper, appendix C):
	// d2E/da_i^2 = f'(a_i)^2 sum_k w_ki^2 d2E/dx_k^2 and d2E/dw^2 = d2E/da^2 x^2.
	// It is the Gradient pass with f', every weight and every input squared.
	Curvature
)

func (p Pass) String() string {
	if p == Curvature {
		return "curvature"
	}
	return "gradient"
}

// Criterion is the loss, computed on the RBF output's penalties y.
type Criterion struct {
	// MAP selects the paper's maximum a posteriori criterion
	// E = y_D + log(exp(-J) + sum_i exp(-y_i)); otherwise MSE, E = y_D.
	MAP bool
	// J is the penalty of the MAP criterion's "rubbish" class.
	J float32
}

// Step is one parameter update:
// v <- Momentum*v + LR*g/(Mu+h); w <- w - v,
// where h is Curv (nil: h = 0, so plain SGD sets Mu = 1) and v is Velocity
// (nil: no momentum, w <- w - LR*g/(Mu+h)).
type Step struct {
	Params, Grads, Curv, Velocity Buffer
	LR, Mu, Momentum              float32
}

// Backend runs the network's operations over whole minibatches of n samples
// held in its own memory. Activations are laid out sample-major, each sample
// as [maps][side][side]. Parameter buffers hold the whole flat parameter
// vector; an operation reads and writes only its layer's part, located by
// the Layer's offsets.
//
// Operations do not return errors: a backend that can fail (a device)
// remembers the first failure and returns it from Read, Write and Err, so a
// caller checks once per batch or epoch.
type Backend interface {
	// Name says which backend and device this is, for the user.
	Name() string
	// Alloc returns a buffer of n zeros.
	Alloc(n int) Buffer
	// Write copies src into the start of dst; Read copies the start of src
	// into dst. They are the only host transfers.
	Write(dst Buffer, src []float32) error
	Read(src Buffer, dst []float32) error
	// Upload makes a data set resident: images of InputSide^2 values each
	// and their labels.
	Upload(images []float32, labels []uint8) (Samples, error)
	// Gather copies the samples idx[0..n) of s into x (the input) and
	// labels (the class, as a value).
	Gather(s Samples, idx []int32, x, labels Buffer)

	// Forward operations: out = f(layer(in)).
	ConvForward(l *Layer, params, in, out Buffer, n int)
	SubsampleForward(l *Layer, params, in, out Buffer, n int)
	FullForward(l *Layer, params, in, out Buffer, n int)
	// RBFForward computes the penalties out[i] = sum_j (in_j - proto_ij)^2.
	RBFForward(l *Layer, protos, in, out Buffer, n int)

	// Loss computes, per sample, gy = scale * dE/dy, and adds to stats[0]
	// the sum of E and to stats[1] the count of samples whose smallest
	// penalty is not their label's (the first smallest on ties).
	Loss(c Criterion, y, labels, gy, stats Buffer, scale float32, n int)
	// LossCurvature computes, per sample, hx = scale * d2E/dx_j^2 at the RBF
	// layer's input x (F6's output): exact for the RBF and criterion, since
	// it is cheap there, and the start of the Curvature pass.
	LossCurvature(c Criterion, l *Layer, protos, x, y, labels, hx Buffer, scale float32, n int)
	// RBFBackward computes gin = dE/dx from gout = dE/dy.
	RBFBackward(l *Layer, protos, in, gout, gin Buffer, n int)

	// Backward operations, given the layer's input and output and the
	// derivative of E by its output (gout), overwrite the layer's part of
	// gparams with the sum over the batch, and overwrite gin with the
	// derivative by its input unless gin is nil. With Curvature every
	// derivative is the second one of the Gauss-Newton approximation.
	ConvBackward(l *Layer, p Pass, params, in, out, gout, gin, gparams Buffer, n int)
	SubsampleBackward(l *Layer, p Pass, params, in, out, gout, gin, gparams Buffer, n int)
	FullBackward(l *Layer, p Pass, params, in, out, gout, gin, gparams Buffer, n int)

	// Update applies one Step to every parameter.
	Update(s Step)

	// Err returns the first failure since the backend was made.
	Err() error
	// Close frees the backend's resources.
	Close() error
}
