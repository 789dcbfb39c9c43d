// Command umbra-worker runs Umbra's Temporal workflows and activities
// against an existing Temporal cluster: it parses flags (each also settable
// from an UMBRA_* environment variable; flag beats variable beats default),
// dials Temporal with a bounded timeout and hands over to worker.Run until
// SIGINT or SIGTERM, after which running activities get --stop-timeout to
// checkpoint.
//
//	umbra-worker --temporal temporal:7233 --namespace umbra \
//	    --queues umbra-train --slots 16 --store s3://bucket/umbra?endpoint=minio:9000
//
// Flags: --temporal (UMBRA_TEMPORAL, 127.0.0.1:7233), --namespace
// (UMBRA_NAMESPACE, default), --tls, --tls-ca, --tls-cert, --tls-key,
// --tls-server-name (UMBRA_TLS…), --queues (UMBRA_QUEUES, umbra-train,
// umbra-attack), --slots (UMBRA_SLOTS, CPUs), --attack-slots, --store
// (UMBRA_STORE), --metrics-addr (UMBRA_METRICS_ADDR, :9090; empty disables),
// --pushgateway, --dial-timeout (30s), --stop-timeout (5m), --log-level
// (UMBRA_LOG_LEVEL, info). Names match cmd/starter's where they mean the
// same; unlike the starter, a variable set to the empty string counts as set
// (UMBRA_METRICS_ADDR= disables metrics).
//
// The binary imports the Temporal SDK only, never the server. All logic
// lives in package worker so the starter can run the same worker in-process;
// register.go is where the activities are plugged in.
package main
