// Command e2e measures Umbra's end-to-end figures with the real binaries:
// it builds umbra-starter and umbra-worker into a temporary directory, runs
// experiments as separate processes (embedded mode, or `umbra-starter
// server` plus worker processes) and prints each figure on a final line
// `name=value`.
//
// Usage:
//
//	go run ./bench/e2e -scenario NAME [-runs N] [-keep]
//
// Scenarios:
//
//	quickstart   wall time of `umbra-starter run examples/quickstart.yaml`
//	             in embedded mode on a fresh state dir; median of -runs.
//	overhead     bench/e2e/overhead.yaml (64 models of ~5 s of training) in
//	             embedded mode on 2 slots; orchestration overhead
//	             = 1 − (Σ training seconds ÷ slots) ÷ wall seconds, both read
//	             from report.json's timing; median of -runs. The report's own
//	             orchestration_overhead (which also subtracts the attack
//	             phase) is printed beside it.
//	two-workers  throughput (models/min, submit to report) of
//	             bench/e2e/throughput.yaml against `umbra-starter server`
//	             with one worker process of 2 slots vs two worker processes
//	             of 1 slot each; fresh server and store per run, the two
//	             set-ups alternating; medians of -runs.
//	kill         time lost per worker SIGKILL: bench/e2e/kill.yaml on a
//	             server with two 1-slot workers, once undisturbed and once
//	             with worker A SIGKILLed mid-model (a replacement worker is
//	             started at once, so the figure is the heartbeat timeout,
//	             retry backoff and redone epochs, not lost capacity); the
//	             median over -runs pairs of (wall with kill − wall without).
//
// The figures are wall-clock times on whatever machine runs the command; on
// a shared machine quote medians and say so. Binaries are built with plain
// `go build` (pure-Go BLAS unless the build environment says otherwise).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/umbra-ml/umbra/internal/temporaltest"
)

func main() {
	scenario := flag.String("scenario", "", "quickstart, overhead, two-workers or kill")
	runs := flag.Int("runs", 3, "repetitions; figures are medians")
	keep := flag.Bool("keep", false, "keep the temporary directory (logs, stores)")
	starter := flag.String("starter", os.Getenv("UMBRA_STARTER_BIN"), "prebuilt umbra-starter (default: build ./cmd/starter; env UMBRA_STARTER_BIN)")
	worker := flag.String("worker", os.Getenv("UMBRA_WORKER_BIN"), "prebuilt umbra-worker (default: build ./cmd/worker; env UMBRA_WORKER_BIN)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(context.Background(), log, *scenario, *runs, *keep, *starter, *worker); err != nil {
		fmt.Fprintln(os.Stderr, "bench/e2e:", err)
		os.Exit(1)
	}
}

// bench holds what every scenario needs.
type bench struct {
	log             *slog.Logger
	root, dir       string
	starter, worker string
	runs            int
	procs           []*exec.Cmd
	figures         []string
}

func run(ctx context.Context, log *slog.Logger, scenario string, runs int, keep bool, starter, worker string) error {
	if runs < 1 {
		return fmt.Errorf("-runs %d: must be ≥ 1", runs)
	}
	scenarios := map[string]func(*bench, context.Context) error{
		"quickstart": (*bench).quickstart, "overhead": (*bench).overhead,
		"two-workers": (*bench).twoWorkers, "kill": (*bench).kill,
	}
	fn, ok := scenarios[scenario]
	if !ok {
		return fmt.Errorf("-scenario %q: want quickstart, overhead, two-workers or kill", scenario)
	}
	root, err := temporaltest.FindModuleRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "umbra-bench-e2e-")
	if err != nil {
		return err
	}
	if keep {
		log.Info("keeping the work directory", "dir", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	b := &bench{log: log, root: root, dir: dir, runs: runs, starter: starter, worker: worker}
	defer b.killAll()
	if err := b.build(); err != nil {
		return err
	}
	if err := fn(b, ctx); err != nil {
		return err
	}
	for _, f := range b.figures {
		fmt.Println(f)
	}
	return nil
}

// figure records a name=value line, printed at the end.
func (b *bench) figure(name string, v float64, unit string) {
	b.log.Info("figure", "name", name, "value", v, "unit", unit)
	b.figures = append(b.figures, fmt.Sprintf("%s=%s", name, strconv.FormatFloat(v, 'f', 4, 64)))
}

// build builds the binaries not given by flag or environment.
func (b *bench) build() error {
	for pkg, out := range map[string]*string{"./cmd/starter": &b.starter, "./cmd/worker": &b.worker} {
		if *out != "" {
			continue
		}
		*out = filepath.Join(b.dir, "bin", filepath.Base(pkg))
		cmd := exec.Command("go", "build", "-o", *out, pkg)
		cmd.Dir = b.root
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s: %w\n%s", pkg, err, msg)
		}
	}
	return nil
}

// env is this process's environment without UMBRA_ variables, which would
// set the children's flags.
func env() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "UMBRA_") {
			out = append(out, kv)
		}
	}
	return out
}

