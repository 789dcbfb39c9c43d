package activities

import (
	"encoding/binary"
	"fmt"

	"github.com/umbra-ml/umbra/attacks"
	"github.com/umbra-ml/umbra/spec"
	"github.com/umbra-ml/umbra/trainer"
)

// This file is the one place that maps the spec's vocabulary onto the
// training engine's and the attacks' configuration types.

// archConfig maps the spec's model section to a trainer architecture.
func archConfig(m spec.Model) (trainer.ArchConfig, error) {
	switch m.Arch {
	case spec.ArchMLP:
		if m.MLP == nil {
			return trainer.ArchConfig{}, fmt.Errorf("model: arch mlp without parameters")
		}
		return trainer.ArchConfig{Name: "mlp", Hidden: m.MLP.Hidden, Activation: activation(m.MLP.Activation)}, nil
	case spec.ArchSimpleCNN:
		c := trainer.ArchConfig{Name: "simplecnn"}
		p := m.SimpleCNN
		if p == nil {
			return c, nil
		}
		if p.Hidden > 0 {
			c.Hidden = []int{p.Hidden}
		}
		if p.Width > 0 && p.Width != 32 {
			// The engine's simplecnn has ML-Doctor's 32 and 64 channels;
			// other widths are the same stack written as a cnn.
			c.Name = "cnn"
			for _, ch := range []int{p.Width, 2 * p.Width} {
				c.Conv = append(c.Conv, trainer.ConvBlock{Channels: ch, Kernel: 3, Padding: 1, Pool: trainer.MaxPool, PoolSize: 2})
			}
		}
		return c, nil
	case spec.ArchCNN:
		p := m.CNN
		if p == nil {
			return trainer.ArchConfig{}, fmt.Errorf("model: arch cnn without parameters")
		}
		c := trainer.ArchConfig{Name: "cnn", Hidden: p.Hidden, Activation: activation(p.Activation)}
		for _, ch := range p.Channels {
			c.Conv = append(c.Conv, trainer.ConvBlock{Channels: ch, Kernel: p.Kernel, Padding: -1, Pool: trainer.MaxPool, PoolSize: 2})
		}
		if p.BatchNorm {
			c.Norm = "batch"
		}
		return c, nil
	case spec.ArchResNet:
		c := trainer.ArchConfig{Name: "resnet"}
		if p := m.ResNet; p != nil {
			c.Depth, c.Width = p.Depth, p.Width
		}
		return c, nil
	}
	return trainer.ArchConfig{}, fmt.Errorf("model.arch: %q is not supported by the trainer", m.Arch)
}

// activation maps spec activation names to the trainer's.
func activation(name string) trainer.ActivationKind {
	if name == spec.ActivationLeakyReLU {
		return trainer.LeakyReLU
	}
	return trainer.ActivationKind(name)
}

// recipe maps the spec's train section to a trainer recipe.
func recipe(t spec.Train) (trainer.Recipe, error) {
	if t.Defense.Name != "" && t.Defense.Name != spec.DefenseNone {
		return trainer.Recipe{}, fmt.Errorf("train.defense.name: %q is not implemented by the trainer yet", t.Defense.Name)
	}
	r := trainer.Recipe{
		Epochs:    t.Epochs,
		BatchSize: t.BatchSize,
		Optimizer: trainer.OptimizerConfig{
			Kind:        trainer.OptimizerKind(t.Optimizer.Name),
			LR:          t.Optimizer.LR,
			Momentum:    t.Optimizer.Momentum,
			Nesterov:    t.Optimizer.Nesterov,
			WeightDecay: t.Optimizer.WeightDecay,
			Beta1:       t.Optimizer.Beta1,
			Beta2:       t.Optimizer.Beta2,
			Eps:         t.Optimizer.Eps,
		},
		Schedule: trainer.Schedule{
			Kind:         trainer.ScheduleKind(t.Schedule.Name),
			StepEpochs:   t.Schedule.StepSize,
			Gamma:        t.Schedule.Gamma,
			WarmupEpochs: float64(t.Schedule.WarmupEpochs),
		},
		Loss:           trainer.CrossEntropy,
		LabelSmoothing: t.LabelSmoothing,
		Augment:        trainer.Augment{CropPad: t.Augmentation.CropPadding, Flip: t.Augmentation.HFlip},
	}
	return r, nil
}

// modelSeed derives model index i's seed from the spec's training seed, so
// that every model of an experiment starts from different weights and
// shuffles differently, reproducibly: the first 8 bytes of
// SHA-256("umbra/model-seed" ‖ seed ‖ index), little-endian.
func modelSeed(trainSeed int64, index int) uint64 {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(trainSeed))
	binary.LittleEndian.PutUint64(b[8:], uint64(index))
	return seedHash("umbra/model-seed", b[:])
}

// queryAugs maps the spec's query augmentations to the trainer's.
func queryAugs(e spec.Eval) []trainer.Augmentation {
	if len(e.Augmentations) == 0 {
		return []trainer.Augmentation{{}}
	}
	out := make([]trainer.Augmentation, len(e.Augmentations))
	for i, q := range e.Augmentations {
		out[i] = trainer.Augmentation{Mirror: q.Mirror, DX: q.DX, DY: q.DY}
	}
	return out
}

// liraConfig maps a LiRA attack of the spec.
func liraConfig(a spec.Attack) attacks.LiRAConfig {
	c := attacks.LiRAConfig{
		Offline:       a.Name == spec.AttackLiRAOffline || a.Name == spec.AttackLiRAOfflineFixedVar,
		FixedVariance: a.Name == spec.AttackLiRAOnlineFixedVar || a.Name == spec.AttackLiRAOfflineFixedVar,
	}
	if a.LiRA != nil {
		c.MinIn, c.MinOut = a.LiRA.MinIn, a.LiRA.MinOut
	}
	return c
}

// rmiaConfig maps the spec's RMIA attack; seed comes from the mask seed so
// that the population sample is reproducible.
func rmiaConfig(a spec.Attack, seed uint64) attacks.RMIAConfig {
	c := attacks.RMIAConfig{Seed: seed}
	if a.RMIA != nil {
		c.OfflineA, c.Gamma, c.NumZ = a.RMIA.A, a.RMIA.Gamma, a.RMIA.PopulationSamples
		// The spec's a is the offline correction; a = 1 would make the
		// offline estimate the plain OUT mean. RMIA runs online whenever IN
		// models exist, which they do in the shadow-pool design.
	}
	return c
}
