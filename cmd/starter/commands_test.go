package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/umbra-ml/umbra/activities/api"
	"github.com/umbra-ml/umbra/artifacts"
	"github.com/umbra-ml/umbra/spec"
)

// tinySpec is examples/quickstart.yaml shrunk to train in seconds. Its
// attacks are those that work with 4 models (the LiRA variants need more
// reference models per example).
const tinySpec = `name: tiny
description: tiny quickstart for the starter tests

dataset:
  name: purchase-synthetic
  universe: 200
  population: 50
  split_seed: 1
  synthetic:
    dim: 20
    classes: 4
    seed: 1

model:
  arch: mlp
  hidden: [16]
  activation: relu

train:
  epochs: 2
  batch_size: 32
  optimizer:
    name: adam
    lr: 0.001
  seed: 1

shadows:
  count: 4
  keep: 0.5
  mask_seed: 1

eval:
  targets: 2
  augmentations: [identity]

attacks:
  - name: rmia
    a: 0.3
    gamma: 2
  - name: loss
  - name: confidence

metrics:
  fpr: [0.001, 0.01, 0.1]
`

// writeSpec writes a spec file into dir and returns its path.
func writeSpec(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolveTarget(t *testing.T) {
	dir := t.TempDir()
	good := writeSpec(t, dir, "tiny.yaml", tinySpec)
	s, err := spec.Parse([]byte(tinySpec), "")
	if err != nil {
		t.Fatal(err)
	}
	wantID := "umbra-exp-" + s.Hash()[:16]
	bad := writeSpec(t, dir, "bad.yaml", strings.Replace(tinySpec, "lr: 0.001", "lr: -1", 1))
	for _, c := range []struct {
		arg, wantID, wantSpec, wantErr string
	}{
		{arg: good, wantID: wantID, wantSpec: good},
		{arg: "umbra-exp-0123456789abcdef", wantID: "umbra-exp-0123456789abcdef"},
		{arg: "umbra-sweep-0123456789abcdef", wantID: "umbra-sweep-0123456789abcdef"},
		{arg: filepath.Join(dir, "missing.yaml"), wantErr: "spec file"},
		{arg: "missing.yml", wantErr: "no such file"},
		{arg: dir, wantErr: "is a directory"},
		{arg: bad, wantErr: "train.optimizer.lr"},
		{arg: "", wantErr: "empty"},
	} {
		got, err := resolveTarget(c.arg)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("resolveTarget(%q) error = %v, want it to contain %q", c.arg, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("resolveTarget(%q): %v", c.arg, err)
			continue
		}
		if got.ID != c.wantID || got.SpecPath != c.wantSpec {
			t.Errorf("resolveTarget(%q) = {%q, %q}, want {%q, %q}", c.arg, got.ID, got.SpecPath, c.wantID, c.wantSpec)
		}
	}
}

func TestSweepWorkflowID(t *testing.T) {
	// Hand-computed: sha256("aaaa\nbbbb") starts with ba4ee8b292d66d35.
	const want = "umbra-sweep-ba4ee8b292d66d35"
	for _, hashes := range [][]string{{"aaaa", "bbbb"}, {"bbbb", "aaaa"}} {
		if got := sweepWorkflowID(hashes); got != want {
			t.Errorf("sweepWorkflowID(%v) = %q, want %q", hashes, got, want)
		}
	}
	if got := sweepWorkflowID([]string{"aaaa", "cccc"}); got == want {
		t.Errorf("different spec sets share sweep ID %q", got)
	}
}

func TestSweepRejectsInvalidSpecs(t *testing.T) {
	t.Setenv(envTemporal, "")
	dir := t.TempDir()
	good := writeSpec(t, dir, "good.yaml", tinySpec)
	bad := writeSpec(t, dir, "bad.yaml", strings.Replace(tinySpec, "epochs: 2", "epochs: 0", 1))
	same := writeSpec(t, dir, "same.yaml", tinySpec+"\n# same experiment, other bytes\n")
	state := filepath.Join(dir, "state")
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"bad field", []string{good, bad}, []string{"1 of 2 specs invalid", "nothing was started", "bad.yaml", "train.epochs"}},
		{"duplicate", []string{good, same}, []string{"same.yaml: describes the same experiment as " + good}},
		{"missing file", []string{good, filepath.Join(dir, "nope.yaml")}, []string{"nope.yaml", "no such file"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := run(context.Background(), append([]string{"sweep", "--state-dir", state}, c.args...)...)
			if err == nil {
				t.Fatal("sweep accepted an invalid spec set")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "good.yaml:") {
				t.Errorf("error %q lists the valid spec as invalid", err)
			}
			// Nothing started: connecting would have created the state dir.
			if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("state dir exists after a rejected sweep (stat: %v)", err)
			}
		})
	}
}

