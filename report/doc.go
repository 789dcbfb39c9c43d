// Package report owns Umbra's experiment report: report.json, the
// machine-readable result (schema below), and report.html, a single
// self-contained page (inline CSS and SVG; no scripts, no external assets)
// with log-log ROC curves as in Carlini et al.'s LiRA paper. It imports
// only attacks, spec, gonum/plot and the standard library.
//
// # Use
//
//	r, err := report.Build(report.Input{Spec: s, Attacks: results, …})
//	err = report.WriteDir(dir, r)         // report.json + report.html, each atomically
//	r, err = report.ReadFile("report.json") // e.g. the CLI's report command
//	err = report.WriteHTML(w, r)          // re-render from a read-back report
//
// Each AttackResult is what attacks.Evaluate returns for one attack:
// Aggregate.PerTarget and the ROC curves. Build takes the mean and sample
// standard deviation over targets from attacks.AggregateTargets, keys
// tpr_at_fpr with attacks.FPRKey of the spec's metrics.fpr, and orders the
// attacks as the spec lists them (the spec's attack order is hashed as the
// report's order); spec attacks without a result are left out, results
// without a spec attack are an error. report.html is a function of the
// Report alone, so a report.json read back renders the same page.
//
// attacks.Aggregate is not reused as the JSON type because the report
// needs a different shape: the attack's "name" (attacks uses "attack",
// omitted when empty), an attack-level "excluded" count, a null standard
// deviation for one target, and each target's thinned ROC curve.
//
// # report.json, schema version 1
//
// Keys are always present unless marked optional; numbers are finite (the
// encoder never sees NaN: Build and WriteJSON reject non-finite values with
// an error naming the field path, e.g.
// `attacks[0] ("rmia"): per_target[1] (target 1).auc = NaN`). The only
// nulls are documented below.
//
//	{
//	  "version": 1,                 // schema version (SchemaVersion)
//	  "umbra_version": "v0.3.0",    // "unknown" when not supplied
//	  "experiment": "mnist-lira",   // spec name
//	  "description": "…",           // spec description
//	  "spec_hash": "hex sha-256",   // spec.Spec.Hash()
//	  "targets": [0, 1],            // model indices attacked (the first eval.targets models)
//	  "models": {"count": 16, "trained": 12, "reused": 4},
//	  "dataset": {"name": "mnist", "fingerprint": "…", "universe": 50000, "population": 10000},
//	  "model": {…},                 // spec model section, JSON form: {"arch": "mlp", "mlp": {"hidden": [256], …}}
//	  "training": {…},              // spec train section, JSON form: epochs, batch_size, optimizer{…},
//	                                // schedule{…}, augmentation{…}, label_smoothing, defense{…}, seed, checkpoint_every
//	  "query_augmentations": ["identity", "mirror"],
//	  "attacks": [{
//	    "name": "lira-online",      // the spec's label (the attack name unless relabelled)
//	    "method": "lira-online",    // the spec's attack name
//	    "auc": {"mean": 0.71, "std": 0.01},
//	    "tpr_at_fpr": {"0.00001": {"mean": …, "std": …}, "0.001": {…}, "0.01": {…}, "0.1": {…}},
//	    "balanced_accuracy": {"mean": …, "std": …},
//	    "advantage": {"mean": …, "std": …},
//	    "excluded": 12,             // (target, example) pairs not scored, summed over targets
//	    "per_target": [{
//	      "target": 0, "auc": 0.71, "tpr_at_fpr": {"0.00001": 0.02, …},
//	      "balanced_accuracy": 0.66, "advantage": 0.32,
//	      "members": 25000, "non_members": 25000, "excluded": 6,
//	      "roc": {"fpr": [0, 0, …, 1], "tpr": [0, 0.004, …, 1]}   // optional: thinned curve (ThinROC)
//	    }],
//	    "score_histogram": {        // optional: one target's score histogram
//	      "target": 0, "edges": [… n+1 …], "members": [… n …], "non_members": [… n …]
//	    }
//	  }],
//	  "timing": {
//	    "wall_seconds": 3600, "train_seconds": 50000, "train_workers": 16,
//	    "attack_seconds": 40,
//	    "orchestration_overhead": 0.12   // fraction, or null when wall_seconds is 0
//	  }
//	}
//
// The same layout as Go types (json tags as above): Report, Models,
// Dataset, spec.Model, spec.Train, Attack, MeanStd, TargetResult (which
// embeds attacks.TargetMetrics), Curve, ScoreHistogram, TimingReport.
//
// tpr_at_fpr keys are attacks.FPRKey of each rate of the spec's
// metrics.fpr: 1e-5 → "0.00001", 1e-3 → "0.001" (shortest decimal, no
// exponent); encoding/json writes map keys sorted.
//
// Standard deviations are sample standard deviations (ddof = 1) over
// targets. With one target "std" is null, not 0: one value has no sample
// spread, and null keeps that apart from a true zero spread (attacks'
// own MeanStd uses 0 there).
//
// orchestration_overhead = clamp((wall − train/train_workers −
// attack)/wall, 0, 1): the share of the wall time not explained by ideally
// parallel training plus the attack phase (queueing, scheduling, storage,
// load imbalance, the report itself). train_seconds sums the training time
// of freshly trained models and may exceed wall_seconds.
//
// A new optional key may be added within version 1; removing or renaming a
// key, or changing a meaning, bumps the version. ReadJSON ignores unknown
// keys and rejects other versions.
//
// # ROC curves
//
// report.json keeps a thinned copy of each exact ROC curve (ThinROC):
// every point at FPR ≤ 1e-3 (so TPR at the usual low rates reads off
// exactly), 25 logarithmic bins per decade above, and only the ends of
// vertical and horizontal runs (lossless; a strong attack has one point
// per member at FPR 0). A curve of 50,000 examples keeps a few hundred
// points.
//
// Plots are gonum/plot with plot.LogScale on both axes, LogTicks labels,
// rendered by vgsvg and inlined (the XML prologue dropped). Both axes run
// from the same minimum to 1: 1e-5, or, when no class of any target has
// 100,000 examples, 1/10^k for the smallest power of ten 10^k ≥ the largest
// class size (so no empty decades), at most 1e-2. A log axis cannot show
// 0: every FPR or TPR below the minimum, 0 in particular, is drawn AT the
// minimum, so a curve's rise at FPR = 0 runs up the left edge and TPR = 0
// lies on the bottom edge; the chance diagonal is dashed. Each attack gets
// one curve per target (coloured and labelled with its AUC for up to 8
// targets, grey beyond) and, for several targets, their vertical average
// in black (mean TPR at 20 FPRs per decade, TPR at f read as the largest
// TPR at FPR ≤ f). A comparison plot shows every attack's mean curve. The
// optional histogram shows member and non-member score densities, each
// normalised to area 1, in 40 equal-width bins.
//
// gonum/plot panics on a non-positive value on a log axis; the inputs are
// clamped first and any panic while rendering is turned into an error.
//
// # HTML and escaping
//
// The page is made with html/template, so every user-supplied string (the
// experiment name and description, attack labels, fingerprint) is
// escaped. The SVG is inserted as trusted HTML: vgsvg escapes every text
// it draws (html.EscapeString), which covers attack labels in legends and
// titles.
//
// # Files
//
// WriteDir renders both files in memory first (nothing is written if
// either fails), then writes each to a temporary file in the target
// directory, fsyncs it and renames it over report.json / report.html:
// each file is replaced atomically, the pair is not.
package report
