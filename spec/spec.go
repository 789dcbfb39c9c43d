package spec

// Dataset names (dataset.name).
const (
	DatasetMNIST             = "mnist"
	DatasetFashionMNIST      = "fashion-mnist"
	DatasetCIFAR10           = "cifar10"
	DatasetCIFAR100          = "cifar100"
	DatasetAdult             = "adult"
	DatasetCreditG           = "credit-g"
	DatasetCSV               = "csv"
	DatasetPurchaseSynthetic = "purchase-synthetic"
	DatasetTabularSynthetic  = "tabular-synthetic"
)

// Model architectures (model.arch).
const (
	ArchMLP       = "mlp"
	ArchSimpleCNN = "simplecnn"
	ArchCNN       = "cnn"
	ArchResNet    = "resnet"
)

// Activations (model.activation for mlp and cnn).
const (
	ActivationReLU      = "relu"
	ActivationTanh      = "tanh"
	ActivationSigmoid   = "sigmoid"
	ActivationSiLU      = "silu"
	ActivationLeakyReLU = "leakyrelu"
)

// Optimizers (train.optimizer.name).
const (
	OptimizerSGD   = "sgd"
	OptimizerAdam  = "adam"
	OptimizerAdamW = "adamw"
)

// Learning-rate schedules (train.schedule.name).
const (
	ScheduleConstant = "constant"
	ScheduleStep     = "step"
	ScheduleCosine   = "cosine"
)

// Training-time defenses (train.defense.name).
const (
	DefenseNone  = "none"
	DefenseDPSGD = "dp-sgd"
)

// Attacks (attacks[i].name).
const (
	AttackLiRAOnline          = "lira-online"
	AttackLiRAOffline         = "lira-offline"
	AttackLiRAOnlineFixedVar  = "lira-online-fixed-variance"
	AttackLiRAOfflineFixedVar = "lira-offline-fixed-variance"
	AttackRMIA                = "rmia"
	AttackLoss                = "loss"
	AttackConfidence          = "confidence"
	AttackAdversarial         = "adversarial"
	AttackShadowClassifier    = "shadow-classifier"
)

// Limits.
const (
	currentVersion = 1       // the only spec format version
	maxShift       = 32      // largest |dx|, |dy| of a shift query augmentation
	maxSpecBytes   = 4 << 20 // largest spec file Parse accepts
	maxNodes       = 1 << 20 // most YAML nodes (aliases expanded) the decoder visits
	maxCount       = 1 << 31 // bound on counts (examples, models) to keep arithmetic in range
)

// Immutable vocabulary tables (read-only; never modified).
var (
	datasetNames = []string{DatasetMNIST, DatasetFashionMNIST, DatasetCIFAR10, DatasetCIFAR100,
		DatasetAdult, DatasetCreditG, DatasetCSV, DatasetPurchaseSynthetic, DatasetTabularSynthetic}
	archNames       = []string{ArchMLP, ArchSimpleCNN, ArchCNN, ArchResNet}
	activationNames = []string{ActivationReLU, ActivationTanh, ActivationSigmoid, ActivationSiLU, ActivationLeakyReLU}
	optimizerNames  = []string{OptimizerSGD, OptimizerAdam, OptimizerAdamW}
	scheduleNames   = []string{ScheduleConstant, ScheduleStep, ScheduleCosine}
	defenseNames    = []string{DefenseNone, DefenseDPSGD}
	attackNames     = []string{AttackLiRAOnline, AttackLiRAOffline, AttackLiRAOnlineFixedVar,
		AttackLiRAOfflineFixedVar, AttackRMIA, AttackLoss, AttackConfidence, AttackAdversarial,
		AttackShadowClassifier}
	// datasetMaxSize is the number of examples in each public dataset when its
	// standard train and test files are pooled: an upper bound on
	// dataset.universe + dataset.population. The loader checks the real file.
	datasetMaxSize = map[string]int{
		DatasetMNIST: 70000, DatasetFashionMNIST: 70000, DatasetCIFAR10: 60000,
		DatasetCIFAR100: 60000, DatasetAdult: 48842, DatasetCreditG: 1000,
	}
)

