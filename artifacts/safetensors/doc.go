// Package safetensors reads and writes the safetensors checkpoint layout used
// by Hugging Face's reference implementation, so that Umbra checkpoints can be
// opened from Python with `safetensors.numpy.load_file` or
// `safetensors.torch.load_file` and vice versa.
//
// # Layout
//
//	[8 bytes]  N, little-endian uint64: length of the JSON header
//	[N bytes]  JSON object, padded with trailing spaces so that N % 8 == 0:
//	           {"__metadata__": {"k": "v", ...},          (optional, strings only)
//	            "name": {"dtype": "F32", "shape": [2, 3],
//	                     "data_offsets": [begin, end]}, ...}
//	[rest]     raw little-endian tensor bytes; offsets are relative to the
//	           first byte after the header
//
// The Writer orders tensor data like the reference (larger element sizes
// first, then by name), which keeps every tensor aligned to its element size
// when the buffer is 8-byte aligned. It computes the header from the tensor
// shapes first and then streams each tensor to the io.Writer through a small
// reusable buffer, so a checkpoint is never held twice in memory.
//
// Read and Decode validate everything before returning: the header length
// (at most MaxHeaderSize, 100 MB, as the reference), JSON well-formedness,
// duplicate names, known dtypes, non-negative shapes whose element count
// times the dtype size equals the byte range without overflow, and byte
// ranges that start at 0, are contiguous, do not overlap and end exactly at
// the end of the file. Errors name the tensor and the absolute byte offset in
// the file. Decode is zero-copy: tensor bytes alias the input slice.
//
// # Why hand-written
//
// The format is a few hundred lines to implement with encoding/json and
// encoding/binary. The Go packages that exist (github.com/nlpodyssey/safetensors
// and its fork github.com/maruel/safetensors) are small single-maintainer
// projects; depending on one would not save much code, and Umbra needs
// streaming writes of typed slices and strict, offset-naming validation of
// untrusted input, which is easiest to guarantee (and fuzz) in code we own.
// This package depends on the standard library only.
package safetensors
