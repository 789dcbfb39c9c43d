package attacks

import "math"

const (
	halfLog2Pi = 0.91893853320467274178032973640561763986139747363778 // log(2π)/2
)

// normLogPDF returns log N(x; mu, sigma²).
func normLogPDF(x, mu, sigma float64) float64 {
	z := (x - mu) / sigma
	return -0.5*z*z - math.Log(sigma) - halfLog2Pi
}

// normLogCDF returns log Φ(z) for the standard normal, accurate to near
// double precision for every finite z:
//   - z > 0: log1p(−Q(z)) with Q(z) = erfc(z/√2)/2, so Φ ≈ 1 loses nothing;
//   - −37 ≤ z ≤ 0: log(erfc(−z/√2)/2); math.Erfc keeps full relative
//     precision in its tail and does not underflow until about z = −38;
//   - z < −37: the asymptotic (Mills-ratio) series
//     log Φ(z) = −z²/2 − log(−z) − log(2π)/2 + log(1 − 1/z² + 3/z⁴ − 15/z⁶ + 105/z⁸),
//     whose truncation error at z = −37 is below 1e-13 relative.
//
// Go's standard library and gonum have no log-CDF, hence this function.
func normLogCDF(z float64) float64 {
	switch {
	case z > 0:
		return math.Log1p(-0.5 * math.Erfc(z/math.Sqrt2))
	case z >= -37:
		return math.Log(0.5 * math.Erfc(-z/math.Sqrt2))
	default:
		t := 1 / (z * z)
		series := 1 + t*(-1+t*(3+t*(-15+t*105)))
		return -0.5*z*z - math.Log(-z) - halfLog2Pi + math.Log(series)
	}
}
