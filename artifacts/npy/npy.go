package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// DType is an element type, written without byte-order character.
type DType string

// Supported element types.
const (
	Float32 DType = "f4"
	Float64 DType = "f8"
	Bool    DType = "b1"
	Int64   DType = "i8"
	Int32   DType = "i4"
	Uint8   DType = "u1"
)

// Size returns the element size in bytes, or 0 for an unsupported dtype.
func (d DType) Size() int {
	switch d {
	case Float32, Int32:
		return 4
	case Float64, Int64:
		return 8
	case Bool, Uint8:
		return 1
	}
	return 0
}

// descr returns numpy's descr string for d.
func (d DType) descr() string {
	if d.Size() == 1 {
		return "|" + string(d)
	}
	return "<" + string(d)
}

// ErrFormat reports a malformed .npy stream.
var ErrFormat = errors.New("npy: malformed file")

// ErrDType reports reading an array as the wrong type.
var ErrDType = errors.New("npy: dtype mismatch")

var magic = []byte("\x93NUMPY")

// maxHeaderLen bounds the header dict read from untrusted input.
const maxHeaderLen = 1 << 20

// Header describes an array.
type Header struct {
	DType DType
	Shape []int
	// bigEndian is set when the file stores multi-byte elements big-endian.
	bigEndian bool
}

// Len returns the number of elements.
func (h Header) Len() int {
	n, _ := numElements(h.Shape)
	return int(n)
}

func numElements(shape []int) (int64, error) {
	n := uint64(1)
	for i, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape[%d] is negative (%d)", i, d)
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt64/8 {
			return 0, fmt.Errorf("shape overflows at dimension %d", i)
		}
		n = lo
	}
	return int64(n), nil
}

// encodeHeader builds the full preamble + dict, version 1.0 when the dict
// fits in 65535 bytes, else 2.0, padded so the data starts at a multiple of 64.
func encodeHeader(dtype DType, shape []int) ([]byte, error) {
	if dtype.Size() == 0 {
		return nil, fmt.Errorf("npy: unsupported dtype %q", dtype)
	}
	if _, err := numElements(shape); err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	var d strings.Builder
	d.WriteString("{'descr': '" + dtype.descr() + "', 'fortran_order': False, 'shape': (")
	for i, n := range shape {
		if i > 0 {
			d.WriteString(", ")
		}
		d.WriteString(strconv.Itoa(n))
	}
	if len(shape) == 1 {
		d.WriteByte(',')
	}
	d.WriteString("), }")
	dict := d.String()
	for _, v := range []struct {
		major   byte
		lenSize int
	}{{1, 2}, {2, 4}} {
		pre := len(magic) + 2 + v.lenSize
		total := pre + len(dict) + 1 // + '\n'
		pad := (64 - total%64) % 64
		hlen := len(dict) + pad + 1
		if v.lenSize == 2 && hlen > math.MaxUint16 {
			continue
		}
		b := make([]byte, 0, pre+hlen)
		b = append(b, magic...)
		b = append(b, v.major, 0)
		if v.lenSize == 2 {
			b = binary.LittleEndian.AppendUint16(b, uint16(hlen))
		} else {
			b = binary.LittleEndian.AppendUint32(b, uint32(hlen))
		}
		b = append(b, dict...)
		b = append(b, bytes.Repeat([]byte{' '}, pad)...)
		b = append(b, '\n')
		return b, nil
	}
	return nil, fmt.Errorf("npy: header too long")
}

// Writer streams one array: the header first, then elements in C order.
type Writer struct {
	w     io.Writer
	dtype DType
	want  int64
	n     int64
	buf   []byte
	err   error
}

// NewWriter writes the header for an array of dtype and shape to w.
func NewWriter(w io.Writer, dtype DType, shape []int) (*Writer, error) {
	h, err := encodeHeader(dtype, shape)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(h); err != nil {
		return nil, fmt.Errorf("npy: writing header: %w", err)
	}
	n, _ := numElements(shape)
	return &Writer{w: w, dtype: dtype, want: n, buf: make([]byte, 32<<10)}, nil
}

// put encodes m elements through the scratch buffer.
func (w *Writer) put(dtype DType, m int, enc func(dst []byte, i int)) error {
	if w.err != nil {
		return w.err
	}
	if dtype != w.dtype {
		return fmt.Errorf("%w: writing %s elements to a %s array", ErrDType, dtype, w.dtype)
	}
	if w.n+int64(m) > w.want {
		w.err = fmt.Errorf("npy: %d elements written, more than the %d the shape holds", w.n+int64(m), w.want)
		return w.err
	}
	es := dtype.Size()
	per := len(w.buf) / es
	for i := 0; i < m; i += per {
		k := min(per, m-i)
		for j := 0; j < k; j++ {
			enc(w.buf[j*es:], i+j)
		}
		if _, err := w.w.Write(w.buf[:k*es]); err != nil {
			w.err = fmt.Errorf("npy: writing element %d: %w", w.n+int64(i), err)
			return w.err
		}
	}
	w.n += int64(m)
	return nil
}

