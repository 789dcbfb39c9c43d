// Package artifacts owns Umbra's artifact storage: the Store interface, its
// S3 (minio-go) and local-directory implementations, the key layout for
// models and experiments, model manifests, and housekeeping (GC). The
// checkpoint and array codecs live in the subpackages safetensors and npy.
//
// # Stores
//
// Open dispatches on the URL scheme:
//
//	file:///var/lib/umbra                       Local
//	s3://bucket/prefix?endpoint=host:port&region=us-east-1&tls=true
//	   [&attempts=10][&part_size=16777216]      S3
//
// Both implementations behave the same (one test suite, runStoreSuite, runs
// against each):
//
//   - Put streams a reader of declared size (or -1) and computes its CRC32C
//     on the way; a stream that is shorter or longer than declared, that
//     fails, or that does not match PutOptions.Checksum stores nothing.
//   - PutOptions.IfAbsent is an atomic create-only write; losing a race gives
//     ErrExists.
//   - Get returns a reader that checks size and CRC32C when it reaches EOF;
//     a mismatch is returned from Read as an error wrapping ErrChecksum and
//     naming the key, instead of io.EOF.
//   - Readers never see a partial object; List returns keys sorted, with
//     sizes (checksums come from Stat).
//   - Errors wrap ErrNotFound, ErrExists, ErrChecksum, ErrSize,
//     ErrInvalidKey, ErrConfig, ErrAuth, ErrNoBucket or ErrUnavailable and
//     name the key and store; nothing prints credentials (see Secret).
//
// Checksums are "crc32c:<8 hex digits>". CRC32C is what S3 servers compute
// and check natively, so on S3 the same value is verified by the server on
// upload (per part and for the whole object) and by Umbra on download.
//
// # Local directory
//
// Object a/b is the file <root>/a/b, so a store can be browsed and its
// .npy/.safetensors files opened directly from Python. The checksum is kept
// in the extended attribute user.umbra.crc32c, set on the temporary file
// before it is fsynced and renamed into place (hard-linked for IfAbsent),
// then the directory is fsynced. The attribute travels with the inode, so
// data and checksum change together atomically; a sidecar file could not.
// The cost: the filesystem must support user xattrs (ext4, xfs, btrfs, tmpfs
// since Linux 6.6; the local store is Linux-only), and copying a store
// must keep xattrs (cp -a, rsync -X). A file without the attribute is
// reported, not trusted. Interrupted Puts can leave ".umbra-tmp-*" files,
// which List ignores and keys may not use.
//
// # S3
//
// The client is configured as measured in ARCHITECTURE.md: Region set,
// TrailingHeaders on, DisableContentSha256, CRC32C checksums, 16 MiB parts.
// Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN, else the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile AWS_PROFILE);
// never from the URL. OpenS3 makes one listing request so that bad keys
// (ErrAuth), a missing bucket (ErrNoBucket) or an unreachable server
// (ErrUnavailable) show up at startup.
//
// Objects up to one part go in a single PUT (If-None-Match: * for
// IfAbsent). Larger ones use a multipart upload that this package drives
// through minio.Core, with Concurrency (default 2) parts in flight, each
// carrying its CRC32C, and a completion carrying the full-object CRC32C and
// If-None-Match. minio-go's PutObject is not used for multipart because
// v7.4.1 drops If-None-Match from CompleteMultipartUpload, which makes a
// create-only multipart upload silently overwrite (found by the IfAbsentRace
// test against versitygw). A failed upload is aborted; if the server is
// unreachable the abort fails too and the invisible parts stay until a
// bucket lifecycle rule (AbortIncompleteMultipartUpload) removes them.
//
// Retries are minio-go's: every HTTP request is tried up to Attempts times
// (default 10) with exponential backoff from 200 ms capped at 1 s and full
// jitter, i.e. at most 7.4 s of sleeping per request. Part uploads and
// single PUTs send in-memory buffers, so they are retried too. When the
// server stays down the error says how many attempts, the backoff bound and
// how long the operation took.
//
// # Key layout
//
//	models/<model-key>/epoch-NNNN.safetensors   checkpoint after epoch N
//	models/<model-key>/final.safetensors        trained weights
//	models/<model-key>/scores.npy               scores of every example
//	models/<model-key>/manifest.json            Manifest
//	experiments/<spec-hash>/...                 attack outputs, reports
//
// ModelKey hashes a canonical, length-prefixed encoding of (dataset
// fingerprint, recipe hash, mask seed, model index); see its documentation.
// GC removes intermediate epoch checkpoints of finished models (final +
// manifest present), keeping the last N.
//
// # Tests against real servers
//
// scripts/s3-server.sh start [versitygw|minio] builds the server with go
// install into .cache/bin, starts it on 127.0.0.1 with throw-away keys and
// writes an env file; S3 tests read UMBRA_TEST_S3_ENDPOINT and the AWS_*
// variables from it and skip when they are absent unless UMBRA_REQUIRE_S3=1.
// Fault tests (server killed during a multipart upload, server down) start
// their own versitygw from the binary in UMBRA_VERSITYGW.
package artifacts
