package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/umbra-ml/umbra/internal/temporaltest"
)

// Environment variables of the harness.
const (
	envIntegration = "UMBRA_INTEGRATION"
	envWorkerBin   = "UMBRA_WORKER_BIN"
	envVersitygw   = "UMBRA_VERSITYGW"
	envRequireS3   = "UMBRA_REQUIRE_S3"
)

// TestMain builds umbra-starter and umbra-worker once for the whole run (only
// when the integration tests will run) and hands their paths to the tests
// through $UMBRA_STARTER_BIN and $UMBRA_WORKER_BIN, which
// temporaltest.BuildStarter and workerBin read.
func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if os.Getenv(envIntegration) != "1" {
		return m.Run()
	}
	root, err := temporaltest.FindModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "umbra-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	for _, b := range []struct{ env, pkg, name string }{
		{temporaltest.EnvStarterBin, "./cmd/starter", "umbra-starter"},
		{envWorkerBin, "./cmd/worker", "umbra-worker"},
	} {
		if os.Getenv(b.env) != "" {
			continue
		}
		out := filepath.Join(dir, b.name)
		cmd := exec.Command("go", "build", "-o", out, b.pkg)
		cmd.Dir = root
		if msg, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: building %s: %v\n%s", b.pkg, err, msg)
			return 1
		}
		os.Setenv(b.env, out)
	}
	return m.Run()
}

// requireIntegration skips unless UMBRA_INTEGRATION=1.
func requireIntegration(t *testing.T) {
	t.Helper()
	if os.Getenv(envIntegration) != "1" {
		t.Skipf("end-to-end test: set %s=1 to run it (starts servers and worker processes)", envIntegration)
	}
}

// bins are the binaries under test.
type bins struct{ starter, worker string }

func binaries(t *testing.T) bins {
	t.Helper()
	b := bins{starter: os.Getenv(temporaltest.EnvStarterBin), worker: os.Getenv(envWorkerBin)}
	if b.starter == "" || b.worker == "" {
		t.Fatalf("%s / %s unset: TestMain builds them when %s=1", temporaltest.EnvStarterBin, envWorkerBin, envIntegration)
	}
	return b
}

// childEnv is the environment of a child process: this process's, without
// any UMBRA_ variable (they would set the children's flags behind the
// test's back), plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "UMBRA_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// proc is a child process whose output goes to a log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // set before done closes
}

// startProc starts bin with args, stdout and stderr appended to logPath, and
// registers a SIGKILL by PID in t.Cleanup.
func startProc(t *testing.T, name, logPath string, env []string, bin string, args ...string) *proc {
	t.Helper()
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() // the child has its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	t.Logf("started %s (pid %d): %s %s", name, cmd.Process.Pid, filepath.Base(bin), strings.Join(args, " "))
	return p
}

// kill sends SIGKILL and waits for the exit; a no-op once exited.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// exited reports whether the process has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the exit up to timeout and returns the exit code (-1 on a
// signal); on timeout it kills the process and fails the test.
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.kill()
		t.Fatalf("%s did not exit within %v; log %s:\n%s", p.name, timeout, p.log, tail(p.log, 60))
	}
	return p.cmd.ProcessState.ExitCode()
}

// logText returns the process's log so far.
func (p *proc) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// startServer starts `umbra-starter server` on a fresh SQLite file in dir
// and free ports.
func startServer(t *testing.T, b bins, dir string) *temporaltest.Server {
	t.Helper()
	port, err := temporaltest.FreePortBlock(temporaltest.PortsUsed)
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	s := &temporaltest.Server{Bin: b.starter, DB: filepath.Join(dir, "temporal.db"), Port: port, Log: logf}
	if err := s.Start(context.Background(), 90*time.Second); err != nil {
		t.Fatalf("%v; log:\n%s", err, tail(logf.Name(), 40))
	}
	t.Cleanup(func() { _ = s.Kill() })
	t.Logf("temporal server on %s (db %s)", s.Addr(), s.DB)
	return s
}

