package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Args is a job's arguments: a struct of identifiers (never patient data), JSON-encoded in
// the queue's table, defined by the capability package that works it. Kind names the job
// and must never change once jobs of that kind exist.
type Args interface {
	Kind() string
}

// The named queues. Each has its own concurrency (Config.Queues), so that a burst of one
// sort of work cannot starve another: a full sync does not hold up session clean-up.
const (
	QueueDefault     = river.QueueDefault // anything without a better home
	QueueMaintenance = "maintenance"      // clean-up sweeps, expiries
	QueueSync        = "sync"             // reading from practice-management systems
	QueueWriteBack   = "write_back"       // writing bookings back to them
)

// DefaultConcurrency is each named queue's number of concurrent jobs unless Config.Queues
// says otherwise; a queue a worker names that is not listed here gets 5.
func DefaultConcurrency() map[string]int {
	return map[string]int{QueueDefault: 10, QueueMaintenance: 2, QueueSync: 4, QueueWriteBack: 4}
}

// Opts are how one job is enqueued. Zero values take the kind's defaults (WorkerOpts),
// then River's (default queue, priority 1, 25 attempts).
type Opts struct {
	At          time.Time // when the job becomes due; zero: now
	Queue       string
	Priority    int // 1 (first) to 4
	MaxAttempts int
	// UniqueKey, if set, makes the insert a no-op while a job of the same kind and key is
	// not yet finished (scheduled, available, running or waiting to retry). A finished job
	// does not block the next one.
	UniqueKey string
}

// WorkerOpts are a kind's defaults, declared when its worker is registered.
type WorkerOpts struct {
	Queue       string
	Priority    int
	MaxAttempts int
	Timeout     time.Duration // per attempt; zero: River's default (1 minute)
}

// PeriodicOpts tune a periodic job.
type PeriodicOpts struct {
	Opts            // how each run is enqueued (At is ignored)
	RunOnStart bool // also enqueue one when the leader starts
}

// Registry collects the workers and periodic jobs that capability packages declare, before
// the queue is built (New). Capability packages never import River: they define their Args
// types and call Register and Periodic.
type Registry struct {
	workers  *river.Workers
	defaults map[string]WorkerOpts // by kind
	periodic []*river.PeriodicJob
	err      error
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{workers: river.NewWorkers(), defaults: map[string]WorkerOpts{}}
}

// Register declares work as the worker of T's kind. Registering a kind twice is an error
// that New reports.
func Register[T Args](r *Registry, work func(ctx context.Context, args T) error, opts WorkerOpts) {
	var zero T
	kind := zero.Kind()
	if _, dup := r.defaults[kind]; dup {
		r.err = errors.Join(r.err, fmt.Errorf("job kind %q registered twice", kind))
		return
	}
	if err := river.AddWorkerSafely(r.workers, &funcWorker[T]{work: work, timeout: opts.Timeout}); err != nil {
		r.err = errors.Join(r.err, fmt.Errorf("register %s: %w", kind, err))
		return
	}
	r.defaults[kind] = opts
}

// Periodic enqueues args every interval, on one elected leader when several instances
// share the queue. T's worker must be registered too.
func Periodic[T Args](r *Registry, every time.Duration, args T, opts PeriodicOpts) {
	if every <= 0 {
		r.err = errors.Join(r.err, fmt.Errorf("periodic %s: interval %v", args.Kind(), every))
		return
	}
	r.periodic = append(r.periodic, river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) {
			o := opts.Opts
			o.At = time.Time{}
			return r.insertArgs(args, o)
		}, &river.PeriodicJobOpts{RunOnStart: opts.RunOnStart}))
}

// queues returns every queue the registry's workers name, with its concurrency.
func (r *Registry) queues(cfg map[string]int) map[string]river.QueueConfig {
	n := DefaultConcurrency()
	maps.Copy(n, cfg)
	out := map[string]river.QueueConfig{QueueDefault: {MaxWorkers: max(n[QueueDefault], 1)}}
	for _, name := range slices.Sorted(maps.Keys(n)) {
		out[name] = river.QueueConfig{MaxWorkers: max(n[name], 1)}
	}
	for _, o := range r.defaults {
		if o.Queue != "" {
			if _, ok := out[o.Queue]; !ok {
				out[o.Queue] = river.QueueConfig{MaxWorkers: 5}
			}
		}
	}
	return out
}

// insertArgs wraps args for River with the options of this insert: the call's, else the
// kind's registered defaults.
func (r *Registry) insertArgs(args Args, o Opts) (river.JobArgs, *river.InsertOpts) {
	d := r.defaults[args.Kind()]
	io := &river.InsertOpts{ScheduledAt: o.At, Queue: cmpOr(o.Queue, d.Queue), Priority: cmpOr(o.Priority, d.Priority),
		MaxAttempts: cmpOr(o.MaxAttempts, d.MaxAttempts)}
	if o.UniqueKey != "" {
		io.UniqueOpts = river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{rivertype.JobStateAvailable,
			rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}}
	}
	return envelope{args: args, UniqueKey: o.UniqueKey}, io
}

func cmpOr[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}

// uniqueField is the JSON key that carries Opts.UniqueKey beside the job's own arguments.
const uniqueField = "tidings_unique_key"

// envelope is what River inserts: the arguments' own JSON object, plus the unique key when
// there is one. River's uniqueness hashes only the fields tagged river:"unique", so with a
// key the job is unique by kind and key alone. Jobs enqueued without a key are stored
// exactly as their Args encode.
type envelope struct {
	args      Args
	UniqueKey string `json:"tidings_unique_key,omitempty" river:"unique"`
}

func (e envelope) Kind() string { return e.args.Kind() }

func (e envelope) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(e.args)
	if err != nil || e.UniqueKey == "" {
		return b, err
	}
	if len(b) < 2 || b[0] != '{' {
		return nil, fmt.Errorf("job %s: arguments must encode as a JSON object", e.args.Kind())
	}
	k, _ := json.Marshal(e.UniqueKey)
	out := append([]byte(`{"`+uniqueField+`":`), k...)
	if string(b) != "{}" {
		out = append(out, ',')
	}
	return append(out, b[1:]...), nil
}

// received is what a worker decodes: the arguments, the unique key ignored.
type received[T Args] struct{ args T }

func (r received[T]) Kind() string { return r.args.Kind() }

func (r *received[T]) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &r.args) }

// funcWorker adapts a capability's function to River.
type funcWorker[T Args] struct {
	river.WorkerDefaults[received[T]]
	work    func(context.Context, T) error
	timeout time.Duration
}

func (w *funcWorker[T]) Work(ctx context.Context, job *river.Job[received[T]]) error {
	return w.work(ctx, job.Args.args)
}

func (w *funcWorker[T]) Timeout(*river.Job[received[T]]) time.Duration { return w.timeout }
