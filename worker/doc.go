// Package worker is the reusable core of an Umbra worker process: its
// configuration (Config, with errors naming the cmd/worker flag), the
// connection to Temporal (Dial: address, namespace, TLS, a bounded dial
// timeout, the SDK's metrics bridged into Prometheus) and Run, which polls
// Umbra's task queues until its context is cancelled. cmd/worker is a thin
// main around it; the starter's embedded mode calls Run in-process with the
// same code.
//
// It imports the Temporal SDK only, never go.temporal.io/server, and not the
// trainer, attacks or storage packages: the activities arrive through
// Registrations, a callback per queue, so the lead's activities package
// plugs in without this package depending on it.
//
// # Queues and slots
//
// One SDK worker runs per queue in Config.Queues:
//
//	umbra-train   MaxConcurrentActivityExecutionSize = Slots (default: CPUs),
//	              one model per slot, each trained on one thread
//	umbra-attack  MaxConcurrentActivityExecutionSize = AttackSlots (default 1):
//	              fan-in steps hold whole score arrays in memory
//
// The workflows (workflows.Register unless Registrations.Workflows says
// otherwise) are registered on every polled queue. Today's workflows send
// every activity to one queue (ExperimentInput.TaskQueue, or the workflow's
// own); until they route Attack and Report to umbra-attack, the activities
// registration must register every activity on the queue workflows are
// started on.
//
// # Shutdown
//
// When Run's context is cancelled (SIGINT/SIGTERM in cmd/worker), each SDK
// worker stops polling and closes activity.GetWorkerStopChannel(ctx) in every
// running activity at once; the activity's own context is cancelled only
// after Config.StopTimeout (worker.Options.WorkerStopTimeout, default 5
// minutes). A TrainModel activity should therefore select on that channel as
// well as ctx.Done(), write its checkpoint, heartbeat its key and return a
// retryable error: the retry, on any worker, resumes from the checkpoint.
// The timeout is generous because a checkpoint upload can take tens of
// seconds; Kubernetes' terminationGracePeriodSeconds must exceed it.
//
// # Metrics
//
// Run creates the Umbra instruments (package metrics) on Config.Registry,
// serves /metrics and /healthz on Config.MetricsAddr (/healthz is 503 while
// starting and stopping), times every activity attempt through an
// interceptor (umbra_activity_duration_seconds), puts the *metrics.Metrics in
// every activity context (metrics.FromContext) and pushes to a Pushgateway on
// exit when Config.Pushgateway is set. Dial bridges the SDK's metrics
// (temporal_*) into the same registry through tally
// (go.temporal.io/sdk/contrib/tally and tally's Prometheus reporter); an SDK
// metric emitted with two different tag sets cannot be one Prometheus family,
// so its second form is dropped and logged at debug level instead of
// panicking.
//
// # Secrets
//
// TLS settings are file paths; Validate and TLSConfig read the files but no
// error or log line quotes their contents, and Config's slog form shows
// whether a key is set, not its path. URLs are logged with passwords
// redacted, and store URLs with credentials are refused.
package worker
