// Package devserver runs a complete Temporal server (frontend, history,
// matching and worker services) inside the current process, persisted in a
// SQLite file through the pure-Go modernc driver, for local runs and tests.
//
// It follows the shape of the Temporal CLI's `temporal server start-dev`
// (learned from, not copied): one history shard, SQLite for both persistence
// and visibility, archival off, namespaces pre-registered directly in the
// database so they are usable the moment the frontend answers. Two choices
// differ on purpose:
//
//   - Static hosts (temporal.WithStaticHosts): service discovery through the
//     membership ring is disabled. With ringpop, restarting on an existing
//     database waits about 60 s for the previous run's members to expire;
//     static hosts make a restart immediate.
//   - Fixed ports: the frontend listens on Config.Port and the other
//     services on the following ports (PortsUsed in all), so a restarted
//     server comes back on the same addresses. Start checks that every port
//     is free first, because the server panics in a background goroutine on
//     a busy port, which would kill the host process.
//
// Server logs go to a log/slog logger, filtered at Config.LogLevel.
package devserver
