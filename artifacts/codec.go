package artifacts

import (
	"context"
	"fmt"
	"io"

	"github.com/umbra-ml/umbra/artifacts/safetensors"
)

// PutStream stores what write produces, streaming it through a pipe so the
// object is never held in memory whole. size is the exact number of bytes
// write will produce, or -1. If write fails the Put fails and nothing is
// stored.
func PutStream(ctx context.Context, s Store, key string, size int64, opts PutOptions, write func(io.Writer) error) (ObjectInfo, error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := write(pw)
		if err != nil {
			err = fmt.Errorf("encoding %q: %w", key, err)
		}
		pw.CloseWithError(err) // nil closes with io.EOF
		done <- err
	}()
	info, err := s.Put(ctx, key, pr, size, opts)
	pr.CloseWithError(fmt.Errorf("put %q finished", key)) // unblock a writer the Put stopped reading
	if werr := <-done; werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return ObjectInfo{}, err
	}
	return info, nil
}

// PutSafetensors streams w's tensors to key.
func PutSafetensors(ctx context.Context, s Store, key string, w *safetensors.Writer, opts PutOptions) (ObjectInfo, error) {
	size, err := w.Size()
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("put %q: %w", key, err)
	}
	return PutStream(ctx, s, key, size, opts, func(out io.Writer) error {
		_, err := w.WriteTo(out)
		return err
	})
}

// GetSafetensors reads and validates the safetensors file at key; the
// store's checksum is verified before it returns.
func GetSafetensors(ctx context.Context, s Store, key string) (*safetensors.File, error) {
	rc, _, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	f, err := safetensors.Read(rc)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", key, err)
	}
	// Read stops at the end of the data; make sure the checksum check at
	// EOF has run.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return nil, err
	}
	return f, nil
}

// Get reads a whole object, verifying its checksum. For large objects use
// Store.Get and stream.
func Get(ctx context.Context, s Store, key string) ([]byte, error) {
	rc, _, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
