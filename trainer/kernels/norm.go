package kernels

import (
	"fmt"
	"math"
)

// BatchNormTrainForward normalises x (N×C×HW) with the batch statistics of
// each channel, as PyTorch's BatchNorm in training mode:
//
//	y = (x − mean_c) / sqrt(var_c + eps) · gamma_c + beta_c
//
// where mean_c and var_c (biased) are taken over N and HW. It stores mean_c
// and 1/sqrt(var_c + eps) in saveMean and saveInvStd (length C, required:
// BatchNormBackward needs them) and, when runMean and runVar are non-nil,
// updates them in place as PyTorch does:
//
//	running = (1 − momentum)·running + momentum·batch
//
// with the unbiased variance var_c·M/(M−1), M = N·HW, for runVar. gamma and
// beta may be nil (no affine transform: gamma = 1, beta = 0). Statistics
// are accumulated in float64. y may be x (in place), but BatchNormBackward
// needs the original x.
func BatchNormTrainForward(s NormShape, y, x, gamma, beta, runMean, runVar, saveMean, saveInvStd []float32, momentum, eps float32) error {
	const fn = "BatchNormTrainForward"
	if err := normCheck(fn, s, y, "y", x, gamma, beta); err != nil {
		return err
	}
	m := s.N * s.HW
	if m < 2 {
		return fmt.Errorf("%s: %d value(s) per channel, training needs at least 2: %w", fn, m, ErrShape)
	}
	if (runMean == nil) != (runVar == nil) {
		return fmt.Errorf("%s: runMean and runVar must both be nil or both be set: %w", fn, ErrShape)
	}
	if err := checkOptLen(fn, "runMean", runMean, s.C); err != nil {
		return err
	}
	if err := checkOptLen(fn, "runVar", runVar, s.C); err != nil {
		return err
	}
	if err := checkLen(fn, "saveMean", saveMean, s.C); err != nil {
		return err
	}
	if err := checkLen(fn, "saveInvStd", saveInvStd, s.C); err != nil {
		return err
	}
	chw := s.C * s.HW
	for c := 0; c < s.C; c++ {
		var acc float64
		for n := 0; n < s.N; n++ {
			acc += sum64(x[n*chw+c*s.HW : n*chw+(c+1)*s.HW])
		}
		mean := acc / float64(m)
		var sq float64
		for n := 0; n < s.N; n++ {
			sq += sqDev64(x[n*chw+c*s.HW:n*chw+(c+1)*s.HW], mean)
		}
		v := sq / float64(m)
		inv := 1 / math.Sqrt(v+float64(eps))
		saveMean[c] = float32(mean)
		saveInvStd[c] = float32(inv)
		if runMean != nil {
			runMean[c] = (1-momentum)*runMean[c] + momentum*float32(mean)
			runVar[c] = (1-momentum)*runVar[c] + momentum*float32(v*float64(m)/float64(m-1))
		}
		g, b := float64(1), float64(0)
		if gamma != nil {
			g = float64(gamma[c])
		}
		if beta != nil {
			b = float64(beta[c])
		}
		scale := float32(g * inv)
		shift := float32(b - mean*g*inv)
		for n := 0; n < s.N; n++ {
			off := n*chw + c*s.HW
			scaleShift(y[off:off+s.HW], x[off:off+s.HW], scale, shift)
		}
	}
	return nil
}

// BatchNormEvalForward normalises x with the running statistics, as
// PyTorch's BatchNorm in eval mode: y = (x − runMean_c)/sqrt(runVar_c + eps)
// · gamma_c + beta_c. gamma and beta may be nil. y may be x.
func BatchNormEvalForward(s NormShape, y, x, gamma, beta, runMean, runVar []float32, eps float32) error {
	const fn = "BatchNormEvalForward"
	if err := normCheck(fn, s, y, "y", x, gamma, beta); err != nil {
		return err
	}
	if err := checkLen(fn, "runMean", runMean, s.C); err != nil {
		return err
	}
	if err := checkLen(fn, "runVar", runVar, s.C); err != nil {
		return err
	}
	chw := s.C * s.HW
	for c := 0; c < s.C; c++ {
		scale, shift := evalAffine(c, gamma, beta, runMean, runVar, eps)
		for n := 0; n < s.N; n++ {
			off := n*chw + c*s.HW
			scaleShift(y[off:off+s.HW], x[off:off+s.HW], scale, shift)
		}
	}
	return nil
}

