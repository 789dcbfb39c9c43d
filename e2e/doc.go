// Package e2e holds Umbra's end-to-end fault tests: real processes, real
// servers, real faults. Each test builds nothing itself; TestMain builds the
// umbra-starter and umbra-worker binaries once per `go test` run into a
// temporary directory (or uses $UMBRA_STARTER_BIN and $UMBRA_WORKER_BIN),
// then the tests start an embedded Temporal server as its own process
// (`umbra-starter server`, SQLite file, through internal/temporaltest),
// worker processes, a versitygw S3 server where needed, and submit
// experiments with `umbra-starter run --temporal … --store …`, exactly as a
// user would.
//
// The faults:
//
//   - TestWorkerKilledMidTraining: SIGKILL of a worker while it trains a
//     model; another worker resumes that model from its newest checkpoint
//     after the heartbeat timeout, and the experiment's scores.npy is
//     bitwise identical to an uninterrupted run's.
//   - TestTemporalServerKilledAndRestarted: SIGKILL of the Temporal server
//     mid-experiment and a restart on the same database file and port.
//   - TestS3ServerOutage: the artifact store is a real versitygw; it is
//     killed for ~10 s mid-experiment and restarted on the same port and
//     backend directory.
//   - TestBadInput: an invalid spec is refused before anything starts; an
//     unreachable Temporal address fails fast with a clear error.
//
// The tests run only with UMBRA_INTEGRATION=1 (they skip otherwise). The S3
// test needs a versitygw binary: $UMBRA_VERSITYGW (set by
// scripts/s3-server.sh's env file) or <repo>/.cache/bin/versitygw; without
// one it skips, or fails when UMBRA_REQUIRE_S3=1. Every process a test
// starts is killed by PID in t.Cleanup; state lives in t.TempDir() and every
// server gets free ports.
//
// The package has no non-test code: the figures (wall times, overheads,
// throughput) are measured by the bench/e2e command, not asserted here.
package e2e
