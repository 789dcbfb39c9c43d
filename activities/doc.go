// Package activities holds Umbra's Temporal activities: thin adapters that
// load their inputs from the artifact store, call the training engine
// (trainer) and the attacks, heartbeat, and store their outputs. Only keys
// and summary numbers cross Temporal; datasets, checkpoints and score arrays
// stay in the store.
//
// The activities are methods of Activities, which holds what a worker
// process shares between them: opened stores, loaded datasets (a process
// cache keyed by the spec's dataset section), metrics and a logger. The
// spec-to-engine mapping (which trainer architecture, recipe and seed a
// spec means) lives in recipe.go and is the only place that knows both
// vocabularies.
//
// Experiment data layout: an experiment's examples are the spec's universe
// (whose membership is randomised across models) followed by its population
// (never trained on), drawn from the loaded dataset with
// datasets.SplitIndices(total, [universe, population], split_seed). Model i
// trains on the universe examples of plan.MaskRow(mask_seed, count, universe,
// keep, i) and is scored on every experiment example.
//
// Metrics: activities record trainings, epochs, checkpoints and attack
// durations; activity durations are timed by the worker's interceptor
// (package worker), not here.
//
// Store keys (see artifacts): models/<key>/epoch-NNNN.safetensors
// (resumable training state), final.safetensors (weights), scores.npy
// (float32 [examples][augmentations] of LiRA's φ), logits.npy (float32
// [examples][augmentations][classes]) and manifest.json, written last: a
// model is finished exactly when its manifest says so, and a finished model
// is reused. Experiment outputs go under experiments/<spec-hash>/.
package activities
