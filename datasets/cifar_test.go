package datasets

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cifarRecord builds one record: labels then 3072 pixels where pixel
// (c, r, k) = (seed + c*7 + r*3 + k) mod 256.
func cifarRecord(labels []byte, seed int) []byte {
	b := slices.Clone(labels)
	for c := range 3 {
		for r := range 32 {
			for k := range 32 {
				b = append(b, byte((seed+c*7+r*3+k)%256))
			}
		}
	}
	return b
}

func TestCIFAR10Dir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cifar-10-batches-bin")
	label := 0
	for i := 1; i <= 5; i++ {
		var b []byte
		for range 2 {
			b = append(b, cifarRecord([]byte{byte(label % 10)}, label)...)
			label++
		}
		name := filepath.Join(dir, "data_batch_"+string(rune('0'+i))+".bin")
		if i == 3 {
			b, name = gzipBytes(t, b), name+".gz"
		}
		writeFile(t, name, b)
	}
	writeFile(t, filepath.Join(dir, "test_batch.bin"), cifarRecord([]byte{9}, 100))
	ctx := context.Background()
	d, err := Load(ctx, "cifar10", filepath.Dir(dir), LoadOptions{Split: "train"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 10 || !slices.Equal(d.Shape, []int{3, 32, 32}) || d.Classes != 10 || d.Name != "cifar10/train" {
		t.Fatalf("got %d examples, shape %v, classes %d, name %q", d.Len(), d.Shape, d.Classes, d.Name)
	}
	if !slices.Equal(d.Y, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("labels %v", d.Y)
	}
	// Example 4, channel 2 (blue), row 5, column 6: (4 + 14 + 15 + 6) = 39.
	if got := d.Example(4)[2*1024+5*32+6]; got != 39.0/255 {
		t.Fatalf("pixel = %v, want 39/255", got)
	}
	test, err := LoadCIFAR10(ctx, dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if test.Len() != 1 || test.Y[0] != 9 || test.Example(0)[0] != 100.0/255 {
		t.Fatalf("test split %v %v", test.Y, test.Example(0)[0])
	}
}

func TestCIFAR100(t *testing.T) {
	dir := t.TempDir()
	b := append(cifarRecord([]byte{4, 99}, 0), cifarRecord([]byte{19, 0}, 1)...)
	writeFile(t, filepath.Join(dir, "cifar-100-binary", "train.bin"), b)
	d, err := LoadCIFAR100(context.Background(), dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Y, []int{99, 0}) || d.Classes != 100 {
		t.Fatalf("fine labels %v classes %d", d.Y, d.Classes)
	}
	c := d.Attrs["coarse_label"]
	if !slices.Equal(c.Codes, []int{4, 19}) || c.Values[4] != "fruit_and_vegetables" || c.Values[19] != "vehicles_2" {
		t.Fatalf("coarse attribute %v %v", c.Codes, c.Values)
	}
	if d.Example(1)[1] != 2.0/255 {
		t.Fatalf("pixel %v", d.Example(1)[1])
	}
}

func TestCIFARErrors(t *testing.T) {
	ctx := context.Background()
	rec10 := cifarRecord([]byte{1}, 0)
	rec100 := cifarRecord([]byte{1, 2}, 0)
	tests := []struct {
		name   string
		coarse bool
		in     []byte
		kind   error
		record int
		offset int64
		msg    string
	}{
		{"empty", false, nil, ErrTruncated, -1, 0, "empty CIFAR batch"},
		{"truncated second record", false, append(slices.Clone(rec10), rec10[:100]...), ErrTruncated, 1, 3073 + 100, "record has 100 of 3073 bytes"},
		{"label 10", false, append(slices.Clone(rec10), cifarRecord([]byte{10}, 0)...), ErrFormat, 1, 3073, "label 10 outside [0, 10)"},
		{"fine 100", true, cifarRecord([]byte{3, 100}, 0), ErrFormat, 0, 1, "label 100 outside [0, 100)"},
		{"coarse 20", true, append(slices.Clone(rec100), cifarRecord([]byte{20, 0}, 0)...), ErrFormat, 1, 3074, "coarse label 20"},
		{"cifar10 file read as cifar100", true, append(slices.Clone(rec10), rec10...), ErrTruncated, 1, 3074 + 3072, "record has 3072 of 3074"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.coarse {
				_, err = ReadCIFAR100(ctx, "c", []string{"b.bin"}, []io.Reader{bytes.NewReader(tc.in)})
			} else {
				_, err = ReadCIFAR10(ctx, "c", []string{"b.bin"}, []io.Reader{bytes.NewReader(tc.in)})
			}
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want %v containing %q", err, tc.kind, tc.msg)
			}
			pe := asParseError(t, err)
			if pe.File != "b.bin" || pe.Record != tc.record || pe.Offset != tc.offset {
				t.Fatalf("position %q record %d offset %d, want b.bin %d %d", pe.File, pe.Record, pe.Offset, tc.record, tc.offset)
			}
		})
	}
	if _, err := LoadCIFAR10(ctx, t.TempDir(), "train"); err == nil || !strings.Contains(err.Error(), "data_batch_1.bin") {
		t.Fatalf("missing batch error = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ReadCIFAR10(cancelled, "c", []string{"b"}, []io.Reader{bytes.NewReader(rec10)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}
