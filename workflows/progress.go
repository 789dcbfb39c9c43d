package workflows

import (
	"time"

	"github.com/umbra-ml/umbra/activities/api"
)

type batchState uint8

const (
	batchWaiting batchState = iota
	batchRunning
	batchDone
	batchFailed
)

// progressState is the Experiment workflow's view of its batches, from
// child results and api.BatchProgress signals. Slices indexed by batch keep
// iteration order (and so float sums) deterministic.
type progressState struct {
	phase      api.Phase
	err        string
	models     int
	perBatch   []int // models per batch
	state      []batchState
	latest     []api.BatchProgress // last signal, or the result when done
	cap        int                 // max concurrent trainings per batch
	trainStart time.Time
	lastUpdate time.Time
}

func newProgressState(models, batchSize, capPerBatch int) *progressState {
	n := (models + batchSize - 1) / batchSize
	p := &progressState{
		phase:    api.PhasePreparing,
		models:   models,
		perBatch: make([]int, n),
		state:    make([]batchState, n),
		latest:   make([]api.BatchProgress, n),
		cap:      capPerBatch,
	}
	for i := range p.perBatch {
		p.perBatch[i] = min(batchSize, models-i*batchSize)
	}
	return p
}

func (p *progressState) signal(bp api.BatchProgress, now time.Time) {
	if bp.Index < 0 || bp.Index >= len(p.state) || p.state[bp.Index] == batchDone {
		return
	}
	// Signals are cumulative; a reordered older one must not move back.
	if bp.Done+bp.Failed < p.latest[bp.Index].Done+p.latest[bp.Index].Failed {
		return
	}
	p.latest[bp.Index] = bp
	p.lastUpdate = now
}

func (p *progressState) started(i int) { p.state[i] = batchRunning }

func (p *progressState) finished(s api.BatchSummary, now time.Time) {
	if s.Index < 0 || s.Index >= len(p.state) {
		return
	}
	p.state[s.Index] = batchDone
	p.latest[s.Index] = api.BatchProgress{
		Index: s.Index, Done: s.Trained + s.Reused, Reused: s.Reused, Totals: s.Totals,
	}
	p.lastUpdate = now
}

func (p *progressState) failed(i int, now time.Time) {
	p.state[i] = batchFailed
	p.latest[i].Running = 0
	if p.latest[i].Failed == 0 {
		p.latest[i].Failed = 1
	}
	p.lastUpdate = now
}

func (p *progressState) snapshot() api.Progress {
	out := api.Progress{Phase: p.phase, Error: p.err, Models: p.models, Batches: len(p.state)}
	var totals api.TrainTotals
	for i, st := range p.state {
		bp := p.latest[i]
		out.Done += bp.Done
		out.Reused += bp.Reused
		out.Failed += bp.Failed
		totals.Merge(bp.Totals)
		switch st {
		case batchDone:
			out.BatchesDone++
		case batchRunning:
			if bp.Done+bp.Failed == 0 && bp.Running == 0 {
				// No signal yet: assume the batch is at its concurrency cap.
				out.Running += min(p.cap, p.perBatch[i])
			} else {
				out.Running += bp.Running
			}
		}
	}
	out.EpochsCompleted = totals.Epochs
	if elapsed := p.lastUpdate.Sub(p.trainStart); !p.trainStart.IsZero() && elapsed > 0 {
		out.SamplesPerSec = totals.Samples / elapsed.Seconds()
		trained := out.Done - out.Reused
		out.ModelsPerHour = float64(trained) / elapsed.Hours()
		if remaining := p.models - out.Done; remaining > 0 && out.ModelsPerHour > 0 && p.phase == api.PhaseTraining {
			out.ETA = time.Duration(float64(remaining) / out.ModelsPerHour * float64(time.Hour)).Round(time.Second)
		}
	}
	return out
}
