// Package jobs runs Tidings' background work on River, on SQLite and PostgreSQL alike. It is
// the only importer of River. The rest of the app enqueues through Queue.Enqueue, inside the
// store transaction that holds the data the job needs, so a job exists if and only if that
// transaction commits (River's InsertTx). Job arguments carry identifiers only, never
// patient data.
//
// Each capability package declares its own work: it defines its Args types and registers
// their workers and periodic jobs on a Registry (Register, Periodic) — the session package
// its expiry and clean-up, later sync its pollers and booking its write-back — and the
// command line hands the registry to New. Kinds carry their defaults (queue, priority,
// attempts, timeout); an enqueue may override them and add a unique key or a due time.
// Named queues (default, maintenance, sync, write_back) have their own concurrency.
//
// What belongs in a River job, and what does not: a job costs a row and a few statements,
// and River moves about 1,200–1,400 no-op jobs a second on SQLite on our hardware (17k on
// PostgreSQL). That is plenty for work counted per entity and per event: a session's
// expiry, syncing one clinical database, writing one booking back, a nightly sweep, a recall
// scan. It is not for work counted per message at volume: notification dispatch keeps its
// own outbox table, claimed in batches under a lease (claimed_until) so that a crashed
// worker's batch is taken over, and driven either by a long-lived component of the
// lifecycle (a poller woken on commit) or by one periodic job per tick that drains a batch;
// River then carries one job per batch, never one per message.
//
// On PostgreSQL several instances share the queue and River's leader election makes
// periodic work run once (ADM-4). On SQLite River uses the store's single writer
// connection.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/tidings-health/tidings/internal/store"
)

// Config tunes the queue. Zero values take the documented defaults.
type Config struct {
	Logger *slog.Logger
	// Registry holds the workers and periodic jobs; nil is an empty one (a queue that only
	// enqueues, as the command line's one-shot commands do).
	Registry *Registry
	// Queues sets the concurrency of named queues, over DefaultConcurrency.
	Queues map[string]int
	// PollInterval is how often idle workers look for due jobs. Default 1 s; tests
	// shorten it.
	PollInterval time.Duration
}

// Queue enqueues and works jobs.
type Queue struct {
	db     *store.DB
	cfg    Config
	reg    *Registry
	engine engine
}

// engine hides River's transaction type parameter (*sql.Tx on SQLite, pgx.Tx on PostgreSQL).
type engine interface {
	insertTx(ctx context.Context, raw any, args river.JobArgs, opts *river.InsertOpts) error
	start(ctx context.Context) error
	stop(ctx context.Context) error
	list(ctx context.Context, params *river.JobListParams) ([]*rivertype.JobRow, error)
}

type client[TTx any] struct{ c *river.Client[TTx] }

func (c client[TTx]) insertTx(ctx context.Context, raw any, args river.JobArgs, opts *river.InsertOpts) error {
	tx, ok := raw.(TTx)
	if !ok {
		return fmt.Errorf("enqueue %s: transaction of type %T is not this database's", args.Kind(), raw)
	}
	_, err := c.c.InsertTx(ctx, tx, args, opts)
	return err
}
func (c client[TTx]) start(ctx context.Context) error { return c.c.Start(ctx) }
func (c client[TTx]) stop(ctx context.Context) error  { return c.c.Stop(ctx) }
func (c client[TTx]) list(ctx context.Context, params *river.JobListParams) ([]*rivertype.JobRow, error) {
	res, err := c.c.JobList(ctx, params)
	if err != nil {
		return nil, err
	}
	return res.Jobs, nil
}

// Migrate creates or updates River's own tables.
func Migrate(ctx context.Context, db *store.DB) error {
	var err error
	switch db.Dialect() {
	case store.Postgres:
		err = migrate(ctx, riverpgxv5.New(db.PgxPool()))
	default:
		err = migrate(ctx, riversqlite.New(db.SQLDB()))
	}
	if err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	return nil
}

func migrate[TTx any](ctx context.Context, d riverdriver.Driver[TTx]) error {
	m, err := rivermigrate.New(d, nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// MigrationsCurrent reports whether River's tables are at this binary's version, for /readyz.
func MigrationsCurrent(ctx context.Context, db *store.DB) (bool, error) {
	var res *rivermigrate.ValidateResult
	var err error
	switch db.Dialect() {
	case store.Postgres:
		res, err = validate(ctx, riverpgxv5.New(db.PgxPool()))
	default:
		res, err = validate(ctx, riversqlite.New(db.SQLDB()))
	}
	if err != nil {
		return false, err
	}
	return res.OK, nil
}

func validate[TTx any](ctx context.Context, d riverdriver.Driver[TTx]) (*rivermigrate.ValidateResult, error) {
	m, err := rivermigrate.New(d, nil)
	if err != nil {
		return nil, err
	}
	return m.Validate(ctx, nil)
}

// New builds a queue over db; its tables must exist (Migrate). Call Start to work jobs; a
// queue that is never started can still enqueue (the CLI's one-shot commands do).
//
// A job of a kind this process has no worker for may still be enqueued: it waits for an
// instance that knows it (River's unknown-kind check is off, so that instances of two
// versions can share a queue during a rolling deploy).
func New(db *store.DB, cfg Config) (*Queue, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Registry == nil {
		cfg.Registry = NewRegistry()
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	reg := cfg.Registry
	if reg.err != nil {
		return nil, fmt.Errorf("job queue: %w", reg.err)
	}
	q := &Queue{db: db, cfg: cfg, reg: reg}
	rc := &river.Config{
		Logger:              cfg.Logger,
		FetchPollInterval:   cfg.PollInterval,
		Queues:              reg.queues(cfg.Queues),
		Workers:             reg.workers,
		PeriodicJobs:        reg.periodic,
		SkipUnknownJobCheck: true,
	}
	var err error
	switch db.Dialect() {
	case store.Postgres:
		var c *river.Client[pgx.Tx]
		c, err = river.NewClient(riverpgxv5.New(db.PgxPool()), rc)
		q.engine = client[pgx.Tx]{c}
	default:
		// SQLite serialises writers; River's own docs ask for a single-connection pool,
		// which the store's writer is.
		rc.PollOnly = true
		var c *river.Client[*sql.Tx]
		c, err = river.NewClient(riversqlite.New(db.SQLDB()), rc)
		q.engine = client[*sql.Tx]{c}
	}
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return q, nil
}

// Start works jobs until Stop or ctx ends.
func (q *Queue) Start(ctx context.Context) error { return q.engine.start(ctx) }

// Stop waits for running jobs to finish, or ctx to end.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.engine.stop(ctx)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stop job queue: %w", err)
	}
	return err
}

// Enqueue inserts a job inside tx: it exists only if tx commits. opts may set when it is
// due, its queue, priority and attempts (else the kind's registered defaults), and a unique
// key.
func (q *Queue) Enqueue(ctx context.Context, tx *store.Tx, args Args, opts Opts) error {
	ra, io := q.reg.insertArgs(args, opts)
	if err := q.engine.insertTx(ctx, tx.Raw(), ra, io); err != nil {
		return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// Unfinished counts the jobs of kind not yet done (scheduled, available, running or
// retrying), for operations and tests.
func (q *Queue) Unfinished(ctx context.Context, kind string) (int, error) {
	rows, err := q.engine.list(ctx, river.NewJobListParams().Kinds(kind).First(10000).
		States(rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable, rivertype.JobStatePending, rivertype.JobStateRunning))
	if err != nil {
		return 0, fmt.Errorf("list %s jobs: %w", kind, err)
	}
	return len(rows), nil
}