// Float32 appends float32 elements.
func (w *Writer) Float32(v []float32) error {
	return w.put(Float32, len(v), func(d []byte, i int) { binary.LittleEndian.PutUint32(d, math.Float32bits(v[i])) })
}

// Float64 appends float64 elements.
func (w *Writer) Float64(v []float64) error {
	return w.put(Float64, len(v), func(d []byte, i int) { binary.LittleEndian.PutUint64(d, math.Float64bits(v[i])) })
}

// Int64 appends int64 elements.
func (w *Writer) Int64(v []int64) error {
	return w.put(Int64, len(v), func(d []byte, i int) { binary.LittleEndian.PutUint64(d, uint64(v[i])) })
}

// Int32 appends int32 elements.
func (w *Writer) Int32(v []int32) error {
	return w.put(Int32, len(v), func(d []byte, i int) { binary.LittleEndian.PutUint32(d, uint32(v[i])) })
}

// Uint8 appends uint8 elements.
func (w *Writer) Uint8(v []uint8) error {
	return w.put(Uint8, len(v), func(d []byte, i int) { d[0] = v[i] })
}

// Bool appends bool elements.
func (w *Writer) Bool(v []bool) error {
	return w.put(Bool, len(v), func(d []byte, i int) {
		d[0] = 0
		if v[i] {
			d[0] = 1
		}
	})
}

// Close checks that the whole array was written. It does not close the
// underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.n != w.want {
		return fmt.Errorf("npy: %d of %d elements written", w.n, w.want)
	}
	return nil
}

// WriteFloat32 writes a whole float32 array.
func WriteFloat32(w io.Writer, shape []int, v []float32) error {
	return writeAll(w, Float32, shape, len(v), func(nw *Writer) error { return nw.Float32(v) })
}

// WriteFloat64 writes a whole float64 array.
func WriteFloat64(w io.Writer, shape []int, v []float64) error {
	return writeAll(w, Float64, shape, len(v), func(nw *Writer) error { return nw.Float64(v) })
}

// WriteInt64 writes a whole int64 array.
func WriteInt64(w io.Writer, shape []int, v []int64) error {
	return writeAll(w, Int64, shape, len(v), func(nw *Writer) error { return nw.Int64(v) })
}

// WriteInt32 writes a whole int32 array.
func WriteInt32(w io.Writer, shape []int, v []int32) error {
	return writeAll(w, Int32, shape, len(v), func(nw *Writer) error { return nw.Int32(v) })
}

// WriteUint8 writes a whole uint8 array.
func WriteUint8(w io.Writer, shape []int, v []uint8) error {
	return writeAll(w, Uint8, shape, len(v), func(nw *Writer) error { return nw.Uint8(v) })
}

// WriteBool writes a whole bool array.
func WriteBool(w io.Writer, shape []int, v []bool) error {
	return writeAll(w, Bool, shape, len(v), func(nw *Writer) error { return nw.Bool(v) })
}

func writeAll(w io.Writer, dtype DType, shape []int, n int, put func(*Writer) error) error {
	want, err := numElements(shape)
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	if want != int64(n) {
		return fmt.Errorf("npy: shape %v holds %d elements, got %d", shape, want, n)
	}
	nw, err := NewWriter(w, dtype, shape)
	if err != nil {
		return err
	}
	if err := put(nw); err != nil {
		return err
	}
	return nw.Close()
}

// ---------------------------------------------------------------- reading

// Reader reads one array from a stream.
type Reader struct {
	Header
	r      io.Reader
	offset int64 // bytes consumed so far (for error messages)
}

