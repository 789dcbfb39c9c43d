package npy

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestHandBuiltBytes compares the writer's output with a layout built by
// hand from the format description: magic, version 1.0, header length 118
// (little-endian; the 57-byte dict does not fit in 64-10 bytes, so the data
// starts at byte 128), the dict, 60 spaces and '\n', then the data.
func TestHandBuiltBytes(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFloat32(&buf, []int{2}, []float32{1, -2}); err != nil {
		t.Fatal(err)
	}
	dict := "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
	want := []byte("\x93NUMPY\x01\x00")
	want = append(want, 118, 0) // 10 + 118 = 128
	want = append(want, dict...)
	want = append(want, bytes.Repeat([]byte{' '}, 60)...)
	want = append(want, '\n')
	want = append(want, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0)
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("got  %q\nwant %q", buf.Bytes(), want)
	}
	v, shape, err := ReadFloat32(bytes.NewReader(want))
	if err != nil || !reflect.DeepEqual(v, []float32{1, -2}) || !reflect.DeepEqual(shape, []int{2}) {
		t.Fatalf("read back %v %v %v", v, shape, err)
	}
}

func TestRoundTrip(t *testing.T) {
	f32 := make([]float32, 2*3*4)
	for i := range f32 {
		f32[i] = float32(i) - 0.5
	}
	var b bytes.Buffer
	// Stream a 3-D array one "model" (row of 3×4) at a time.
	w, err := NewWriter(&b, Float32, []int{2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	for m := 0; m < 2; m++ {
		if err := w.Float32(f32[m*12 : (m+1)*12]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if (bytes.IndexByte(b.Bytes(), '\n')+1)%64 != 0 {
		t.Errorf("data does not start at a multiple of 64")
	}
	got, shape, err := ReadFloat32(bytes.NewReader(b.Bytes()))
	if err != nil || !reflect.DeepEqual(got, f32) || !reflect.DeepEqual(shape, []int{2, 3, 4}) {
		t.Errorf("f32: %v %v %v", got, shape, err)
	}

	cases := []struct {
		name  string
		write func(*bytes.Buffer) error
		read  func(*bytes.Buffer) (any, []int, error)
		want  any
		shape []int
	}{
		{"f64", func(b *bytes.Buffer) error { return WriteFloat64(b, []int{3}, []float64{math.Pi, math.Inf(-1), 0}) },
			func(b *bytes.Buffer) (any, []int, error) { return ReadFloat64(b) }, []float64{math.Pi, math.Inf(-1), 0}, []int{3}},
		{"bool", func(b *bytes.Buffer) error { return WriteBool(b, []int{2, 2}, []bool{true, false, false, true}) },
			func(b *bytes.Buffer) (any, []int, error) { return ReadBool(b) }, []bool{true, false, false, true}, []int{2, 2}},
		{"i64", func(b *bytes.Buffer) error { return WriteInt64(b, []int{2}, []int64{math.MinInt64, 7}) },
			func(b *bytes.Buffer) (any, []int, error) { return ReadInt64(b) }, []int64{math.MinInt64, 7}, []int{2}},
		{"i32", func(b *bytes.Buffer) error { return WriteInt32(b, []int{1, 1, 2}, []int32{-5, math.MaxInt32}) },
			func(b *bytes.Buffer) (any, []int, error) { return ReadInt32(b) }, []int32{-5, math.MaxInt32}, []int{1, 1, 2}},
		{"u8", func(b *bytes.Buffer) error { return WriteUint8(b, []int{2}, []uint8{0, 255}) },
			func(b *bytes.Buffer) (any, []int, error) { return ReadUint8(b) }, []uint8{0, 255}, []int{2}},
		{"scalar", func(b *bytes.Buffer) error { return WriteFloat32(b, []int{}, []float32{3}) },
			func(b *bytes.Buffer) (any, []int, error) { return ReadFloat32(b) }, []float32{3}, []int{}},
		{"empty", func(b *bytes.Buffer) error { return WriteFloat32(b, []int{0, 3}, nil) },
			func(b *bytes.Buffer) (any, []int, error) { return ReadFloat32(b) }, []float32{}, []int{0, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			got, shape, err := tc.read(&b)
			if err != nil || !reflect.DeepEqual(got, tc.want) || !reflect.DeepEqual(shape, tc.shape) {
				t.Errorf("got %v %v %v, want %v %v", got, shape, err, tc.want, tc.shape)
			}
		})
	}
}

func TestWriterErrors(t *testing.T) {
	var b bytes.Buffer
	if err := WriteFloat32(&b, []int{2, 2}, make([]float32, 3)); err == nil || !strings.Contains(err.Error(), "holds 4 elements, got 3") {
		t.Errorf("shape mismatch: %v", err)
	}
	w, _ := NewWriter(&b, Float32, []int{2})
	if err := w.Float64([]float64{1}); !errors.Is(err, ErrDType) {
		t.Errorf("dtype mismatch: %v", err)
	}
	if err := w.Float32([]float32{1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "1 of 2 elements") {
		t.Errorf("short close: %v", err)
	}
	if err := w.Float32([]float32{1, 2}); err == nil {
		t.Error("overfull write accepted")
	}
	if _, err := NewWriter(&b, "c16", []int{1}); err == nil {
		t.Error("unsupported dtype accepted")
	}
}

func header(dict string) []byte {
	b := []byte("\x93NUMPY\x01\x00")
	b = append(b, byte(len(dict)), byte(len(dict)>>8))
	return append(b, dict...)
}

func TestReadRejects(t *testing.T) {
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"short", []byte("\x93NUM"), "preamble at byte 0"},
		{"magic", []byte("\x93NUMPZ\x01\x00\x00\x00"), "bad magic"},
		{"version", []byte("\x93NUMPY\x09\x00\x00\x00"), "version 9.0"},
		{"header short", append([]byte("\x93NUMPY\x01\x00\x50\x00"), "{}"...), "header of 80 bytes at byte 10"},
		{"not dict", header("['descr']\n"), "expected '{'"},
		{"missing key", header("{'descr': '<f4', 'shape': (1,), }\n"), `missing key "fortran_order"`},
		{"extra key", header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}\n"), `unexpected key "x"`},
		{"repeat key", header("{'descr': '<f4', 'descr': '<f4'}\n"), "repeated"},
		{"dtype", header("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n"), "unsupported dtype"},
		{"object", header("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n"), "unsupported"},
		{"fortran", header("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n"), "fortran_order: True"},
		{"neg shape", header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n"), "non-negative integer"},
		{"overflow", header("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }\n"), "overflows"},
		{"truncated data", append(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }\n"), 1, 2, 3), "data ends at byte 80, shape [1000000000] of f4 needs 4000000000 bytes from byte 77"},
		{"trailing", append(header("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }\n"), 1, 2), "unexpected data after the array"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if strings.Contains(tc.name, "trailing") {
				_, _, err = ReadUint8(bytes.NewReader(tc.raw))
			} else {
				_, _, err = ReadFloat32(bytes.NewReader(tc.raw))
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrFormat containing %q", err, tc.want)
			}
		})
	}
	raw := append(header("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }\n"), 1, 2)
	if _, _, err := ReadBool(bytes.NewReader(raw)); err == nil || !strings.Contains(err.Error(), "bool element 1") {
		t.Errorf("bad bool byte: %v", err)
	}
	if _, _, err := ReadInt64(bytes.NewReader(raw)); !errors.Is(err, ErrDType) {
		t.Errorf("wrong dtype: %v", err)
	}
}

// numpyPython returns /usr/bin/python3 when it can import numpy.
func numpyPython(t *testing.T) string {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		t.Skipf("%s with numpy not available: %v", py, err)
	}
	return py
}

// TestNumpyLoadsOurFiles writes every dtype and has numpy.load them.
func TestNumpyLoadsOurFiles(t *testing.T) {
	py := numpyPython(t)
	dir := t.TempDir()
	write := func(name string, f func(*os.File) error) {
		fh, err := os.Create(filepath.Join(dir, name+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f(fh); err != nil {
			t.Fatal(err)
		}
		fh.Close()
	}
	write("scores", func(f *os.File) error {
		return WriteFloat32(f, []int{2, 3, 2}, []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -11.5})
	})
	write("keep", func(f *os.File) error {
		return WriteBool(f, []int{2, 3}, []bool{true, false, true, false, false, true})
	})
	write("f64", func(f *os.File) error { return WriteFloat64(f, []int{2}, []float64{0.1, -1e300}) })
	write("labels", func(f *os.File) error { return WriteInt64(f, []int{3}, []int64{3, -1, 1 << 40}) })
	write("i32", func(f *os.File) error { return WriteInt32(f, []int{1, 2}, []int32{-7, 8}) })
	write("u8", func(f *os.File) error { return WriteUint8(f, []int{2}, []uint8{9, 250}) })
	write("scalar", func(f *os.File) error { return WriteFloat64(f, []int{}, []float64{2.5}) })
	script := `
import json, sys, glob, os, numpy as np
out = {}
for p in sorted(glob.glob(os.path.join(sys.argv[1], "*.npy"))):
    a = np.load(p, allow_pickle=False)
    out[os.path.basename(p)[:-4]] = [a.dtype.str, list(a.shape), a.ravel().tolist(), bool(a.flags.c_contiguous)]
print(json.dumps(out))
`
	outb, err := exec.Command(py, "-c", script, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy: %v\n%s", err, outb)
	}
	var got map[string][]any
	if err := json.Unmarshal(outb, &got); err != nil {
		t.Fatalf("%v: %s", err, outb)
	}
	want := map[string][]any{
		"scores": {"<f4", []any{2.0, 3.0, 2.0}, []any{0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, -11.5}, true},
		"keep":   {"|b1", []any{2.0, 3.0}, []any{true, false, true, false, false, true}, true},
		"f64":    {"<f8", []any{2.0}, []any{0.1, -1e300}, true},
		"labels": {"<i8", []any{3.0}, []any{3.0, -1.0, float64(1 << 40)}, true},
		"i32":    {"<i4", []any{1.0, 2.0}, []any{-7.0, 8.0}, true},
		"u8":     {"|u1", []any{2.0}, []any{9.0, 250.0}, true},
		"scalar": {"<f8", []any{}, []any{2.5}, true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("numpy saw\n%v\nwant\n%v", got, want)
	}
}

// TestReadNumpyFiles reads files numpy.save wrote, including big-endian
// data and format version 2.0.
func TestReadNumpyFiles(t *testing.T) {
	py := numpyPython(t)
	dir := t.TempDir()
	script := `
import sys, os, numpy as np
d = sys.argv[1]
np.save(os.path.join(d, "f32.npy"), np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 4)
np.save(os.path.join(d, "bool.npy"), np.array([[True, False], [False, True]]))
np.save(os.path.join(d, "i64.npy"), np.array([-3, 2**40], dtype=np.int64))
np.save(os.path.join(d, "i32.npy"), np.array([7, -8], dtype=np.int32))
np.save(os.path.join(d, "be.npy"), np.array([1.5, -2.0], dtype=">f8"))
with open(os.path.join(d, "v2.npy"), "wb") as f:
    np.lib.format.write_array(f, np.array([1, 2, 3], dtype=np.uint8), version=(2, 0))
`
	if out, err := exec.Command(py, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	open := func(name string) *os.File {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	f32, shape, err := ReadFloat32(open("f32.npy"))
	if err != nil || !reflect.DeepEqual(shape, []int{2, 3, 4}) || f32[23] != 5.75 || f32[1] != 0.25 {
		t.Errorf("f32: %v %v %v", f32, shape, err)
	}
	bl, shape, err := ReadBool(open("bool.npy"))
	if err != nil || !reflect.DeepEqual(bl, []bool{true, false, false, true}) || !reflect.DeepEqual(shape, []int{2, 2}) {
		t.Errorf("bool: %v %v %v", bl, shape, err)
	}
	i64, _, err := ReadInt64(open("i64.npy"))
	if err != nil || !reflect.DeepEqual(i64, []int64{-3, 1 << 40}) {
		t.Errorf("i64: %v %v", i64, err)
	}
	i32, _, err := ReadInt32(open("i32.npy"))
	if err != nil || !reflect.DeepEqual(i32, []int32{7, -8}) {
		t.Errorf("i32: %v %v", i32, err)
	}
	be, _, err := ReadFloat64(open("be.npy"))
	if err != nil || !reflect.DeepEqual(be, []float64{1.5, -2}) {
		t.Errorf("big-endian: %v %v", be, err)
	}
	u8, _, err := ReadUint8(open("v2.npy"))
	if err != nil || !reflect.DeepEqual(u8, []uint8{1, 2, 3}) {
		t.Errorf("v2: %v %v", u8, err)
	}
}

func FuzzRead(f *testing.F) {
	var b bytes.Buffer
	_ = WriteFloat32(&b, []int{2, 1}, []float32{1, 2})
	f.Add(b.Bytes())
	b.Reset()
	_ = WriteBool(&b, []int{3}, []bool{true, false, true})
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		switch r.DType {
		case Float32:
			_, err = r.Float32()
		case Float64:
			_, err = r.Float64()
		case Bool:
			_, err = r.Bool()
		case Int64:
			_, err = r.Int64()
		case Int32:
			_, err = r.Int32()
		case Uint8:
			_, err = r.Uint8()
		}
		if err == nil && int64(len(data)) < r.offset {
			t.Fatalf("read %d bytes from a %d-byte input", r.offset, len(data))
		}
	})
}

func TestEncodedSize(t *testing.T) {
	for _, shape := range [][]int{{}, {0}, {3}, {2, 3, 4}, {1000, 1000}} {
		n, _ := numElements(shape)
		var b bytes.Buffer
		if err := WriteFloat64(&b, shape, make([]float64, n)); err != nil {
			t.Fatal(err)
		}
		if got, err := EncodedSize(Float64, shape); err != nil || got != int64(b.Len()) {
			t.Errorf("EncodedSize(%v) = %d, %v; wrote %d", shape, got, err, b.Len())
		}
	}
}
