package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/umbra-ml/umbra/activities/api"
	"github.com/umbra-ml/umbra/artifacts"
	"github.com/umbra-ml/umbra/artifacts/npy"
	"github.com/umbra-ml/umbra/attacks"
	"github.com/umbra-ml/umbra/plan"
	"github.com/umbra-ml/umbra/trainer"
)

// heartbeatEvery is how often a running training re-sends its latest
// heartbeat details, so that an epoch longer than the heartbeat timeout
// does not look like a dead worker (the SDK throttles the actual sends).
const heartbeatEvery = 5 * time.Second

// errWorkerStopping ends a training whose worker is shutting down, right
// after it wrote a checkpoint; the retry resumes from that checkpoint on
// another worker.
var errWorkerStopping = errors.New("worker stopping: training checkpointed, will resume elsewhere")

// Logits file name beside scores.npy.
const logitsName = "logits.npy"

// TrainModel trains one model of an experiment, or reuses it when its
// manifest says it is finished. A retried attempt resumes from the newest
// checkpoint (named in the heartbeat details, else found in the store). It
// checkpoints every CheckpointEvery epochs and whenever the worker stops,
// then scores every experiment example under every query augmentation and
// stores weights, scores, logits and finally the manifest.
func (a *Activities) TrainModel(ctx context.Context, in api.TrainModelInput) (out api.TrainModelOutput, err error) {
	met := a.metrics(ctx)
	s, err := parseSpec(in.Spec)
	if err != nil {
		return out, err
	}
	st, err := a.store(ctx, in.StoreURL)
	if err != nil {
		return out, err
	}
	key := in.ModelKey
	if key == "" {
		if in.Recipe == nil {
			return out, temporal.NewNonRetryableApplicationError("train model: neither model key nor recipe given", api.ErrTypeInvalidSpec, nil)
		}
		key = modelKey(*in.Recipe, in.ModelIndex)
	}
	out = api.TrainModelOutput{ModelIndex: in.ModelIndex, ModelKey: key}
	log := a.logger(ctx).With("model", in.ModelIndex, "key", key[:12])

	if man, err := artifacts.ReadManifest(ctx, st, key); err == nil && man.Final && man.EpochsDone >= s.Train.Epochs {
		if finished(ctx, st, key) {
			met.TrainingReused()
			out.Reused, out.Epochs = true, man.EpochsDone
			log.Info("reusing finished model")
			return out, nil
		}
	} else if err != nil && !errors.Is(err, artifacts.ErrNotFound) {
		return out, fmt.Errorf("model %d: read manifest: %w", in.ModelIndex, err)
	}

	exp, err := a.experimentDataOf(ctx, s)
	if err != nil {
		return out, datasetError(err)
	}
	row, err := plan.MaskRow(in.MaskSeed, in.Models, exp.Universe, s.Shadows.Keep, in.ModelIndex)
	if err != nil {
		return out, temporal.NewNonRetryableApplicationError(err.Error(), api.ErrTypeInvalidSpec, err)
	}
	var members []int
	for i, k := range row {
		if k {
			members = append(members, i)
		}
	}
	arch, err := archConfig(s.Model)
	if err != nil {
		return out, temporal.NewNonRetryableApplicationError(err.Error(), api.ErrTypeInvalidSpec, err)
	}
	rec, err := recipe(s.Train)
	if err != nil {
		return out, temporal.NewNonRetryableApplicationError(err.Error(), api.ErrTypeInvalidSpec, err)
	}
	model, err := trainer.NewModel(arch, exp.Data.Shape, exp.Data.Classes, modelSeed(s.Train.Seed, in.ModelIndex), s.Train.BatchSize)
	if err != nil {
		return out, temporal.NewNonRetryableApplicationError(err.Error(), api.ErrTypeInvalidSpec, err)
	}

	resume, resumeKey := a.findCheckpoint(ctx, st, key, log)
	hb := newHeartbeater(ctx)
	defer hb.stop()
	if resume != nil {
		hb.set(api.TrainHeartbeat{Epoch: resume.Epoch, CheckpointKey: resumeKey})
		log.Info("resuming", "epoch", resume.Epoch, "checkpoint", resumeKey)
	}
	met.TrainingStarted()
	workStart := time.Now()

	every := in.CheckpointEvery
	if every <= 0 {
		every = max(s.Train.CheckpointEvery, 1)
	}
	var stopCh <-chan struct{}
	if activity.IsActivity(ctx) {
		stopCh = activity.GetWorkerStopChannel(ctx)
	}
	var epochSecs []float64
	var trainDur time.Duration
	var last trainer.EpochStats
	onEpoch := func(ctx context.Context, epoch int, stats trainer.EpochStats, ckpt func(io.Writer) error) error {
		done := epoch + 1
		last = stats
		trainDur += stats.Duration
		epochSecs = append(epochSecs, stats.Duration.Seconds())
		met.ObserveEpoch(stats.Examples, stats.Duration)
		stopping := false
		select {
		case <-stopCh:
			stopping = true
		default:
		}
		if done%every == 0 || done == s.Train.Epochs || stopping {
			ck := artifacts.EpochCheckpointKey(key, done)
			t0 := time.Now()
			info, err := artifacts.PutStream(ctx, st, ck, -1, artifacts.PutOptions{}, ckpt)
			if err != nil {
				return fmt.Errorf("checkpoint epoch %d: %w", done, err)
			}
			met.ObserveCheckpoint(info.Size, time.Since(t0))
			hb.set(api.TrainHeartbeat{Epoch: done, CheckpointKey: ck})
		} else {
			hb.set(api.TrainHeartbeat{Epoch: done, CheckpointKey: hb.get().CheckpointKey})
		}
		log.Debug("epoch", "epoch", done, "loss", stats.Loss, "accuracy", stats.Accuracy)
		if stopping && done < s.Train.Epochs {
			return errWorkerStopping
		}
		return nil
	}
	res, err := trainer.Train(ctx, model, exp.Data, rec, trainer.TrainOptions{Indices: members, StartFrom: resume, OnEpoch: onEpoch})
	if err != nil {
		met.TrainingFailed()
		var div *trainer.DivergedError
		if errors.As(err, &div) {
			msg := fmt.Sprintf("model %d diverged: %v", in.ModelIndex, div)
			return out, temporal.NewNonRetryableApplicationError(msg, api.ErrTypeDiverged, err,
				api.DivergedDetails{ModelIndex: in.ModelIndex, Epoch: div.Epoch, Loss: fmt.Sprint(div.Loss)})
		}
		return out, fmt.Errorf("model %d: %w", in.ModelIndex, err)
	}

	t0 := time.Now()
	checksums, err := a.storeScores(ctx, st, key, model, exp, queryAugs(s.Eval))
	if err != nil {
		met.TrainingFailed()
		return out, fmt.Errorf("model %d: %w", in.ModelIndex, err)
	}
	scoreDur := time.Since(t0)
	man := &artifacts.Manifest{
		Version:            artifacts.ManifestVersion,
		ModelKey:           key,
		SpecHash:           s.Hash(),
		DatasetFingerprint: exp.Fingerprint,
		RecipeHash:         s.ModelRecipeHash(),
		MaskSeed:           in.MaskSeed,
		ModelIndex:         in.ModelIndex,
		EpochsPlanned:      s.Train.Epochs,
		EpochsDone:         s.Train.Epochs,
		Final:              true,
		Checksums:          checksums,
		Timings:            artifacts.Timings{EpochSeconds: epochSecs, TrainSeconds: trainDur.Seconds(), ScoreSeconds: scoreDur.Seconds()},
		Worker:             workerName(),
	}
	if _, err := artifacts.WriteManifest(ctx, st, man); err != nil {
		met.TrainingFailed()
		return out, fmt.Errorf("model %d: %w", in.ModelIndex, err)
	}
	met.TrainingFinished()
	out.Epochs = len(res.Epochs)
	// TrainSeconds is the model's whole work in this attempt (training,
	// checkpoints, scoring, stores): the orchestration overhead compares it
	// with wall time. SamplesPerSec counts the training steps alone.
	out.TrainSeconds = time.Since(workStart).Seconds()
	if secs := trainDur.Seconds(); secs > 0 {
		out.SamplesPerSec = float64(len(members)*len(res.Epochs)) / secs
	}
	out.FinalLoss, out.FinalAccuracy = last.Loss, last.Accuracy
	log.Info("trained", "epochs", out.Epochs, "train_seconds", fmt.Sprintf("%.2f", trainDur.Seconds()),
		"work_seconds", fmt.Sprintf("%.2f", out.TrainSeconds), "loss", last.Loss, "accuracy", last.Accuracy)
	return out, nil
}