// NewReader reads and validates the header.
func NewReader(r io.Reader) (*Reader, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("%w: reading preamble at byte 0: %v", ErrFormat, err)
	}
	if !bytes.Equal(pre[:6], magic) {
		return nil, fmt.Errorf("%w: bad magic %q at byte 0", ErrFormat, pre[:6])
	}
	var hlen int
	off := int64(10)
	switch pre[6] {
	case 1:
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, fmt.Errorf("%w: reading header length at byte 8: %v", ErrFormat, err)
		}
		hlen = int(binary.LittleEndian.Uint16(l[:]))
	case 2, 3:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, fmt.Errorf("%w: reading header length at byte 8: %v", ErrFormat, err)
		}
		v := binary.LittleEndian.Uint32(l[:])
		if v > maxHeaderLen {
			return nil, fmt.Errorf("%w: header length %d at byte 8 exceeds %d", ErrFormat, v, maxHeaderLen)
		}
		hlen = int(v)
		off = 12
	default:
		return nil, fmt.Errorf("%w: unsupported format version %d.%d at byte 6", ErrFormat, pre[6], pre[7])
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("%w: header of %d bytes at byte %d: %v", ErrFormat, hlen, off, err)
	}
	h, err := parseDict(string(hdr))
	if err != nil {
		return nil, fmt.Errorf("%w: header at byte %d: %v", ErrFormat, off, err)
	}
	return &Reader{Header: h, r: r, offset: off + int64(hlen)}, nil
}

// parseDict parses numpy's header dict.
func parseDict(s string) (Header, error) {
	p := &dictParser{s: strings.TrimRight(s, " \n\x00")}
	var h Header
	seen := map[string]bool{}
	p.space()
	if !p.eat('{') {
		return h, p.errf("expected '{'")
	}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return h, err
		}
		if seen[key] {
			return h, p.errf("key %q repeated", key)
		}
		seen[key] = true
		p.space()
		if !p.eat(':') {
			return h, p.errf("expected ':' after %q", key)
		}
		p.space()
		switch key {
		case "descr":
			d, err := p.str()
			if err != nil {
				return h, fmt.Errorf("descr: %w", err)
			}
			if len(d) < 2 {
				return h, fmt.Errorf("descr %q: unsupported", d)
			}
			order, t := d[0], DType(d[1:])
			if t.Size() == 0 {
				return h, fmt.Errorf("descr %q: unsupported dtype (want f4, f8, b1, i8, i4, u1)", d)
			}
			switch {
			case order == '<' || order == '|' || (order == '=' && t.Size() == 1):
			case order == '>':
				h.bigEndian = t.Size() > 1
			default:
				return h, fmt.Errorf("descr %q: unsupported byte order %q", d, order)
			}
			h.DType = t
		case "fortran_order":
			switch {
			case p.word("False"):
			case p.word("True"):
				return h, fmt.Errorf("fortran_order: True is not supported (save with numpy.ascontiguousarray)")
			default:
				return h, p.errf("fortran_order: expected True or False")
			}
		case "shape":
			shape, err := p.tuple()
			if err != nil {
				return h, fmt.Errorf("shape: %w", err)
			}
			h.Shape = shape
		default:
			return h, p.errf("unexpected key %q", key)
		}
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if !p.eat('}') {
			return h, p.errf("expected ',' or '}'")
		}
		break
	}
	p.space()
	if p.i != len(p.s) {
		return h, p.errf("trailing characters after the dict")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("missing key %q", k)
		}
	}
	if _, err := numElements(h.Shape); err != nil {
		return h, fmt.Errorf("shape %v: %w", h.Shape, err)
	}
	return h, nil
}

type dictParser struct {
	s string
	i int
}

func (p *dictParser) errf(format string, args ...any) error {
	return fmt.Errorf("at dict character %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *dictParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *dictParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *dictParser) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

func (p *dictParser) str() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", p.errf("expected a quoted string")
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", p.errf("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, nil
}

func (p *dictParser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, p.errf("expected '('")
	}
	shape := []int{}
	for {
		p.space()
		if p.eat(')') {
			return shape, nil
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if start == p.i {
			return nil, p.errf("expected a non-negative integer")
		}
		n, err := strconv.Atoi(p.s[start:p.i])
		if err != nil {
			return nil, p.errf("dimension %q: %v", p.s[start:p.i], err)
		}
		shape = append(shape, n)
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if !p.eat(')') {
			return nil, p.errf("expected ',' or ')'")
		}
		return shape, nil
	}
}

// readData reads the array's bytes, growing the buffer as data arrives.
func (r *Reader) readData() ([]byte, error) {
	n, _ := numElements(r.Shape)
	want := n * int64(r.DType.Size())
	buf := make([]byte, 0, min(want, 1<<20))
	for int64(len(buf)) < want {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		chunk := buf[len(buf):min(int64(cap(buf)), want)]
		m, err := io.ReadFull(r.r, chunk)
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, fmt.Errorf("%w: data ends at byte %d, shape %v of %s needs %d bytes from byte %d", ErrFormat, r.offset+int64(len(buf)), r.Shape, r.DType, want, r.offset)
		}
	}
	r.offset += want
	return buf, nil
}

func (r *Reader) check(want DType) error {
	if r.DType != want {
		return fmt.Errorf("%w: array is %s, not %s", ErrDType, r.DType, want)
	}
	return nil
}

