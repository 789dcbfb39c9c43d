// Command umbra-starter (package cmd/starter) is Umbra's command-line entry
// point: it starts experiments on Temporal and, where no cluster address is
// given, runs an embedded Temporal server.
//
// Persistent flags, shared with the worker binary:
//
//	--temporal host:port   Temporal frontend (env UMBRA_TEMPORAL); empty means
//	                       "use an embedded server" where a command can
//	--namespace NAME       Temporal namespace (env UMBRA_NAMESPACE, default "default")
//	--state-dir DIR        local state: embedded server DB, local artifacts
//	                       (env UMBRA_STATE_DIR, default ./.umbra)
//	--log-level LEVEL      debug, info, warn (default) or error (env UMBRA_LOG_LEVEL)
//
// Commands:
//
//	umbra-starter server [--db FILE] [--port N] [--ip IP] [--in-memory]
//
// runs the embedded server (SQLite file, default <state-dir>/temporal.db,
// frontend on 127.0.0.1:7233 and the next 7 ports for the other services)
// until SIGINT or SIGTERM, so that several worker processes and integration
// tests can share one server. It prints "ready <host:port> ..." on stdout
// once the frontend answers.
//
//	umbra-starter run SPEC [--out DIR] [--store URL] [--slots N] [--detach]
//
// runs an experiment and writes report.json, report.html and the .npy
// exports to --out. Without --temporal it starts the embedded server on
// <state-dir>/temporal.db (free ports, a lock on the state dir), an
// in-process worker polling both task queues with --slots training slots,
// and a local artifact store under <state-dir>/artifacts. The workflow ID
// derives from the spec hash, so the same spec attaches to a running
// experiment or reruns reusing every trained model.
//
//	umbra-starter status|watch|report|cancel ID|SPEC
//	umbra-starter sweep FILE... [--concurrency N] [--out DIR]
//	umbra-starter data fetch NAME --dir DIR [--from PATH]
//	umbra-starter artifacts gc [--store URL] [--keep N] [--dry-run]
//
// inspect, follow (resuming an interrupted embedded run), download the
// outputs of and cancel an experiment; run several experiments as one Sweep
// workflow; fetch a dataset's canonical files with SHA-256 checks; delete
// intermediate checkpoints of finished models. Cluster connections take the
// worker's TLS flags (--tls, --tls-ca, --tls-cert, --tls-key,
// --tls-server-name, env UMBRA_TLS_*) and --store (env UMBRA_STORE).
//
// This is the only binary that links the Temporal server
// (go.temporal.io/server, ~200 MB); the worker stays SDK-only.
package main
