package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sort"
	"strconv"
)

// MaxHeaderSize is the largest JSON header Read and Decode accept (the
// reference implementation's limit).
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header entry holding free-form string metadata.
const metadataKey = "__metadata__"

// DType is a safetensors element type name as it appears in the header.
type DType string

// Element types. F16 and BF16 can be stored and read as raw bytes; typed
// accessors exist for the others.
const (
	F64  DType = "F64"
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U64  DType = "U64"
	U32  DType = "U32"
	U16  DType = "U16"
	U8   DType = "U8"
	BOOL DType = "BOOL"
)

// dtypeSizes is an immutable table of element sizes in bytes.
var dtypeSizes = map[DType]int{
	F64: 8, F32: 4, F16: 2, BF16: 2,
	I64: 8, I32: 4, I16: 2, I8: 1,
	U64: 8, U32: 4, U16: 2, U8: 1,
	BOOL: 1,
}

// Size returns the size of one element in bytes, or 0 for an unknown dtype.
func (d DType) Size() int { return dtypeSizes[d] }

// Sentinel errors; returned errors wrap them.
var (
	// ErrFormat reports a malformed or inconsistent file.
	ErrFormat = errors.New("safetensors: malformed file")
	// ErrNotFound reports a tensor name that is not in the file.
	ErrNotFound = errors.New("safetensors: no such tensor")
	// ErrDType reports a typed accessor used on a tensor of another dtype.
	ErrDType = errors.New("safetensors: dtype mismatch")
)

// numElements returns the product of shape, or an error when a dimension is
// negative or the product overflows int64.
func numElements(shape []int) (int64, error) {
	n := uint64(1)
	for i, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("dimension %d is negative (%d)", i, d)
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("element count overflows at dimension %d", i)
		}
		n = lo
	}
	return int64(n), nil
}

// byteSize returns numElements(shape) * dtype size with overflow checks.
func byteSize(dtype DType, shape []int) (int64, error) {
	es := dtype.Size()
	if es == 0 {
		return 0, fmt.Errorf("unknown dtype %q", dtype)
	}
	n, err := numElements(shape)
	if err != nil {
		return 0, err
	}
	hi, lo := bits.Mul64(uint64(n), uint64(es))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, fmt.Errorf("byte size overflows")
	}
	return int64(lo), nil
}