// IsImageDataset reports whether the named dataset holds images (and so
// accepts image augmentations and convolutional architectures).
func IsImageDataset(name string) bool {
	switch name {
	case DatasetMNIST, DatasetFashionMNIST, DatasetCIFAR10, DatasetCIFAR100:
		return true
	}
	return false
}

// IsSyntheticDataset reports whether the named dataset is generated from
// dataset.synthetic rather than read from dataset.path.
func IsSyntheticDataset(name string) bool {
	return name == DatasetPurchaseSynthetic || name == DatasetTabularSynthetic
}

// IsLiRA reports whether the named attack is one of the four LiRA variants.
func IsLiRA(name string) bool {
	switch name {
	case AttackLiRAOnline, AttackLiRAOffline, AttackLiRAOnlineFixedVar, AttackLiRAOfflineFixedVar:
		return true
	}
	return false
}

// Spec is one experiment. Decode it with Parse or Load, which fill defaults,
// resolve derived values and validate; build one in code from Default().
//
// Struct tags: `yaml` names the YAML field; `only:"a,b"` restricts a field to
// the listed values of its section's discriminator (name/arch); a pointer
// field tagged `variant:"a,b"` holds the parameters of those variants, whose
// fields appear flat in YAML next to the discriminator; `hash:"-"` marks a
// field that does not affect results and is left out of Canonical.
type Spec struct {
	// Version of the spec format; only 1 exists.
	Version int `yaml:"version" json:"version"`
	// Name is free text (not hashed).
	Name string `yaml:"name" json:"name" hash:"-"`
	// Description is free text (not hashed).
	Description string   `yaml:"description" json:"description" hash:"-"`
	Dataset     Dataset  `yaml:"dataset" json:"dataset"`
	Model       Model    `yaml:"model" json:"model"`
	Train       Train    `yaml:"train" json:"train"`
	Shadows     Shadows  `yaml:"shadows" json:"shadows"`
	Eval        Eval     `yaml:"eval" json:"eval"`
	Attacks     []Attack `yaml:"attacks" json:"attacks"`
	Metrics     Metrics  `yaml:"metrics" json:"metrics"`
}

// Dataset selects the data and how it splits into the attack universe (the
// examples shadow models sample their training sets from) and the population
// (examples no model ever trains on; RMIA's reference points).
type Dataset struct {
	// Name is one of mnist, fashion-mnist, cifar10, cifar100, adult,
	// credit-g, csv, purchase-synthetic, tabular-synthetic.
	Name string `yaml:"name" json:"name"`
	// Path is the dataset file or directory; required for every dataset
	// that is not synthetic. Not part of ModelRecipeHash (the dataset
	// fingerprint stands for the content).
	Path string `yaml:"path" json:"path" only:"mnist,fashion-mnist,cifar10,cifar100,adult,credit-g,csv"`
	// Universe is the number of examples in the attack universe.
	Universe int `yaml:"universe" json:"universe"`
	// Population is the number of held-out examples no model trains on.
	Population int `yaml:"population" json:"population"`
	// SplitSeed seeds the choice of universe and population examples.
	SplitSeed int64 `yaml:"split_seed" json:"split_seed"`
	// LabelColumn names the label column of a csv dataset.
	LabelColumn string `yaml:"label_column" json:"label_column" only:"csv"`
	// Synthetic holds the generator parameters of synthetic datasets.
	Synthetic *Synthetic `yaml:"synthetic" json:"synthetic,omitempty" only:"purchase-synthetic,tabular-synthetic"`
}

// Synthetic parameterises the synthetic data generators.
type Synthetic struct {
	// Size is the number of generated examples; 0 or omitted means
	// universe + population.
	Size int `yaml:"size" json:"size"`
	// Dim is the number of features.
	Dim int `yaml:"dim" json:"dim"`
	// Classes is the number of classes.
	Classes int `yaml:"classes" json:"classes"`
	// FlipProb is the probability that an example's label is replaced by a
	// random one (label noise), in [0, 1).
	FlipProb float64 `yaml:"flip_prob" json:"flip_prob"`
	// SensitiveFraction is the fraction of examples whose binary sensitive
	// attribute is 1, in [0, 1].
	SensitiveFraction float64 `yaml:"sensitive_fraction" json:"sensitive_fraction"`
	// Seed seeds the generator.
	Seed int64 `yaml:"seed" json:"seed"`
}

