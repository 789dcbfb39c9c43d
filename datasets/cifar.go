package datasets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CIFAR binary record layout: label byte(s) then 3×32×32 pixel bytes, the
// red plane, then green, then blue, each row-major (already C×H×W).
const (
	cifarPixels     = 3 * 32 * 32
	cifar10Record   = 1 + cifarPixels
	cifar100Record  = 2 + cifarPixels
	cifar10Classes  = 10
	cifar100Classes = 100
	cifar100Coarse  = 20
)

// cifar100CoarseNames are the 20 CIFAR-100 superclasses in label order (the
// dataset's coarse_label_names.txt).
var cifar100CoarseNames = [cifar100Coarse]string{
	"aquatic_mammals", "fish", "flowers", "food_containers",
	"fruit_and_vegetables", "household_electrical_devices",
	"household_furniture", "insects", "large_carnivores",
	"large_man-made_outdoor_things", "large_natural_outdoor_scenes",
	"large_omnivores_and_herbivores", "medium_mammals",
	"non-insect_invertebrates", "people", "reptiles", "small_mammals",
	"trees", "vehicles_1", "vehicles_2",
}

// cifarBatch accumulates records from one or more CIFAR binary batches.
type cifarBatch struct {
	coarse bool // CIFAR-100 layout (coarse byte, fine byte)
	x      []float32
	y      []int
	c      []int
}

// read appends the records of one batch stream; file names it in errors.
func (b *cifarBatch) read(ctx context.Context, r io.Reader, file string) error {
	recSize, classes := cifar10Record, cifar10Classes
	if b.coarse {
		recSize, classes = cifar100Record, cifar100Classes
	}
	var scale [256]float32
	for i := range scale {
		scale[i] = float32(i) / 255
	}
	rec := make([]byte, recSize)
	for k := 0; ; k++ {
		if k%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		off := int64(k) * int64(recSize)
		n, err := io.ReadFull(r, rec)
		if errors.Is(err, io.EOF) {
			if k == 0 {
				return atOffset(file, -1, 0, "%w: empty CIFAR batch", ErrTruncated)
			}
			return nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return atOffset(file, k, off+int64(n), "%w: record has %d of %d bytes", ErrTruncated, n, recSize)
		}
		if err != nil {
			return atOffset(file, k, off+int64(n), "%w", err)
		}
		label := int(rec[0])
		if b.coarse {
			coarse := int(rec[0])
			if coarse >= cifar100Coarse {
				return atOffset(file, k, off, "%w: coarse label %d outside [0, %d)", ErrFormat, coarse, cifar100Coarse)
			}
			b.c = append(b.c, coarse)
			label = int(rec[1])
		}
		if label >= classes {
			return atOffset(file, k, off+int64(recSize-cifarPixels-1), "%w: label %d outside [0, %d)", ErrFormat, label, classes)
		}
		b.y = append(b.y, label)
		for _, p := range rec[recSize-cifarPixels:] {
			b.x = append(b.x, scale[p])
		}
	}
}

func (b *cifarBatch) dataset(name string) *Dataset {
	d := &Dataset{Name: name, Shape: []int{3, 32, 32}, X: b.x, Y: b.y, Classes: cifar10Classes}
	if b.coarse {
		d.Classes = cifar100Classes
		d.Attrs = map[string]Attribute{
			"coarse_label": {Values: cifar100CoarseNames[:], Codes: b.c},
		}
	}
	return d
}

// ReadCIFAR10 decodes CIFAR-10 binary batch streams (records of 1 label byte
// + 3072 pixel bytes); each file name labels the matching reader in errors.
// Pixels are scaled to [0, 1]; the shape is [3, 32, 32].
func ReadCIFAR10(ctx context.Context, name string, files []string, readers []io.Reader) (*Dataset, error) {
	return readCIFAR(ctx, name, false, files, readers)
}

// ReadCIFAR100 decodes CIFAR-100 binary streams (coarse label byte, fine
// label byte, 3072 pixel bytes). Labels are the 100 fine classes; the coarse
// superclass is kept as the attribute "coarse_label".
func ReadCIFAR100(ctx context.Context, name string, files []string, readers []io.Reader) (*Dataset, error) {
	return readCIFAR(ctx, name, true, files, readers)
}

func readCIFAR(ctx context.Context, name string, coarse bool, files []string, readers []io.Reader) (*Dataset, error) {
	if len(files) != len(readers) {
		return nil, fmt.Errorf("%s: %d file names for %d readers", name, len(files), len(readers))
	}
	b := &cifarBatch{coarse: coarse}
	for i, r := range readers {
		if err := b.read(ctx, r, files[i]); err != nil {
			return nil, err
		}
	}
	return b.dataset(name), nil
}

// LoadCIFARFiles reads the given CIFAR batch files in order (raw or
// gzipped); coarse selects the CIFAR-100 layout.
func LoadCIFARFiles(ctx context.Context, name string, coarse bool, paths []string) (*Dataset, error) {
	b := &cifarBatch{coarse: coarse}
	for _, p := range paths {
		c, err := openContent(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		err = b.read(ctx, c, p)
		c.Close()
		if err != nil {
			return nil, err
		}
	}
	return b.dataset(name), nil
}

// cifarDir returns dir/sub when that directory exists (the layout of the
// extracted canonical archives), else dir itself.
func cifarDir(dir, sub string) string {
	if st, err := os.Stat(filepath.Join(dir, sub)); err == nil && st.IsDir() {
		return filepath.Join(dir, sub)
	}
	return dir
}

// LoadCIFAR10 loads a CIFAR-10 split from dir (or dir/cifar-10-batches-bin):
// "train" reads data_batch_1.bin … data_batch_5.bin, "test" test_batch.bin.
func LoadCIFAR10(ctx context.Context, dir, split string) (*Dataset, error) {
	dir = cifarDir(dir, "cifar-10-batches-bin")
	var bases []string
	switch split {
	case "", "train":
		split = "train"
		for i := 1; i <= 5; i++ {
			bases = append(bases, fmt.Sprintf("data_batch_%d.bin", i))
		}
	case "test":
		bases = []string{"test_batch.bin"}
	default:
		return nil, fmt.Errorf("cifar10: split %q: want train or test", split)
	}
	paths, err := findAll(dir, bases)
	if err != nil {
		return nil, fmt.Errorf("cifar10: %w", err)
	}
	return LoadCIFARFiles(ctx, "cifar10/"+split, false, paths)
}

// LoadCIFAR100 loads a CIFAR-100 split from dir (or dir/cifar-100-binary):
// "train" reads train.bin, "test" test.bin.
func LoadCIFAR100(ctx context.Context, dir, split string) (*Dataset, error) {
	dir = cifarDir(dir, "cifar-100-binary")
	switch split {
	case "", "train":
		split = "train"
	case "test":
	default:
		return nil, fmt.Errorf("cifar100: split %q: want train or test", split)
	}
	paths, err := findAll(dir, []string{split + ".bin"})
	if err != nil {
		return nil, fmt.Errorf("cifar100: %w", err)
	}
	return LoadCIFARFiles(ctx, "cifar100/"+split, true, paths)
}

func findAll(dir string, bases []string) ([]string, error) {
	paths := make([]string, len(bases))
	for i, b := range bases {
		p, err := findFile(dir, b)
		if err != nil {
			return nil, err
		}
		paths[i] = p
	}
	return paths, nil
}
