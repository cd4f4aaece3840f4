package jobs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// pingArgs and syncArgs are a capability's job arguments, defined outside the jobs
// package as capability packages do.
type pingArgs struct {
	N int `json:"n"`
}

func (pingArgs) Kind() string { return "test_ping" }

type syncArgs struct {
	DatabaseID int64 `json:"database_id"`
}

func (syncArgs) Kind() string { return "test_sync" }

func open(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, nil)
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	ok, err := jobs.MigrationsCurrent(ctx, db)
	if err != nil || !ok {
		t.Fatalf("MigrationsCurrent = %v, %v", ok, err)
	}
	return db
}

func enqueue(t *testing.T, db *store.DB, q *jobs.Queue, args jobs.Args, opts jobs.Opts) {
	t.Helper()
	ctx := context.Background()
	if err := db.Update(ctx, func(tx *store.Tx) error { return q.Enqueue(ctx, tx, args, opts) }); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEnqueueRollsBackWithTx: a job inserted in a transaction that rolls back never exists.
func TestEnqueueRollsBackWithTx(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	q, err := jobs.New(db, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = db.Update(ctx, func(tx *store.Tx) error {
		if err := q.Enqueue(ctx, tx, pingArgs{N: 42}, jobs.Opts{}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if n, err := q.Unfinished(ctx, pingArgs{}.Kind()); err != nil || n != 0 {
		t.Fatalf("unfinished jobs = %d, %v; want 0", n, err)
	}
	enqueue(t, db, q, pingArgs{N: 1}, jobs.Opts{})
	if n, err := q.Unfinished(ctx, pingArgs{}.Kind()); err != nil || n != 1 {
		t.Fatalf("unfinished jobs = %d, %v; want 1 after a commit", n, err)
	}
}

// TestUniqueKey: while a job of a kind and key is unfinished, enqueuing it again is a
// no-op; other keys, and jobs without a key, are not held back; once it has run, the key
// is free again. The worker receives the arguments without the key.
func TestUniqueKey(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	reg := jobs.NewRegistry()
	var mu sync.Mutex
	var got []int
	jobs.Register(reg, func(_ context.Context, a pingArgs) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, a.N)
		return nil
	}, jobs.WorkerOpts{})
	q, err := jobs.New(db, jobs.Config{Registry: reg, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	enqueue(t, db, q, pingArgs{N: 1}, jobs.Opts{UniqueKey: "db:1", At: later})
	enqueue(t, db, q, pingArgs{N: 2}, jobs.Opts{UniqueKey: "db:1", At: later}) // other args, same key: skipped
	enqueue(t, db, q, pingArgs{N: 3}, jobs.Opts{UniqueKey: "db:2", At: later})
	enqueue(t, db, q, pingArgs{N: 4}, jobs.Opts{At: later})
	enqueue(t, db, q, pingArgs{N: 4}, jobs.Opts{At: later}) // no key: never unique
	if n, _ := q.Unfinished(ctx, pingArgs{}.Kind()); n != 4 {
		t.Fatalf("unfinished = %d, want 4 (one db:1, one db:2, two without a key)", n)
	}
	// Due now, the key is still taken by the scheduled job.
	enqueue(t, db, q, pingArgs{N: 5}, jobs.Opts{UniqueKey: "db:1"})
	if n, _ := q.Unfinished(ctx, pingArgs{}.Kind()); n != 4 {
		t.Fatalf("unfinished = %d, want 4", n)
	}

	enqueue(t, db, q, pingArgs{N: 6}, jobs.Opts{UniqueKey: "run"})
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })
	waitFor(t, "the job with key run", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 1 })
	waitFor(t, "completion", func() bool { n, _ := q.Unfinished(ctx, pingArgs{}.Kind()); return n == 4 })
	enqueue(t, db, q, pingArgs{N: 7}, jobs.Opts{UniqueKey: "run"}) // finished jobs do not block
	waitFor(t, "the second job with key run", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 2 })
	mu.Lock()
	defer mu.Unlock()
	if got[0] != 6 || got[1] != 7 {
		t.Errorf("worker got %v, want [6 7]", got)
	}
}

// TestNamedQueues: each named queue has its own concurrency. The sync queue works one job
// at a time, and a busy sync queue does not hold up the default one: the sync job below
// waits for a default-queue job, which would deadlock if they shared one worker.
func TestNamedQueues(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	reg := jobs.NewRegistry()
	pinged := make(chan struct{}, 10)
	var running, most, done atomic.Int32
	jobs.Register(reg, func(context.Context, pingArgs) error { pinged <- struct{}{}; return nil }, jobs.WorkerOpts{})
	jobs.Register(reg, func(ctx context.Context, a syncArgs) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		if a.DatabaseID == 1 {
			select {
			case <-pinged:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		time.Sleep(50 * time.Millisecond)
		done.Add(1)
		return nil
	}, jobs.WorkerOpts{Queue: jobs.QueueSync, Timeout: 20 * time.Second})
	q, err := jobs.New(db, jobs.Config{Registry: reg, PollInterval: 100 * time.Millisecond,
		Queues: map[string]int{jobs.QueueSync: 1, jobs.QueueDefault: 1}})
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, db, q, syncArgs{DatabaseID: 1}, jobs.Opts{})
	enqueue(t, db, q, syncArgs{DatabaseID: 2}, jobs.Opts{})
	enqueue(t, db, q, syncArgs{DatabaseID: 3}, jobs.Opts{})
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })
	waitFor(t, "a sync job to start", func() bool { return running.Load() == 1 })
	enqueue(t, db, q, pingArgs{}, jobs.Opts{})
	waitFor(t, "all sync jobs", func() bool { return done.Load() == 3 })
	if m := most.Load(); m != 1 {
		t.Errorf("%d sync jobs ran at once, want 1", m)
	}
}

// TestPeriodic: a periodic job declared by a capability runs on start.
func TestPeriodic(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	reg := jobs.NewRegistry()
	ran := make(chan int, 10)
	jobs.Register(reg, func(_ context.Context, a pingArgs) error { ran <- a.N; return nil }, jobs.WorkerOpts{Queue: jobs.QueueMaintenance})
	jobs.Periodic(reg, time.Hour, pingArgs{N: 9}, jobs.PeriodicOpts{RunOnStart: true, Opts: jobs.Opts{UniqueKey: "sweep"}})
	q, err := jobs.New(db, jobs.Config{Registry: reg, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })
	select {
	case n := <-ran:
		if n != 9 {
			t.Errorf("periodic job got %d", n)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the periodic job did not run on start")
	}
}

// TestRegistryErrors: mistakes in the declarations fail New, not a job at run time.
func TestRegistryErrors(t *testing.T) {
	db := open(t)
	work := func(context.Context, pingArgs) error { return nil }
	reg := jobs.NewRegistry()
	jobs.Register(reg, work, jobs.WorkerOpts{})
	jobs.Register(reg, work, jobs.WorkerOpts{})
	if _, err := jobs.New(db, jobs.Config{Registry: reg}); err == nil || !strings.Contains(err.Error(), "registered twice") {
		t.Errorf("duplicate kind: %v", err)
	}
	reg = jobs.NewRegistry()
	jobs.Periodic(reg, 0, pingArgs{}, jobs.PeriodicOpts{})
	if _, err := jobs.New(db, jobs.Config{Registry: reg}); err == nil {
		t.Error("a periodic job without an interval was accepted")
	}
}