// Model names an architecture; exactly the pointer matching Arch is set
// (after Resolve) and holds its parameters. In YAML the parameters sit next
// to arch: `model: {arch: mlp, hidden: [256]}`.
type Model struct {
	// Arch is one of mlp, simplecnn, cnn, resnet.
	Arch      string     `yaml:"arch" json:"arch"`
	MLP       *MLP       `yaml:"-" json:"mlp,omitempty" variant:"mlp"`
	SimpleCNN *SimpleCNN `yaml:"-" json:"simplecnn,omitempty" variant:"simplecnn"`
	CNN       *CNN       `yaml:"-" json:"cnn,omitempty" variant:"cnn"`
	ResNet    *ResNet    `yaml:"-" json:"resnet,omitempty" variant:"resnet"`
}

// MLP is a multi-layer perceptron: input → hidden layers → classes.
type MLP struct {
	// Hidden lists the hidden-layer widths; empty means softmax regression.
	Hidden []int `yaml:"hidden" json:"hidden"`
	// Activation is one of relu, tanh, sigmoid, silu, leakyrelu.
	Activation string `yaml:"activation" json:"activation"`
}

// SimpleCNN is conv(width) → 2×2 max-pool → conv(2·width) → 2×2 max-pool →
// dense(hidden) → classes, 3×3 kernels, ReLU.
type SimpleCNN struct {
	Width  int `yaml:"width" json:"width"`
	Hidden int `yaml:"hidden" json:"hidden"`
}

// CNN is a stack of conv blocks (conv kernel×kernel, optional batch norm,
// activation, 2×2 max-pool), one per Channels entry, then dense layers.
type CNN struct {
	Channels   []int  `yaml:"channels" json:"channels"`
	Kernel     int    `yaml:"kernel" json:"kernel"`
	Hidden     []int  `yaml:"hidden" json:"hidden"`
	Activation string `yaml:"activation" json:"activation"`
	BatchNorm  bool   `yaml:"batch_norm" json:"batch_norm"`
}

// ResNet is a CIFAR-style residual network of depth 6n+2 (ResNet-20 is
// n = 3) whose first stage has Width channels.
type ResNet struct {
	Depth int `yaml:"depth" json:"depth"`
	Width int `yaml:"width" json:"width"`
}

// Train is the training recipe shared by every model of the experiment.
type Train struct {
	Epochs         int          `yaml:"epochs" json:"epochs"`
	BatchSize      int          `yaml:"batch_size" json:"batch_size"`
	Optimizer      Optimizer    `yaml:"optimizer" json:"optimizer"`
	Schedule       Schedule     `yaml:"schedule" json:"schedule"`
	Augmentation   Augmentation `yaml:"augmentation" json:"augmentation"`
	LabelSmoothing float64      `yaml:"label_smoothing" json:"label_smoothing"`
	Defense        Defense      `yaml:"defense" json:"defense"`
	// Seed is the base seed for initialisation and batch order; model i
	// derives its own seed from it.
	Seed int64 `yaml:"seed" json:"seed"`
	// CheckpointEvery is the checkpoint period in epochs (0: only the final
	// state). Not hashed: resumed training is bitwise identical.
	CheckpointEvery int `yaml:"checkpoint_every" json:"checkpoint_every" hash:"-"`
}

// Optimizer configures sgd, adam or adamw; fields not used by the chosen
// optimizer are errors in YAML.
type Optimizer struct {
	Name        string  `yaml:"name" json:"name"`
	LR          float64 `yaml:"lr" json:"lr"`
	Momentum    float64 `yaml:"momentum" json:"momentum" only:"sgd"`
	Nesterov    bool    `yaml:"nesterov" json:"nesterov" only:"sgd"`
	WeightDecay float64 `yaml:"weight_decay" json:"weight_decay"`
	Beta1       float64 `yaml:"beta1" json:"beta1" only:"adam,adamw"`
	Beta2       float64 `yaml:"beta2" json:"beta2" only:"adam,adamw"`
	Eps         float64 `yaml:"eps" json:"eps" only:"adam,adamw"`
}

