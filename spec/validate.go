package spec

import (
	"errors"
	"fmt"
	"strings"
)

// Validate checks a spec built in code (Parse and Load already validate):
// it resolves a copy and returns every problem as joined *FieldErrors.
func (s *Spec) Validate() error {
	c := s.clone()
	c.Resolve()
	errs := c.validate()
	if len(errs) == 0 {
		return nil
	}
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

// validate checks ranges and cross-field rules of a resolved spec.
func (s *Spec) validate() []*FieldError {
	var c checker
	if s.Version != currentVersion {
		c.add("version", "%d is not a supported version; want %d", s.Version, currentVersion)
	}
	s.validateDataset(&c)
	s.validateModel(&c)
	s.validateTrain(&c)
	s.validateShadowsEval(&c)
	s.validateAttacks(&c)
	s.validateMetrics(&c)
	return c.errs
}

func positive(c *checker, path string, v int) {
	if v <= 0 {
		c.add(path, "must be > 0 (got %d)", v)
	} else if v > maxCount {
		c.add(path, "must be ≤ %d (got %d)", maxCount, v)
	}
}

func nonNegative(c *checker, path string, v int) {
	if v < 0 {
		c.add(path, "must be ≥ 0 (got %d)", v)
	} else if v > maxCount {
		c.add(path, "must be ≤ %d (got %d)", maxCount, v)
	}
}

func positiveFloat(c *checker, path string, v float64) {
	if !(v > 0) || v > 1e300 {
		c.add(path, "must be > 0 (got %v)", v)
	}
}

// inRange checks lo ≤ v < hi (or ≤ hi when closed).
func inRange(c *checker, path string, v, lo, hi float64, closed bool) {
	if closed {
		if !(v >= lo && v <= hi) {
			c.add(path, "must be in [%v, %v] (got %v)", lo, hi, v)
		}
		return
	}
	if !(v >= lo && v < hi) {
		c.add(path, "must be in [%v, %v) (got %v)", lo, hi, v)
	}
}

// notFor reports fields set that the chosen variant does not use (possible
// only in specs built in code; the decoder rejects them in YAML).
func notFor(c *checker, path string, set bool, noun, value string) {
	if set {
		c.add(path, "not a field of %s %q", noun, value)
	}
}

func (s *Spec) validateDataset(c *checker) {
	d := &s.Dataset
	if !c.oneOf("dataset.name", d.Name, datasetNames) {
		return
	}
	positive(c, "dataset.universe", d.Universe)
	nonNegative(c, "dataset.population", d.Population)
	total := d.Universe + d.Population
	if max, ok := datasetMaxSize[d.Name]; ok && total > max {
		c.add("dataset.universe", "universe + population must be ≤ %d, the size of %s (got %d + %d = %d)",
			max, d.Name, d.Universe, d.Population, total)
	}
	if IsSyntheticDataset(d.Name) {
		notFor(c, "dataset.path", d.Path != "", "dataset", d.Name)
		sy := d.Synthetic
		if sy == nil { // Resolve always sets it; guard for safety
			c.add("dataset.synthetic", "required for %s", d.Name)
		} else {
			positive(c, "dataset.synthetic.size", sy.Size)
			if sy.Size > 0 && sy.Size < total {
				c.add("dataset.synthetic.size", "must be ≥ universe + population = %d (got %d)", total, sy.Size)
			}
			positive(c, "dataset.synthetic.dim", sy.Dim)
			if sy.Classes < 2 || sy.Classes > maxCount {
				c.add("dataset.synthetic.classes", "must be ≥ 2 (got %d)", sy.Classes)
			}
			inRange(c, "dataset.synthetic.flip_prob", sy.FlipProb, 0, 1, false)
			inRange(c, "dataset.synthetic.sensitive_fraction", sy.SensitiveFraction, 0, 1, true)
		}
	} else {
		if strings.TrimSpace(d.Path) == "" {
			c.add("dataset.path", "required for dataset %s (a file or directory)", d.Name)
		}
		notFor(c, "dataset.synthetic", d.Synthetic != nil, "dataset", d.Name)
	}
	if d.Name == DatasetCSV {
		if strings.TrimSpace(d.LabelColumn) == "" {
			c.add("dataset.label_column", "required for dataset csv (the name of the label column)")
		}
	} else {
		notFor(c, "dataset.label_column", d.LabelColumn != "", "dataset", d.Name)
	}
}

func (s *Spec) validateModel(c *checker) {
	m := &s.Model
	if !c.oneOf("model.arch", m.Arch, archNames) {
		return
	}
	notFor(c, "model.mlp", m.MLP != nil && m.Arch != ArchMLP, "arch", m.Arch)
	notFor(c, "model.simplecnn", m.SimpleCNN != nil && m.Arch != ArchSimpleCNN, "arch", m.Arch)
	notFor(c, "model.cnn", m.CNN != nil && m.Arch != ArchCNN, "arch", m.Arch)
	notFor(c, "model.resnet", m.ResNet != nil && m.Arch != ArchResNet, "arch", m.Arch)
	if m.Arch != ArchMLP && contains(datasetNames, s.Dataset.Name) && !IsImageDataset(s.Dataset.Name) {
		c.add("model.arch", "%s needs an image dataset (dataset.name is %s); use mlp", m.Arch, s.Dataset.Name)
	}
	switch m.Arch {
	case ArchMLP:
		for i, h := range m.MLP.Hidden {
			positive(c, indexPath("model.hidden", i), h)
		}
		c.oneOf("model.activation", m.MLP.Activation, activationNames)
	case ArchSimpleCNN:
		positive(c, "model.width", m.SimpleCNN.Width)
		positive(c, "model.hidden", m.SimpleCNN.Hidden)
	case ArchCNN:
		if len(m.CNN.Channels) == 0 {
			c.add("model.channels", "must list at least one conv layer")
		}
		for i, ch := range m.CNN.Channels {
			positive(c, indexPath("model.channels", i), ch)
		}
		if m.CNN.Kernel < 1 || m.CNN.Kernel%2 == 0 || m.CNN.Kernel > 15 {
			c.add("model.kernel", "must be odd, between 1 and 15 (got %d)", m.CNN.Kernel)
		}
		for i, h := range m.CNN.Hidden {
			positive(c, indexPath("model.hidden", i), h)
		}
		c.oneOf("model.activation", m.CNN.Activation, activationNames)
		if m.CNN.BatchNorm && s.Train.Defense.Name == DefenseDPSGD {
			c.add("model.batch_norm", "batch normalisation mixes examples, which dp-sgd (train.defense) does not allow")
		}
	case ArchResNet:
		if d := m.ResNet.Depth; d < 8 || (d-2)%6 != 0 || d > 1202 {
			c.add("model.depth", "must be 6n+2 with n ≥ 1, e.g. 20, 32, 44, 56, 110 (got %d)", d)
		}
		positive(c, "model.width", m.ResNet.Width)
	}
}

func (s *Spec) validateTrain(c *checker) {
	t := &s.Train
	positive(c, "train.epochs", t.Epochs)
	positive(c, "train.batch_size", t.BatchSize)
	o := &t.Optimizer
	if c.oneOf("train.optimizer.name", o.Name, optimizerNames) {
		positiveFloat(c, "train.optimizer.lr", o.LR)
		if !(o.WeightDecay >= 0) {
			c.add("train.optimizer.weight_decay", "must be ≥ 0 (got %v)", o.WeightDecay)
		}
		if o.Name == OptimizerSGD {
			inRange(c, "train.optimizer.momentum", o.Momentum, 0, 1, false)
			if o.Nesterov && !(o.Momentum > 0) {
				c.add("train.optimizer.nesterov", "needs train.optimizer.momentum > 0")
			}
			notFor(c, "train.optimizer.beta1", o.Beta1 != 0, "optimizer", o.Name)
			notFor(c, "train.optimizer.beta2", o.Beta2 != 0, "optimizer", o.Name)
			notFor(c, "train.optimizer.eps", o.Eps != 0, "optimizer", o.Name)
		} else {
			inRange(c, "train.optimizer.beta1", o.Beta1, 0, 1, false)
			inRange(c, "train.optimizer.beta2", o.Beta2, 0, 1, false)
			positiveFloat(c, "train.optimizer.eps", o.Eps)
			notFor(c, "train.optimizer.momentum", o.Momentum != 0, "optimizer", o.Name)
			notFor(c, "train.optimizer.nesterov", o.Nesterov, "optimizer", o.Name)
		}
	}
	sc := &t.Schedule
	if c.oneOf("train.schedule.name", sc.Name, scheduleNames) {
		nonNegative(c, "train.schedule.warmup_epochs", sc.WarmupEpochs)
		if t.Epochs > 0 && sc.WarmupEpochs >= t.Epochs {
			c.add("train.schedule.warmup_epochs", "must be < train.epochs = %d (got %d)", t.Epochs, sc.WarmupEpochs)
		}
		if sc.Name == ScheduleStep {
			if sc.StepSize <= 0 {
				c.add("train.schedule.step_size", "must be > 0 epochs for schedule step (got %d)", sc.StepSize)
			}
			if !(sc.Gamma > 0 && sc.Gamma <= 1) {
				c.add("train.schedule.gamma", "must be in (0, 1] (got %v)", sc.Gamma)
			}
		} else {
			notFor(c, "train.schedule.step_size", sc.StepSize != 0, "schedule", sc.Name)
			notFor(c, "train.schedule.gamma", sc.Gamma != 0, "schedule", sc.Name)
		}
	}
	a := &t.Augmentation
	if a.CropPadding < 0 || a.CropPadding > maxShift {
		c.add("train.augmentation.crop_padding", "must be in [0, %d] (got %d)", maxShift, a.CropPadding)
	}
	if contains(datasetNames, s.Dataset.Name) && !IsImageDataset(s.Dataset.Name) {
		if a.CropPadding != 0 {
			c.add("train.augmentation.crop_padding", "applies to image datasets only (dataset.name is %s)", s.Dataset.Name)
		}
		if a.HFlip {
			c.add("train.augmentation.hflip", "applies to image datasets only (dataset.name is %s)", s.Dataset.Name)
		}
	}
	inRange(c, "train.label_smoothing", t.LabelSmoothing, 0, 1, false)
	df := &t.Defense
	if c.oneOf("train.defense.name", df.Name, defenseNames) {
		if df.Name == DefenseDPSGD {
			positiveFloat(c, "train.defense.clip_norm", df.ClipNorm)
			if !(df.NoiseMultiplier >= 0) || df.NoiseMultiplier > 1e6 {
				c.add("train.defense.noise_multiplier", "must be ≥ 0 (got %v)", df.NoiseMultiplier)
			}
		} else {
			notFor(c, "train.defense.clip_norm", df.ClipNorm != 0, "defense", df.Name)
			notFor(c, "train.defense.noise_multiplier", df.NoiseMultiplier != 0, "defense", df.Name)
		}
	}
	nonNegative(c, "train.checkpoint_every", t.CheckpointEvery)
}

func (s *Spec) validateShadowsEval(c *checker) {
	sh := &s.Shadows
	if sh.Count < 2 || sh.Count > maxCount {
		c.add("shadows.count", "must be ≥ 2: a target and at least one shadow (got %d)", sh.Count)
	}
	if !(sh.Keep > 0 && sh.Keep < 1) {
		c.add("shadows.keep", "must be in (0, 1) (got %v)", sh.Keep)
	}
	e := &s.Eval
	if e.Targets < 1 {
		c.add("eval.targets", "must be ≥ 1 (got %d)", e.Targets)
	} else if e.Targets > sh.Count {
		c.add("eval.targets", "must be ≤ shadows.count = %d (got %d)", sh.Count, e.Targets)
	}
	if len(e.Augmentations) == 0 {
		c.add("eval.augmentations", "must list at least one query augmentation (e.g. identity)")
	}
	image := IsImageDataset(s.Dataset.Name)
	seen := map[QueryAugmentation]int{}
	for i, a := range e.Augmentations {
		p := indexPath("eval.augmentations", i)
		if _, err := ParseQueryAugmentation(a.String()); err != nil {
			c.add(p, "%v", err)
			continue
		}
		if j, dup := seen[a]; dup {
			c.add(p, "%s repeats eval.augmentations[%d]", a, j)
			continue
		}
		seen[a] = i
		if !image && !a.IsIdentity() && contains(datasetNames, s.Dataset.Name) {
			c.add(p, "%s applies to image datasets only (dataset.name is %s); use identity", a, s.Dataset.Name)
		}
	}
}

func (s *Spec) validateAttacks(c *checker) {
	if len(s.Attacks) == 0 {
		c.add("attacks", "must list at least one attack; one of %s", strings.Join(attackNames, ", "))
		return
	}
	labels := map[string]int{}
	rmiaNeedsPopulation := false
	for i := range s.Attacks {
		a := &s.Attacks[i]
		p := indexPath("attacks", i)
		if !c.oneOf(p+".name", a.Name, attackNames) {
			continue
		}
		if j, dup := labels[a.Label]; dup {
			c.add(p+".label", "%q is already the label of attacks[%d]; give each attack a distinct label", a.Label, j)
		} else {
			labels[a.Label] = i
		}
		notFor(c, p+".lira", a.LiRA != nil && !IsLiRA(a.Name), "attack", a.Name)
		notFor(c, p+".rmia", a.RMIA != nil && a.Name != AttackRMIA, "attack", a.Name)
		notFor(c, p+".adversarial", a.Adversarial != nil && a.Name != AttackAdversarial, "attack", a.Name)
		shadows := s.Shadows.Count - 1
		switch {
		case IsLiRA(a.Name):
			fixed := a.Name == AttackLiRAOnlineFixedVar || a.Name == AttackLiRAOfflineFixedVar
			least := 2
			if fixed {
				least = 1
			}
			check := func(field string, v int) {
				switch {
				case v < least && fixed:
					c.add(p+"."+field, "must be ≥ 1 (got %d)", v)
				case v < least:
					c.add(p+"."+field, "must be ≥ 2 to estimate a per-example variance (got %d); the -fixed-variance variants accept 1", v)
				case shadows >= 1 && v > shadows:
					c.add(p+"."+field, "must be ≤ shadows.count - 1 = %d shadow models per target (got %d)", shadows, v)
				}
			}
			if a.Name == AttackLiRAOnline || a.Name == AttackLiRAOnlineFixedVar {
				check("min_in", a.LiRA.MinIn)
			} else {
				notFor(c, p+".min_in", a.LiRA.MinIn != 0, "attack", a.Name)
			}
			check("min_out", a.LiRA.MinOut)
		case a.Name == AttackRMIA:
			r := a.RMIA
			inRange(c, p+".a", r.A, 0, 1, true)
			positiveFloat(c, p+".gamma", r.Gamma)
			if s.Dataset.Population <= 0 {
				rmiaNeedsPopulation = true
			} else if r.PopulationSamples < 1 || r.PopulationSamples > s.Dataset.Population {
				c.add(p+".population_samples", "must be in [1, dataset.population = %d] (got %d)", s.Dataset.Population, r.PopulationSamples)
			}
		case a.Name == AttackAdversarial:
			ad := a.Adversarial
			positiveFloat(c, p+".eps", ad.Eps)
			if ad.Steps < 1 || ad.Steps > 100000 {
				c.add(p+".steps", "must be in [1, 100000] (got %d)", ad.Steps)
			}
			if ad.Eps > 0 { // else step_size, derived from eps, repeats the error
				positiveFloat(c, p+".step_size", ad.StepSize)
			}
		}
	}
	if rmiaNeedsPopulation {
		c.add("dataset.population", "must be > 0 for attack rmia, which compares against population examples (got %d)", s.Dataset.Population)
	}
}

func (s *Spec) validateMetrics(c *checker) {
	if len(s.Metrics.FPR) == 0 {
		c.add("metrics.fpr", "must list at least one false-positive rate")
	}
	// Resolve has sorted the list, so indices would not match the file:
	// errors name the list and the value.
	for i, f := range s.Metrics.FPR {
		if !(f > 0 && f < 1) {
			c.add("metrics.fpr", "%v is not in (0, 1)", f)
			continue
		}
		if i > 0 && f == s.Metrics.FPR[i-1] {
			c.add("metrics.fpr", "%v is listed twice", f)
		}
	}
}

// String returns a one-line summary, for logs.
func (s *Spec) String() string {
	return fmt.Sprintf("spec %q: %s %d+%d, %s, %d models × %d epochs, %d attacks",
		s.Name, s.Dataset.Name, s.Dataset.Universe, s.Dataset.Population, s.Model.Arch,
		s.Shadows.Count, s.Train.Epochs, len(s.Attacks))
}
