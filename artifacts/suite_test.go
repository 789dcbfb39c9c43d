package artifacts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// suiteStore is what the shared suite needs from a backend.
type suiteStore struct {
	Store
	// partSize is the backend's multipart part size (0: none).
	partSize int64
	// corrupt flips one byte of key's stored bytes behind the store's back;
	// nil when the backend's storage is not plain files.
	corrupt func(t *testing.T, key string)
}

// pattern returns n deterministic pseudo-random bytes for seed.
func pattern(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

func mustPut(t *testing.T, s Store, key string, data []byte) ObjectInfo {
	t.Helper()
	info, err := s.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), PutOptions{})
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return info
}

func readAll(t *testing.T, s Store, key string) ([]byte, error) {
	t.Helper()
	rc, _, err := s.Get(context.Background(), key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func assertAbsent(t *testing.T, s Store, key string) {
	t.Helper()
	if info, err := s.Stat(context.Background(), key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stat(%q) = %+v, %v; want ErrNotFound", key, info, err)
	}
	if _, _, err := s.Get(context.Background(), key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(%q) err = %v; want ErrNotFound", key, err)
	}
}

// failingReader yields data and then a non-EOF error.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// onlyReader hides every method but Read (no WriterTo, ReaderAt, Seeker).
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// runStoreSuite runs the behaviour every Store must have. newStore returns a
// fresh, empty store.
func runStoreSuite(t *testing.T, newStore func(t *testing.T) suiteStore) {
	ctx := context.Background()

	t.Run("RoundTripKnownChecksum", func(t *testing.T) {
		s := newStore(t)
		// "123456789" is the standard CRC-32C check input: 0xe3069283.
		info := mustPut(t, s, "a/check.txt", []byte("123456789"))
		want := ObjectInfo{Key: "a/check.txt", Size: 9, Checksum: "crc32c:e3069283"}
		info.ModTime = want.ModTime
		if info != want {
			t.Errorf("Put info = %+v, want %+v", info, want)
		}
		st, err := s.Stat(ctx, "a/check.txt")
		if err != nil || st.Size != 9 || st.Checksum != "crc32c:e3069283" || st.ModTime.IsZero() {
			t.Errorf("Stat = %+v, %v", st, err)
		}
		got, err := readAll(t, s, "a/check.txt")
		if err != nil || string(got) != "123456789" {
			t.Errorf("Get = %q, %v", got, err)
		}
	})

	t.Run("EmptyAndUnknownSize", func(t *testing.T) {
		s := newStore(t)
		info := mustPut(t, s, "empty", nil)
		if info.Size != 0 || info.Checksum != "crc32c:00000000" {
			t.Errorf("empty info = %+v", info)
		}
		if got, err := readAll(t, s, "empty"); err != nil || len(got) != 0 {
			t.Errorf("Get(empty) = %q, %v", got, err)
		}
		data := pattern(1, 100_000)
		info, err := s.Put(ctx, "unknown-size", onlyReader{bytes.NewReader(data)}, -1, PutOptions{})
		if err != nil || info.Size != int64(len(data)) || info.Checksum != ChecksumBytes(data) {
			t.Fatalf("Put(size -1) = %+v, %v", info, err)
		}
		if got, err := readAll(t, s, "unknown-size"); err != nil || !bytes.Equal(got, data) {
			t.Errorf("Get(unknown-size): %d bytes, %v", len(got), err)
		}
	})

	t.Run("Multipart", func(t *testing.T) {
		s := newStore(t)
		n := 2*int(max(s.partSize, 1<<20)) + 12345 // three parts
		data := pattern(2, n)
		info, err := s.Put(ctx, "big/obj.bin", onlyReader{bytes.NewReader(data)}, int64(n), PutOptions{Checksum: ChecksumBytes(data)})
		if err != nil {
			t.Fatal(err)
		}
		if info.Size != int64(n) || info.Checksum != ChecksumBytes(data) {
			t.Errorf("info = %+v, want size %d checksum %s", info, n, ChecksumBytes(data))
		}
		st, err := s.Stat(ctx, "big/obj.bin")
		if err != nil || st.Checksum != ChecksumBytes(data) || st.Size != int64(n) {
			t.Errorf("Stat = %+v, %v", st, err)
		}
		got, err := readAll(t, s, "big/obj.bin")
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("Get: %d bytes equal=%v, %v", len(got), bytes.Equal(got, data), err)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		assertAbsent(t, s, "no/such/key")
		if err := s.Delete(ctx, "no/such/key"); err != nil {
			t.Errorf("Delete(missing) = %v, want nil", err)
		}
	})

	t.Run("IfAbsent", func(t *testing.T) {
		s := newStore(t)
		for _, n := range []int{10, int(s.partSize) + 1000} {
			key := fmt.Sprintf("once-%d", n)
			first, second := pattern(3, n), pattern(4, n)
			if _, err := s.Put(ctx, key, bytes.NewReader(first), int64(n), PutOptions{IfAbsent: true}); err != nil {
				t.Fatalf("first create-only Put: %v", err)
			}
			_, err := s.Put(ctx, key, onlyReader{bytes.NewReader(second)}, int64(n), PutOptions{IfAbsent: true})
			if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), key) {
				t.Fatalf("second create-only Put err = %v, want ErrExists naming %q", err, key)
			}
			if got, err := readAll(t, s, key); err != nil || !bytes.Equal(got, first) {
				t.Fatalf("object changed after refused Put (err %v)", err)
			}
			// A plain Put overwrites.
			mustPut(t, s, key, second)
			if got, err := readAll(t, s, key); err != nil || !bytes.Equal(got, second) {
				t.Fatalf("overwrite not visible (err %v)", err)
			}
		}
	})

	t.Run("IfAbsentRace", func(t *testing.T) {
		s := newStore(t)
		// Small objects race on a single PUT; large ones on multipart
		// uploads that all pass the early existence check and must be
		// decided by the precondition at completion.
		for _, n := range []int{4096, int(max(s.partSize, 1<<20)) + 1} {
			key := fmt.Sprintf("race-%d", n)
			const writers = 4
			var wg sync.WaitGroup
			errs := make([]error, writers)
			for i := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d := pattern(uint64(10+i), n)
					_, errs[i] = s.Put(ctx, key, onlyReader{bytes.NewReader(d)}, int64(n), PutOptions{IfAbsent: true})
				}()
			}
			wg.Wait()
			won := -1
			for i, err := range errs {
				switch {
				case err == nil && won >= 0:
					t.Fatalf("size %d: writers %d and %d both created the object", n, won, i)
				case err == nil:
					won = i
				case !errors.Is(err, ErrExists):
					t.Fatalf("size %d: writer %d: %v", n, i, err)
				}
			}
			if won < 0 {
				t.Fatalf("size %d: no writer created the object", n)
			}
			if got, err := readAll(t, s, key); err != nil || !bytes.Equal(got, pattern(uint64(10+won), n)) {
				t.Fatalf("size %d: stored object is not the winner's (err %v)", n, err)
			}
		}
	})

	t.Run("BadSourceStoresNothing", func(t *testing.T) {
		s := newStore(t)
		for _, n := range []int{1000, int(max(s.partSize, 1<<20))*2 + 7} {
			data := pattern(5, n)
			tests := []struct {
				name string
				r    io.Reader
				size int64
				opts PutOptions
				want error
			}{
				{"wrong checksum", onlyReader{bytes.NewReader(data)}, int64(n), PutOptions{Checksum: "crc32c:00000001"}, ErrChecksum},
				{"short source", onlyReader{bytes.NewReader(data[:n-1])}, int64(n), PutOptions{}, ErrSize},
				{"long source", onlyReader{bytes.NewReader(append(data[:n:n], 'x'))}, int64(n), PutOptions{}, ErrSize},
				{"source error", &failingReader{r: bytes.NewReader(data[:n/2]), err: errors.New("disk on fire")}, int64(n), PutOptions{}, nil},
				{"source error unknown size", &failingReader{r: bytes.NewReader(data[:n/2]), err: errors.New("disk on fire")}, -1, PutOptions{}, nil},
			}
			for _, tc := range tests {
				t.Run(fmt.Sprintf("%s/%d", tc.name, n), func(t *testing.T) {
					key := "bad/" + strings.ReplaceAll(tc.name, " ", "-")
					_, err := s.Put(ctx, key, tc.r, tc.size, tc.opts)
					if err == nil {
						t.Fatal("Put succeeded")
					}
					if tc.want != nil && !errors.Is(err, tc.want) {
						t.Errorf("err = %v, want %v", err, tc.want)
					}
					if tc.want == nil && !strings.Contains(err.Error(), "disk on fire") {
						t.Errorf("err = %v, want the source's error", err)
					}
					if !strings.Contains(err.Error(), key) {
						t.Errorf("err %q does not name key %q", err, key)
					}
					assertAbsent(t, s, key)
				})
			}
		}
		if l, err := s.List(ctx, ""); err != nil || len(l) != 0 {
			t.Errorf("List after failed Puts = %v, %v; want empty", l, err)
		}
	})

	t.Run("ListAndDelete", func(t *testing.T) {
		s := newStore(t)
		sizes := map[string]int{"a/x": 1, "a/y/z": 2, "ab": 3, "b/c": 4}
		for k, n := range sizes {
			mustPut(t, s, k, pattern(6, n))
		}
		keys := func(prefix string) []string {
			l, err := s.List(ctx, prefix)
			if err != nil {
				t.Fatalf("List(%q): %v", prefix, err)
			}
			var out []string
			for _, o := range l {
				if o.Size != int64(sizes[o.Key]) {
					t.Errorf("List(%q): %s has size %d, want %d", prefix, o.Key, o.Size, sizes[o.Key])
				}
				out = append(out, o.Key)
			}
			return out
		}
		for _, tc := range []struct {
			prefix string
			want   []string
		}{
			{"", []string{"a/x", "a/y/z", "ab", "b/c"}},
			{"a", []string{"a/x", "a/y/z", "ab"}},
			{"a/", []string{"a/x", "a/y/z"}},
			{"a/y/", []string{"a/y/z"}},
			{"c/", nil},
		} {
			if got := keys(tc.prefix); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("List(%q) = %v, want %v", tc.prefix, got, tc.want)
			}
		}
		if err := s.Delete(ctx, "a/x"); err != nil {
			t.Fatal(err)
		}
		assertAbsent(t, s, "a/x")
		if got := keys(""); !reflect.DeepEqual(got, []string{"a/y/z", "ab", "b/c"}) {
			t.Errorf("after delete List = %v", got)
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		s := newStore(t)
		for _, k := range []string{"", "/abs", "dir/", "a//b", "a/../b", "./a", "a\\b", "a\x00b", tmpPrefix + "x"} {
			if _, err := s.Put(ctx, k, strings.NewReader("x"), 1, PutOptions{}); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Put(%q) err = %v, want ErrInvalidKey", k, err)
			}
			if _, err := s.Stat(ctx, k); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Stat(%q) err = %v, want ErrInvalidKey", k, err)
			}
		}
	})

	t.Run("ReadersSeeWholeObjects", func(t *testing.T) {
		s := newStore(t)
		n := int(max(s.partSize, 1<<20)) + 999 // multipart on S3
		versions := [][]byte{pattern(7, n), pattern(8, n)}
		mustPut(t, s, "flip", versions[0])
		var wg sync.WaitGroup
		stop := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				d := versions[i%2]
				if _, err := s.Put(ctx, "flip", bytes.NewReader(d), int64(n), PutOptions{}); err != nil {
					t.Errorf("writer: %v", err)
					return
				}
			}
		}()
		for i := 0; i < 6; i++ {
			got, err := readAll(t, s, "flip")
			if err != nil {
				t.Errorf("reader %d: %v", i, err)
				break
			}
			if !bytes.Equal(got, versions[0]) && !bytes.Equal(got, versions[1]) {
				t.Errorf("reader %d saw a mixed or partial object (%d bytes)", i, len(got))
			}
		}
		close(stop)
		wg.Wait()
	})

	t.Run("CorruptionDetected", func(t *testing.T) {
		s := newStore(t)
		if s.corrupt == nil {
			t.Skip("backend storage is not plain files")
		}
		for _, n := range []int{100, int(max(s.partSize, 1<<20)) + 5} {
			key := fmt.Sprintf("models/m/corrupt-%d.safetensors", n)
			mustPut(t, s, key, pattern(9, n))
			s.corrupt(t, key)
			_, err := readAll(t, s, key)
			if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), key) {
				t.Errorf("Get of corrupted object err = %v, want ErrChecksum naming %q", err, key)
			}
		}
	})
}
