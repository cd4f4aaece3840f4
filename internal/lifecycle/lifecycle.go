// Package lifecycle runs the long-lived parts of one Tidings process as a group (house rule
// 17): the HTTP server and the job queue today, MLLP listeners, pollers and the real-time
// broker later. Components start in the order given, each one ready before the next
// starts (so the queue is working before the server accepts requests that enqueue); they
// stop in reverse order when the context ends (SIGTERM), so that the server stops
// accepting requests before the queue under it drains. If one component fails, to start or
// later, the others are stopped the same way and Run returns one error naming it.
//
// A component is one function, RunFunc: it runs until its context ends, then stops
// gracefully and returns. That shape fits a listener (serve in a goroutine, shut down on
// ctx.Done) and a poller (a loop selecting on ctx.Done) alike, and the group can stop each
// one separately, in order.
//
// It imports only the standard library.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Component is one long-lived part of the process.
type Component struct {
	// Name identifies the component in logs and errors ("http", "jobs").
	Name string
	// RunFunc runs the component until ctx ends, then stops it gracefully and returns nil,
	// or the error of stopping. It calls ready once it serves (listening, working). A
	// return before ready is a failure to start; a return while ctx is live, with or
	// without an error, is a failure. ctx carries the values of the group's context but
	// not its cancellation: the group cancels each component in turn.
	RunFunc func(ctx context.Context, ready func()) error
}

// Group runs components together.
type Group struct {
	Components []Component
	// StopTimeout bounds the whole stop, all components together. Default 15 s.
	StopTimeout time.Duration
	// Ready, if set, is called once every component is ready.
	Ready  func()
	Logger *slog.Logger // default: discard
}

// ErrStopped is wrapped by the error of a component that returned by itself, without an
// error, before it was told to stop.
var ErrStopped = errors.New("stopped unexpectedly")

type running struct {
	c      Component
	cancel context.CancelFunc
	done   chan error // receives RunFunc's result once
	exited bool
	err    error
}

// Run starts the components in order and waits for ctx to end or a component to fail;
// then it stops the running ones in reverse order. It returns nil after a clean stop on
// ctx's end; otherwise an error that names the failed component first, joined with any
// error of stopping the others.
func (g *Group) Run(ctx context.Context) error {
	log := g.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	stopTimeout := g.StopTimeout
	if stopTimeout <= 0 {
		stopTimeout = 15 * time.Second
	}
	base := context.WithoutCancel(ctx)
	var started []*running
	var failure error
	exited := make(chan *running, len(g.Components))

start:
	for _, c := range g.Components {
		cctx, cancel := context.WithCancel(base)
		r := &running{c: c, cancel: cancel, done: make(chan error, 1)}
		readyc := make(chan struct{})
		var once sync.Once
		go func() {
			err := c.RunFunc(cctx, func() { once.Do(func() { close(readyc) }) })
			r.done <- err
			exited <- r
		}()
		started = append(started, r)
		select {
		case <-readyc:
			log.Info("component started", "component", c.Name)
		case r2 := <-exited:
			// r itself, or an earlier component failing while r starts.
			failure = exitError(r2, "start")
			break start
		case <-ctx.Done():
			break start
		}
	}
	if failure == nil && ctx.Err() == nil {
		if g.Ready != nil {
			g.Ready()
		}
		select {
		case r := <-exited:
			failure = exitError(r, "run")
		case <-ctx.Done():
		}
	}

	// Stop in reverse order, each one fully before the previous one.
	sctx, cancel := context.WithTimeout(base, stopTimeout)
	defer cancel()
	var stopErrs []error
	for i := len(started) - 1; i >= 0; i-- {
		r := started[i]
		if r.exited {
			continue
		}
		r.cancel()
		select {
		case err := <-r.done:
			r.exited = true
			if err != nil && !errors.Is(err, context.Canceled) {
				stopErrs = append(stopErrs, fmt.Errorf("stop %s: %w", r.c.Name, err))
			}
			log.Info("component stopped", "component", r.c.Name)
		case <-sctx.Done():
			stopErrs = append(stopErrs, fmt.Errorf("stop %s: not stopped within %v", r.c.Name, stopTimeout))
		}
	}
	return errors.Join(append([]error{failure}, stopErrs...)...)
}

// exitError describes a component that returned before it was told to stop; it marks it
// exited so the stop skips it.
func exitError(r *running, phase string) error {
	r.exited = true
	err := <-r.done
	if err == nil {
		err = ErrStopped
	}
	if phase == "start" {
		return fmt.Errorf("%s: start: %w", r.c.Name, err)
	}
	return fmt.Errorf("%s: %w", r.c.Name, err)
}