// evalAffine returns the per-channel scale and shift of eval-mode batch
// normalisation.
func evalAffine(c int, gamma, beta, runMean, runVar []float32, eps float32) (scale, shift float32) {
	g, b := float64(1), float64(0)
	if gamma != nil {
		g = float64(gamma[c])
	}
	if beta != nil {
		b = float64(beta[c])
	}
	inv := 1 / math.Sqrt(float64(runVar[c])+float64(eps))
	return float32(g * inv), float32(b - float64(runMean[c])*g*inv)
}

// BatchNormBackward accumulates the gradients of BatchNormTrainForward given
// dy: dx += ∂L/∂x (through the batch statistics), dgamma += Σ dy·x̂ and
// dbeta += Σ dy per channel, where x̂ = (x − mean)·invStd. x, gamma,
// saveMean and saveInvStd are those of the forward call. Any of dx, dgamma,
// dbeta may be nil to skip it.
func BatchNormBackward(s NormShape, dx, dgamma, dbeta, dy, x, gamma, saveMean, saveInvStd []float32) error {
	const fn = "BatchNormBackward"
	if err := normCheck(fn, s, dy, "dy", x, gamma, nil); err != nil {
		return err
	}
	if err := checkOptLen(fn, "dx", dx, s.Len()); err != nil {
		return err
	}
	if err := checkOptLen(fn, "dgamma", dgamma, s.C); err != nil {
		return err
	}
	if err := checkOptLen(fn, "dbeta", dbeta, s.C); err != nil {
		return err
	}
	if err := checkLen(fn, "saveMean", saveMean, s.C); err != nil {
		return err
	}
	if err := checkLen(fn, "saveInvStd", saveInvStd, s.C); err != nil {
		return err
	}
	chw := s.C * s.HW
	m := float64(s.N * s.HW)
	for c := 0; c < s.C; c++ {
		mean := float64(saveMean[c])
		inv := float64(saveInvStd[c])
		var sdy, sdyx float64
		for n := 0; n < s.N; n++ {
			off := n*chw + c*s.HW
			a, b := dotDev64(dy[off:off+s.HW], x[off:off+s.HW], mean)
			sdy += a
			sdyx += b
		}
		sdyxhat := sdyx * inv // Σ dy·x̂
		if dgamma != nil {
			dgamma[c] += float32(sdyxhat)
		}
		if dbeta != nil {
			dbeta[c] += float32(sdy)
		}
		if dx == nil {
			continue
		}
		g := float64(1)
		if gamma != nil {
			g = float64(gamma[c])
		}
		// dx = g·inv·(dy − Σdy/M − x̂·Σ(dy·x̂)/M)
		//    = k1·dy − k3·(x − mean) − k2
		k1 := g * inv
		k2 := k1 * sdy / m
		k3 := k1 * inv * sdyxhat / m
		for n := 0; n < s.N; n++ {
			off := n*chw + c*s.HW
			axpbyc(dx[off:off+s.HW], dy[off:off+s.HW], x[off:off+s.HW], float32(k1), float32(-k3), float32(mean), float32(-k2))
		}
	}
	return nil
}