// Schedule scales the learning rate per epoch: a linear warm-up over
// WarmupEpochs, then constant, step (×Gamma every StepSize epochs) or
// cosine decay to zero at the last epoch.
type Schedule struct {
	Name         string  `yaml:"name" json:"name"`
	WarmupEpochs int     `yaml:"warmup_epochs" json:"warmup_epochs"`
	StepSize     int     `yaml:"step_size" json:"step_size" only:"step"`
	Gamma        float64 `yaml:"gamma" json:"gamma" only:"step"`
}

// Augmentation is training-time data augmentation for image datasets:
// random shifts by up to CropPadding pixels (pad and crop) and random
// horizontal flips.
type Augmentation struct {
	CropPadding int  `yaml:"crop_padding" json:"crop_padding"`
	HFlip       bool `yaml:"hflip" json:"hflip"`
}

// Defense is a training-time privacy defense.
type Defense struct {
	Name            string  `yaml:"name" json:"name"`
	ClipNorm        float64 `yaml:"clip_norm" json:"clip_norm" only:"dp-sgd"`
	NoiseMultiplier float64 `yaml:"noise_multiplier" json:"noise_multiplier" only:"dp-sgd"`
}

// Shadows is the pool of models (targets included) trained on random halves
// (Keep) of the universe, with membership masks seeded by MaskSeed.
type Shadows struct {
	Count    int     `yaml:"count" json:"count"`
	Keep     float64 `yaml:"keep" json:"keep"`
	MaskSeed int64   `yaml:"mask_seed" json:"mask_seed"`
}

// Eval says how models are attacked: the first Targets models are, in turn,
// the target, with the remaining Count-1 models as its shadows; every
// example is queried under each of Augmentations.
type Eval struct {
	Targets       int                 `yaml:"targets" json:"targets"`
	Augmentations []QueryAugmentation `yaml:"augmentations" json:"augmentations"`
}

// Attack is one attack to run; Label (default: the name) names its results
// and must be unique. In YAML the parameters sit next to name:
// `{name: rmia, a: 0.3}`.
type Attack struct {
	Name        string       `yaml:"name" json:"name"`
	Label       string       `yaml:"label" json:"label"`
	LiRA        *LiRA        `yaml:"-" json:"lira,omitempty" variant:"lira-online,lira-offline,lira-online-fixed-variance,lira-offline-fixed-variance"`
	RMIA        *RMIA        `yaml:"-" json:"rmia,omitempty" variant:"rmia"`
	Adversarial *Adversarial `yaml:"-" json:"adversarial,omitempty" variant:"adversarial"`
}

// LiRA parameters: examples with fewer than MinIn IN (online variants only)
// or MinOut OUT shadow models are not scored.
type LiRA struct {
	MinIn  int `yaml:"min_in" json:"min_in" only:"lira-online,lira-online-fixed-variance"`
	MinOut int `yaml:"min_out" json:"min_out"`
}

// RMIA parameters (Zarifzadeh et al., 2024): A is the offline
// approximation's a, Gamma the likelihood-ratio threshold, and
// PopulationSamples the number of population points z (0 or omitted: all of
// dataset.population).
type RMIA struct {
	A                 float64 `yaml:"a" json:"a"`
	Gamma             float64 `yaml:"gamma" json:"gamma"`
	PopulationSamples int     `yaml:"population_samples" json:"population_samples"`
}

// Adversarial parameters of the PGD-based attack: L∞ radius Eps, Steps
// iterations of size StepSize (0 or omitted: Eps/4).
type Adversarial struct {
	Eps      float64 `yaml:"eps" json:"eps"`
	Steps    int     `yaml:"steps" json:"steps"`
	StepSize float64 `yaml:"step_size" json:"step_size"`
}

// Metrics lists the false-positive rates at which TPR is reported (sorted
// ascending by Resolve).
type Metrics struct {
	FPR []float64 `yaml:"fpr" json:"fpr"`
}
