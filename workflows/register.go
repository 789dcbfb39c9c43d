package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/umbra-ml/umbra/activities/api"
)

// Register registers the workflows under their api names.
func Register(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(Experiment, workflow.RegisterOptions{Name: api.WorkflowExperiment})
	r.RegisterWorkflowWithOptions(Batch, workflow.RegisterOptions{Name: api.WorkflowBatch})
	r.RegisterWorkflowWithOptions(Sweep, workflow.RegisterOptions{Name: api.WorkflowSweep})
}