// start runs a background process logging to logPath; killAll SIGKILLs it
// by PID at the end.
func (b *bench) start(logPath, bin string, args ...string) (*exec.Cmd, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = env()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b.procs = append(b.procs, cmd)
	return cmd, nil
}

// stop SIGKILLs one process and reaps it.
func stop(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil || cmd.ProcessState != nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
}

func (b *bench) killAll() {
	for _, c := range b.procs {
		stop(c)
	}
	b.procs = nil
}

// runStarter runs umbra-starter to completion and returns its wall time.
func (b *bench) runStarter(ctx context.Context, logPath string, args ...string) (time.Duration, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, b.starter, args...)
	cmd.Env = env()
	cmd.Stdout, cmd.Stderr = f, f
	t0 := time.Now()
	err = cmd.Run()
	d := time.Since(t0)
	if err != nil {
		return d, fmt.Errorf("umbra-starter %s: %w (log %s)", strings.Join(args, " "), err, logPath)
	}
	return d, nil
}

// cluster is `umbra-starter server` plus worker processes.
type cluster struct {
	srv     *temporaltest.Server
	dir     string
	store   string
	workers []*exec.Cmd
}

func (b *bench) newCluster(ctx context.Context, dir string) (*cluster, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	port, err := temporaltest.FreePortBlock(temporaltest.PortsUsed)
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	srv := &temporaltest.Server{Bin: b.starter, DB: filepath.Join(dir, "temporal.db"), Port: port, Log: logf}
	if err := srv.Start(ctx, 2*time.Minute); err != nil {
		return nil, err
	}
	return &cluster{srv: srv, dir: dir, store: "file://" + filepath.Join(dir, "store")}, nil
}

func (b *bench) addWorker(c *cluster, name string, slots int) (*exec.Cmd, error) {
	w, err := b.start(filepath.Join(c.dir, name+".log"), b.worker, "--temporal", c.srv.Addr(),
		"--queues", "umbra-train,umbra-attack", "--slots", strconv.Itoa(slots), "--store", c.store,
		"--metrics-addr", "", "--log-level", "info", "--stop-timeout", "10s")
	if err == nil {
		c.workers = append(c.workers, w)
	}
	return w, err
}

func (c *cluster) close() {
	for _, w := range c.workers {
		stop(w)
	}
	_ = c.srv.Kill()
}

