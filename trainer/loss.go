package trainer

import (
	"fmt"
	"math"
)

// LossKind names a training loss.
type LossKind string

// Supported losses.
const (
	// CrossEntropy is fused softmax + cross-entropy over class logits, with
	// optional label smoothing.
	CrossEntropy LossKind = "cross_entropy"
	// MSE is the mean squared error between the outputs and one-hot targets
	// (or real targets with MSELoss), averaged over all elements.
	MSE LossKind = "mse"
	// BCEWithLogits is sigmoid + binary cross-entropy per output against
	// one-hot (multi-label) targets, averaged over all elements.
	BCEWithLogits LossKind = "bce_with_logits"
)

func (k LossKind) validate() error {
	switch k {
	case "", CrossEntropy, MSE, BCEWithLogits:
		return nil
	}
	return fmt.Errorf("unknown loss %q (want cross_entropy, mse or bce_with_logits)", string(k))
}

// SoftmaxCrossEntropy computes the mean over n rows of the cross-entropy
// between softmax(logits) and the targets (1-ε)·onehot(y)+ε/C, writing the
// gradient of that mean with respect to the logits into grad (which may be
// nil). It returns the mean loss and the number of rows whose arg-max equals
// the label.
func SoftmaxCrossEntropy(logits []float32, y []int, n, c int, smoothing float32, grad []float32) (loss float64, correct int) {
	invN := 1 / float32(n)
	off := smoothing / float32(c)
	on := 1 - smoothing + off
	for i := 0; i < n; i++ {
		row := logits[i*c : (i+1)*c]
		mx, arg := row[0], 0
		for j, v := range row {
			if v > mx {
				mx, arg = v, j
			}
		}
		if arg == y[i] {
			correct++
		}
		// One exp per logit: the shifted exponentials go to grad (or a
		// small stack buffer when no gradient is wanted) and are reused.
		var sum float64
		for j, v := range row {
			e := math.Exp(float64(v - mx))
			sum += e
			if grad != nil {
				grad[i*c+j] = float32(e)
			}
		}
		logSum := math.Log(sum)
		lse := float64(mx) + logSum
		// loss_i = lse - Σ_j q_j·z_j
		var qz float64
		for j, v := range row {
			q := off
			if j == y[i] {
				q = on
			}
			qz += float64(q) * float64(v)
		}
		loss += lse - qz
		if grad != nil {
			g := grad[i*c : (i+1)*c]
			inv := float32(1 / sum)
			for j := range g {
				q := off
				if j == y[i] {
					q = on
				}
				g[j] = (g[j]*inv - q) * invN
			}
		}
	}
	return loss / float64(n), correct
}

// MSELoss computes mean((out - target)²) over all n·c elements, with the
// target one-hot(y), writing the gradient into grad (which may be nil).
func MSELoss(out []float32, y []int, n, c int, grad []float32) (loss float64, correct int) {
	scale := 2 / float32(n*c)
	for i := 0; i < n; i++ {
		row := out[i*c : (i+1)*c]
		arg := argmax(row)
		if arg == y[i] {
			correct++
		}
		for j, v := range row {
			t := float32(0)
			if j == y[i] {
				t = 1
			}
			d := v - t
			loss += float64(d) * float64(d)
			if grad != nil {
				grad[i*c+j] = scale * d
			}
		}
	}
	return loss / float64(n*c), correct
}

// BCEWithLogitsLoss computes the mean over all n·c elements of the binary
// cross-entropy between sigmoid(logits) and one-hot(y) targets, in the
// numerically stable form max(z,0) - z·t + log(1+e^{-|z|}).
func BCEWithLogitsLoss(logits []float32, y []int, n, c int, grad []float32) (loss float64, correct int) {
	scale := 1 / float32(n*c)
	for i := 0; i < n; i++ {
		row := logits[i*c : (i+1)*c]
		if argmax(row) == y[i] {
			correct++
		}
		for j, v := range row {
			t := 0.0
			if j == y[i] {
				t = 1
			}
			z := float64(v)
			loss += math.Max(z, 0) - z*t + math.Log1p(math.Exp(-math.Abs(z)))
			if grad != nil {
				grad[i*c+j] = (float32(1/(1+math.Exp(-z))) - float32(t)) * scale
			}
		}
	}
	return loss / float64(n*c), correct
}

func argmax(row []float32) int {
	arg := 0
	for j, v := range row {
		if v > row[arg] {
			arg = j
		}
	}
	return arg
}

// lossFunc evaluates the configured loss.
func lossFunc(k LossKind, smoothing float32, out []float32, y []int, n, c int, grad []float32) (float64, int) {
	switch k {
	case MSE:
		return MSELoss(out, y, n, c, grad)
	case BCEWithLogits:
		return BCEWithLogitsLoss(out, y, n, c, grad)
	default:
		return SoftmaxCrossEntropy(out, y, n, c, smoothing, grad)
	}
}
