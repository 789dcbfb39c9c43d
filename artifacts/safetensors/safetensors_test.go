package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fixture builds a file from a literal header (padded by the caller) and
// data, the way a third-party writer would.
func fixture(header string, data []byte) []byte {
	var b bytes.Buffer
	var l [8]byte
	binary.LittleEndian.PutUint64(l[:], uint64(len(header)))
	b.Write(l[:])
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

// TestWriterMatchesHandBuiltBytes checks the exact bytes of a small file
// against a hand-written layout: header length 56 (54 bytes of JSON plus two
// spaces of padding), then 1.0f and -2.0f little-endian.
func TestWriterMatchesHandBuiltBytes(t *testing.T) {
	var w Writer
	if err := w.AddF32("a", []int{2}, []float32{1, -2}); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	n, err := w.WriteTo(&got)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{56, 0, 0, 0, 0, 0, 0, 0}
	want = append(want, []byte(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  `)...)
	want = append(want, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0)
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("bytes differ:\n got %q\nwant %q", got.Bytes(), want)
	}
	if n != int64(len(want)) {
		t.Errorf("WriteTo returned %d, want %d", n, len(want))
	}
	if sz, _ := w.Size(); sz != int64(len(want)) {
		t.Errorf("Size() = %d, want %d", sz, len(want))
	}
}

// TestReadHandBuiltFixture decodes bytes laid out by hand the way the Python
// reference writes them (metadata first, 8-byte dtypes before 4-byte ones).
func TestReadHandBuiltFixture(t *testing.T) {
	hdr := `{"__metadata__":{"format":"pt"},"step":{"dtype":"I64","shape":[],"data_offsets":[0,8]},` +
		`"w":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]},"m":{"dtype":"BOOL","shape":[3],"data_offsets":[16,19]}}`
	for len(hdr)%8 != 0 {
		hdr += " "
	}
	data := []byte{
		7, 0, 0, 0, 0, 0, 0, 0, // step = 7
		0x00, 0x00, 0xc0, 0x3f, // 1.5
		0x00, 0x00, 0x20, 0xc1, // -10
		1, 0, 1, // true false true
	}
	raw := fixture(hdr, data)
	for _, how := range []string{"Decode", "Read"} {
		t.Run(how, func(t *testing.T) {
			var f *File
			var err error
			if how == "Decode" {
				f, err = Decode(raw)
			} else {
				f, err = Read(bytes.NewReader(raw))
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Metadata["format"] != "pt" || len(f.Metadata) != 1 {
				t.Errorf("metadata = %v", f.Metadata)
			}
			if got := f.Names(); !reflect.DeepEqual(got, []string{"step", "w", "m"}) {
				t.Errorf("names = %v", got)
			}
			step, shape, err := f.I64("step")
			if err != nil || !reflect.DeepEqual(step, []int64{7}) || len(shape) != 0 {
				t.Errorf("step = %v %v %v", step, shape, err)
			}
			w, shape, err := f.F32("w")
			if err != nil || !reflect.DeepEqual(w, []float32{1.5, -10}) || !reflect.DeepEqual(shape, []int{1, 2}) {
				t.Errorf("w = %v %v %v", w, shape, err)
			}
			m, _, err := f.Bool("m")
			if err != nil || !reflect.DeepEqual(m, []bool{true, false, true}) {
				t.Errorf("m = %v %v", m, err)
			}
			if _, _, err := f.F64("w"); !errors.Is(err, ErrDType) {
				t.Errorf("F64 on F32 tensor: err = %v, want ErrDType", err)
			}
			if _, _, err := f.F32("nope"); !errors.Is(err, ErrNotFound) {
				t.Errorf("missing tensor: err = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestRoundTripAllTypes(t *testing.T) {
	w := Writer{Metadata: map[string]string{"epoch": "3", "spec": "abc"}}
	f32 := []float32{0, 1, -1, float32(math.Inf(1)), math.MaxFloat32, math.SmallestNonzeroFloat32}
	f64 := []float64{math.Pi, -0.5, math.NaN()}
	i64 := []int64{math.MinInt64, -1, 0, math.MaxInt64}
	i32 := []int32{math.MinInt32, 5, math.MaxInt32, 0}
	u64 := []uint64{math.MaxUint64, 1}
	u8 := []uint8{0, 255, 128}
	bl := []bool{true, false, false, true}
	big := make([]float32, 100_000) // spans several 64 KiB write chunks
	for i := range big {
		big[i] = float32(i) * 0.25
	}
	for _, err := range []error{
		w.AddF32("layer.0.weight", []int{2, 3}, f32),
		w.AddF64("f64", []int{3}, f64),
		w.AddI64("i64", []int{2, 2}, i64),
		w.AddI32("i32", []int{4, 1}, i32),
		w.AddU64("rng", []int{2}, u64),
		w.AddU8("u8", []int{3}, u8),
		w.AddBool("mask", []int{2, 2}, bl),
		w.AddF32("big", []int{100, 1000}, big),
		w.AddF32("empty", []int{0, 5}, nil),
		w.Add("half", F16, []int{2}, []byte{0x00, 0x3c, 0x00, 0xc0}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if hl := binary.LittleEndian.Uint64(buf.Bytes()); hl%8 != 0 {
		t.Errorf("header length %d is not 8-byte aligned", hl)
	}
	f, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Metadata, w.Metadata) {
		t.Errorf("metadata = %v", f.Metadata)
	}
	check := func(name string, got, want any, shape, wantShape []int, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(shape, wantShape) {
			t.Errorf("%s = %v %v, want %v %v", name, got, shape, want, wantShape)
		}
	}
	g32, s, err := f.F32("layer.0.weight")
	check("f32", g32, f32, s, []int{2, 3}, err)
	g64, s, err := f.F64("f64")
	if err != nil || g64[0] != math.Pi || g64[1] != -0.5 || !math.IsNaN(g64[2]) || !reflect.DeepEqual(s, []int{3}) {
		t.Errorf("f64 = %v %v %v", g64, s, err)
	}
	gi64, s, err := f.I64("i64")
	check("i64", gi64, i64, s, []int{2, 2}, err)
	gi32, s, err := f.I32("i32")
	check("i32", gi32, i32, s, []int{4, 1}, err)
	gu64, s, err := f.U64("rng")
	check("u64", gu64, u64, s, []int{2}, err)
	gu8, s, err := f.U8("u8")
	check("u8", gu8, u8, s, []int{3}, err)
	gb, s, err := f.Bool("mask")
	check("bool", gb, bl, s, []int{2, 2}, err)
	gbig, s, err := f.F32("big")
	check("big", gbig, big, s, []int{100, 1000}, err)
	ge, s, err := f.F32("empty")
	check("empty", ge, []float32{}, s, []int{0, 5}, err)
	h, err := f.Tensor("half")
	if err != nil || h.DType != F16 || !bytes.Equal(h.Data, []byte{0x00, 0x3c, 0x00, 0xc0}) {
		t.Errorf("half = %+v %v", h, err)
	}
	// Data order: 8-byte types first, then by name.
	if got, want := f.Names(), []string{"f64", "i64", "rng", "big", "empty", "i32", "layer.0.weight", "half", "mask", "u8"}; !reflect.DeepEqual(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
	// Read (streaming) gives the same result.
	f2, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	g2, _, _ := f2.F32("big")
	if !reflect.DeepEqual(g2, big) {
		t.Error("Read and Decode disagree on big")
	}
}

func TestWriterRejects(t *testing.T) {
	tests := []struct {
		name string
		add  func(w *Writer) error
		want string
	}{
		{"shape mismatch", func(w *Writer) error { return w.AddF32("x", []int{2, 2}, make([]float32, 3)) }, `tensor "x": shape [2 2] holds 4 elements, got 3`},
		{"negative dim", func(w *Writer) error { return w.AddF32("x", []int{-1}, nil) }, "negative"},
		{"reserved", func(w *Writer) error { return w.AddF32("__metadata__", []int{0}, nil) }, "reserved"},
		{"unknown dtype", func(w *Writer) error { return w.Add("x", "F8", []int{1}, []byte{1}) }, "unknown dtype"},
		{"raw size", func(w *Writer) error { return w.Add("x", F32, []int{1}, []byte{1, 2, 3}) }, "not a multiple"},
		{"duplicate", func(w *Writer) error {
			_ = w.AddU8("x", []int{1}, []byte{1})
			return w.AddU8("x", []int{1}, []byte{1})
		}, "added twice"},
		{"overflow", func(w *Writer) error { return w.AddF32("x", []int{1 << 40, 1 << 40}, nil) }, "overflows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var w Writer
			err := tc.add(&w)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	pad := func(h string) string {
		for len(h)%8 != 0 {
			h += " "
		}
		return h
	}
	ok := `"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"short", []byte{1, 2, 3}, "shorter than the 8-byte"},
		{"huge header", append([]byte{0, 0, 0, 0, 1, 0, 0, 0}, make([]byte, 16)...), "exceeds the 100000000-byte limit"},
		{"header past end", []byte{200, 0, 0, 0, 0, 0, 0, 0, '{', '}'}, "header claims 200 bytes"},
		{"not json", fixture("nonsense", nil), "header: byte 8"},
		{"array", fixture(pad("[1,2]"), nil), "expected a JSON object"},
		{"bad dtype", fixture(pad(`{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}}`), []byte{0}), `tensor "a" at byte 13: unknown dtype "Q7"`},
		{"unknown field", fixture(pad(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}`), []byte{0}), `tensor "a"`},
		{"three offsets", fixture(pad(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}`), []byte{0}), "data_offsets must be [begin, end]"},
		{"no shape", fixture(pad(`{"a":{"dtype":"U8","data_offsets":[0,1]}}`), []byte{0}), "missing shape"},
		{"size mismatch", fixture(pad(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`), make([]byte, 8)), `tensor "a" (file byte 64): shape [3] of F32 needs 12 bytes but data_offsets [0,8] span 8`},
		{"gap", fixture(pad(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`), make([]byte, 2)), `tensor "a": data_offsets [1,2] (file byte 65) leave a gap after offset 0`},
		{"overlap", fixture(pad(`{`+ok+`,"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}`), make([]byte, 8)), "overlap"},
		{"reversed", fixture(pad(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[5,1]}}`), nil), "invalid data_offsets [5,1]"},
		{"negative shape", fixture(pad(`{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}`), nil), "negative"},
		{"overflow shape", fixture(pad(`{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`), nil), "overflows"},
		{"duplicate", fixture(pad(`{`+ok+`,`+ok+`}`), make([]byte, 8)), `"a" appears twice`},
		{"truncated data", fixture(pad(`{`+ok+`}`), make([]byte, 5)), "header describes 8 data bytes but the file has 5"},
		{"trailing data", fixture(pad(`{`+ok+`}`), make([]byte, 9)), "header describes 8 data bytes but the file has 9"},
		{"trailing json", fixture(pad(`{`+ok+`} x`), make([]byte, 8)), "unexpected data after the JSON object"},
		{"bad metadata", fixture(pad(`{"__metadata__":{"a":1}}`), nil), "__metadata__ at byte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.raw)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decode err = %v, want containing %q", err, tc.want)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("Decode err %v does not wrap ErrFormat", err)
			}
			if _, err := Read(bytes.NewReader(tc.raw)); err == nil || !errors.Is(err, ErrFormat) {
				t.Errorf("Read err = %v, want ErrFormat", err)
			}
		})
	}
}

func TestBoolRejectsNonBinaryByte(t *testing.T) {
	raw := fixture(`{"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}`+"      ", []byte{1, 7})
	f, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Bool("m"); err == nil || !strings.Contains(err.Error(), `tensor "m" element 1: bool byte is 7`) {
		t.Fatalf("err = %v", err)
	}
}

// FuzzDecode checks that arbitrary input never panics, that Read and Decode
// agree, and that whatever decodes re-encodes to an equivalent file.
func FuzzDecode(f *testing.F) {
	var w Writer
	w.Metadata = map[string]string{"k": "v"}
	_ = w.AddF32("a", []int{2}, []float32{1, 2})
	_ = w.AddBool("b", []int{1}, []bool{true})
	var buf bytes.Buffer
	_, _ = w.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Add(fixture(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`+"  ", []byte{1}))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		fd, errD := Decode(data)
		fr, errR := Read(bytes.NewReader(data))
		if (errD == nil) != (errR == nil) {
			t.Fatalf("Decode err %v, Read err %v", errD, errR)
		}
		if errD != nil {
			return
		}
		if !reflect.DeepEqual(fd.Names(), fr.Names()) {
			t.Fatalf("names differ: %v vs %v", fd.Names(), fr.Names())
		}
		var w Writer
		w.Metadata = fd.Metadata
		for _, n := range fd.Names() {
			tt, _ := fd.Tensor(n)
			if err := w.Add(n, tt.DType, tt.Shape, tt.Data); err != nil {
				t.Fatalf("re-adding %q: %v", n, err)
			}
		}
		var out bytes.Buffer
		if _, err := w.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		g, err := Decode(out.Bytes())
		if err != nil {
			t.Fatalf("re-encoded file does not decode: %v", err)
		}
		for _, n := range fd.Names() {
			a, _ := fd.Tensor(n)
			b, _ := g.Tensor(n)
			if a.DType != b.DType || !reflect.DeepEqual(a.Shape, b.Shape) || !bytes.Equal(a.Data, b.Data) {
				t.Fatalf("tensor %q changed on re-encode", n)
			}
		}
	})
}

// TestNumpyReadsOurFile parses a written file with an independent reader
// (Python's json and numpy.frombuffer, following the format description) when
// /usr/bin/python3 has numpy. The safetensors Python package is not
// installable here (no PyPI), so this stands in for it.
func TestNumpyReadsOurFile(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		t.Skipf("%s with numpy not available: %v", py, err)
	}
	w := Writer{Metadata: map[string]string{"format": "pt"}}
	_ = w.AddF32("w", []int{2, 2}, []float32{1.5, -2, 0.25, 8})
	_ = w.AddI64("step", []int{}, []int64{-9})
	_ = w.AddBool("mask", []int{3}, []bool{true, false, true})
	_ = w.AddF64("lr", []int{1}, []float64{0.001})
	_ = w.AddI32("idx", []int{2}, []int32{7, -7})
	_ = w.AddU8("bytes", []int{2}, []uint8{0, 200})
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	script := `
import json, struct, sys, numpy as np
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
assert n % 8 == 0, n
hdr = json.loads(raw[8:8+n])
data = raw[8+n:]
types = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "I32": "<i4", "U8": "u1", "BOOL": "?"}
out = {"__metadata__": hdr.pop("__metadata__")}
for name, e in hdr.items():
    b, f = e["data_offsets"]
    a = np.frombuffer(data[b:f], dtype=types[e["dtype"]]).reshape(e["shape"])
    out[name] = [list(a.shape), a.ravel().tolist()]
print(json.dumps(out, sort_keys=True))
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	want := `{"__metadata__": {"format": "pt"}, "bytes": [[2], [0, 200]], "idx": [[2], [7, -7]], "lr": [[1], [0.001]], ` +
		`"mask": [[3], [true, false, true]], "step": [[], [-9]], "w": [[2, 2], [1.5, -2.0, 0.25, 8.0]]}`
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("python read\n%s\nwant\n%s", got, want)
	}
}
