// Package kernels holds the performance-critical numeric kernels of Umbra's
// training engine: 2-D convolution, max/average/global pooling, batch and
// group normalisation, ReLU and bias helpers, and the image augmentations
// used for training (padded random crop, horizontal flip) and for querying
// models (pixel shifts). Package trainer wraps them as autodiff layers; this
// package knows nothing about tensors, graphs or optimizers.
//
// # Conventions
//
//   - Data are plain []float32 slices. Images and activations are NCHW,
//     batch first, row-major: element (n, c, y, x) of an N×C×H×W array is at
//     ((n*C+c)*H+y)*W + x. A single image (augmentations) is CHW.
//   - Convolution weights are [Cout, Cin, KH, KW], exactly PyTorch's
//     Conv2d.weight, so checkpoints map 1:1; the bias is [Cout].
//   - Normalisation parameters (gamma, beta, running mean/var) are per
//     channel, length C, as in PyTorch's BatchNorm{1,2}d and GroupNorm.
//     BatchNorm1D is BatchNorm over an N×C array: use NormShape{N, C, 1}.
//   - Geometry is passed as a small value type (Conv2DShape, Pool2DShape,
//     NormShape, GroupNormShape) whose methods give the lengths every buffer
//     must have, including the scratch a kernel needs (ScratchLen).
//   - Forward kernels overwrite their output. Backward kernels ACCUMULATE
//     (+=) into every gradient buffer (dx, dw, db, dgamma, dbeta), as an
//     autodiff engine needs when a value feeds several consumers; the caller
//     zeroes gradient buffers when it starts a backward pass. An optional
//     gradient output may be nil to skip computing it (for example dx of the
//     first layer, whose input is data), which saves its whole cost.
//   - Unless a function documents otherwise, outputs must not overlap inputs.
//   - Every kernel validates its shapes and buffer lengths and returns an
//     error wrapping ErrShape naming the offending argument; kernels never
//     panic on bad input.
//
// # Performance contract
//
// Kernels are single-threaded (they never start goroutines) and do not
// allocate: callers own every output and scratch buffer and reuse them
// across steps. The worker trains one model per core, so parallelism lives
// above this package.
//
// Matrix products go through whichever implementation the process selected
// with blas32.Use. With OpenBLAS (through gonum.org/v1/netlib behind a build
// tag) it is called directly; OpenBLAS must be limited to one thread by the
// process (OPENBLAS_NUM_THREADS=1). With gonum's pure-Go implementation on
// a CPU with AVX2 and FMA, products run on the packed-panel kernel of
// trainer/internal/simd instead (about 3.5× gonum on the 32→64-channel
// convolution of BenchmarkConv2D), packing into the tail of the caller's
// scratch (Conv2DShape.ScratchLen counts it), except products under 16
// columns wide, where gonum is faster. Elsewhere (other CPUs, non-amd64,
// the purego build tag) gonum's Sgemm is used; as it splits large products
// across goroutines, kernels issue them in tiles small enough for its
// serial path, keeping the single-threaded, allocation-free contract.
//
// Convolution is im2col + GEMM per image: the image is unrolled into a
// [Cin·KH·KW × OH·OW] matrix (rows copied with copy() where the stride is 1)
// and multiplied by the [Cout × Cin·KH·KW] weight matrix, which writes the
// image's [Cout × OH·OW] output in place in NCHW order with no transpose.
// Backward recomputes the unrolled matrix rather than storing it for the
// whole batch, so the scratch stays one image's worth and in cache:
// dW += dY·colᵀ, dcol = Wᵀ·dY followed by col2im into dX, db += Σ dY.
// 1×1 convolutions with stride 1 and no padding skip the unrolling; for
// stride-1 "same"-width convolutions (3×3 pad 1 and the like) each unrolled
// row is the input plane at a constant offset, so im2col is one copy() per
// kernel tap and col2im one contiguous add loop.
//
// # Why hand-written
//
// No maintained Go library provides convolution, pooling or normalisation
// kernels on gonum: gonum stops at BLAS/LAPACK, and Gorgonia (the only Go
// deep-learning library with such ops) has had no release since 2023, does
// not run on current Go without pinning an unsafe shim, and measured 2.5×
// slower than a hand-written engine on the same BLAS (see the repository's
// ARCHITECTURE.md). The kernels here are the standard algorithms
// (im2col/col2im, argmax pooling, the closed-form batch-norm gradient)
// written for the engine's layout and allocation rules.
package kernels
