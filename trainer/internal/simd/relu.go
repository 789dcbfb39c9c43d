package simd

// ReLU sets y[i] = x[i] if x[i] >= 0 or x[i] is NaN, else 0 (NaNs propagate
// and −0 stays −0, as in PyTorch). len(y) must be at least len(x).
func ReLU(y, x []float32) {
	n := len(x)
	y = y[:n]
	done := 0
	if hasFMAKernel && n >= 8 {
		done = n &^ 7
		reluAVX(&y[0], &x[0], done)
	}
	for i := done; i < n; i++ {
		v := x[i]
		if v < 0 {
			v = 0
		}
		y[i] = v
	}
}

// ReLUBackward sets dx[i] = dy[i] where x[i] > 0, else 0 (including NaN x).
// len(dy) and len(x) must be at least len(dx).
func ReLUBackward(dx, dy, x []float32) {
	n := len(dx)
	dy, x = dy[:n], x[:n]
	done := 0
	if hasFMAKernel && n >= 8 {
		done = n &^ 7
		reluBackwardAVX(&dx[0], &dy[0], &x[0], done)
	}
	for i := done; i < n; i++ {
		if x[i] > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}
