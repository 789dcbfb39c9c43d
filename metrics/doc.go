// Package metrics owns Umbra's Prometheus instruments: what the workers count
// and time about training, checkpoints, activities and attacks, the HTTP
// handler that exposes them (/metrics and /healthz), and a push to a
// Prometheus Pushgateway for short-lived runs.
//
// There is no package-level registry: New registers a Metrics value's
// instruments with the prometheus.Registerer it is given, so tests and an
// in-process worker inside the starter each use their own registry. Every
// method has a nil-safe receiver, so code that records metrics works
// unchanged when handed a nil *Metrics (tests, tools that do not export
// metrics).
//
// # Instruments
//
//	umbra_trainings_started_total         counter    TrainingStarted: a TrainModel attempt starts (or resumes) training
//	umbra_trainings_finished_total        counter    TrainingFinished: it trained to completion
//	umbra_trainings_failed_total          counter    TrainingFailed: it returned an error (diverged, store error, cancelled…)
//	umbra_trainings_reused_total          counter    TrainingReused: the content-addressed model already existed; no training
//	umbra_trainings_running               gauge      started − finished − failed on this process
//	umbra_epochs_total                    counter    ObserveEpoch: epochs completed
//	umbra_train_samples_total             counter    ObserveEpoch: training samples processed
//	umbra_train_samples_per_second        histogram  ObserveEpoch: one observation per epoch, samples / epoch wall time
//	umbra_checkpoint_bytes_total          counter    ObserveCheckpoint: bytes written to the artifact store
//	umbra_checkpoint_seconds              histogram  ObserveCheckpoint: time to encode and store one checkpoint
//	umbra_activity_duration_seconds       histogram  ObserveActivity, label activity (Temporal activity type name)
//	umbra_attack_seconds                  histogram  ObserveAttack, label attack (lira, rmia, loss, …)
//
// umbra_train_samples_per_second is a histogram rather than a gauge because a
// worker trains several models at once (one per slot): a single gauge would
// show whichever model wrote last. The histogram shows the spread of per-epoch
// throughput (a slow slot stands out), and the aggregate throughput of a
// worker or a fleet is rate(umbra_train_samples_total[1m]), which a gauge
// could not give across processes.
//
// Activity and attack names become label values: callers pass names from
// fixed sets (activities/api's constants, the spec's attack names), never
// model keys or other unbounded values.
package metrics