// startWorker starts an umbra-worker process polling both queues with the
// given slots, logging at debug level (the per-epoch lines name the model)
// to dir/<name>.log.
func startWorker(t *testing.T, b bins, dir, name, temporal, store string, slots int, env ...string) *proc {
	t.Helper()
	return startProc(t, name, filepath.Join(dir, name+".log"), childEnv(env...), b.worker,
		"--temporal", temporal, "--queues", "umbra-train,umbra-attack", "--slots", strconv.Itoa(slots),
		"--store", store, "--metrics-addr", "", "--log-level", "debug", "--stop-timeout", "10s")
}

// submit starts `umbra-starter run SPEC --temporal … --store …` writing the
// report to outDir; its output goes to dir/starter-run.log.
func submit(t *testing.T, b bins, dir, specPath, temporal, store, outDir string, env ...string) *proc {
	t.Helper()
	return startProc(t, "starter run", filepath.Join(dir, "starter-run.log"), childEnv(env...), b.starter,
		"run", specPath, "--temporal", temporal, "--store", store, "--out", outDir, "--no-progress", "--log-level", "info")
}

// runEmbedded runs `umbra-starter run SPEC` with an embedded server and
// in-process worker on a fresh state dir and returns its artifact directory.
func runEmbedded(b bins, dir, specPath string, slots int) (string, error) {
	state := filepath.Join(dir, "state")
	cmd := exec.Command(b.starter, "run", specPath, "--state-dir", state, "--out", filepath.Join(dir, "out"),
		"--slots", strconv.Itoa(slots), "--no-progress", "--log-level", "warn")
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("embedded run of %s: %w\n%s", specPath, err, out)
	}
	return filepath.Join(state, "artifacts"), nil
}

// specParams are the knobs of the test spec.
type specParams struct {
	Name     string
	Universe int
	Dim      int
	Hidden   string // YAML list, e.g. "[512, 512]"
	Epochs   int
	Models   int
}

// faultSpec is a spec whose models train for several epochs of roughly a
// second each on this machine, checkpointing after every epoch, so a fault
// can land mid-training.
func faultSpec(name string) specParams {
	return specParams{Name: name, Universe: 16000, Dim: 600, Hidden: "[512, 512]", Epochs: 8, Models: 4}
}

// writeSpec writes a spec with the given parameters to dir/<name>.yaml.
func writeSpec(t *testing.T, dir string, p specParams) string {
	t.Helper()
	y := fmt.Sprintf(`name: %s
description: end-to-end fault test
dataset:
  name: purchase-synthetic
  universe: %d
  population: 200
  split_seed: 1
  synthetic:
    dim: %d
    classes: 20
    seed: 1
model:
  arch: mlp
  hidden: %s
  activation: relu
train:
  epochs: %d
  batch_size: 64
  optimizer:
    name: adam
    lr: 0.001
  seed: 1
  checkpoint_every: 1
shadows:
  count: %d
  keep: 0.5
  mask_seed: 1
eval:
  targets: 1
  augmentations: [identity]
attacks:
  - name: loss
metrics:
  fpr: [0.01, 0.1]
`, p.Name, p.Universe, p.Dim, p.Hidden, p.Epochs, p.Models)
	path := filepath.Join(dir, p.Name+".yaml")
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// inFlightCheckpoint is a model with an epoch checkpoint at least minEpoch
// but no manifest yet: a model being trained right now.
type inFlightCheckpoint struct {
	Key   string // full model key (its directory name)
	Epoch int    // newest checkpoint's epoch
}

var epochFile = regexp.MustCompile(`^epoch-(\d{4})\.safetensors$`)

// inFlight scans modelsDir (the store's models/ directory, or the versitygw
// backend's) for unfinished models (no manifest yet) with a checkpoint of at
// least minEpoch.
func inFlight(modelsDir string, minEpoch int) []inFlightCheckpoint {
	ents, err := os.ReadDir(modelsDir)
	if err != nil {
		return nil
	}
	var out []inFlightCheckpoint
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(modelsDir, e.Name())
		if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
			continue
		}
		if ep := newestEpoch(dir); ep >= minEpoch {
			out = append(out, inFlightCheckpoint{Key: e.Name(), Epoch: ep})
		}
	}
	return out
}