// finished reports whether a model's weights and scores are present.
func finished(ctx context.Context, st artifacts.Store, key string) bool {
	for _, k := range []string{artifacts.FinalCheckpointKey(key), artifacts.ScoresKey(key), artifacts.ModelPrefix(key) + logitsName} {
		if _, err := st.Stat(ctx, k); err != nil {
			return false
		}
	}
	return true
}

// findCheckpoint returns the newest readable checkpoint of a model: the
// highest-numbered epoch file in the store, falling back to older ones when
// one is corrupt (logged). The checkpoint named in the last heartbeat is
// only a fallback for a store that cannot be listed: heartbeats are
// throttled, so it can lag behind the store.
func (a *Activities) findCheckpoint(ctx context.Context, st artifacts.Store, key string, log *slog.Logger) (*trainer.Checkpoint, string) {
	var keys []string
	objs, err := st.List(ctx, artifacts.ModelPrefix(key))
	if err != nil {
		log.Warn("listing checkpoints failed; trying the last heartbeat's", "err", err)
	}
	for _, o := range objs {
		if _, name, ok := artifacts.ParseModelKey(o.Key); ok {
			if _, ok := artifacts.ParseEpochName(name); ok {
				keys = append(keys, o.Key)
			}
		}
	}
	slices.Sort(keys) // zero-padded epoch numbers sort by epoch
	slices.Reverse(keys)
	if err != nil && activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		var hb api.TrainHeartbeat
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil && hb.CheckpointKey != "" {
			keys = append(keys, hb.CheckpointKey)
		}
	}
	for _, k := range keys {
		b, err := artifacts.Get(ctx, st, k)
		if err != nil {
			log.Warn("checkpoint unreadable; trying an older one", "checkpoint", k, "err", err)
			continue
		}
		c, err := trainer.ReadCheckpoint(bytesReader(b))
		if err != nil || !c.IsTrainingState() {
			log.Warn("checkpoint invalid; trying an older one", "checkpoint", k, "err", err)
			continue
		}
		return c, k
	}
	return nil, ""
}

