package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/umbra-ml/umbra/internal/temporaltest"
)

// Bounds that only catch hangs; the figures are bench/e2e's business.
const (
	inFlightTimeout = 3 * time.Minute
	runTimeout      = 5 * time.Minute
)

// TestWorkerKilledMidTraining SIGKILLs one of two workers while both train
// a model, and checks that the other worker resumes the orphaned model from
// a checkpoint (after the 20 s heartbeat timeout), the experiment completes,
// and every score array is bitwise identical to an uninterrupted run's.
func TestWorkerKilledMidTraining(t *testing.T) {
	requireIntegration(t)
	b := binaries(t)
	dir := t.TempDir()
	sp := faultSpec("e2e-kill")
	specPath := writeSpec(t, dir, sp)
	storeDir := filepath.Join(dir, "store")
	store := "file://" + storeDir

	srv := startServer(t, b, dir)
	wa := startWorker(t, b, dir, "worker-a", srv.Addr(), store, 1)
	wb := startWorker(t, b, dir, "worker-b", srv.Addr(), store, 1)
	outDir := filepath.Join(dir, "out")
	run := submit(t, b, dir, specPath, srv.Addr(), store, outDir)

	// Each worker has one slot: two unfinished models with checkpoints
	// mean each worker is mid-model, so A's model has one too.
	flying := waitInFlight(t, filepath.Join(storeDir, "models"), 2, 2, inFlightTimeout, run)
	wa.kill()
	t.Logf("SIGKILLed worker A (pid %d); unfinished models then: %+v", wa.cmd.Process.Pid, flying)

	// The uninterrupted reference run shares the wait for the heartbeat
	// timeout.
	type refResult struct {
		store string
		err   error
	}
	refCh := make(chan refResult, 1)
	go func() {
		s, err := runEmbedded(b, filepath.Join(dir, "ref"), specPath, 2)
		refCh <- refResult{s, err}
	}()

	if code := run.wait(t, runTimeout); code != 0 {
		t.Fatalf("starter run exited %d; log:\n%s\nworker B log tail:\n%s", code, tail(run.log, 40), tail(wb.log, 40))
	}
	requireReport(t, outDir, sp.Models)
	ref := <-refCh
	if ref.err != nil {
		t.Fatal(ref.err)
	}

	// Which model was A's: the one B resumed.
	blog := wb.logText()
	resumed := ""
	resumeEpoch := 0
	for _, f := range flying {
		lines := logLines(blog, "resuming", f.Key)
		if len(lines) == 0 {
			continue
		}
		ep, ok := logInt(lines[len(lines)-1], "epoch")
		if !ok {
			t.Fatalf("resuming line without an epoch: %s", lines[len(lines)-1])
		}
		resumed, resumeEpoch = f.Key, ep
		t.Logf("worker B: %s", lines[len(lines)-1])
	}
	if resumed == "" {
		t.Fatalf("worker B never logged resuming any of the models in flight at the kill (%+v); its log:\n%s", flying, tail(wb.log, 80))
	}
	if resumeEpoch < 1 || resumeEpoch >= sp.Epochs {
		t.Errorf("resumed %s from epoch %d, want 1..%d", resumed[:12], resumeEpoch, sp.Epochs-1)
	}
	m := readManifest(t, filepath.Join(storeDir, "models", resumed, "manifest.json"))
	if !m.Final || m.EpochsDone != sp.Epochs {
		t.Errorf("resumed model's manifest: final %v, epochs_done %d; want true, %d", m.Final, m.EpochsDone, sp.Epochs)
	}
	if got, want := len(m.Timings.EpochSeconds), sp.Epochs-resumeEpoch; got != want {
		t.Errorf("resumed model's final attempt trained %d epochs, want %d (%d − resume epoch %d)", got, want, sp.Epochs, resumeEpoch)
	}
	if !strings.HasSuffix(m.Worker, "/"+strconv.Itoa(wb.cmd.Process.Pid)) {
		t.Errorf("resumed model finished by %q, want worker B (pid %d)", m.Worker, wb.cmd.Process.Pid)
	}

	// Determinism across the kill: experiment arrays and every model's
	// weights and scores.
	for _, name := range []string{"scores.npy", "keep.npy"} {
		sameBytes(t, experimentFile(t, storeDir, name), experimentFile(t, ref.store, name))
	}
	keys := modelDirs(t, storeDir)
	if refKeys := modelDirs(t, ref.store); strings.Join(keys, ",") != strings.Join(refKeys, ",") {
		t.Fatalf("model keys differ:\n killed run    %v\n reference run %v", keys, refKeys)
	}
	for _, k := range keys {
		for _, name := range []string{"final.safetensors", "scores.npy", "logits.npy"} {
			sameBytes(t, filepath.Join(storeDir, "models", k, name), filepath.Join(ref.store, "models", k, name))
		}
	}
}

