package artifacts

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/umbra-ml/umbra/artifacts/npy"
	"github.com/umbra-ml/umbra/artifacts/safetensors"
)

func TestModelKey(t *testing.T) {
	// Vector computed independently with:
	// printf 'umbra/model-key/v1\x00\x05\0\0\0\0\0\0\0ds-fp\x06\0\0\0\0\0\0\0recipe\x2a\0\0\0\0\0\0\0\x07\0\0\0\0\0\0\0' | sha256sum
	const want = "77d16a5146eb1dfe32efa0e5a5bf0e211f272bde902a396d5861c219282e0e65"
	if got := ModelKey("ds-fp", "recipe", 42, 7); got != want {
		t.Errorf("ModelKey = %s, want %s", got, want)
	}
	// Length prefixes keep field boundaries: moving a byte between fields
	// changes the key.
	if ModelKey("ab", "c", 1, 2) == ModelKey("a", "bc", 1, 2) {
		t.Error("field boundary not encoded")
	}
	seen := map[string]bool{}
	for _, k := range []string{ModelKey("d", "r", 0, 0), ModelKey("d", "r", 1, 0), ModelKey("d", "r", 0, 1), ModelKey("d2", "r", 0, 0), ModelKey("d", "r2", 0, 0)} {
		if seen[k] || len(k) != 64 {
			t.Errorf("key %s repeated or not 64 hex digits", k)
		}
		seen[k] = true
	}
}

func TestKeyLayout(t *testing.T) {
	const mk = "abc123"
	tests := []struct{ got, want string }{
		{EpochCheckpointKey(mk, 3), "models/abc123/epoch-0003.safetensors"},
		{EpochCheckpointKey(mk, 12345), "models/abc123/epoch-12345.safetensors"},
		{FinalCheckpointKey(mk), "models/abc123/final.safetensors"},
		{ScoresKey(mk), "models/abc123/scores.npy"},
		{ManifestKey(mk), "models/abc123/manifest.json"},
		{ExperimentKey("spec9", "report.json"), "experiments/spec9/report.json"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
		if err := ValidateKey(tc.got); err != nil {
			t.Errorf("%q: %v", tc.got, err)
		}
	}
	if m, n, ok := ParseModelKey("models/abc/epoch-0007.safetensors"); !ok || m != "abc" || n != "epoch-0007.safetensors" {
		t.Errorf("ParseModelKey = %q %q %v", m, n, ok)
	}
	for _, k := range []string{"models/abc", "models//x", "models/a/b/c", "experiments/a/b"} {
		if _, _, ok := ParseModelKey(k); ok {
			t.Errorf("ParseModelKey(%q) accepted", k)
		}
	}
	for name, want := range map[string]int{"epoch-0007.safetensors": 7, "epoch-12000.safetensors": 12000} {
		if n, ok := ParseEpochName(name); !ok || n != want {
			t.Errorf("ParseEpochName(%q) = %d %v", name, n, ok)
		}
	}
	for _, name := range []string{"epoch-.safetensors", "epoch-1a.safetensors", "epoch-1.npy", "final.safetensors", "epoch--1.safetensors"} {
		if _, ok := ParseEpochName(name); ok {
			t.Errorf("ParseEpochName(%q) accepted", name)
		}
	}
}

func TestManifestValidate(t *testing.T) {
	good := func() Manifest {
		return Manifest{Version: 1, ModelKey: "k", EpochsPlanned: 3, EpochsDone: 3, Final: true,
			Checksums: map[string]Checksum{"final.safetensors": "crc32c:0000abcd"}}
	}
	tests := []struct {
		name string
		edit func(*Manifest)
		want string
	}{
		{"version", func(m *Manifest) { m.Version = 2 }, "version: 2"},
		{"key", func(m *Manifest) { m.ModelKey = "a/b" }, "model_key"},
		{"epochs", func(m *Manifest) { m.EpochsDone = 4 }, "epochs_done: 4 exceeds epochs_planned 3"},
		{"checksum", func(m *Manifest) { m.Checksums["scores.npy"] = "md5:x" }, `checksums["scores.npy"]`},
		{"name", func(m *Manifest) { m.Checksums["../x"] = "crc32c:00000000" }, `checksums["../x"]`},
		{"final", func(m *Manifest) { delete(m.Checksums, "final.safetensors") }, "final is true"},
	}
	m := good()
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		m := good()
		tc.edit(&m)
		if err := m.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want containing %q", tc.name, err, tc.want)
		}
	}
}

