// Package spec owns Umbra's experiment spec: the Go types of the YAML file
// that describes one experiment, its strict decoding, defaults, validation
// with field-path errors, and the content hashes that key stored results.
//
// # Decoding
//
// Parse (and Load, which reads a file) decodes exactly one YAML document.
// Decoding is strict: an unknown or misspelled field, a field that does not
// belong to the chosen variant (momentum with adam, channels with an mlp,
// min_in with lira-offline), a duplicate field, a value of the wrong type,
// or a non-finite number is an error. Every error is a *FieldError naming
// the file, the YAML line, the field path and what is allowed, e.g.
//
//	exp.yaml:12: train.optimizer.name: "adamm" is not one of sgd, adam, adamw
//	exp.yaml:14: train.optimizer.lr: must be > 0 (got -1)
//
// and Parse reports all of them at once (errors.Join, sorted by line;
// FieldErrors splits them). A missing field is reported at the line of its
// enclosing section.
//
// The decoder walks the yaml.Node tree itself, by reflection over the
// struct tags of the spec types, instead of yaml's KnownFields: KnownFields
// stops at the first error, gives no field path, and cannot express fields
// that depend on a sibling discriminator. Aliases are followed; merge keys
// (<<) are rejected. Only the schema is walked, so the work done is bounded
// by the document's size (alias "bombs" under unknown keys cost nothing)
// and by a node budget.
//
// # Schema
//
// The YAML layout (every field optional unless said otherwise; defaults in
// brackets; the defaults live in defaults.go and nowhere else):
//
//	version: 1
//	name, description: free text
//	dataset:
//	  name: mnist | fashion-mnist | cifar10 | cifar100 | adult | credit-g | csv
//	        | purchase-synthetic | tabular-synthetic            (required)
//	  path: file or directory; required except for the synthetic datasets,
//	        where it is an error; kept as written (the caller resolves a
//	        relative path)
//	  universe: examples shadow models sample from              (required, > 0)
//	  population: held-out examples no model trains on [0]; > 0 for rmia
//	  split_seed [0]
//	  label_column: csv only (required there)
//	  synthetic: synthetic datasets only
//	    {size [universe+population], dim [600 | 20], classes [100 | 2],
//	     flip_prob [0], sensitive_fraction [0.5], seed [0]}
//	model:
//	  arch: mlp | simplecnn | cnn | resnet                      (required)
//	  mlp:       hidden [[256]], activation [relu] (relu, tanh, sigmoid, silu, leakyrelu)
//	  simplecnn: width [32], hidden [128]
//	  cnn:       channels [[32, 64]], kernel [3], hidden [[128]], activation [relu], batch_norm [false]
//	  resnet:    depth [20] (6n+2), width [16]
//	  The parameters sit next to arch (model: {arch: mlp, hidden: [64]}).
//	  Convolutional architectures need an image dataset.
//	train:
//	  epochs [10], batch_size [128], label_smoothing [0], seed [0],
//	  checkpoint_every [1] (epochs; 0: final state only)
//	  optimizer: name sgd {lr [0.1], momentum [0.9], nesterov [false], weight_decay [0]}
//	             | adam {lr [1e-3], beta1 [0.9], beta2 [0.999], eps [1e-8], weight_decay [0]}  [adam]
//	             | adamw (as adam, weight_decay [0.01])
//	  schedule:  name constant | step {step_size (required), gamma [0.1]} | cosine [constant];
//	             warmup_epochs [0] for all
//	  augmentation: {crop_padding [0], hflip [false]}; image datasets only
//	  defense: name none | dp-sgd {clip_norm [1], noise_multiplier [1]} [none]
//	shadows: count [16] (models, targets included; ≥ 2), keep [0.5] in (0, 1), mask_seed [0]
//	eval:
//	  targets [1] (1 ≤ targets ≤ shadows.count; leave-one-out)
//	  augmentations [[identity]]: query augmentations, see below
//	attacks: (at least one) list of
//	  {name, label [name], parameters}; labels must be unique:
//	  lira-online, lira-online-fixed-variance: min_in, min_out [2, or 1 for fixed variance]
//	  lira-offline, lira-offline-fixed-variance: min_out [2, or 1]
//	  rmia: a [0.3] in [0, 1], gamma [1], population_samples [all of dataset.population]
//	  adversarial: eps [8/255], steps [10], step_size [eps/4]
//	  loss, confidence, shadow-classifier: no parameters
//	metrics:
//	  fpr [[1e-5, 1e-3, 1e-2, 1e-1]]: each in (0, 1), no repeats; sorted
//
// A query augmentation is a string: "identity", "mirror", "shift:DX,DY" or
// "mirror+shift:DX,DY" (|DX|, |DY| ≤ 32; see QueryAugmentation). Only
// identity is allowed for tabular datasets. The order of the list is the
// order of the scores' augmentation axis.
//
// Sections with a discriminator (dataset name, model arch, optimizer,
// schedule, defense and attack name) are decoded by resetting the section
// to that variant's defaults and then applying the written fields; so a
// field written with its default value decodes exactly as if omitted.
// Values derived from other fields (synthetic size, rmia
// population_samples, adversarial step_size, attack labels, the fpr order)
// are filled by Resolve.
//
// # Hashes
//
// Canonical is the JSON of the resolved spec with sorted keys and only the
// result-affecting fields; Hash is its SHA-256. Two files that differ only
// in field order, comments, flow vs block style, number spelling (1e3 vs
// 1000), explicitly written defaults or the fields below hash the same;
// any other change changes the hash. Not hashed:
//
//   - name, description: free text;
//   - train.checkpoint_every: training resumed from a checkpoint is
//     bitwise identical to uninterrupted training (a project contract), so
//     the checkpoint period cannot change results.
//
// The order of attacks is hashed (it is the report's order); the order of
// metrics.fpr is not (Resolve sorts it).
//
// ModelRecipeHash covers only what determines a trained model: the dataset
// selection (name, universe, population, split_seed, label_column,
// synthetic), model, train (less checkpoint_every) and shadows (count, keep,
// mask_seed). Changing eval, attacks or metrics keeps it, so every trained
// model is reused. dataset.path is in Hash but not in ModelRecipeHash:
// moving the data must not retrain, and a model's storage key combines
// ModelRecipeHash with the dataset's content fingerprint (package datasets)
// and the model index. shadows.count is included because the membership
// masks of a balanced design depend on it; a planner whose masks for model
// i depend only on (mask_seed, keep, i) could drop it and let an experiment
// grow without retraining.
package spec