// TestTemporalServerKilledAndRestarted SIGKILLs the Temporal server while a
// model trains and restarts it on the same SQLite file and port: the worker
// and the submitting `starter run` ride out the outage and the experiment
// completes with its report.
func TestTemporalServerKilledAndRestarted(t *testing.T) {
	requireIntegration(t)
	b := binaries(t)
	dir := t.TempDir()
	sp := faultSpec("e2e-server")
	specPath := writeSpec(t, dir, sp)
	storeDir := filepath.Join(dir, "store")
	store := "file://" + storeDir

	srv := startServer(t, b, dir)
	w := startWorker(t, b, dir, "worker", srv.Addr(), store, 2)
	outDir := filepath.Join(dir, "out")
	run := submit(t, b, dir, specPath, srv.Addr(), store, outDir)

	flying := waitInFlight(t, filepath.Join(storeDir, "models"), 2, 1, inFlightTimeout, run)
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	t.Logf("SIGKILLed the Temporal server; unfinished models then: %+v", flying)
	time.Sleep(2 * time.Second)
	restartServer(t, srv)

	if code := run.wait(t, runTimeout); code != 0 {
		t.Fatalf("starter run exited %d after the server restart; log:\n%s\nworker log tail:\n%s", code, tail(run.log, 40), tail(w.log, 40))
	}
	requireReport(t, outDir, sp.Models)
	if w.exited() {
		t.Errorf("the worker exited during the server outage: %v; log tail:\n%s", w.err, tail(w.log, 40))
	}
	for _, k := range modelDirs(t, storeDir) {
		if m := readManifest(t, filepath.Join(storeDir, "models", k, "manifest.json")); !m.Final || m.EpochsDone != sp.Epochs {
			t.Errorf("model %s: final %v, epochs_done %d", k[:12], m.Final, m.EpochsDone)
		}
	}
}