// adultSource returns a directory holding the real adult.data, or skips.
func adultSource(t *testing.T) string {
	t.Helper()
	root := os.Getenv("UMBRA_DATA")
	if root == "" {
		root = filepath.Join("..", "..", "data")
	}
	dir := filepath.Join(root, "adult")
	if _, err := os.Stat(filepath.Join(dir, "adult.data")); err != nil {
		t.Skipf("no adult.data under %s (set UMBRA_DATA): %v", root, err)
	}
	return dir
}

func TestDataFetchFromLocalDir(t *testing.T) {
	src := adultSource(t)
	want, err := os.ReadFile(filepath.Join(src, "adult.data"))
	if err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	out, _, err := run(context.Background(), "data", "fetch", "adult", "--dir", dest, "--from", src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dest, "adult", "adult.data"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("fetched adult.data differs from the source (%d vs %d bytes)", len(got), len(want))
	}
	if !strings.Contains(out, "adult.data") || !strings.Contains(out, "copied from "+src) || !strings.Contains(out, "3974304 bytes") {
		t.Errorf("first fetch output lacks the file, its size or its source:\n%s", out)
	}
	out, _, err = run(context.Background(), "data", "fetch", "adult", "--dir", dest, "--from", src)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "already present") {
		t.Errorf("second fetch output does not say the file was already present:\n%s", out)
	}
}

func TestDataFetchRejectsBadChecksum(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "adult.data"), []byte("39, State-gov, 77516\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	_, _, err := run(context.Background(), "data", "fetch", "adult", "--dir", dest, "--from", src)
	if err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("error = %v, want a checksum mismatch", err)
	}
	if _, err := os.Stat(filepath.Join(dest, "adult", "adult.data")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file failing its checksum took its final name (stat: %v)", err)
	}
	_, _, err = run(context.Background(), "data", "fetch", "imagenet", "--dir", dest)
	if err == nil || !strings.Contains(err.Error(), "unknown dataset") {
		t.Errorf("unknown dataset: error = %v", err)
	}
}