func (r *Reader) u32(b []byte) uint32 {
	if r.bigEndian {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *Reader) u64(b []byte) uint64 {
	if r.bigEndian {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

// Float32 reads the whole array as float32.
func (r *Reader) Float32() ([]float32, error) {
	if err := r.check(Float32); err != nil {
		return nil, err
	}
	b, err := r.readData()
	if err != nil {
		return nil, err
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(r.u32(b[4*i:]))
	}
	return v, nil
}

// Float64 reads the whole array as float64.
func (r *Reader) Float64() ([]float64, error) {
	if err := r.check(Float64); err != nil {
		return nil, err
	}
	b, err := r.readData()
	if err != nil {
		return nil, err
	}
	v := make([]float64, len(b)/8)
	for i := range v {
		v[i] = math.Float64frombits(r.u64(b[8*i:]))
	}
	return v, nil
}

// Int64 reads the whole array as int64.
func (r *Reader) Int64() ([]int64, error) {
	if err := r.check(Int64); err != nil {
		return nil, err
	}
	b, err := r.readData()
	if err != nil {
		return nil, err
	}
	v := make([]int64, len(b)/8)
	for i := range v {
		v[i] = int64(r.u64(b[8*i:]))
	}
	return v, nil
}

// Int32 reads the whole array as int32.
func (r *Reader) Int32() ([]int32, error) {
	if err := r.check(Int32); err != nil {
		return nil, err
	}
	b, err := r.readData()
	if err != nil {
		return nil, err
	}
	v := make([]int32, len(b)/4)
	for i := range v {
		v[i] = int32(r.u32(b[4*i:]))
	}
	return v, nil
}

// Uint8 reads the whole array as uint8.
func (r *Reader) Uint8() ([]uint8, error) {
	if err := r.check(Uint8); err != nil {
		return nil, err
	}
	return r.readData()
}

// Bool reads the whole array as bool; bytes other than 0 and 1 are errors.
func (r *Reader) Bool() ([]bool, error) {
	if err := r.check(Bool); err != nil {
		return nil, err
	}
	start := r.offset
	b, err := r.readData()
	if err != nil {
		return nil, err
	}
	v := make([]bool, len(b))
	for i, c := range b {
		switch c {
		case 0:
		case 1:
			v[i] = true
		default:
			return nil, fmt.Errorf("%w: bool element %d (byte %d) is %d", ErrFormat, i, start+int64(i), c)
		}
	}
	return v, nil
}

// expectEOF fails when r has bytes after the array.
func (r *Reader) expectEOF() error {
	var one [1]byte
	if n, _ := io.ReadFull(r.r, one[:]); n > 0 {
		return fmt.Errorf("%w: unexpected data after the array at byte %d", ErrFormat, r.offset)
	}
	return nil
}

func readWhole[T any](src io.Reader, get func(*Reader) ([]T, error)) ([]T, []int, error) {
	r, err := NewReader(src)
	if err != nil {
		return nil, nil, err
	}
	v, err := get(r)
	if err != nil {
		return nil, nil, err
	}
	if err := r.expectEOF(); err != nil {
		return nil, nil, err
	}
	return v, r.Shape, nil
}

// ReadFloat32 reads a whole .npy stream holding a float32 array.
func ReadFloat32(r io.Reader) ([]float32, []int, error) { return readWhole(r, (*Reader).Float32) }

// ReadFloat64 reads a whole .npy stream holding a float64 array.
func ReadFloat64(r io.Reader) ([]float64, []int, error) { return readWhole(r, (*Reader).Float64) }

// ReadInt64 reads a whole .npy stream holding an int64 array.
func ReadInt64(r io.Reader) ([]int64, []int, error) { return readWhole(r, (*Reader).Int64) }

// ReadInt32 reads a whole .npy stream holding an int32 array.
func ReadInt32(r io.Reader) ([]int32, []int, error) { return readWhole(r, (*Reader).Int32) }

// ReadUint8 reads a whole .npy stream holding a uint8 array.
func ReadUint8(r io.Reader) ([]uint8, []int, error) { return readWhole(r, (*Reader).Uint8) }

// ReadBool reads a whole .npy stream holding a bool array.
func ReadBool(r io.Reader) ([]bool, []int, error) { return readWhole(r, (*Reader).Bool) }

// EncodedSize returns the number of bytes NewWriter plus all elements will
// write for an array of dtype and shape.
func EncodedSize(dtype DType, shape []int) (int64, error) {
	h, err := encodeHeader(dtype, shape)
	if err != nil {
		return 0, err
	}
	n, _ := numElements(shape)
	return int64(len(h)) + n*int64(dtype.Size()), nil
}
