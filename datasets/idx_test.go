package datasets

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// idxBytes encodes an unsigned-byte IDX file.
func idxBytes(dims []int, data []byte) []byte {
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, data...)
}

func TestReadIDX(t *testing.T) {
	m, err := ReadIDX(bytes.NewReader(idxBytes([]int{2, 3}, []byte{1, 2, 3, 4, 5, 6})), "x")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Dims, []int{2, 3}) || !slices.Equal(m.Data, []byte{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("ReadIDX = %v %v", m.Dims, m.Data)
	}
}

func TestReadIDXErrors(t *testing.T) {
	valid := idxBytes([]int{3, 2}, []byte{1, 2, 3, 4, 5, 6})
	tests := []struct {
		name   string
		in     []byte
		kind   error
		offset int64
		record int
		msg    string
	}{
		{"empty", nil, ErrTruncated, 0, -1, "after 0 of 4 magic bytes"},
		{"short magic", []byte{0, 0}, ErrTruncated, 2, -1, "after 2 of 4"},
		{"bad magic", []byte{1, 0, 8, 1, 0, 0, 0, 0}, ErrFormat, 0, -1, "must start with 00 00"},
		{"float type", []byte{0, 0, 0x0d, 1, 0, 0, 0, 0}, ErrFormat, 2, -1, "element type 0x0d"},
		{"zero dims", []byte{0, 0, 8, 0}, ErrFormat, 3, -1, "zero dimensions"},
		{"short dims", []byte{0, 0, 8, 2, 0, 0, 0, 3, 0}, ErrTruncated, 9, -1, "2 dimension sizes declared"},
		{"short data", valid[:len(valid)-3], ErrTruncated, 15, 1, "file ends after 3"},
		{"trailing", append(slices.Clone(valid), 9), ErrFormat, 18, -1, "trailing data"},
		{"huge", idxBytes([]int{1 << 16, 1 << 16, 1 << 16}, []byte{1}), ErrFormat, 12, -1, "exceed"},
		{"large but truncated", idxBytes([]int{1 << 30, 4}, []byte{1, 2, 3, 4, 5}), ErrTruncated, 17, 1, "file ends after 5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadIDX(bytes.NewReader(tc.in), "f.idx")
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, tc.kind) {
				t.Fatalf("error %v is not %v", err, tc.kind)
			}
			pe := asParseError(t, err)
			if pe.File != "f.idx" || pe.Offset != tc.offset || pe.Record != tc.record {
				t.Fatalf("position file=%q offset=%d record=%d, want f.idx %d %d (%v)", pe.File, pe.Offset, pe.Record, tc.offset, tc.record, err)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "f.idx") {
				t.Fatalf("error %q lacks %q", err, tc.msg)
			}
		})
	}
}

// writeMNISTDir writes a small MNIST-style split (2 images of 2×3).
func writeMNISTDir(t *testing.T, dir string, gz bool) {
	images := idxBytes([]int{2, 2, 3}, []byte{0, 255, 51, 102, 0, 0, 255, 255, 255, 0, 0, 1})
	labels := idxBytes([]int{2}, []byte{7, 3})
	suffix := ""
	if gz {
		images, labels, suffix = gzipBytes(t, images), gzipBytes(t, labels), ".gz"
	}
	writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte"+suffix), images)
	writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"+suffix), labels)
}

func TestLoadMNISTSmall(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		writeMNISTDir(t, dir, gz)
		d, err := LoadMNIST(context.Background(), dir, "train")
		if err != nil {
			t.Fatalf("gz=%v: %v", gz, err)
		}
		want := []float32{0, 1, 0.2, 0.4, 0, 0, 1, 1, 1, 0, 0, 1.0 / 255}
		if d.Name != "mnist/train" || !slices.Equal(d.Shape, []int{1, 2, 3}) || !slices.Equal(d.Y, []int{7, 3}) || !slices.Equal(d.X, want) || d.Classes != 10 {
			t.Fatalf("gz=%v: got %+v", gz, d)
		}
	}
	if _, err := LoadMNIST(context.Background(), t.TempDir(), "test"); err == nil || !strings.Contains(err.Error(), "t10k-images-idx3-ubyte.gz") {
		t.Fatalf("missing files error = %v", err)
	}
	if _, err := LoadMNIST(context.Background(), t.TempDir(), "validation"); err == nil {
		t.Fatal("unknown split accepted")
	}
}

func TestLoadIDXPairErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	img := writeFile(t, filepath.Join(dir, "img"), idxBytes([]int{2, 1, 1}, []byte{0, 0}))
	tests := []struct {
		name      string
		images    string
		labels    []byte
		file, msg string
		record    int
	}{
		{"count mismatch", img, idxBytes([]int{3}, []byte{0, 0, 0}), "lab", "3 labels for 2 images", -1},
		{"label range", img, idxBytes([]int{2}, []byte{0, 10}), "lab", "label 10 outside [0, 10)", 1},
		{"labels 2d", img, idxBytes([]int{2, 1}, []byte{0, 0}), "lab", "want 1 (count)", -1},
		{"images 2d", writeFile(t, filepath.Join(dir, "img2"), idxBytes([]int{2, 1}, []byte{0, 0})), idxBytes([]int{2}, []byte{0, 0}), "img2", "want 3", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lab := writeFile(t, filepath.Join(dir, "lab"), tc.labels)
			_, err := LoadIDXPair(ctx, "m", tc.images, lab, 10)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error = %v, want %q", err, tc.msg)
			}
			pe := asParseError(t, err)
			if filepath.Base(pe.File) != tc.file || pe.Record != tc.record {
				t.Fatalf("position %q record %d, want %q %d", pe.File, pe.Record, tc.file, tc.record)
			}
		})
	}
	// A corrupt gzip stream is an error naming the file.
	bad := gzipBytes(t, idxBytes([]int{2}, []byte{0, 0}))
	bad = bad[:len(bad)-6]
	lab := writeFile(t, filepath.Join(dir, "badgz"), bad)
	if _, err := LoadIDXPair(ctx, "m", img, lab, 10); err == nil || !strings.Contains(err.Error(), "badgz") {
		t.Fatalf("truncated gzip error = %v", err)
	}
}

func TestRealMNIST(t *testing.T) {
	dir := requireData(t, "mnist")
	ctx := context.Background()
	tests := []struct {
		split  string
		n      int
		counts []int
		first  int
	}{
		{"train", 60000, []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, 5},
		{"test", 10000, []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, 7},
	}
	for _, tc := range tests {
		d, err := LoadMNIST(ctx, dir, tc.split)
		if err != nil {
			t.Fatal(err)
		}
		checkImages(t, d, tc.n, []int{1, 28, 28}, tc.counts)
		if d.Y[0] != tc.first {
			t.Errorf("%s: first label %d, want %d", tc.split, d.Y[0], tc.first)
		}
	}
}

func TestRealFashionMNIST(t *testing.T) {
	dir := requireData(t, "fashion-mnist")
	ctx := context.Background()
	for _, tc := range []struct {
		split string
		n     int
	}{{"train", 60000}, {"test", 10000}} {
		d, err := LoadFashionMNIST(ctx, dir, tc.split)
		if err != nil {
			t.Fatal(err)
		}
		counts := make([]int, 10)
		for i := range counts {
			counts[i] = tc.n / 10
		}
		checkImages(t, d, tc.n, []int{1, 28, 28}, counts)
		if d.Name != "fashion-mnist/"+tc.split {
			t.Errorf("name %q", d.Name)
		}
	}
}

func checkImages(t *testing.T, d *Dataset, n int, shape, counts []int) {
	t.Helper()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Len() != n || !slices.Equal(d.Shape, shape) {
		t.Fatalf("%s: %d examples of shape %v, want %d of %v", d.Name, d.Len(), d.Shape, n, shape)
	}
	if got := d.ClassCounts(); !slices.Equal(got, counts) {
		t.Errorf("%s: class counts %v, want %v", d.Name, got, counts)
	}
	lo, hi := slices.Min(d.X), slices.Max(d.X)
	if lo != 0 || hi != 1 {
		t.Errorf("%s: pixel range [%v, %v], want [0, 1]", d.Name, lo, hi)
	}
}

func BenchmarkLoadMNIST(b *testing.B) {
	dir := requireData(b, "mnist")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		d, err := LoadMNIST(ctx, dir, "train")
		if err != nil {
			b.Fatal(err)
		}
		if d.Len() != 60000 {
			b.Fatalf("%d examples", d.Len())
		}
	}
}

func BenchmarkLoadFashionMNISTGzip(b *testing.B) {
	dir := requireData(b, "fashion-mnist")
	ctx := context.Background()
	for b.Loop() {
		if _, err := LoadFashionMNIST(ctx, dir, "train"); err != nil {
			b.Fatal(err)
		}
	}
}
