// Package api is the contract between Umbra's workflows and its activities:
// the registered names of every workflow and activity, their parameter and
// result types, the heartbeat-details type of TrainModel, the progress type
// returned by the Experiment workflow's query, and the application-error type
// names that workflows treat as non-retryable.
//
// It imports only the standard library so that the deterministic workflow
// code, the worker and the starter can share it without pulling in the
// trainer or the storage clients.
//
// Everything here travels in Temporal payloads (JSON), which fail at 2 MB and
// are stored in workflow history, so types carry keys, hashes and summary
// numbers only — never tensors, score arrays or checkpoints. Lists of model
// keys are bounded (MaxInlineModelKeys); beyond that a ModelKeyRecipe
// describes how to derive them.
package api