// restartServer starts a killed server again on its database file and
// port, retrying while the old process's ports are still being released.
func restartServer(t *testing.T, srv interface {
	Start(context.Context, time.Duration) error
	Addr() string
}) {
	t.Helper()
	var err error
	for range 5 {
		if err = srv.Start(context.Background(), 90*time.Second); err == nil {
			t.Logf("restarted the Temporal server on %s", srv.Addr())
			return
		}
		t.Logf("restart: %v; retrying", err)
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("restarting the Temporal server: %v", err)
}

// versity is a versitygw S3 server owned by one test: posix backend in dir,
// bucket "bkt", credentials made up per test.
type versity struct {
	bin, dir, addr, access, secret, log string
	p                                   *proc
}

// newVersity finds the versitygw binary ($UMBRA_VERSITYGW, else
// <repo>/.cache/bin/versitygw, which scripts/s3-server.sh builds) and
// prepares a server on a free port; without a binary it skips (fails with
// UMBRA_REQUIRE_S3=1).
func newVersity(t *testing.T, dir string) *versity {
	t.Helper()
	bin := os.Getenv(envVersitygw)
	if bin == "" {
		if root, err := temporaltest.FindModuleRoot(); err == nil {
			if c := filepath.Join(root, ".cache", "bin", "versitygw"); isExecutable(c) {
				bin = c
			}
		}
	}
	if bin == "" {
		if os.Getenv(envRequireS3) == "1" {
			t.Fatalf("%s=1 but no versitygw: set %s or run scripts/s3-server.sh start", envRequireS3, envVersitygw)
		}
		t.Skipf("no versitygw binary: set %s or run scripts/s3-server.sh start", envVersitygw)
	}
	v := &versity{bin: bin, dir: filepath.Join(dir, "s3data"), addr: freeAddr(t),
		access: "e2e" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36), secret: strconv.FormatInt(time.Now().UnixNano(), 36) + "secret",
		log: filepath.Join(dir, "versitygw.log")}
	if err := os.MkdirAll(filepath.Join(v.dir, "bkt"), 0o755); err != nil {
		t.Fatal(err)
	}
	return v
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// start runs the server and waits until it accepts connections.
func (v *versity) start(t *testing.T) {
	t.Helper()
	env := childEnv("ROOT_ACCESS_KEY_ID="+v.access, "ROOT_SECRET_ACCESS_KEY="+v.secret, "VGW_REGION=us-east-1")
	v.p = startProc(t, "versitygw", v.log, env, v.bin, "--port", v.addr, "--quiet", "posix", v.dir)
	for range 400 {
		if c, err := net.Dial("tcp", v.addr); err == nil {
			c.Close()
			return
		}
		if v.p.exited() {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("versitygw did not listen on %s; log:\n%s", v.addr, tail(v.log, 20))
}

// clientEnv is what workers and the starter need to reach the server.
func (v *versity) clientEnv() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + v.access, "AWS_SECRET_ACCESS_KEY=" + v.secret, "AWS_SESSION_TOKEN="}
}

// TestS3ServerOutage runs an experiment whose store is a real versitygw,
// kills the S3 server for ~10 s while models checkpoint, and restarts it on
// the same port and backend directory: failed store calls are retried (by
// the store, then by Temporal's retry policy) and the experiment completes.
func TestS3ServerOutage(t *testing.T) {
	requireIntegration(t)
	b := binaries(t)
	dir := t.TempDir()
	v := newVersity(t, dir)
	v.start(t)
	sp := faultSpec("e2e-s3")
	specPath := writeSpec(t, dir, sp)
	store := fmt.Sprintf("s3://bkt/e2e?endpoint=%s&tls=false&region=us-east-1", v.addr)

	srv := startServer(t, b, dir)
	w := startWorker(t, b, dir, "worker", srv.Addr(), store, 2, v.clientEnv()...)
	outDir := filepath.Join(dir, "out")
	run := submit(t, b, dir, specPath, srv.Addr(), store, outDir, v.clientEnv()...)

	// versitygw's posix backend keeps objects as plain files.
	models := filepath.Join(v.dir, "bkt", "e2e", "models")
	flying := waitInFlight(t, models, 2, 1, inFlightTimeout, run)
	v.p.kill()
	down := time.Now()
	t.Logf("SIGKILLed versitygw; unfinished models then: %+v", flying)
	time.Sleep(10 * time.Second)
	v.start(t)
	t.Logf("versitygw back on %s after %v", v.addr, time.Since(down).Round(time.Millisecond))

	if code := run.wait(t, runTimeout); code != 0 {
		t.Fatalf("starter run exited %d; log:\n%s\nworker log tail:\n%s", code, tail(run.log, 40), tail(w.log, 60))
	}
	requireReport(t, outDir, sp.Models)
	for _, k := range modelDirs(t, filepath.Join(v.dir, "bkt", "e2e")) {
		if m := readManifest(t, filepath.Join(models, k, "manifest.json")); !m.Final || m.EpochsDone != sp.Epochs {
			t.Errorf("model %s: final %v, epochs_done %d", k[:12], m.Final, m.EpochsDone)
		}
	}
	// How the outage showed, for the log: store errors the worker saw.
	var seen []string
	for _, l := range strings.Split(w.logText(), "\n") {
		if strings.Contains(l, "unavailable") || strings.Contains(l, "connection refused") {
			seen = append(seen, l)
		}
	}
	t.Logf("worker log lines mentioning the outage: %d", len(seen))
	for _, l := range seen[:min(len(seen), 4)] {
		t.Logf("  %.400s", l)
	}
}

// TestBadInput: an invalid spec is refused before anything starts, and an
// unreachable Temporal address fails with a clear error instead of hanging.
func TestBadInput(t *testing.T) {
	requireIntegration(t)
	b := binaries(t)
	dir := t.TempDir()
	good := writeSpec(t, dir, faultSpec("e2e-bad-input"))
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, from, to, want string
	}{
		{"negative lr", "lr: 0.001", "lr: -1", "train.optimizer.lr"},
		{"unknown field", "  checkpoint_every: 1", "  checkpoint_every: 1\n  epochz: 3", "train.epochz"},
		{"zero models", "count: 4", "count: 0", "shadows.count"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !bytes.Contains(raw, []byte(tc.from)) {
				t.Fatalf("spec template lacks %q", tc.from)
			}
			d := t.TempDir()
			bad := filepath.Join(d, "bad.yaml")
			if err := os.WriteFile(bad, bytes.Replace(raw, []byte(tc.from), []byte(tc.to), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			state := filepath.Join(d, "state")
			code, _, stderr := runStarter(t, b, 60*time.Second, "run", bad, "--state-dir", state, "--out", filepath.Join(d, "out"))
			if code == 0 {
				t.Fatalf("invalid spec accepted; stderr:\n%s", stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr does not name %s:\n%s", tc.want, stderr)
			}
			if _, err := os.Stat(filepath.Join(state, "temporal.db")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("state dir DB exists after a rejected spec (stat err %v)", err)
			}
			if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("state dir %s created for a rejected spec", state)
			}
		})
	}

	t.Run("unreachable temporal", func(t *testing.T) {
		d := t.TempDir()
		start := time.Now()
		// Port 1 is privileged and closed: nothing can listen there.
		code, _, stderr := runStarter(t, b, 30*time.Second, "run", good, "--temporal", "127.0.0.1:1",
			"--store", "file://"+filepath.Join(d, "store"), "--out", filepath.Join(d, "out"))
		t.Logf("failed after %v: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(stderr))
		if code == 0 {
			t.Fatal("starter run against 127.0.0.1:1 succeeded")
		}
		if !strings.Contains(stderr, "unreachable") || !strings.Contains(stderr, "127.0.0.1:1") {
			t.Errorf("stderr does not say 127.0.0.1:1 is unreachable:\n%s", stderr)
		}
	})

	t.Run("silent temporal", func(t *testing.T) {
		// A listener that accepts connections and never answers: the dial
		// must time out rather than hang.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			var held []net.Conn
			defer func() {
				for _, c := range held {
					c.Close()
				}
			}()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				held = append(held, c)
			}
		}()
		d := t.TempDir()
		start := time.Now()
		code, _, stderr := runStarter(t, b, 40*time.Second, "run", good, "--temporal", l.Addr().String(),
			"--store", "file://"+filepath.Join(d, "store"), "--out", filepath.Join(d, "out"))
		t.Logf("failed after %v: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(stderr))
		if code == 0 {
			t.Fatal("starter run against a silent server succeeded")
		}
		if !strings.Contains(stderr, "unreachable") || !strings.Contains(stderr, l.Addr().String()) {
			t.Errorf("stderr does not say %s is unreachable:\n%s", l.Addr(), stderr)
		}
	})
}

// runStarter runs umbra-starter to completion (killing it after timeout:
// a hang) and returns its exit code, stdout and stderr.
func runStarter(t *testing.T, b bins, timeout time.Duration, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.starter, args...)
	cmd.Env = childEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("umbra-starter %s: still running after %v (hang); stderr:\n%s", strings.Join(args, " "), timeout, errb.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("umbra-starter %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}
