package datasets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LoadOptions carry the per-loader options Load passes on; each loader reads
// only its own part.
type LoadOptions struct {
	// Split selects "train" (default), "test" or "all" (train then test,
	// concatenated) for mnist, fashion-mnist, cifar10, cifar100 and adult
	// (adult.data, adult.test).
	Split string
	// Tabular applies to adult and credit-g.
	Tabular TabularOptions
	// CSV applies to csv.
	CSV CSVOptions
	// Purchase applies to purchase-synthetic.
	Purchase PurchaseConfig
	// TabularSynthetic applies to tabular-synthetic.
	TabularSynthetic TabularSyntheticConfig
}

// DatasetNames lists the names Load accepts, sorted.
func DatasetNames() []string {
	return []string{"adult", "cifar10", "cifar100", "credit-g", "csv", "fashion-mnist", "mnist", "purchase-synthetic", "tabular-synthetic"}
}

// Load dispatches on a dataset name (as in an experiment spec's dataset
// section) and validates the result. path is:
//
//   - mnist, fashion-mnist: the directory of IDX files (raw or .gz);
//   - cifar10, cifar100: the directory of .bin batches, or the directory
//     holding the extracted cifar-10-batches-bin / cifar-100-binary;
//   - adult: adult.data (or adult.test) or the directory holding them;
//   - credit-g: credit-g.arff or the directory holding it;
//   - csv: the CSV file;
//   - purchase-synthetic, tabular-synthetic: ignored (may be empty).
func Load(ctx context.Context, name, path string, opts LoadOptions) (*Dataset, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Split == "all" {
		switch name {
		case "mnist", "fashion-mnist", "cifar10", "cifar100", "adult":
			return loadAll(ctx, name, path, opts)
		}
	}
	var d *Dataset
	var err error
	switch name {
	case "mnist":
		d, err = LoadMNIST(ctx, path, opts.Split)
	case "fashion-mnist":
		d, err = LoadFashionMNIST(ctx, path, opts.Split)
	case "cifar10":
		d, err = LoadCIFAR10(ctx, path, opts.Split)
	case "cifar100":
		d, err = LoadCIFAR100(ctx, path, opts.Split)
	case "adult":
		base := "adult.data"
		switch opts.Split {
		case "", "train":
		case "test":
			base = "adult.test"
		default:
			return nil, fmt.Errorf("adult: split %q: want train or test", opts.Split)
		}
		var p string
		if p, err = fileIn(path, base); err == nil {
			d, err = LoadAdult(ctx, p, opts.Tabular)
		}
	case "credit-g":
		var p string
		if p, err = fileIn(path, "credit-g.arff"); err == nil {
			d, err = LoadCreditG(ctx, p, opts.Tabular)
		}
	case "csv":
		d, err = LoadCSV(ctx, path, opts.CSV)
	case "purchase-synthetic":
		d, err = Purchase(opts.Purchase)
	case "tabular-synthetic":
		d, err = TabularSynthetic(opts.TabularSynthetic)
	default:
		return nil, fmt.Errorf("dataset %q: unknown (known: %s)", name, strings.Join(DatasetNames(), ", "))
	}
	if err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%s: loaded dataset is inconsistent: %w", path, err)
	}
	return d, nil
}

// fileIn returns path itself when it is a file, else path/base (or
// path/base.gz).
func fileIn(path, base string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return path, nil
	}
	return findFile(filepath.Clean(path), base)
}

// loadAll loads the train and test splits and concatenates them. For adult
// with standardisation by TrainRows, the rows index the concatenation, so
// the statistics are fitted after concatenating.
func loadAll(ctx context.Context, name, path string, opts LoadOptions) (*Dataset, error) {
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%s: split all needs the directory holding both splits, not a file", path)
	}
	parts := make([]*Dataset, 2)
	for i, split := range []string{"train", "test"} {
		o := opts
		o.Split = split
		o.Tabular = TabularOptions{DropAttributes: opts.Tabular.DropAttributes}
		d, err := Load(ctx, name, path, o)
		if err != nil {
			return nil, err
		}
		parts[i] = d
	}
	d, err := Concat(name+"/all", parts...)
	if err != nil {
		return nil, err
	}
	if err := applyTabularOptions(d, opts.Tabular); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}
