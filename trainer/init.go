package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// InitScheme names a weight initialisation. Biases are always initialised
// as PyTorch does: uniform in ±1/√fan_in.
type InitScheme string

const (
	// InitDefault is PyTorch's default for Linear and Conv2d:
	// kaiming-uniform with a=√5, i.e. uniform in ±1/√fan_in.
	InitDefault InitScheme = ""
	// InitHe is He (Kaiming) normal, std √(2/fan_in).
	InitHe InitScheme = "he"
	// InitHeFanOut is He normal with std √(2/fan_out), torchvision's ResNet
	// convolution init.
	InitHeFanOut InitScheme = "he_fan_out"
	// InitGlorot is Glorot (Xavier) uniform, bound √(6/(fan_in+fan_out)).
	InitGlorot InitScheme = "glorot"
)

func (s InitScheme) validate() error {
	switch s {
	case InitDefault, InitHe, InitHeFanOut, InitGlorot:
		return nil
	}
	return fmt.Errorf("unknown init scheme %q (want \"\", %q, %q or %q)", string(s), InitHe, InitHeFanOut, InitGlorot)
}

func uniformFill(w []float32, bound float64, r *rand.Rand) {
	for i := range w {
		w[i] = float32((2*r.Float64() - 1) * bound)
	}
}

func normalFill(w []float32, std float64, r *rand.Rand) {
	for i := range w {
		w[i] = float32(r.NormFloat64() * std)
	}
}

// initWeights fills a weight tensor with fan-in fanIn and fan-out fanOut.
func initWeights(w []float32, fanIn, fanOut int, s InitScheme, r *rand.Rand) {
	switch s {
	case InitHe:
		normalFill(w, math.Sqrt(2/float64(fanIn)), r)
	case InitHeFanOut:
		normalFill(w, math.Sqrt(2/float64(fanOut)), r)
	case InitGlorot:
		uniformFill(w, math.Sqrt(6/float64(fanIn+fanOut)), r)
	default:
		uniformFill(w, 1/math.Sqrt(float64(fanIn)), r)
	}
}

func initBias(b []float32, fanIn int, r *rand.Rand) {
	uniformFill(b, 1/math.Sqrt(float64(fanIn)), r)
}