// submit runs a spec on the cluster to completion and returns the wall time.
func (b *bench) submit(ctx context.Context, c *cluster, spec string) (time.Duration, error) {
	return b.runStarter(ctx, filepath.Join(c.dir, "run.log"), "run", spec, "--temporal", c.srv.Addr(),
		"--store", c.store, "--out", filepath.Join(c.dir, "out"), "--no-progress")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func (b *bench) quickstart(ctx context.Context) error {
	spec := filepath.Join(b.root, "examples", "quickstart.yaml")
	var walls []float64
	for i := range b.runs {
		d := filepath.Join(b.dir, fmt.Sprintf("quickstart-%d", i))
		wall, err := b.runStarter(ctx, filepath.Join(b.dir, fmt.Sprintf("quickstart-%d.log", i)), "run", spec,
			"--state-dir", filepath.Join(d, "state"), "--out", filepath.Join(d, "out"), "--no-progress")
		if err != nil {
			return err
		}
		b.log.Info("quickstart run", "run", i, "wall", wall.Round(time.Millisecond))
		walls = append(walls, wall.Seconds())
	}
	b.figure("quickstart_wall_seconds", median(walls), "s")
	return nil
}

// timing is report.json's timing section.
type timing struct {
	WallSeconds           float64  `json:"wall_seconds"`
	TrainSeconds          float64  `json:"train_seconds"`
	TrainWorkers          int      `json:"train_workers"`
	AttackSeconds         float64  `json:"attack_seconds"`
	OrchestrationOverhead *float64 `json:"orchestration_overhead"`
}

func readTiming(path string) (timing, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return timing{}, err
	}
	var r struct {
		Timing timing `json:"timing"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return timing{}, fmt.Errorf("%s: %w", path, err)
	}
	if r.Timing.WallSeconds <= 0 {
		return timing{}, fmt.Errorf("%s: timing.wall_seconds = %v", path, r.Timing.WallSeconds)
	}
	return r.Timing, nil
}

func (b *bench) overhead(ctx context.Context) error {
	const slots = 2
	spec := filepath.Join(b.root, "bench", "e2e", "overhead.yaml")
	var ours, theirs, walls, trains []float64
	for i := range b.runs {
		d := filepath.Join(b.dir, fmt.Sprintf("overhead-%d", i))
		out := filepath.Join(d, "out")
		wall, err := b.runStarter(ctx, filepath.Join(b.dir, fmt.Sprintf("overhead-%d.log", i)), "run", spec,
			"--state-dir", filepath.Join(d, "state"), "--out", out, "--slots", strconv.Itoa(slots), "--no-progress")
		if err != nil {
			return err
		}
		tm, err := readTiming(filepath.Join(out, "report.json"))
		if err != nil {
			return err
		}
		o := 1 - (tm.TrainSeconds/slots)/tm.WallSeconds
		b.log.Info("overhead run", "run", i, "process_wall", wall.Round(time.Millisecond), "report_wall_s", tm.WallSeconds,
			"train_s", tm.TrainSeconds, "attack_s", tm.AttackSeconds, "overhead", o)
		ours, walls, trains = append(ours, o), append(walls, tm.WallSeconds), append(trains, tm.TrainSeconds)
		if tm.OrchestrationOverhead != nil {
			theirs = append(theirs, *tm.OrchestrationOverhead)
		}
	}
	b.figure("overhead_wall_seconds", median(walls), "s")
	b.figure("overhead_train_seconds", median(trains), "s")
	if len(theirs) > 0 {
		b.figure("report_orchestration_overhead", median(theirs), "fraction")
	}
	b.figure("orchestration_overhead", median(ours), "fraction")
	return nil
}

func (b *bench) twoWorkers(ctx context.Context) error {
	spec := filepath.Join(b.root, "bench", "e2e", "throughput.yaml")
	const models = 16
	setups := []struct {
		name    string
		workers int
		slots   int
	}{{"one_worker_2_slots", 1, 2}, {"two_workers_1_slot", 2, 1}}
	rates := map[string][]float64{}
	for i := range b.runs {
		for _, s := range setups {
			c, err := b.newCluster(ctx, filepath.Join(b.dir, fmt.Sprintf("%s-%d", s.name, i)))
			if err != nil {
				return err
			}
			for w := range s.workers {
				if _, err := b.addWorker(c, fmt.Sprintf("worker-%d", w), s.slots); err != nil {
					c.close()
					return err
				}
			}
			wall, err := b.submit(ctx, c, spec)
			c.close()
			if err != nil {
				return err
			}
			rate := models / wall.Minutes()
			b.log.Info("throughput run", "setup", s.name, "run", i, "wall", wall.Round(time.Millisecond), "models_per_min", rate)
			rates[s.name] = append(rates[s.name], rate)
		}
	}
	for _, s := range setups {
		b.figure(s.name+"_models_per_min", median(rates[s.name]), "models/min")
	}
	return nil
}

var epochFile = regexp.MustCompile(`^epoch-(\d{4})\.safetensors$`)

// inFlight counts unfinished models (no manifest) with a checkpoint of at
// least minEpoch under a store's models directory.
func inFlight(modelsDir string, minEpoch int) int {
	ents, _ := os.ReadDir(modelsDir)
	n := 0
	for _, e := range ents {
		dir := filepath.Join(modelsDir, e.Name())
		if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil || !e.IsDir() {
			continue
		}
		files, _ := os.ReadDir(dir)
		for _, f := range files {
			if m := epochFile.FindStringSubmatch(f.Name()); m != nil {
				if ep, _ := strconv.Atoi(m[1]); ep >= minEpoch {
					n++
					break
				}
			}
		}
	}
	return n
}

func (b *bench) kill(ctx context.Context) error {
	spec := filepath.Join(b.root, "bench", "e2e", "kill.yaml")
	var lost []float64
	for i := range b.runs {
		var walls [2]time.Duration
		for k, withKill := range []bool{false, true} {
			c, err := b.newCluster(ctx, filepath.Join(b.dir, fmt.Sprintf("kill-%d-%v", i, withKill)))
			if err != nil {
				return err
			}
			wa, err := b.addWorker(c, "worker-a", 1)
			if err == nil {
				_, err = b.addWorker(c, "worker-b", 1)
			}
			if err != nil {
				c.close()
				return err
			}
			done := make(chan error, 1)
			var wall time.Duration
			go func() {
				var err error
				wall, err = b.submit(ctx, c, spec)
				done <- err
			}()
			if withKill {
				storeModels := filepath.Join(strings.TrimPrefix(c.store, "file://"), "models")
				err = waitKill(ctx, storeModels, done, func() error {
					stop(wa)
					_, err := b.addWorker(c, "worker-a2", 1)
					return err
				})
				if err != nil {
					c.close()
					return err
				}
			}
			err = <-done
			c.close()
			if err != nil {
				return err
			}
			walls[k] = wall
		}
		d := (walls[1] - walls[0]).Seconds()
		b.log.Info("kill pair", "run", i, "without", walls[0].Round(time.Millisecond), "with_kill", walls[1].Round(time.Millisecond), "lost_s", d)
		lost = append(lost, d)
	}
	b.figure("kill_lost_seconds", median(lost), "s")
	return nil
}

// waitKill polls until both 1-slot workers are mid-model (two unfinished
// models with an epoch-2 checkpoint), then calls kill. It fails if the run
// ends first.
func waitKill(ctx context.Context, models string, done chan error, kill func() error) error {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		if inFlight(models, 2) >= 2 {
			return kill()
		}
		select {
		case err := <-done:
			done <- err
			return fmt.Errorf("the run ended before two models reached epoch 2 (%v)", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return errors.New("no two models reached epoch 2 within 5 minutes")
}