// newestEpoch returns the highest epoch-NNNN.safetensors number in dir (0
// when none).
func newestEpoch(dir string) int {
	ents, _ := os.ReadDir(dir)
	best := 0
	for _, e := range ents {
		if m := epochFile.FindStringSubmatch(e.Name()); m != nil {
			n, _ := strconv.Atoi(m[1])
			best = max(best, n)
		}
	}
	return best
}

// waitInFlight polls until n unfinished models have a checkpoint of at least
// minEpoch, failing the test after timeout or when run (the submitting
// process) exits first.
func waitInFlight(t *testing.T, modelsDir string, minEpoch, n int, timeout time.Duration, run *proc) []inFlightCheckpoint {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c := inFlight(modelsDir, minEpoch); len(c) >= n {
			return c
		}
		if run.exited() {
			t.Fatalf("%s exited before %d models reached epoch %d; log:\n%s", run.name, n, minEpoch, tail(run.log, 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("fewer than %d models reached checkpoint epoch %d under %s within %v; run log:\n%s", n, minEpoch, modelsDir, timeout, tail(run.log, 40))
	return nil
}

// manifest is the part of a model's manifest.json the tests read.
type manifest struct {
	ModelKey   string `json:"model_key"`
	EpochsDone int    `json:"epochs_done"`
	Final      bool   `json:"final"`
	Worker     string `json:"worker"`
	Timings    struct {
		EpochSeconds []float64 `json:"epoch_seconds"`
	} `json:"timings"`
}

func readManifest(t *testing.T, path string) manifest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// experimentFile returns the path of name in the only experiment under a
// store directory (experiments/<hash>/name).
func experimentFile(t *testing.T, storeDir, name string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(storeDir, "experiments", "*", name))
	if err != nil || len(m) != 1 {
		t.Fatalf("want exactly one experiments/*/%s under %s, found %v (%v)", name, storeDir, m, err)
	}
	return m[0]
}

// sameBytes fails the test unless files a and b are byte-for-byte equal.
func sameBytes(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		i := 0
		for i < min(len(x), len(y)) && x[i] == y[i] {
			i++
		}
		t.Errorf("%s (%d bytes) and %s (%d bytes) differ, first at byte %d", a, len(x), b, len(y), i)
	}
}

// modelDirs lists the model keys under storeDir/models.
func modelDirs(t *testing.T, storeDir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(storeDir, "models"))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range ents {
		if e.IsDir() {
			keys = append(keys, e.Name())
		}
	}
	sort.Strings(keys)
	return keys
}

// logLines returns the lines of a worker log whose message is msg and which
// name the model key (the log shows its first 12 characters). It reads both
// slog's text format (msg=resuming) and the default logger's (INFO resuming).
func logLines(text, msg, key string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if (strings.Contains(l, " msg="+msg+" ") || strings.Contains(l, " INFO "+msg+" ")) && strings.Contains(l, " key="+key[:12]) {
			out = append(out, l)
		}
	}
	return out
}

// logInt returns the integer value of attr in a slog text line.
func logInt(line, attr string) (int, bool) {
	m := regexp.MustCompile(` ` + regexp.QuoteMeta(attr) + `=(\d+)`).FindStringSubmatch(line)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// freeAddr returns a free 127.0.0.1 TCP address.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// requireReport fails unless outDir holds a report.json naming the
// expected number of models.
func requireReport(t *testing.T, outDir string, models int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(outDir, "report.json"))
	if err != nil {
		t.Fatalf("report.json missing: %v", err)
	}
	var r struct {
		Models struct {
			Count   int `json:"count"`
			Trained int `json:"trained"`
			Reused  int `json:"reused"`
		} `json:"models"`
		Attacks []json.RawMessage `json:"attacks"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	if r.Models.Count != models || r.Models.Trained+r.Models.Reused != models || len(r.Attacks) == 0 {
		t.Errorf("report.json: models %+v, %d attacks; want %d models and some attacks", r.Models, len(r.Attacks), models)
	}
}
