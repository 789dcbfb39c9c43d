// Package attacks owns Umbra's membership-inference attacks and their
// metrics, as pure functions over score arrays. It imports no Temporal code
// and keeps no package-level mutable state. The score-array attacks take no
// context.Context: each is a bounded, sub-second-to-seconds CPU computation
// over arrays already in memory; the two attacks that query or train models
// (adversarial-example confidence and the shadow attack classifier) do.
//
// # Inputs
//
// Scores holds one float32 per model × example × augmentation, flat and
// model-major (Phi[(m*N+n)*A+a]); Keep holds the M×N membership mask. The
// per-example score is LiRA's logit-scaled confidence
//
//	φ = log(p_y/(1−p_y)) = z_y − logsumexp_{c≠y} z_c
//
// computed from logits in float64 (LogitScaledConfidence) and stored as
// float32. Scores.SetModelFromLogits fills one model's block from its
// [N][A][C] logits, so callers can stream per-model score files. The
// true-class probability is p_y = sigmoid(φ) and the cross-entropy loss is
// softplus(−φ) = logsumexp(z) − z_y, so every attack here reads the single φ
// array (float32 φ keeps p_y to ~1e-7 relative precision). Every attack
// rejects NaN/±Inf scores with an error naming model, example and
// augmentation; all accumulation is float64.
//
// Every attack returns, per target model, TargetScores: one score per
// example (higher means "member") and the sorted list of Excluded examples
// the attack could not or must not score. Excluded scores are NaN — never a
// silent 0 — and the metrics skip them; any other NaN is an error.
//
// # LiRA (Carlini et al., "Membership Inference Attacks From First Principles", S&P 2022)
//
// Online: for each example n and augmentation a, fit N(μ_in, σ_in²) to the φ
// of the shadow models that trained on n and N(μ_out, σ_out²) to those that
// did not; the per-augmentation score is
// log N(φ_target; μ_in, σ_in²) − log N(φ_target; μ_out, σ_out²), and the
// example's score is the MEAN over augmentations of these log-likelihood
// ratios (augmentations treated as independent tests; the mean keeps the
// scale independent of A).
//
// Offline: only OUT shadows; one-sided test, score = mean over augmentations
// of log Pr[Z ≤ φ_target], Z ~ N(μ_out, σ_out²) (higher means member). The log
// CDF is computed stably for any finite z (erfc in the body, log1p above 0,
// an asymptotic series below −37).
//
// μ is the sample mean and σ the population standard deviation (ddof = 0,
// as the reference's np.std) of the shadow scores of that example and
// augmentation. Every σ is floored at LiRAConfig.MinStd (default 1e-6) so
// identical shadow scores do not divide by zero.
//
// Fixed variance (LiRAConfig.FixedVariance), recommended by the paper with
// few shadows: one σ_in and one σ_out for the whole attack (per target),
// each the pooled within-example population variance
//
//	σ_in² = Σ_{n eligible} Σ_a Σ_{m ∈ IN(n)} (φ_{m,n,a} − μ_in,n,a)² / Σ_{n eligible} A·|IN(n)|
//
// and likewise for OUT, over the examples that are scored. Means stay per
// example and augmentation.
//
// Too few shadows: an example is scored only if it has ≥ MinOut OUT shadows
// and (online) ≥ MinIn IN shadows; defaults are 2 with per-example variance
// (one sample has zero spread) and 1 with fixed variance. Others are listed
// in Excluded, excluded from the fixed-variance pool and from the metrics.
//
// Deliberate differences from the reference implementation
// (github.com/tensorflow/privacy, research/mi_lira_2021):
//   - μ is the mean, not the median, over shadows (the median cannot be
//     updated in O(1) when leave-one-out removes the target, and the paper
//     defines a Gaussian fit);
//   - fixed variance pools WITHIN-example variance; the reference takes
//     np.std over the whole IN array (which includes the spread of the
//     per-example means) and, online, uses that IN value for σ_out as well
//     (offline it takes np.std over the whole OUT array);
//   - offline uses the paper's one-sided log-CDF; the reference code scores
//     offline with the two-sided −log pdf;
//   - all available shadows are used per example; the reference truncates
//     every example to the smallest IN/OUT count seen;
//   - σ is floored at MinStd instead of adding 1e-30.
//
// Leave-one-out (LiRALeaveOneOut, RMIALeaveOneOut): each of k target models
// is attacked with all other M−1 models as shadows, using its own keep row
// as ground truth. LiRA accumulates per-example counts and sums and sums of
// squares (shifted by model 0's score, for numerical stability) in one pass
// and subtracts the target's contribution, so k targets cost one pass plus
// k·N·A work; where that subtraction would leave a variance below 1e-6 of
// the sum of squares it came from, that example is recomputed from scratch.
// LiRA (explicit shadow list) is the from-scratch two-pass computation the
// shortcut is tested against; both use ddof = 0.
//
// # RMIA (Zarifzadeh, Liu, Bao, Shokri, "Low-Cost High-Power Membership Inference Attacks", ICML 2024)
//
// Pr(x|θ) is the model's true-class probability averaged over augmentations
// (the paper averages probabilities over augmentations). Pr(x) is its mean
// over the reference models: online, all of them (IN and OUT); offline,
// ((1+a)·mean over OUT references + (1−a))/2. Population examples z (no
// model in use trains on them; checked) give Pr(z|θ) and Pr(z) the same way;
// offline, the same a-correction is applied to Pr(z), as in the authors'
// Privacy Meter code. The score of x is the fraction of sampled z with
//
//	LR(x,z) = (Pr(x|θ)/Pr(x)) / (Pr(z|θ)/Pr(z)) ≥ γ.
//
// Ratios are computed in the log domain (no underflow for tiny
// probabilities) and the z ratios sorted once per target, so each x costs a
// binary search: O((N+Z) log Z) per target. The predicate is monotone under
// IEEE rounding, so the count equals the brute-force O(N·Z) count exactly.
// The z sample is NumZ population examples drawn without replacement with a
// PCG seeded by Seed (all of the population when NumZ is 0), the same for
// every target. Population examples are never scored as x (they are in
// Excluded), nor are, offline, examples with no OUT reference. Differences
// from the reference: LR ≥ γ as the paper writes it (Privacy Meter uses a
// strict >); leave-one-out subtracts the target from precomputed sums and
// falls back to a log-domain recomputation when that is ill-conditioned.
//
// # Global-threshold baselines
//
// BaselineLoss (Yeom et al., CSF 2018): score = −cross-entropy loss.
// BaselineConfidence (Song & Mittal, USENIX Security 2021, I_B): score =
// true-class probability. Both are averaged over augmentations. With A = 1
// both are strictly increasing functions of φ, so their ROC curves coincide.
//
// Attacks that produce their own scores (the adversarial-example confidence
// I_A and the shadow attack classifier, below) only need EvaluateTarget or
// Evaluate.
//
// # Metrics
//
// ComputeROC builds the exact ROC curve: scores are sorted (members and
// non-members separately, then merged) and one point is emitted per distinct
// score, so tied scores move together; points run from (0,0) to (1,1).
// AUC is computed from integer counts as the tie-corrected Mann–Whitney
// statistic, equal to the trapezoidal area under those points. TPR at FPR f
// is the largest TPR among points with FPR ≤ f (no interpolation); the
// reported rates default to 1e-5, 1e-3, 1e-2, 1e-1 (keys "0.00001" …).
// Balanced accuracy is max over points of 1 − (FPR+FNR)/2 and membership
// advantage max of TPR − FPR (both attained at some threshold, including
// "nobody is a member"). An empty class is an ErrEmptyClass error.
// Downsample thins the curve for log-scale plots, keeping every point with
// FPR ≤ a given rate. Aggregate reports mean ± sample standard deviation
// (ddof = 1) over targets, plus the per-target list.
//
// Hand-written pieces: Go's standard library and gonum have no normal log
// CDF; gonum's stat.ROC needs the scores pre-sorted with their labels,
// works with float weights and has no AUC, whereas ComputeROC sorts two
// plain float64 slices and counts in integers, which keeps AUC exact.
//
// # Adversarial-example confidence (Song, Shokri & Mittal, "Privacy Risks of Securing Machine Learning Models against Adversarial Examples", CCS 2019, I_A)
//
// AdversarialScores is white-box: for every query example x with label y it
// runs untargeted L∞ PGD (trainer.PGD: ε, steps, step size α — 2.5·ε/steps
// when 0 —, optional uniform random start, inputs clipped to [Min, Max],
// default [0, 1]) against the target model and scores the example with the
// target's softmax probability of y on the adversarial example x′, a value
// in [0, 1]; higher means member. ε = 0 disables the attack and gives
// exactly the clean true-class probability of trainer.Logits (I_B). The
// paper applies I_A to adversarially trained models, attacked with the same
// PGD as in their training, where robustness generalises worse on members;
// here the attack may be run against any target model, with the PGD
// parameters of the experiment spec. Queries are processed BatchSize at a
// time (default the model's MaxBatch); the random start of a query depends
// on Seed, its position in idx and BatchSize. The cost is steps + 1
// forward passes and steps backward passes per query, so callers usually
// pass a subset idx: AdversarialTarget scores idx, excludes (NaN) the rest
// and evaluates against the target's keep row with EvaluateTarget.
//
// # Shadow attack classifier (Shokri et al., S&P 2017; Salem et al., "ML-Leaks", NDSS 2019)
//
// As in ML-Doctor's black-box shadow setting, the features of (model,
// example) are the model's softmax posterior sorted in decreasing order and
// cut to its TopK largest values (default 3 as in ML-Leaks,
// ShadowAllClasses for all; capped at the class count), then a correctness
// bit (first argmax of the logits == label). Rows are labelled IN/OUT by
// the shadow model's keep row. An MLP (trainer "mlp", hidden [64], two
// outputs, Adam lr 1e-3, batch 128, 30 epochs, constant rate, seeded)
// learns IN vs OUT, and the score of a target's example is its P(IN).
// Unlike the reference implementations, each shadow model is not split
// into its own train/test sets: every model of the experiment is trained on
// a seeded half-mask of one pool, so its IN and OUT rows are those of the
// keep mask, as for LiRA.
//
// Training rows: up to MaxRows/2 IN and MaxRows/2 OUT (model, example)
// pairs (default 20000 rows in all), drawn without replacement with
// Floyd's algorithm from a PCG seeded by Seed, so the training set is
// balanced even where the mask is not. Two ways to pick the shadows:
//   - leave-one-out (Shadows nil): the rows are drawn once from all M
//     models, and target t's attack model is trained on those rows minus
//     model t's (about MaxRows·(M−1)/M rows); one attack model per target.
//   - fixed (Shadows set): one attack model trained on rows of the listed
//     models, which must exclude every target, and applied to all targets;
//     the cheap option when there are many targets.
//
// Inputs are per-model N×C logits through a LogitSource (LogitSlices wraps
// in-memory slices); every model's logits are requested at most once, and
// a wrong length is an ErrShape error naming the model. Features are
// computed in float64 and stored as float32. ShadowClassifier evaluates the
// per-target scores with Evaluate.
//
// These two attacks train or query models through the trainer, so, unlike
// the rest of the package, they take a context.Context: cancellation is
// checked between query chunks or models and inside trainer.PGD,
// trainer.Logits and trainer.Train.
package attacks
