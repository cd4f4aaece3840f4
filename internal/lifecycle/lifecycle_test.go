package lifecycle_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/lifecycle"
)

// recorder logs what fake components do, in order.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(e string) { r.mu.Lock(); r.events = append(r.events, e); r.mu.Unlock() }
func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

// fake is a component that becomes ready at once, then runs until stopped, unless fail
// delivers an error first; startErr makes it fail before it is ready.
func fake(rec *recorder, name string, startErr error, fail <-chan error) lifecycle.Component {
	return lifecycle.Component{Name: name, RunFunc: func(ctx context.Context, ready func()) error {
		rec.add("start " + name)
		if startErr != nil {
			return startErr
		}
		ready()
		select {
		case <-ctx.Done():
			rec.add("stop " + name)
			return nil
		case err := <-fail:
			rec.add("fail " + name)
			return err
		}
	}}
}

func TestStartInOrderStopInReverse(t *testing.T) {
	rec := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	g := &lifecycle.Group{Components: []lifecycle.Component{fake(rec, "jobs", nil, nil), fake(rec, "http", nil, nil), fake(rec, "mllp", nil, nil)},
		Ready: func() { rec.add("ready"); cancel() }}
	if err := g.Run(ctx); err != nil {
		t.Fatalf("clean stop: %v", err)
	}
	want := []string{"start jobs", "start http", "start mllp", "ready", "stop mllp", "stop http", "stop jobs"}
	if diff := cmp.Diff(want, rec.list()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestOneFailingStopsTheOthers(t *testing.T) {
	rec := &recorder{}
	fail := make(chan error, 1)
	g := &lifecycle.Group{Components: []lifecycle.Component{fake(rec, "jobs", nil, nil), fake(rec, "http", nil, fail), fake(rec, "poller", nil, nil)},
		Ready: func() { fail <- errors.New("accept: too many open files") }}
	err := g.Run(context.Background())
	if err == nil || err.Error() != "http: accept: too many open files" {
		t.Fatalf("err %v, want one line naming http", err)
	}
	want := []string{"start jobs", "start http", "start poller", "fail http", "stop poller", "stop jobs"}
	if diff := cmp.Diff(want, rec.list()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestStoppingByItselfIsAFailure(t *testing.T) {
	rec := &recorder{}
	fail := make(chan error, 1)
	g := &lifecycle.Group{Components: []lifecycle.Component{fake(rec, "jobs", nil, fail), fake(rec, "http", nil, nil)},
		Ready: func() { fail <- nil }}
	err := g.Run(context.Background())
	if !errors.Is(err, lifecycle.ErrStopped) || !strings.HasPrefix(err.Error(), "jobs: ") {
		t.Fatalf("err %v", err)
	}
}

func TestFailureToStartStopsTheStarted(t *testing.T) {
	rec := &recorder{}
	g := &lifecycle.Group{Components: []lifecycle.Component{fake(rec, "jobs", nil, nil), fake(rec, "http", errors.New("listen tcp: address in use"), nil),
		fake(rec, "never", nil, nil)}, Ready: func() { t.Error("Ready called") }}
	err := g.Run(context.Background())
	if err == nil || err.Error() != "http: start: listen tcp: address in use" {
		t.Fatalf("err %v", err)
	}
	want := []string{"start jobs", "start http", "stop jobs"}
	if diff := cmp.Diff(want, rec.list()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestStopTimeoutAndStopErrors(t *testing.T) {
	stuck := lifecycle.Component{Name: "stuck", RunFunc: func(ctx context.Context, ready func()) error {
		ready()
		<-ctx.Done()
		time.Sleep(time.Second)
		return nil
	}}
	bad := lifecycle.Component{Name: "bad", RunFunc: func(ctx context.Context, ready func()) error {
		ready()
		<-ctx.Done()
		return errors.New("flush: disk full")
	}}
	ctx, cancel := context.WithCancel(context.Background())
	g := &lifecycle.Group{Components: []lifecycle.Component{stuck, bad}, StopTimeout: 100 * time.Millisecond, Ready: cancel}
	start := time.Now()
	err := g.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "stop bad: flush: disk full") || !strings.Contains(err.Error(), "stop stuck: not stopped within") {
		t.Errorf("err %v", err)
	}
	if time.Since(start) > 900*time.Millisecond {
		t.Errorf("Run waited %v for a stuck component", time.Since(start))
	}
}

// TestCancelDuringStart: a signal while a component is still starting stops what started.
func TestCancelDuringStart(t *testing.T) {
	rec := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	slow := lifecycle.Component{Name: "slow", RunFunc: func(cctx context.Context, ready func()) error {
		rec.add("start slow")
		cancel() // SIGTERM arrives before it is ready
		<-cctx.Done()
		rec.add("stop slow")
		return nil
	}}
	g := &lifecycle.Group{Components: []lifecycle.Component{fake(rec, "jobs", nil, nil), slow, fake(rec, "never", nil, nil)}}
	if err := g.Run(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"start jobs", "start slow", "stop slow", "stop jobs"}
	if diff := cmp.Diff(want, rec.list()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