// runHelperSuite exercises manifests, codecs and GC on a store.
func runHelperSuite(t *testing.T, s Store) {
	ctx := context.Background()
	mk := ModelKey("fp", "recipe", 1, 0)

	t.Run("Safetensors", func(t *testing.T) {
		var w safetensors.Writer
		w.Metadata = map[string]string{"epoch": "2"}
		weights := make([]float32, 300_000)
		for i := range weights {
			weights[i] = float32(i%97) / 7
		}
		if err := w.AddF32("fc1.weight", []int{600, 500}, weights); err != nil {
			t.Fatal(err)
		}
		if err := w.AddU64("rng", []int{4}, []uint64{1, 2, 3, 4}); err != nil {
			t.Fatal(err)
		}
		key := EpochCheckpointKey(mk, 2)
		info, err := PutSafetensors(ctx, s, key, &w, PutOptions{IfAbsent: true})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		_, _ = w.WriteTo(&buf)
		if info.Checksum != ChecksumBytes(buf.Bytes()) || info.Size != int64(buf.Len()) {
			t.Errorf("info %+v does not describe the encoded file (%d bytes)", info, buf.Len())
		}
		f, err := GetSafetensors(ctx, s, key)
		if err != nil {
			t.Fatal(err)
		}
		got, shape, err := f.F32("fc1.weight")
		if err != nil || !reflect.DeepEqual(got, weights) || !reflect.DeepEqual(shape, []int{600, 500}) || f.Metadata["epoch"] != "2" {
			t.Errorf("read back: shape %v err %v", shape, err)
		}
		if _, err := PutSafetensors(ctx, s, key, &w, PutOptions{IfAbsent: true}); !errors.Is(err, ErrExists) {
			t.Errorf("second create-only checkpoint: %v", err)
		}
	})

	t.Run("EncoderFailureStoresNothing", func(t *testing.T) {
		key := ExperimentKey("h", "broken.npy")
		_, err := PutStream(ctx, s, key, 1000, PutOptions{}, func(w io.Writer) error {
			_, _ = w.Write(make([]byte, 10))
			return errors.New("encoder exploded")
		})
		if err == nil || !strings.Contains(err.Error(), "encoder exploded") {
			t.Errorf("err = %v", err)
		}
		assertAbsent(t, s, key)
	})

	t.Run("Npy", func(t *testing.T) {
		shape := []int{3, 4, 2}
		scores := make([]float32, 24)
		for i := range scores {
			scores[i] = float32(i) * -0.5
		}
		size, err := npy.EncodedSize(npy.Float32, shape)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := PutStream(ctx, s, ScoresKey(mk), size, PutOptions{}, func(w io.Writer) error {
			return npy.WriteFloat32(w, shape, scores)
		}); err != nil {
			t.Fatal(err)
		}
		rc, _, err := s.Get(ctx, ScoresKey(mk))
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		got, gshape, err := npy.ReadFloat32(rc)
		if err != nil || !reflect.DeepEqual(got, scores) || !reflect.DeepEqual(gshape, shape) {
			t.Errorf("scores: %v %v %v", got, gshape, err)
		}
	})

	t.Run("Manifest", func(t *testing.T) {
		m := &Manifest{Version: ManifestVersion, ModelKey: mk, SpecHash: "spec", DatasetFingerprint: "fp", RecipeHash: "recipe",
			MaskSeed: 1, EpochsPlanned: 5, EpochsDone: 2,
			Checksums: map[string]Checksum{"epoch-0002.safetensors": "crc32c:01020304"},
			Timings:   Timings{EpochSeconds: []float64{1.5, 1.25}, TrainSeconds: 2.75},
			CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC)}
		if _, err := WriteManifest(ctx, s, m); err != nil {
			t.Fatal(err)
		}
		got, err := ReadManifest(ctx, s, mk)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("manifest round trip:\n got %+v\nwant %+v", got, m)
		}
		if _, err := ReadManifest(ctx, s, "other"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing manifest: %v", err)
		}
		bad := []byte(`{"version": 1, "model_key": "bad", "surprise": true}`)
		if _, err := s.Put(ctx, ManifestKey("bad"), bytes.NewReader(bad), int64(len(bad)), PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadManifest(ctx, s, "bad"); err == nil || !strings.Contains(err.Error(), "surprise") {
			t.Errorf("unknown field: %v", err)
		}
		_ = s.Delete(ctx, ManifestKey("bad"))
	})

	t.Run("GC", func(t *testing.T) {
		put := func(key string) { mustPut(t, s, key, []byte(key)) }
		// finished: epochs 1..5 (+ one with a 5-digit number), final, manifest
		for _, e := range []int{1, 2, 3, 4, 5, 10000} {
			put(EpochCheckpointKey("done", e))
		}
		put(FinalCheckpointKey("done"))
		put(ManifestKey("done"))
		put(ScoresKey("done"))
		// unfinished: no final
		for _, e := range []int{1, 2, 3} {
			put(EpochCheckpointKey("running", e))
		}
		put(ManifestKey("running"))
		// final but no manifest yet
		put(EpochCheckpointKey("nomanifest", 1))
		put(FinalCheckpointKey("nomanifest"))

		deleted, err := GC(ctx, s, 2)
		if err != nil {
			t.Fatal(err)
		}
		// Six epochs, keep the two highest (5 and 10000, compared as numbers).
		want := []string{EpochCheckpointKey("done", 1), EpochCheckpointKey("done", 2), EpochCheckpointKey("done", 3), EpochCheckpointKey("done", 4)}
		if !reflect.DeepEqual(deleted, want) {
			t.Errorf("GC deleted %v, want %v", deleted, want)
		}
		for _, k := range want {
			if _, err := s.Stat(ctx, k); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s still present: %v", k, err)
			}
		}
		for _, k := range []string{EpochCheckpointKey("done", 5), EpochCheckpointKey("done", 10000), FinalCheckpointKey("done"),
			ScoresKey("done"), EpochCheckpointKey("running", 1), EpochCheckpointKey("nomanifest", 1)} {
			if _, err := s.Stat(ctx, k); err != nil {
				t.Errorf("%s should be kept: %v", k, err)
			}
		}
		if again, err := GC(ctx, s, 2); err != nil || len(again) != 0 {
			t.Errorf("second GC = %v, %v; want nothing", again, err)
		}
		if all, err := GC(ctx, s, 0); err != nil || len(all) != 2 {
			t.Errorf("GC(0) = %v, %v; want the two remaining epochs of done", all, err)
		}
		if _, err := GC(ctx, s, -1); err == nil {
			t.Error("GC(-1) accepted")
		}
	})
}

func TestHelpersLocal(t *testing.T) { runHelperSuite(t, newLocalSuiteStore(t).Store) }

func TestHelpersS3(t *testing.T) {
	envS3Config(t)
	runHelperSuite(t, newS3SuiteStore(t).Store)
}
