// Package temporaltest starts and stops Umbra's embedded Temporal server as a
// separate process (the umbra-starter binary's `server` command) for
// integration tests, so that tests can kill it (SIGKILL) and restart it on
// the same SQLite file and ports while workflows are running.
//
// Only tests import it. Integration tests using it are gated by the
// `integration` build tag.
package temporaltest
