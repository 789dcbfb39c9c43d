// Package npy reads and writes NumPy .npy files (format versions 1.0 and
// 2.0) for the dtypes Umbra exports: float32 ('<f4'), float64 ('<f8'), bool
// ('|b1'), int64 ('<i8'), int32 ('<i4') and uint8 ('|u1'), of any rank,
// C order. Files it writes load with numpy.load; it reads what numpy.save
// writes for those dtypes (little- or big-endian).
//
// Writing streams: NewWriter writes the header for a declared shape and then
// accepts the data in as many pieces as the caller likes (one model's row of
// scores at a time), so a models × examples × augmentations array is never
// assembled in memory. Close checks that exactly the declared number of
// elements arrived. Headers are padded so the data starts at a multiple of
// 64 bytes, as numpy does since 1.23.
//
// Reading validates the header (magic, version, a restricted Python-literal
// dict with exactly the keys descr, fortran_order and shape, non-negative
// dimensions without overflow) and reads the data incrementally, so a
// header that claims more data than the stream holds fails without
// allocating the claimed size. Errors name the field or byte offset.
//
// # Why not codeberg.org/sbinet/npyio
//
// npyio v0.14.0 (already in go.mod) was checked first. Its writer derives the
// shape from the Go value, so a 3-D array (scores.npy) needs nested slices or
// its unexported Array fields; it cannot stream rows; its header padding,
// (len+1) mod 16 spaces, does not align the data as the format asks. Its
// reader has panic paths (TypeFrom on an unknown dtype, unsupported
// descriptors) where Umbra needs errors for bad input. The format is small (a 10-byte preamble and a
// one-line dict), so this package implements it with the standard library;
// tests check the bytes against hand-built fixtures and against numpy itself
// when /usr/bin/python3 has numpy.
package npy
