package datasets

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IDX is a decoded IDX file (the format of MNIST and Fashion-MNIST): an
// unsigned-byte array with the given dimensions, row-major.
type IDX struct {
	Dims []int
	Data []byte
}

// idxTypeUbyte is the only IDX element type the package reads.
const idxTypeUbyte = 0x08

// maxIDXBytes bounds the element count a header may declare (4 GiB).
const maxIDXBytes = 1 << 32

// ReadIDX decodes an unsigned-byte IDX stream: magic 00 00 08 NDIMS, NDIMS
// big-endian uint32 sizes, then the data, with nothing after it. file names
// the input in errors.
func ReadIDX(r io.Reader, file string) (*IDX, error) {
	return readIDX(r, file, 0)
}

func readIDX(r io.Reader, file string, hint int64) (*IDX, error) {
	var magic [4]byte
	if n, err := io.ReadFull(r, magic[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, atOffset(file, -1, int64(n), "IDX header: %w after %d of 4 magic bytes", ErrTruncated, n)
		}
		return nil, atOffset(file, -1, int64(n), "IDX header: %w", err)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, atOffset(file, -1, 0, "%w IDX magic %02x %02x %02x %02x: must start with 00 00", ErrFormat, magic[0], magic[1], magic[2], magic[3])
	}
	if magic[2] != idxTypeUbyte {
		return nil, atOffset(file, -1, 2, "%w IDX element type 0x%02x: only 0x08 (unsigned byte) is supported", ErrFormat, magic[2])
	}
	ndims := int(magic[3])
	if ndims == 0 {
		return nil, atOffset(file, -1, 3, "%w IDX header: zero dimensions", ErrFormat)
	}
	hdr := make([]byte, 4*ndims)
	if n, err := io.ReadFull(r, hdr); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, atOffset(file, -1, 4+int64(n), "IDX header: %w: %d dimension sizes declared, file ends after %d bytes of them", ErrTruncated, ndims, n)
		}
		return nil, atOffset(file, -1, 4+int64(n), "IDX header: %w", err)
	}
	dims := make([]int, ndims)
	total := int64(1)
	for i := range dims {
		v := int64(binary.BigEndian.Uint32(hdr[4*i:]))
		dims[i] = int(v)
		if v != 0 && total > maxIDXBytes/v {
			return nil, atOffset(file, -1, 4+4*int64(i), "%w IDX header: dimensions %v... exceed %d elements", ErrFormat, dims[:i+1], int64(maxIDXBytes))
		}
		total *= v
	}
	dataStart := int64(4 + 4*ndims)
	data, err := readExactly(r, total, hint-dataStart)
	if err != nil {
		off := dataStart + int64(len(data))
		rec := -1
		if ndims > 0 && dims[0] > 0 {
			rec = int(int64(len(data)) / (total / int64(dims[0])))
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, atOffset(file, rec, off, "IDX data: %w: header declares %v = %d bytes of data, file ends after %d", ErrTruncated, dims, total, len(data))
		}
		return nil, atOffset(file, rec, off, "IDX data: %w", err)
	}
	if eof, err := expectEOF(r); err != nil {
		return nil, atOffset(file, -1, dataStart+total, "IDX: %w", err)
	} else if !eof {
		return nil, atOffset(file, -1, dataStart+total, "%w IDX: trailing data after the %v array declared in the header", ErrFormat, dims)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// LoadIDX reads an IDX file, raw or gzipped (detected by content).
func LoadIDX(path string) (*IDX, error) {
	c, err := openContent(path)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return readIDX(c, path, c.sizeHint())
}

// LoadIDXPair builds a dataset from an IDX image file (N×H×W) and an IDX
// label file (N) with labels in [0, classes). Pixels are scaled to [0, 1]
// (value/255); the shape is [1, H, W].
func LoadIDXPair(ctx context.Context, name, imagesPath, labelsPath string, classes int) (*Dataset, error) {
	images, err := LoadIDX(imagesPath)
	if err != nil {
		return nil, fmt.Errorf("%s images: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(images.Dims) != 3 {
		return nil, atOffset(imagesPath, -1, 3, "%w: image file has %d dimensions %v, want 3 (count, rows, columns)", ErrFormat, len(images.Dims), images.Dims)
	}
	labels, err := LoadIDX(labelsPath)
	if err != nil {
		return nil, fmt.Errorf("%s labels: %w", name, err)
	}
	if len(labels.Dims) != 1 {
		return nil, atOffset(labelsPath, -1, 3, "%w: label file has %d dimensions %v, want 1 (count)", ErrFormat, len(labels.Dims), labels.Dims)
	}
	n, h, w := images.Dims[0], images.Dims[1], images.Dims[2]
	if labels.Dims[0] != n {
		return nil, atOffset(labelsPath, -1, 4, "%w: %d labels for %d images in %s", ErrFormat, labels.Dims[0], n, imagesPath)
	}
	y := make([]int, n)
	for i, b := range labels.Data {
		if int(b) >= classes {
			return nil, atOffset(labelsPath, i, 8+int64(i), "%w: label %d outside [0, %d)", ErrFormat, b, classes)
		}
		y[i] = int(b)
	}
	var scale [256]float32
	for i := range scale {
		scale[i] = float32(i) / 255
	}
	x := make([]float32, len(images.Data))
	for i, b := range images.Data {
		x[i] = scale[b]
	}
	return &Dataset{Name: name, Shape: []int{1, h, w}, X: x, Y: y, Classes: classes}, nil
}

// idxSplitPrefix maps a split name to the file-name prefix of MNIST-style
// distributions.
func idxSplitPrefix(split string) (string, error) {
	switch split {
	case "", "train":
		return "train", nil
	case "test", "t10k":
		return "t10k", nil
	}
	return "", fmt.Errorf("split %q: want train or test", split)
}

// LoadMNIST loads the MNIST split ("train" or "test") from dir, which holds
// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte
// and t10k-labels-idx1-ubyte, each raw or with a .gz suffix. The dataset is
// named "mnist/<split>".
func LoadMNIST(ctx context.Context, dir, split string) (*Dataset, error) {
	return loadMNISTLike(ctx, "mnist", dir, split)
}

// LoadFashionMNIST is LoadMNIST for Fashion-MNIST (same file names and
// format), named "fashion-mnist/<split>".
func LoadFashionMNIST(ctx context.Context, dir, split string) (*Dataset, error) {
	return loadMNISTLike(ctx, "fashion-mnist", dir, split)
}

func loadMNISTLike(ctx context.Context, name, dir, split string) (*Dataset, error) {
	prefix, err := idxSplitPrefix(split)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	images, err := findFile(dir, prefix+"-images-idx3-ubyte")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	labels, err := findFile(dir, prefix+"-labels-idx1-ubyte")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	split = "train"
	if prefix == "t10k" {
		split = "test"
	}
	return LoadIDXPair(ctx, name+"/"+split, images, labels, 10)
}
