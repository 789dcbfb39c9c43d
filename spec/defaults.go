package spec

import (
	"slices"
)

// This file is the one place where defaults live: Default gives the
// defaults of every section that has no discriminator, and the DefaultX
// functions give those of each variant of the sections that do (dataset
// name, model arch, optimizer, schedule, defense, attack). The decoder
// starts from Default() and, on reading a discriminator, resets that
// section to DefaultX(value) before applying the fields written in the
// file; so a field written with its default value decodes exactly like an
// omitted one. Resolve fills the few defaults derived from other fields.

// Default returns a spec with every default filled in. Dataset name, model
// arch, dataset.universe and the attack list have no default.
func Default() *Spec {
	return &Spec{
		Version: currentVersion,
		Train: Train{
			Epochs:          10,
			BatchSize:       128,
			Optimizer:       DefaultOptimizer(OptimizerAdam),
			Schedule:        DefaultSchedule(ScheduleConstant),
			Defense:         DefaultDefense(DefenseNone),
			CheckpointEvery: 1,
		},
		Shadows: Shadows{Count: 16, Keep: 0.5},
		Eval:    Eval{Targets: 1, Augmentations: []QueryAugmentation{{}}},
		Metrics: Metrics{FPR: []float64{1e-5, 1e-3, 1e-2, 1e-1}},
	}
}

// DefaultDataset returns the defaults for the named dataset: synthetic
// datasets get generator defaults (purchase-synthetic: 600 binary-style
// features, 100 classes; tabular-synthetic: 20 features, 2 classes).
func DefaultDataset(name string) Dataset {
	d := Dataset{Name: name}
	switch name {
	case DatasetPurchaseSynthetic:
		d.Synthetic = &Synthetic{Dim: 600, Classes: 100, SensitiveFraction: 0.5}
	case DatasetTabularSynthetic:
		d.Synthetic = &Synthetic{Dim: 20, Classes: 2, SensitiveFraction: 0.5}
	}
	return d
}

// DefaultModel returns the named architecture with its default parameters.
func DefaultModel(arch string) Model {
	m := Model{Arch: arch}
	switch arch {
	case ArchMLP:
		m.MLP = &MLP{Hidden: []int{256}, Activation: ActivationReLU}
	case ArchSimpleCNN:
		m.SimpleCNN = &SimpleCNN{Width: 32, Hidden: 128}
	case ArchCNN:
		m.CNN = &CNN{Channels: []int{32, 64}, Kernel: 3, Hidden: []int{128}, Activation: ActivationReLU}
	case ArchResNet:
		m.ResNet = &ResNet{Depth: 20, Width: 16}
	}
	return m
}

// DefaultOptimizer returns the named optimizer with its default
// hyper-parameters: sgd lr 0.1, momentum 0.9; adam lr 1e-3, betas 0.9,
// 0.999, eps 1e-8; adamw as adam with weight decay 0.01.
func DefaultOptimizer(name string) Optimizer {
	o := Optimizer{Name: name}
	switch name {
	case OptimizerSGD:
		o.LR, o.Momentum = 0.1, 0.9
	case OptimizerAdam:
		o.LR, o.Beta1, o.Beta2, o.Eps = 1e-3, 0.9, 0.999, 1e-8
	case OptimizerAdamW:
		o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay = 1e-3, 0.9, 0.999, 1e-8, 0.01
	}
	return o
}

// DefaultSchedule returns the named schedule with its defaults (step: gamma
// 0.1; step_size has no default).
func DefaultSchedule(name string) Schedule {
	s := Schedule{Name: name}
	if name == ScheduleStep {
		s.Gamma = 0.1
	}
	return s
}

// DefaultDefense returns the named defense with its defaults (dp-sgd: clip
// norm 1, noise multiplier 1).
func DefaultDefense(name string) Defense {
	d := Defense{Name: name}
	if name == DefenseDPSGD {
		d.ClipNorm, d.NoiseMultiplier = 1, 1
	}
	return d
}

// DefaultAttack returns the named attack with its default parameters:
// LiRA needs 2 IN/OUT models per example (1 for the fixed-variance
// variants); RMIA a = 0.3, gamma = 1 (with near-saturated models a
// likelihood-ratio threshold of 2 is rarely reached and every score ties),
// all population points; adversarial eps = 8/255, 10 steps of eps/4.
func DefaultAttack(name string) Attack {
	a := Attack{Name: name}
	switch name {
	case AttackLiRAOnline:
		a.LiRA = &LiRA{MinIn: 2, MinOut: 2}
	case AttackLiRAOnlineFixedVar:
		a.LiRA = &LiRA{MinIn: 1, MinOut: 1}
	case AttackLiRAOffline:
		a.LiRA = &LiRA{MinOut: 2}
	case AttackLiRAOfflineFixedVar:
		a.LiRA = &LiRA{MinOut: 1}
	case AttackRMIA:
		a.RMIA = &RMIA{A: 0.3, Gamma: 1}
	case AttackAdversarial:
		a.Adversarial = &Adversarial{Eps: 8.0 / 255, Steps: 10}
	}
	return a
}

// Resolve fills the defaults that derive from other fields, in place, and
// is idempotent; Parse and Load call it, Canonical and Validate apply it to
// a copy. It sets: a synthetic dataset's size (universe + population) when
// 0; RMIA's population_samples (dataset.population) when 0; the
// adversarial step_size (eps/4) when 0; each attack's label (its name)
// when empty; the parameter struct of the chosen model arch or attack when
// nil; metrics.fpr sorted ascending.
func (s *Spec) Resolve() {
	if IsSyntheticDataset(s.Dataset.Name) {
		if s.Dataset.Synthetic == nil {
			s.Dataset.Synthetic = DefaultDataset(s.Dataset.Name).Synthetic
		}
		if s.Dataset.Synthetic.Size == 0 {
			s.Dataset.Synthetic.Size = s.Dataset.Universe + s.Dataset.Population
		}
	}
	m := &s.Model
	def := DefaultModel(m.Arch)
	if m.MLP == nil && def.MLP != nil {
		m.MLP = def.MLP
	}
	if m.SimpleCNN == nil && def.SimpleCNN != nil {
		m.SimpleCNN = def.SimpleCNN
	}
	if m.CNN == nil && def.CNN != nil {
		m.CNN = def.CNN
	}
	if m.ResNet == nil && def.ResNet != nil {
		m.ResNet = def.ResNet
	}
	for i := range s.Attacks {
		a := &s.Attacks[i]
		def := DefaultAttack(a.Name)
		if a.LiRA == nil && def.LiRA != nil {
			a.LiRA = def.LiRA
		}
		if a.RMIA == nil && def.RMIA != nil {
			a.RMIA = def.RMIA
		}
		if a.Adversarial == nil && def.Adversarial != nil {
			a.Adversarial = def.Adversarial
		}
		if a.Label == "" {
			a.Label = a.Name
		}
		if a.Name == AttackRMIA && a.RMIA.PopulationSamples == 0 {
			a.RMIA.PopulationSamples = s.Dataset.Population
		}
		if a.Name == AttackAdversarial && a.Adversarial.StepSize == 0 {
			a.Adversarial.StepSize = a.Adversarial.Eps / 4
		}
	}
	slices.Sort(s.Metrics.FPR)
}