// headerEntry is the JSON form of one tensor in the header.
type headerEntry struct {
	DType       DType   `json:"dtype"`
	Shape       []int   `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// ---------------------------------------------------------------- writing

// Writer collects named tensors and writes them as one safetensors stream.
// Typed Add methods keep a reference to the caller's slice (no copy): do not
// modify it until WriteTo returns. The zero Writer is ready to use.
type Writer struct {
	// Metadata is written as the "__metadata__" header entry when non-empty.
	Metadata map[string]string

	tensors []pending
	names   map[string]struct{}
}

// pending is a tensor waiting to be written.
type pending struct {
	name  string
	dtype DType
	shape []int
	size  int64
	// encode writes exactly size bytes of little-endian data to w using buf
	// as scratch space.
	encode func(w io.Writer, buf []byte) error
}

func (w *Writer) add(name string, dtype DType, shape []int, n int, encode func(io.Writer, []byte) error) error {
	if name == metadataKey {
		return fmt.Errorf("safetensors: tensor name %q is reserved", name)
	}
	if _, dup := w.names[name]; dup {
		return fmt.Errorf("safetensors: tensor %q added twice", name)
	}
	size, err := byteSize(dtype, shape)
	if err != nil {
		return fmt.Errorf("safetensors: tensor %q: %w", name, err)
	}
	if want := size / int64(dtype.Size()); int64(n) != want {
		return fmt.Errorf("safetensors: tensor %q: shape %v holds %d elements, got %d", name, shape, want, n)
	}
	if w.names == nil {
		w.names = make(map[string]struct{})
	}
	w.names[name] = struct{}{}
	w.tensors = append(w.tensors, pending{name: name, dtype: dtype, shape: append([]int(nil), shape...), size: size, encode: encode})
	return nil
}

// Add adds a tensor given as raw little-endian bytes. len(data) must equal
// the product of shape times the dtype size.
func (w *Writer) Add(name string, dtype DType, shape []int, data []byte) error {
	es := dtype.Size()
	if es == 0 {
		return fmt.Errorf("safetensors: tensor %q: unknown dtype %q", name, dtype)
	}
	if len(data)%es != 0 {
		return fmt.Errorf("safetensors: tensor %q: %d bytes is not a multiple of the %s element size %d", name, len(data), dtype, es)
	}
	return w.add(name, dtype, shape, len(data)/es, func(out io.Writer, _ []byte) error {
		_, err := out.Write(data)
		return err
	})
}

// encodeChunked streams n elements through buf, put encoding element i at
// dst (which has room for one element).
func encodeChunked(out io.Writer, buf []byte, n, es int, put func(dst []byte, i int)) error {
	per := len(buf) / es
	for i := 0; i < n; i += per {
		m := min(per, n-i)
		for j := 0; j < m; j++ {
			put(buf[j*es:], i+j)
		}
		if _, err := out.Write(buf[:m*es]); err != nil {
			return err
		}
	}
	return nil
}

// AddF32 adds a float32 tensor.
func (w *Writer) AddF32(name string, shape []int, v []float32) error {
	return w.add(name, F32, shape, len(v), func(out io.Writer, buf []byte) error {
		return encodeChunked(out, buf, len(v), 4, func(d []byte, i int) { binary.LittleEndian.PutUint32(d, math.Float32bits(v[i])) })
	})
}

// AddF64 adds a float64 tensor.
func (w *Writer) AddF64(name string, shape []int, v []float64) error {
	return w.add(name, F64, shape, len(v), func(out io.Writer, buf []byte) error {
		return encodeChunked(out, buf, len(v), 8, func(d []byte, i int) { binary.LittleEndian.PutUint64(d, math.Float64bits(v[i])) })
	})
}

// AddI64 adds an int64 tensor.
func (w *Writer) AddI64(name string, shape []int, v []int64) error {
	return w.add(name, I64, shape, len(v), func(out io.Writer, buf []byte) error {
		return encodeChunked(out, buf, len(v), 8, func(d []byte, i int) { binary.LittleEndian.PutUint64(d, uint64(v[i])) })
	})
}

// AddI32 adds an int32 tensor.
func (w *Writer) AddI32(name string, shape []int, v []int32) error {
	return w.add(name, I32, shape, len(v), func(out io.Writer, buf []byte) error {
		return encodeChunked(out, buf, len(v), 4, func(d []byte, i int) { binary.LittleEndian.PutUint32(d, uint32(v[i])) })
	})
}

// AddU64 adds a uint64 tensor (useful for RNG state).
func (w *Writer) AddU64(name string, shape []int, v []uint64) error {
	return w.add(name, U64, shape, len(v), func(out io.Writer, buf []byte) error {
		return encodeChunked(out, buf, len(v), 8, func(d []byte, i int) { binary.LittleEndian.PutUint64(d, v[i]) })
	})
}

// AddU8 adds a uint8 tensor.
func (w *Writer) AddU8(name string, shape []int, v []uint8) error {
	return w.Add(name, U8, shape, v)
}

// AddBool adds a boolean tensor (one byte per element, 0 or 1).
func (w *Writer) AddBool(name string, shape []int, v []bool) error {
	return w.add(name, BOOL, shape, len(v), func(out io.Writer, buf []byte) error {
		return encodeChunked(out, buf, len(v), 1, func(d []byte, i int) {
			d[0] = 0
			if v[i] {
				d[0] = 1
			}
		})
	})
}

// order returns the tensors in data order: larger element size first, then
// by name, like the reference implementation.
func (w *Writer) order() []pending {
	ts := append([]pending(nil), w.tensors...)
	sort.Slice(ts, func(i, j int) bool {
		si, sj := ts[i].dtype.Size(), ts[j].dtype.Size()
		if si != sj {
			return si > sj
		}
		return ts[i].name < ts[j].name
	})
	return ts
}

// header builds the padded JSON header for tensors in data order.
func (w *Writer) header(ts []pending) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	if len(w.Metadata) > 0 {
		m, err := json.Marshal(w.Metadata) // map keys are sorted by encoding/json
		if err != nil {
			return nil, fmt.Errorf("safetensors: metadata: %w", err)
		}
		b.WriteString(`"` + metadataKey + `":`)
		b.Write(m)
		first = false
	}
	var off int64
	for _, t := range ts {
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, err := json.Marshal(t.name)
		if err != nil {
			return nil, fmt.Errorf("safetensors: tensor name %q: %w", t.name, err)
		}
		b.Write(k)
		b.WriteString(`:{"dtype":"` + string(t.dtype) + `","shape":[`)
		for i, d := range t.shape {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		b.WriteString(`],"data_offsets":[` + strconv.FormatInt(off, 10) + `,` + strconv.FormatInt(off+t.size, 10) + `]}`)
		off += t.size
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	if b.Len() > MaxHeaderSize {
		return nil, fmt.Errorf("safetensors: header is %d bytes, more than the %d-byte limit", b.Len(), MaxHeaderSize)
	}
	return b.Bytes(), nil
}

// Size returns the number of bytes WriteTo will write.
func (w *Writer) Size() (int64, error) {
	ts := w.order()
	h, err := w.header(ts)
	if err != nil {
		return 0, err
	}
	n := int64(8 + len(h))
	for _, t := range ts {
		n += t.size
	}
	return n, nil
}

// countingWriter counts bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// WriteTo writes the header and then streams every tensor's bytes to out.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	ts := w.order()
	h, err := w.header(ts)
	if err != nil {
		return 0, err
	}
	cw := &countingWriter{w: out}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(h)))
	if _, err := cw.Write(lenBuf[:]); err != nil {
		return cw.n, fmt.Errorf("safetensors: writing header length: %w", err)
	}
	if _, err := cw.Write(h); err != nil {
		return cw.n, fmt.Errorf("safetensors: writing header: %w", err)
	}
	buf := make([]byte, 64<<10)
	for _, t := range ts {
		start := cw.n
		if err := t.encode(cw, buf); err != nil {
			return cw.n, fmt.Errorf("safetensors: writing tensor %q at byte %d: %w", t.name, start, err)
		}
		if got := cw.n - start; got != t.size {
			return cw.n, fmt.Errorf("safetensors: tensor %q wrote %d bytes, want %d", t.name, got, t.size)
		}
	}
	return cw.n, nil
}

// ---------------------------------------------------------------- reading

// Tensor is one decoded tensor. Data holds its raw little-endian bytes.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// File is a decoded safetensors file.
type File struct {
	// Metadata is the "__metadata__" map (nil when absent).
	Metadata map[string]string

	tensors map[string]*Tensor
	names   []string // in data order
}

// Names returns the tensor names in the order their data appears.
func (f *File) Names() []string { return append([]string(nil), f.names...) }

// Tensor returns the named tensor. Its Data aliases the file's buffer.
func (f *File) Tensor(name string) (Tensor, error) {
	t, ok := f.tensors[name]
	if !ok {
		return Tensor{}, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return Tensor{Name: t.Name, DType: t.DType, Shape: append([]int(nil), t.Shape...), Data: t.Data}, nil
}

func (f *File) typed(name string, want DType) (*Tensor, error) {
	t, ok := f.tensors[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if t.DType != want {
		return nil, fmt.Errorf("%w: tensor %q is %s, not %s", ErrDType, name, t.DType, want)
	}
	return t, nil
}

// F32 returns a float32 tensor's values (a copy) and shape.
func (f *File) F32(name string) ([]float32, []int, error) {
	t, err := f.typed(name, F32)
	if err != nil {
		return nil, nil, err
	}
	v := make([]float32, len(t.Data)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return v, append([]int(nil), t.Shape...), nil
}

// F64 returns a float64 tensor's values (a copy) and shape.
func (f *File) F64(name string) ([]float64, []int, error) {
	t, err := f.typed(name, F64)
	if err != nil {
		return nil, nil, err
	}
	v := make([]float64, len(t.Data)/8)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return v, append([]int(nil), t.Shape...), nil
}

// I64 returns an int64 tensor's values (a copy) and shape.
func (f *File) I64(name string) ([]int64, []int, error) {
	t, err := f.typed(name, I64)
	if err != nil {
		return nil, nil, err
	}
	v := make([]int64, len(t.Data)/8)
	for i := range v {
		v[i] = int64(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return v, append([]int(nil), t.Shape...), nil
}

// I32 returns an int32 tensor's values (a copy) and shape.
func (f *File) I32(name string) ([]int32, []int, error) {
	t, err := f.typed(name, I32)
	if err != nil {
		return nil, nil, err
	}
	v := make([]int32, len(t.Data)/4)
	for i := range v {
		v[i] = int32(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return v, append([]int(nil), t.Shape...), nil
}

// U64 returns a uint64 tensor's values (a copy) and shape.
func (f *File) U64(name string) ([]uint64, []int, error) {
	t, err := f.typed(name, U64)
	if err != nil {
		return nil, nil, err
	}
	v := make([]uint64, len(t.Data)/8)
	for i := range v {
		v[i] = binary.LittleEndian.Uint64(t.Data[8*i:])
	}
	return v, append([]int(nil), t.Shape...), nil
}

// U8 returns a uint8 tensor's values (a copy) and shape.
func (f *File) U8(name string) ([]uint8, []int, error) {
	t, err := f.typed(name, U8)
	if err != nil {
		return nil, nil, err
	}
	return append([]uint8(nil), t.Data...), append([]int(nil), t.Shape...), nil
}

// Bool returns a boolean tensor's values and shape. A byte other than 0 or 1
// is an error naming the element.
func (f *File) Bool(name string) ([]bool, []int, error) {
	t, err := f.typed(name, BOOL)
	if err != nil {
		return nil, nil, err
	}
	v := make([]bool, len(t.Data))
	for i, b := range t.Data {
		switch b {
		case 0:
		case 1:
			v[i] = true
		default:
			return nil, nil, fmt.Errorf("%w: tensor %q element %d: bool byte is %d, want 0 or 1", ErrFormat, name, i, b)
		}
	}
	return v, append([]int(nil), t.Shape...), nil
}

// Read reads and validates a whole safetensors stream. It reads the data
// section incrementally, so a header that claims more data than the stream
// holds fails without allocating the claimed size up front. Bytes after the
// last tensor are an error.
func Read(r io.Reader) (*File, error) {
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, fmt.Errorf("%w: reading 8-byte header length at byte 0: %v", ErrFormat, err)
	}
	n, err := checkHeaderLen(binary.LittleEndian.Uint64(lenBuf[:]))
	if err != nil {
		return nil, err
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("%w: header claims %d bytes at byte 8: %v", ErrFormat, n, err)
	}
	entries, meta, dataLen, err := parseHeader(hdr)
	if err != nil {
		return nil, err
	}
	var data bytes.Buffer
	got, err := io.Copy(&data, io.LimitReader(r, dataLen+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading tensor data at byte %d: %v", ErrFormat, 8+n+got, err)
	}
	if got != dataLen {
		return nil, fmt.Errorf("%w: header describes %d data bytes but the stream has %s after the header (byte %d)", ErrFormat, dataLen, describeLen(got, dataLen), 8+n)
	}
	return build(entries, meta, data.Bytes()), nil
}

func describeLen(got, want int64) string {
	if got > want {
		return "more"
	}
	return strconv.FormatInt(got, 10)
}

// Decode validates a safetensors file held in memory. Tensor bytes alias
// data (no copy).
func Decode(data []byte) (*File, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the 8-byte header length", ErrFormat, len(data))
	}
	n, err := checkHeaderLen(binary.LittleEndian.Uint64(data))
	if err != nil {
		return nil, err
	}
	if int64(len(data))-8 < n {
		return nil, fmt.Errorf("%w: header claims %d bytes at byte 8 but the file has %d", ErrFormat, n, len(data)-8)
	}
	entries, meta, dataLen, err := parseHeader(data[8 : 8+n])
	if err != nil {
		return nil, err
	}
	body := data[8+n:]
	if int64(len(body)) != dataLen {
		return nil, fmt.Errorf("%w: header describes %d data bytes but the file has %d after the header (byte %d)", ErrFormat, dataLen, len(body), 8+n)
	}
	return build(entries, meta, body), nil
}

func checkHeaderLen(n uint64) (int64, error) {
	if n < 2 {
		return 0, fmt.Errorf("%w: header length %d at byte 0 is too small for a JSON object", ErrFormat, n)
	}
	if n > MaxHeaderSize {
		return 0, fmt.Errorf("%w: header length %d at byte 0 exceeds the %d-byte limit", ErrFormat, n, MaxHeaderSize)
	}
	return int64(n), nil
}

// namedEntry is a header entry with its name.
type namedEntry struct {
	name string
	headerEntry
}

// parseHeader decodes and validates the JSON header. It returns the entries
// sorted by data offset, the metadata and the total data length.
func parseHeader(hdr []byte) ([]namedEntry, map[string]string, int64, error) {
	hdrLen := int64(len(hdr))
	fail := func(format string, args ...any) ([]namedEntry, map[string]string, int64, error) {
		return nil, nil, 0, fmt.Errorf("%w: header: %s", ErrFormat, fmt.Sprintf(format, args...))
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	tok, err := dec.Token()
	if err != nil {
		return fail("byte 8: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fail("byte 8: expected a JSON object")
	}
	var (
		entries []namedEntry
		meta    map[string]string
		seen    = make(map[string]struct{})
	)
	for dec.More() {
		at := 8 + dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return fail("byte %d: %v", at, err)
		}
		name, ok := tok.(string)
		if !ok {
			return fail("byte %d: expected a tensor name", at)
		}
		if _, dup := seen[name]; dup {
			return fail("byte %d: %q appears twice", at, name)
		}
		seen[name] = struct{}{}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fail("entry %q after byte %d: %v", name, 8+dec.InputOffset(), err)
		}
		at = 8 + dec.InputOffset() - int64(len(raw)) // where the value starts
		if name == metadataKey {
			if err := decodeStrict(raw, &meta); err != nil {
				return fail("%s at byte %d: must map strings to strings: %v", metadataKey, at, err)
			}
			continue
		}
		var e headerEntry
		if err := decodeStrict(raw, &e); err != nil {
			return fail("tensor %q at byte %d: %v", name, at, err)
		}
		if e.DType.Size() == 0 {
			return fail("tensor %q at byte %d: unknown dtype %q", name, at, e.DType)
		}
		if e.Shape == nil {
			return fail("tensor %q at byte %d: missing shape", name, at)
		}
		if len(e.DataOffsets) != 2 {
			return fail("tensor %q at byte %d: data_offsets must be [begin, end], got %d numbers", name, at, len(e.DataOffsets))
		}
		entries = append(entries, namedEntry{name: name, headerEntry: e})
	}
	if _, err := dec.Token(); err != nil { // closing brace
		return fail("byte %d: %v", 8+dec.InputOffset(), err)
	}
	rest := hdr[dec.InputOffset():]
	if len(bytes.Trim(rest, " \t\r\n")) != 0 {
		return fail("byte %d: unexpected data after the JSON object", 8+dec.InputOffset())
	}
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i].DataOffsets, entries[j].DataOffsets
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		return a[1] < b[1]
	})
	var end int64
	for _, e := range entries {
		b, f := e.DataOffsets[0], e.DataOffsets[1]
		abs := 8 + hdrLen + b
		if b < 0 || f < b {
			return fail("tensor %q: invalid data_offsets [%d,%d]", e.name, b, f)
		}
		if b != end {
			if b < end {
				return fail("tensor %q: data_offsets [%d,%d] (file byte %d) overlap the previous tensor ending at %d", e.name, b, f, abs, end)
			}
			return fail("tensor %q: data_offsets [%d,%d] (file byte %d) leave a gap after offset %d", e.name, b, f, abs, end)
		}
		size, err := byteSize(e.DType, e.Shape)
		if err != nil {
			return fail("tensor %q (file byte %d): %v", e.name, abs, err)
		}
		if size != f-b {
			return fail("tensor %q (file byte %d): shape %v of %s needs %d bytes but data_offsets [%d,%d] span %d", e.name, abs, e.Shape, e.DType, size, b, f, f-b)
		}
		end = f
	}
	return entries, meta, end, nil
}

// decodeStrict decodes one JSON value rejecting unknown fields.
func decodeStrict(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

func build(entries []namedEntry, meta map[string]string, data []byte) *File {
	f := &File{Metadata: meta, tensors: make(map[string]*Tensor, len(entries))}
	for _, e := range entries {
		t := &Tensor{Name: e.name, DType: e.DType, Shape: e.Shape, Data: data[e.DataOffsets[0]:e.DataOffsets[1]:e.DataOffsets[1]]}
		f.tensors[e.name] = t
		f.names = append(f.names, e.name)
	}
	return f
}