// storeScores computes the model's logits on every experiment example under
// every query augmentation and stores weights, logits and φ scores; it
// returns their checksums by file name.
func (a *Activities) storeScores(ctx context.Context, st artifacts.Store, key string, m *trainer.Model, exp *experimentData, augs []trainer.Augmentation) (map[string]artifacts.Checksum, error) {
	n, na, c := exp.Examples(), len(augs), m.Classes
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	logits, err := trainer.Logits(ctx, m, exp.Data, idx, augs)
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	phi := make([]float32, n*na)
	if err := attacks.PhiFromLogits(phi, logits, n, na, c, exp.Data.Y[:n]); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	sums := map[string]artifacts.Checksum{}
	put := func(name string, write func(io.Writer) error) error {
		info, err := artifacts.PutStream(ctx, st, artifacts.ModelPrefix(key)+name, -1, artifacts.PutOptions{}, write)
		if err != nil {
			return fmt.Errorf("store %s: %w", name, err)
		}
		sums[name] = info.Checksum
		return nil
	}
	if err := put("final.safetensors", func(w io.Writer) error { return trainer.WriteWeights(w, m) }); err != nil {
		return nil, err
	}
	if err := put(logitsName, func(w io.Writer) error { return npy.WriteFloat32(w, []int{n, na, c}, logits) }); err != nil {
		return nil, err
	}
	if err := put("scores.npy", func(w io.Writer) error { return npy.WriteFloat32(w, []int{n, na}, phi) }); err != nil {
		return nil, err
	}
	return sums, nil
}

// workerName identifies this process in manifests.
func workerName() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", h, os.Getpid())
}

// heartbeater re-sends the latest TrainModel heartbeat details until
// stopped; outside an activity it only remembers them.
type heartbeater struct {
	mu     sync.Mutex
	cur    api.TrainHeartbeat
	active bool
	ctx    context.Context
	done   chan struct{}
	wg     sync.WaitGroup
}

func newHeartbeater(ctx context.Context) *heartbeater {
	h := &heartbeater{ctx: ctx, active: activity.IsActivity(ctx), done: make(chan struct{})}
	if h.active {
		h.wg.Add(1)
		go h.loop()
	}
	return h
}

func (h *heartbeater) loop() {
	defer h.wg.Done()
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-h.done:
			return
		case <-t.C:
			activity.RecordHeartbeat(h.ctx, h.get())
		}
	}
}

func (h *heartbeater) set(d api.TrainHeartbeat) {
	h.mu.Lock()
	h.cur = d
	h.mu.Unlock()
	if h.active {
		activity.RecordHeartbeat(h.ctx, d)
	}
}

func (h *heartbeater) get() api.TrainHeartbeat {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur
}

func (h *heartbeater) stop() {
	close(h.done)
	h.wg.Wait()
}
