package kernels

// ReLU sets y = max(x, 0) elementwise. y may be x (in place). NaN stays NaN.
func ReLU(y, x []float32) error {
	if err := checkLen("ReLU", "y", y, len(x)); err != nil {
		return err
	}
	y = y[:len(x)]
	for i, v := range x {
		if v < 0 {
			v = 0
		}
		y[i] = v
	}
	return nil
}

// ReLUBackward accumulates dx += dy where the forward output y is positive
// (the gradient at 0 is taken as 0, as in PyTorch). dx must not be dy; use
// ReLUMask to gate a gradient in place.
func ReLUBackward(dx, dy, y []float32) error {
	const fn = "ReLUBackward"
	if err := checkLen(fn, "dy", dy, len(dx)); err != nil {
		return err
	}
	if err := checkLen(fn, "y", y, len(dx)); err != nil {
		return err
	}
	dy = dy[:len(dx)]
	y = y[:len(dx)]
	for i := range dx {
		if y[i] > 0 {
			dx[i] += dy[i]
		}
	}
	return nil
}

// ReLUMask zeroes g where the forward output y is not positive: the
// in-place ReLU backward for an engine that owns g.
func ReLUMask(g, y []float32) error {
	if err := checkLen("ReLUMask", "y", y, len(g)); err != nil {
		return err
	}
	y = y[:len(g)]
	for i := range g {
		if !(y[i] > 0) {
			g[i] = 0
		}
	}
	return nil
}

// AddBias adds b[c] to every element of channel c of x (N×C×HW), in place.
func AddBias(x []float32, n, c, hw int, b []float32) error {
	const fn = "AddBias"
	if err := positive(fn, []string{"n", "c", "hw"}, n, c, hw); err != nil {
		return err
	}
	if err := checkLen(fn, "x", x, n*c*hw); err != nil {
		return err
	}
	if err := checkLen(fn, "b", b, c); err != nil {
		return err
	}
	for p := 0; p < n*c; p++ {
		bc := b[p%c]
		row := x[p*hw : (p+1)*hw]
		for i := range row {
			row[i] += bc
		}
	}
	return nil
}

// BiasGrad accumulates db[c] += Σ over n and hw of dy[n, c, hw]: the bias
// gradient of AddBias.
func BiasGrad(db, dy []float32, n, c, hw int) error {
	const fn = "BiasGrad"
	if err := positive(fn, []string{"n", "c", "hw"}, n, c, hw); err != nil {
		return err
	}
	if err := checkLen(fn, "dy", dy, n*c*hw); err != nil {
		return err
	}
	if err := checkLen(fn, "db", db, c); err != nil {
		return err
	}
	if hw == 1 {
		for p := 0; p < n; p++ {
			row := dy[p*c : (p+1)*c]
			for i, v := range row {
				db[i] += v
			}
		}
		return nil
	}
	for p := 0; p < n*c; p++ {
		db[p%c] += sum(dy[p*hw : (p+1)*hw])
	}
	return nil
}
