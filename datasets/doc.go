// Package datasets owns Umbra's in-memory datasets and everything that
// produces them: file loaders, synthetic generators, seeded shuffles,
// subsets and splits, content fingerprints, and fetching of the canonical
// files. It imports only the standard library.
//
// # Dataset
//
// A Dataset holds float32 features (row-major, per-example Shape [C, H, W]
// or [D]), integer labels in [0, Classes), named categorical per-example
// attributes (e.g. "sex" and "race" for Adult, needed by attribute and
// property inference), and a name. Fingerprint is the SHA-256 of a
// canonical byte encoding of shape, classes, features, labels and
// attributes (documented on the method); it is what content-addressed model
// keys derive from.
//
// # Loaders
//
//   - MNIST and Fashion-MNIST: IDX files, raw or gzipped (detected by the
//     gzip magic bytes, not the name), magic numbers, dimensions and counts
//     validated; pixels scaled to [0, 1]. LoadMNIST, LoadFashionMNIST, LoadIDX.
//   - CIFAR-10 and CIFAR-100 binary batches: LoadCIFAR10, LoadCIFAR100.
//     CIFAR-100 uses the fine labels and keeps the coarse superclass as the
//     attribute "coarse_label".
//   - Tabular: UCI Adult (LoadAdult), Weka's credit-g.arff (LoadCreditG,
//     deriving "sex" and "age_group"), any ARFF (ReadARFF) and a generic CSV
//     loader with a declared label column (LoadCSV). Categorical columns are
//     one-hot encoded; a missing categorical value ("?") is its own category
//     (MissingCategory), a missing numeric value is NaN until standardised.
//     Numeric columns are standardised with statistics of the training rows
//     only: the caller names those rows (TabularOptions.TrainRows) or passes
//     a Standardizer fitted earlier (FitStandardizer, then Apply), so test
//     data never leaks into the statistics.
//   - Synthetic, seeded: Purchase (binary features from class prototypes
//     with bit flips) and TabularSynthetic (a Gaussian mixture with a binary
//     sensitive attribute of configurable proportion).
//
// Subset, Shuffle, SplitIndices, TrainTestSplit, StratifiedSplitIndices and
// Concat build derived datasets; Load's split "all" pools a dataset's train
// and test files.
//
// Load dispatches on a dataset name (mnist, fashion-mnist, cifar10,
// cifar100, adult, credit-g, csv, purchase-synthetic, tabular-synthetic).
//
// Every loader error is a *ParseError (or wraps one) naming the file and the
// position of the problem: record index, byte offset, line and field as they
// apply. Truncated and corrupt files are errors (ErrTruncated, ErrFormat),
// never panics; the IDX, CIFAR, CSV and ARFF parsers are fuzzed.
//
// # Randomness
//
// Shuffles, subsets, splits and synthetic data use RNG: PCG-DXSM from
// math/rand/v2 seeded with (seed, FNV-1a-64 of a stream name), with bounded
// integers, floats and normals derived by this package (Lemire's method,
// 53-bit floats, Box–Muller) rather than by rand.Rand, whose derived
// algorithms Go does not promise to keep. Results therefore do not depend on
// the platform, the Go release, map order or global state; golden tests
// (hashes of permutations) pin them.
//
// # Fetching
//
// Fetch downloads the canonical files of mnist, fashion-mnist, adult,
// credit-g, cifar10 and cifar100 into DIR/NAME/, or copies them from a local
// path (FetchOptions.From), verifying SHA-256 checksums (MD5 where the
// publisher gives nothing else; see fetchTable for the provenance of each
// value). scripts/fetch-data.sh obtains the same files on machines without
// general internet access (npm, Debian packages, the shared Adult copy).
//
// # Hand-written parts
//
// The IDX, CIFAR and ARFF readers are written here because the standard
// library has none and the formats are small; CSV parsing uses
// encoding/csv. Keeping to the standard library keeps the package free of
// dependencies that the trainer and the CLI would inherit.
package datasets