// BatchNormEvalBackward accumulates the gradients of BatchNormEvalForward
// (running statistics are constants): dx += dy·gamma/sqrt(runVar + eps),
// dgamma += Σ dy·x̂, dbeta += Σ dy. Attacks that take input gradients of
// an eval-mode model use it. Any of dx, dgamma, dbeta may be nil.
func BatchNormEvalBackward(s NormShape, dx, dgamma, dbeta, dy, x, gamma, runMean, runVar []float32, eps float32) error {
	const fn = "BatchNormEvalBackward"
	if err := normCheck(fn, s, dy, "dy", x, gamma, nil); err != nil {
		return err
	}
	if err := checkOptLen(fn, "dx", dx, s.Len()); err != nil {
		return err
	}
	if err := checkOptLen(fn, "dgamma", dgamma, s.C); err != nil {
		return err
	}
	if err := checkOptLen(fn, "dbeta", dbeta, s.C); err != nil {
		return err
	}
	if err := checkLen(fn, "runMean", runMean, s.C); err != nil {
		return err
	}
	if err := checkLen(fn, "runVar", runVar, s.C); err != nil {
		return err
	}
	chw := s.C * s.HW
	for c := 0; c < s.C; c++ {
		mean := float64(runMean[c])
		inv := 1 / math.Sqrt(float64(runVar[c])+float64(eps))
		if dgamma != nil || dbeta != nil {
			var sdy, sdyx float64
			for n := 0; n < s.N; n++ {
				off := n*chw + c*s.HW
				a, b := dotDev64(dy[off:off+s.HW], x[off:off+s.HW], mean)
				sdy += a
				sdyx += b
			}
			if dgamma != nil {
				dgamma[c] += float32(sdyx * inv)
			}
			if dbeta != nil {
				dbeta[c] += float32(sdy)
			}
		}
		if dx == nil {
			continue
		}
		g := float64(1)
		if gamma != nil {
			g = float64(gamma[c])
		}
		k := float32(g * inv)
		for n := 0; n < s.N; n++ {
			off := n*chw + c*s.HW
			axpy(dx[off:off+s.HW], dy[off:off+s.HW], k)
		}
	}
	return nil
}

func normCheck(fn string, s NormShape, y []float32, yName string, x, gamma, beta []float32) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("%s: %w", fn, err)
	}
	if err := checkLen(fn, "x", x, s.Len()); err != nil {
		return err
	}
	if err := checkLen(fn, yName, y, s.Len()); err != nil {
		return err
	}
	if err := checkOptLen(fn, "gamma", gamma, s.C); err != nil {
		return err
	}
	return checkOptLen(fn, "beta", beta, s.C)
}

// GroupNormForward normalises each group of C/G consecutive channels of
// each example of x (N×C×HW) over its (C/G)·HW values, then applies the
// per-channel affine transform, as PyTorch's GroupNorm:
//
//	y = (x − mean_ng)/sqrt(var_ng + eps) · gamma_c + beta_c
//
// It stores mean_ng and 1/sqrt(var_ng + eps) in saveMean and saveInvStd
// (length N·G, index n·G + g). gamma and beta (length C) may be nil. y may
// be x, but GroupNormBackward needs the original x.
func GroupNormForward(s GroupNormShape, y, x, gamma, beta, saveMean, saveInvStd []float32, eps float32) error {
	const fn = "GroupNormForward"
	if err := gnCheck(fn, s, y, "y", x, gamma, beta, saveMean, saveInvStd); err != nil {
		return err
	}
	cg := s.C / s.G
	gl := cg * s.HW
	for n := 0; n < s.N; n++ {
		for g := 0; g < s.G; g++ {
			off := (n*s.G + g) * gl
			xs := x[off : off+gl]
			mean := sum64(xs) / float64(gl)
			v := sqDev64(xs, mean) / float64(gl)
			inv := 1 / math.Sqrt(v+float64(eps))
			saveMean[n*s.G+g] = float32(mean)
			saveInvStd[n*s.G+g] = float32(inv)
			for j := 0; j < cg; j++ {
				c := g*cg + j
				gm, b := float64(1), float64(0)
				if gamma != nil {
					gm = float64(gamma[c])
				}
				if beta != nil {
					b = float64(beta[c])
				}
				o := off + j*s.HW
				scaleShift(y[o:o+s.HW], x[o:o+s.HW], float32(gm*inv), float32(b-mean*gm*inv))
			}
		}
	}
	return nil
}

