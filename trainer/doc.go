// Package trainer is Umbra's training engine: float32 layers with
// hand-written backward passes on gonum's BLAS, reference architectures,
// optimisers and learning-rate schedules, training-time image augmentation,
// deterministic training with resumable checkpoints, batched queries under
// test-time augmentations, input gradients and PGD adversarial examples.
//
// # Design: a tape of layers
//
// A model is a layer graph: a Sequential of layers, where a layer may itself
// hold sub-graphs (Residual: body + shortcut, summed; Concat: branches,
// concatenated along channels). Each Layer implements Forward and Backward
// over row-major float32 batches, so reverse-mode autodiff is the
// sequential "tape" replayed backwards: Backward of layer i receives the
// gradient produced by layer i+1. This is less general than a define-by-run
// autodiff over individual tensor ops, but it is all the supported
// architectures need, and it makes the fast path simple:
//
//   - Every activation, gradient and scratch buffer is allocated once, when
//     the model is built for its MaxBatch; a training step allocates nothing
//     (see BenchmarkStep* with -benchmem).
//   - Parameters are used once per pass, so layers overwrite Param.G rather
//     than accumulating, and no zeroing pass is needed.
//   - Backward skips the input gradient of the first layer (needDX=false),
//     which for a Dense or Conv2D layer saves a whole matrix product.
//
// Dense layers are one GEMM each way. Conv2D, pooling, batch and group
// normalisation and the image transforms are the kernels of the sibling
// package trainer/kernels (im2col + GEMM convolution, NCHW layout, PyTorch
// weight layouts), which this package wraps as layers.
//
// # BLAS
//
// Matrix products go through gonum's blas32. Builds tagged openblas (with
// CGO_LDFLAGS=-lopenblas and libopenblas-dev installed) provide
// UseOpenBLAS, which switches blas32 and blas64 to OpenBLAS through
// gonum.org/v1/netlib and limits OpenBLAS to one thread; call it once at
// start-up. Otherwise the Dense layers and the convolutions of
// trainer/kernels use trainer/internal/simd, a packed-panel SGEMM with an
// AVX2/FMA micro-kernel in Go assembly (about 7× gonum's pure-Go Sgemm on
// the MLP benchmark, 2.4× on simplecnn training), and gonum's pure-Go
// BLAS, in tiles small enough for its serial path, on CPUs without
// AVX2/FMA.
//
// Dense layers stay on OpenBLAS in openblas builds: it is faster on one
// thread (mlp600: ~65k against ~58k samples/s here), and two models
// trained at once lose no more per-core throughput on OpenBLAS than on the
// SIMD kernel (BenchmarkConcurrentMLP600 reports samples per CPU-second of
// the training threads and the fraction of time they were blocked, which
// stays near 1%: no lock contention inside OpenBLAS). Wall-clock scaling
// measured on a shared machine mostly reflects how much CPU other
// processes leave.
// BLAS never starts goroutines: Umbra trains one model per goroutine (per
// core) rather than one model on many threads.
//
// # Determinism and checkpoints
//
// A model's seed derives independent PCG streams (math/rand/v2) by hashing
// (seed, stream name): "init" for weights, "shuffle" for the per-epoch
// permutation and "dropout" for dropout masks. Augmentation draws from a
// counter-based hash of (seed, epoch, dataset index), so an example's crop
// and flip do not depend on batch order. With the same data, architecture,
// recipe, seed and build, Train produces bitwise-identical weights and
// logits; floating-point results can differ between BLAS implementations
// and CPU types.
//
// The per-epoch callback of Train can write a checkpoint (safetensors, see
// artifacts/safetensors): parameters and buffers under PyTorch-like names
// ("layers.0.weight", "layers.1.running_mean"), optimiser state under
// "__optim__.<name>.<slot>" (momentum_buffer; exp_avg, exp_avg_sq), and in
// __metadata__ the completed epochs, optimiser step, seed, the serialised
// shuffle and dropout PCG states, and the architecture and recipe as JSON.
// Resuming from the checkpoint after epoch k and training to the end gives
// bitwise the same weights as an uninterrupted run (TestResumeBitwise).
// WriteWeights writes weights only, for export and scoring.
//
// # Errors
//
// Configuration errors name the field (recipe.optimizer.lr: ...). Train
// returns an error wrapping ctx.Err() when cancelled (checked at every batch
// boundary) and a *DivergedError, which is not worth retrying, when the loss
// becomes NaN or infinite. Layers never panic on user input: shapes are
// validated when the model is built, and a kernel rejecting a buffer later
// (an engine bug) is recovered and returned as an error.
//
// # Per-example gradients (for DP-SGD, not implemented yet)
//
// DP-SGD needs each example's gradient norm, which the batched backward pass
// does not materialise. The layer design allows the "ghost clipping" trick
// (Goodfellow 2015; Li et al. 2022) without per-example weight gradients:
// for a Dense layer the per-example weight gradient is the outer product
// δ_i a_iᵀ of the output gradient and the input, so its Frobenius norm is
// ‖δ_i‖·‖a_i‖, computable from the buffers Backward already holds (the
// layer's saved input x and the incoming dy); the bias adds ‖δ_i‖². For
// Conv2D the per-example gradient is δ_i·col_iᵀ over the unrolled input,
// whose squared norm is ⟨col_iᵀcol_i, δ_iᵀδ_i⟩ (a T×T Gram product, T the
// output positions) or, when cheaper, ‖δ_i·col_iᵀ‖² directly; norm layers
// contribute per-example sums of dy·x̂ and dy. A first backward pass
// collects the norms, the loss gradients are rescaled by
// min(1, C/‖g_i‖), and a second ordinary backward pass yields the clipped
// sum, to which Gaussian noise is added before the optimiser step.
package trainer
