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
// This is the only binary that links the Temporal server
// (go.temporal.io/server, ~200 MB); the worker stays SDK-only.
package main
