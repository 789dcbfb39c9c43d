package main

import (
	"github.com/umbra-ml/umbra/activities"
	"github.com/umbra-ml/umbra/worker"
)

// newRegistrations returns what this binary runs: the workflows and Umbra's
// activities.
func newRegistrations() worker.Registrations {
	return activities.WorkerRegistrations(activities.Options{})
}