// GroupNormBackward accumulates the gradients of GroupNormForward given dy:
// dx += ∂L/∂x, dgamma += Σ dy·x̂ and dbeta += Σ dy per channel. x, gamma,
// saveMean and saveInvStd are those of the forward call. Any of dx, dgamma,
// dbeta may be nil.
func GroupNormBackward(s GroupNormShape, dx, dgamma, dbeta, dy, x, gamma, saveMean, saveInvStd []float32) error {
	const fn = "GroupNormBackward"
	if err := gnCheck(fn, s, dy, "dy", x, gamma, nil, saveMean, saveInvStd); err != nil {
		return err
	}
	if err := checkOptLen(fn, "dx", dx, s.Len()); err != nil {
		return err
	}
	if err := checkOptLen(fn, "dgamma", dgamma, s.C); err != nil {
		return err
	}
	if err := checkOptLen(fn, "dbeta", dbeta, s.C); err != nil {
		return err
	}
	cg := s.C / s.G
	gl := cg * s.HW
	m := float64(gl)
	for n := 0; n < s.N; n++ {
		for g := 0; g < s.G; g++ {
			off := (n*s.G + g) * gl
			mean := float64(saveMean[n*s.G+g])
			inv := float64(saveInvStd[n*s.G+g])
			// With dx̂ = dy·gamma_c: S1 = Σ dx̂, S2 = Σ dx̂·x̂ over the group.
			var s1, s2 float64
			for j := 0; j < cg; j++ {
				c := g*cg + j
				o := off + j*s.HW
				a, b := dotDev64(dy[o:o+s.HW], x[o:o+s.HW], mean)
				if dgamma != nil {
					dgamma[c] += float32(b * inv)
				}
				if dbeta != nil {
					dbeta[c] += float32(a)
				}
				gm := float64(1)
				if gamma != nil {
					gm = float64(gamma[c])
				}
				s1 += gm * a
				s2 += gm * b * inv
			}
			if dx == nil {
				continue
			}
			// dx = inv·(dx̂ − S1/M − x̂·S2/M)
			//    = inv·gamma_c·dy − (inv²·S2/M)·(x − mean) − inv·S1/M
			k3 := inv * inv * s2 / m
			cst := float32(-inv * s1 / m)
			for j := 0; j < cg; j++ {
				c := g*cg + j
				gm := float64(1)
				if gamma != nil {
					gm = float64(gamma[c])
				}
				o := off + j*s.HW
				axpbyc(dx[o:o+s.HW], dy[o:o+s.HW], x[o:o+s.HW], float32(inv*gm), float32(-k3), float32(mean), cst)
			}
		}
	}
	return nil
}

func gnCheck(fn string, s GroupNormShape, y []float32, yName string, x, gamma, beta, saveMean, saveInvStd []float32) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("%s: %w", fn, err)
	}
	if err := checkLen(fn, "x", x, s.Len()); err != nil {
		return err
	}
	if err := checkLen(fn, yName, y, s.Len()); err != nil {
		return err
	}
	if err := checkOptLen(fn, "gamma", gamma, s.C); err != nil {
		return err
	}
	if err := checkOptLen(fn, "beta", beta, s.C); err != nil {
		return err
	}
	if err := checkLen(fn, "saveMean", saveMean, s.StatLen()); err != nil {
		return err
	}
	return checkLen(fn, "saveInvStd", saveInvStd, s.StatLen())
}

// sum64 returns Σ v in float64.
func sum64(v []float32) float64 {
	var s0, s1 float64
	i := 0
	for ; i+2 <= len(v); i += 2 {
		s0 += float64(v[i])
		s1 += float64(v[i+1])
	}
	if i < len(v) {
		s0 += float64(v[i])
	}
	return s0 + s1
}

// sqDev64 returns Σ (v − mean)² in float64.
func sqDev64(v []float32, mean float64) float64 {
	var s float64
	for _, x := range v {
		d := float64(x) - mean
		s += d * d
	}
	return s
}

// dotDev64 returns Σ dy and Σ dy·(x − mean) in float64.
func dotDev64(dy, x []float32, mean float64) (sdy, sdyx float64) {
	x = x[:len(dy)]
	for i, g := range dy {
		gd := float64(g)
		sdy += gd
		sdyx += gd * (float64(x[i]) - mean)
	}
	return sdy, sdyx
}

// scaleShift sets y = x·a + b.
func scaleShift(y, x []float32, a, b float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] = x[i]*a + b
	}
}

// axpbyc adds a·u + b·(v − m) + c to dst.
func axpbyc(dst, u, v []float32, a, b, m, c float32) {
	u = u[:len(dst)]
	v = v[:len(dst)]
	for i := range dst {
		dst[i] += a*u[i] + b*(v[i]-m) + c
	}
}

// axpy adds a·x to dst.
func axpy(dst, x []float32, a float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] += a * x[i]
	}
}