func TestArtifactsGC(t *testing.T) {
	ctx := context.Background()
	state := t.TempDir()
	st, err := artifacts.OpenLocal(filepath.Join(state, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string, size int) {
		t.Helper()
		b := bytes.Repeat([]byte{'x'}, size)
		if _, err := st.Put(ctx, key, bytes.NewReader(b), int64(size), artifacts.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	manifest := func(key string, final bool) {
		t.Helper()
		m := &artifacts.Manifest{Version: artifacts.ManifestVersion, ModelKey: key, EpochsPlanned: 3, EpochsDone: 3, Final: final,
			Checksums: map[string]artifacts.Checksum{}, CreatedAt: time.Unix(0, 0).UTC(), UpdatedAt: time.Unix(0, 0).UTC()}
		if final {
			m.Checksums["final.safetensors"] = artifacts.ChecksumBytes(bytes.Repeat([]byte{'x'}, 10))
		}
		if _, err := artifacts.WriteManifest(ctx, st, m); err != nil {
			t.Fatal(err)
		}
	}
	done := artifacts.ModelKey("fp", "recipe", 1, 0)
	busy := artifacts.ModelKey("fp", "recipe", 1, 1)
	// done: finished, epochs 1–3 (1 KiB, 2 KiB, 4 KiB); busy: unfinished.
	put(artifacts.EpochCheckpointKey(done, 1), 1024)
	put(artifacts.EpochCheckpointKey(done, 2), 2048)
	put(artifacts.EpochCheckpointKey(done, 3), 4096)
	put(artifacts.FinalCheckpointKey(done), 10)
	manifest(done, true)
	put(artifacts.EpochCheckpointKey(busy, 1), 1024)
	put(artifacts.EpochCheckpointKey(busy, 2), 1024)
	manifest(busy, false)

	exists := func(key string) bool {
		_, err := st.Stat(ctx, key)
		if err != nil && !errors.Is(err, artifacts.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	// Dry run: lists epochs 1 and 2 of done (3 KiB), deletes nothing.
	out, _, err := run(ctx, "artifacts", "gc", "--state-dir", state, "--keep", "1", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "would delete 2 checkpoints (3.0 KiB)") ||
		!strings.Contains(out, artifacts.EpochCheckpointKey(done, 1)) || !strings.Contains(out, artifacts.EpochCheckpointKey(done, 2)) {
		t.Errorf("dry-run output:\n%s", out)
	}
	if !exists(artifacts.EpochCheckpointKey(done, 1)) {
		t.Fatal("dry run deleted a checkpoint")
	}
	out, _, err = run(ctx, "artifacts", "gc", "--state-dir", state, "--keep", "1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "deleted 2 checkpoints (3.0 KiB)") {
		t.Errorf("gc output:\n%s", out)
	}
	for key, want := range map[string]bool{
		artifacts.EpochCheckpointKey(done, 1): false,
		artifacts.EpochCheckpointKey(done, 2): false,
		artifacts.EpochCheckpointKey(done, 3): true,
		artifacts.FinalCheckpointKey(done):    true,
		artifacts.ManifestKey(done):           true,
		artifacts.EpochCheckpointKey(busy, 1): true,
		artifacts.EpochCheckpointKey(busy, 2): true,
	} {
		if got := exists(key); got != want {
			t.Errorf("after gc: %s exists = %v, want %v", key, got, want)
		}
	}
	// An explicit --store URL; --keep 0 removes the last epoch too.
	out, _, err = run(ctx, "artifacts", "gc", "--store", "file://"+filepath.Join(state, "artifacts"), "--keep", "0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "deleted 1 checkpoints (4.0 KiB)") || exists(artifacts.EpochCheckpointKey(done, 3)) {
		t.Errorf("gc --keep 0 output:\n%s", out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"artifacts", "gc", "--state-dir", filepath.Join(state, "none")}, "no local artifact store"},
		{[]string{"artifacts", "gc", "--state-dir", state, "--keep", "-1"}, "--keep -1"},
		{[]string{"artifacts", "gc", "--store", "ftp://x/y"}, "unsupported scheme"},
	} {
		if _, _, err := run(ctx, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error = %v, want %q", c.args, err, c.want)
		}
	}
}

// TestEmbeddedEndToEnd runs a tiny experiment on an embedded server, then
// inspects it with status, report, watch and cancel, and runs a sweep that
// reuses its models.
func TestEmbeddedEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Temporal server and trains models")
	}
	t.Setenv(envTemporal, "")
	t.Setenv(envStore, "")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	specPath := writeSpec(t, dir, "tiny.yaml", tinySpec)
	s, err := spec.Parse([]byte(tinySpec), "")
	if err != nil {
		t.Fatal(err)
	}
	id := api.ExperimentWorkflowID(s.Hash())
	cmd := func(args ...string) string {
		t.Helper()
		out, errOut, err := run(ctx, append(args, "--state-dir", state, "--slots", "2")...)
		if err != nil {
			t.Fatalf("%v: %v\nstdout:\n%s\nstderr:\n%s", args, err, out, errOut)
		}
		return out
	}

	out := cmd("run", specPath, "--out", filepath.Join(dir, "run-out"), "--no-progress")
	if !strings.Contains(out, id) {
		t.Fatalf("run output lacks workflow ID %s:\n%s", id, out)
	}

	// status by spec path and by ID.
	for _, arg := range []string{specPath, id} {
		out = cmd("status", arg)
		for _, want := range []string{"workflow    " + id, "status      completed", `"tiny": 4 models`, "4 models trained, 0 reused", "report.json", "rmia", "loss", "confidence"} {
			if !strings.Contains(out, want) {
				t.Errorf("status %s lacks %q:\n%s", arg, want, out)
			}
		}
	}

	// report downloads the report and exports.
	repDir := filepath.Join(dir, "report")
	out = cmd("report", id, "--out", repDir)
	for _, f := range []string{"report.json", "report.html", "keep.npy", "scores.npy", "labels.npy"} {
		st, err := os.Stat(filepath.Join(repDir, f))
		if err != nil || st.Size() == 0 {
			t.Errorf("report: %s missing or empty (%v)", f, err)
		}
	}
	if !strings.Contains(out, "AUC") || !strings.Contains(out, "rmia") {
		t.Errorf("report output lacks the attack table:\n%s", out)
	}
	runJSON, err := os.ReadFile(filepath.Join(dir, "run-out", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	repJSON, err := os.ReadFile(filepath.Join(repDir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(runJSON, repJSON) {
		t.Error("report's report.json differs from the one run wrote")
	}

	// watch and cancel on a closed experiment say so and do nothing.
	if out = cmd("watch", id, "--no-progress"); !strings.Contains(out, "is not running") || !strings.Contains(out, "completed") {
		t.Errorf("watch on a completed experiment:\n%s", out)
	}
	if out = cmd("cancel", id); !strings.Contains(out, "already completed; nothing to cancel") {
		t.Errorf("cancel on a completed experiment:\n%s", out)
	}

	// An unknown ID names the namespace.
	_, _, err = run(ctx, "status", "umbra-exp-0000000000000000", "--state-dir", state, "--namespace", "default")
	var nf *noWorkflowError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), `no experiment with workflow ID "umbra-exp-0000000000000000" in namespace "default"`) {
		t.Errorf("unknown ID: error = %v", err)
	}

	// A sweep of the same spec and a variant: the first reuses all four
	// models, each report lands in its own directory.
	variant := writeSpec(t, dir, "tiny-b.yaml", strings.Replace(strings.Replace(tinySpec, "name: tiny", "name: tiny-b", 1), "mask_seed: 1", "mask_seed: 2", 1))
	sweepOut := filepath.Join(dir, "sweep")
	out = cmd("sweep", specPath, variant, "--out", sweepOut, "--concurrency", "2")
	for _, want := range []string{"2 succeeded, 0 failed", "[1/2]", "[2/2]", "0 trained, 4 reused", "tiny.yaml", "tiny-b.yaml", "rmia AUC"} {
		if !strings.Contains(out, want) {
			t.Errorf("sweep output lacks %q:\n%s", want, out)
		}
	}
	for _, sub := range []string{"tiny", "tiny-b"} {
		if _, err := os.Stat(filepath.Join(sweepOut, sub, "report.json")); err != nil {
			t.Errorf("sweep: %v", err)
		}
	}
	tinyJSON, err := os.ReadFile(filepath.Join(sweepOut, "tiny", "report.json"))
	if err == nil && !bytes.Contains(tinyJSON, []byte(s.Hash())) {
		t.Error("sweep's tiny/report.json is not the tiny experiment's report")
	}
}
