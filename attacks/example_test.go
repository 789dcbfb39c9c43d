package attacks_test

import (
	"encoding/json"
	"fmt"

	"github.com/umbra-ml/umbra/attacks"
)

// Build the score array model by model from logits, run leave-one-out
// LiRA and serialise the aggregate.
func Example() {
	const m, n, a, c = 4, 4, 1, 2
	labels := []int{0, 1, 0, 1}
	s, _ := attacks.NewScores(m, n, a)
	k, _ := attacks.NewKeep(m, n)
	for model := range m {
		logits := make([]float32, n*a*c)
		for ex := range n {
			in := (ex+model)%2 == 0 // each model trains on half the examples
			k.In[model*n+ex] = in
			conf := float32(ex+model) / 4
			if in {
				conf += 2
			}
			logits[ex*c+labels[ex]] = conf
		}
		if err := s.SetModelFromLogits(model, logits, c, labels); err != nil {
			fmt.Println(err)
			return
		}
	}
	res, err := attacks.LiRALeaveOneOut(s, k, []int{0, 1}, attacks.LiRAConfig{FixedVariance: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	agg, _, err := attacks.Evaluate("lira-online-fixed-variance", res, k, attacks.MetricOptions{FPRs: []float64{0.1}})
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(agg.AUC)
	fmt.Println(string(b), len(agg.PerTarget))
	// Output: {"mean":1,"std":0} 2
}
