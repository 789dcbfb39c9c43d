package main

import "github.com/umbra-ml/umbra/worker"

// registrations is what this binary runs: the workflows (worker.Run's
// default) and, once the activities package exists, its activities. Until
// then the worker registers no activity: workflows it picks up wait for an
// activity worker.
//
// TODO(lead): set Activities to the activities package's registration, e.g.
//
//	Activities: func(r sdkworker.ActivityRegistry, env worker.Env) error {
//		return activities.Register(r, env.Queue, env.Store, env.Metrics, env.Logger)
//	},
var registrations = worker.Registrations{}
