// Package store holds all SQL of Tidings, for both SQLite (the embedded default) and
// PostgreSQL (scale-out), behind one API.
//
// Shape: every read and write happens inside DB.View or DB.Update, which hand out a *Tx. The
// queries hang off one handle per capability, each in its own file: tx.Directory(),
// tx.Patients(), tx.Schedule(), tx.Appointments(), tx.Staff(), tx.AuditTrail() (handles.go
// says why; a new capability adds its own handle and file). Only the use-case packages call
// the methods that write (internal/architecture enforces it). Every method that touches
// tenant data takes the organisation in its signature and every such query filters on organisation_id, so an unscoped query cannot be
// written by accident (ADM-3). SQL is written by hand, portable between the two dialects
// ($1 placeholders, RETURNING, ON CONFLICT), with small explicit switches where they differ.
// Driver errors are translated by code into the clinic package's sentinels (errors.go).
//
// Why two drivers and no database/sql on PostgreSQL: pgx's native API is faster and its
// transactions are what River's pgx driver takes, so a job is inserted in the same transaction
// as the data it acts on. The small querier interface (conn.go) hides the difference.
//
// Errors: each method's doc names the errors it returns for a reason of its own
// (clinic.ErrNotFound, clinic.ErrConflict, clinic.ErrInvalid, ErrSlotTaken …), wrapped with
// the operation and ids; test them with errors.Is. Any method may also return ErrBusy (retry),
// the context's error, or a wrapped driver error for a broken connection; docs do not repeat
// these. A list that matches nothing is empty, not clinic.ErrNotFound.
//
// No double booking (POR-4), and the PMS's own overlaps. An active appointment booked in
// Tidings (booked_by staff or patient_online) never overlaps another active appointment of
// its agenda, synced or not. Appointments synced from the practice-management system
// (booked_by "sync") are stored as the PMS has them, overlaps included: the PMS is the
// record, clinics double-book in it on purpose, and sync must never lose a valid PMS
// appointment. So CreateAppointment and UpdateAppointment check a Tidings booking against
// every active appointment, synced ones included, in the booking's own transaction, and
// answer ErrSlotTaken; synced writes skip the check, and a status change in place (booked →
// arrived) claims no new time and is never refused. The check is atomic on SQLite because
// the one writer connection serialises transactions, and on PostgreSQL because every
// appointment write, synced ones too, first bumps its agenda's availability_version, which
// locks the agenda's row, and the check runs again after that lock. On PostgreSQL the
// exclusion constraint appointments_no_overlap (migration 00004) is the backstop between
// Tidings bookings only (booked_by <> 'sync'); SQLite has no such constraint. Availability
// (BusyIntervals) counts every active appointment as busy, synced ones included. Moving a
// synced appointment is treated as the PMS's write (not checked): Tidings' own use cases
// should leave synced appointments' times to the PMS.
//
// Durability. An acknowledged write is on disk on both dialects: PostgreSQL commits with the
// server's default synchronous_commit=on (Tidings leaves it alone), and SQLite runs in WAL
// mode with synchronous=FULL, so a commit returns only after its WAL frames are fsynced and a
// booking, consent change or STOP survives a power loss (NORMAL, the usual WAL setting, may
// lose the last commits). Measured on the shared 2-core development VM (ext4), 2 December
// 2026: one booking and its event per transaction commit at 1,400-1,700/s with FULL against
// 2,100-2,900/s with NORMAL (BenchmarkCommittedBooking, -benchtime 3s), so an fsync costs
// about 0.25 ms a commit; the booking hammer (TestConcurrentBookingsNoDoubleBooking, 64
// clients on 20 slots, mostly refused attempts that commit nothing) ran at 2,300-2,750
// attempts/s with FULL and 2,200-2,600/s with NORMAL on a quiet machine (1,200-1,950/s with
// FULL under other load), far above the 300/s goal, so writes are not batched (no group
// commit). Tests and benchmarks run with the setting users get.
//
// It must not import the web, job or use-case packages.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Dialect names the SQL engine behind a DB.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// ErrBadDSN is returned by ParseDSN and Open for a --db value that names no known database.
var ErrBadDSN = errors.New("bad database URL")

// ErrUnreachable is returned by Open when the database cannot be reached or opened.
var ErrUnreachable = errors.New("database unreachable")

// Config says which database to open and how.
type Config struct {
	// DSN is a postgres:// URL, or sqlite:PATH / a file path for SQLite.
	DSN string
	// Now is the clock; each transaction fixes it once (Tx.Now). Defaults to time.Now.
	Now func() time.Time
	// ReadConns bounds the SQLite read pool (default 4). Ignored on PostgreSQL.
	ReadConns int
	// MaxConns bounds the PostgreSQL pool (default 4 a core, or the DSN's pool_max_conns).
	MaxConns int32
}

// DB is an open database. It is safe for concurrent use.
type DB struct {
	dialect Dialect
	now     func() time.Time
	dsn     string

	// SQLite: one writer connection (SQLite has one writer at a time; a single connection
	// turns lock contention into a queue in Go instead of SQLITE_BUSY) and a read pool.
	writer *sql.DB
	reader *sql.DB

	// PostgreSQL.
	pool *pgxpool.Pool
	// streams is a small pool of its own for the reads of open event streams (ViewStream).
	streams *pgxpool.Pool
	// sqlDB is a database/sql view of the same database, for goose and River on SQLite.
	sqlDB *sql.DB
}

// ParseDSN reports the dialect of a --db value and the value to hand to the driver.
//
// Errors: ErrBadDSN when dsn is empty, not a valid postgres:// URL, or another scheme.
func ParseDSN(dsn string) (Dialect, string, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil || u.Host == "" {
			return "", "", fmt.Errorf("%w: %q is not a valid postgres:// URL", ErrBadDSN, redact(dsn))
		}
		if _, err := pgxpool.ParseConfig(dsn); err != nil {
			return "", "", fmt.Errorf("%w: %s", ErrBadDSN, redactErr(err, dsn))
		}
		return Postgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		if p == "" {
			return "", "", fmt.Errorf("%w: sqlite: needs a file path", ErrBadDSN)
		}
		return SQLite, p, nil
	case strings.Contains(dsn, "://"):
		return "", "", fmt.Errorf("%w: %q: use postgres://… or a SQLite file path", ErrBadDSN, redact(dsn))
	case dsn == "":
		return "", "", fmt.Errorf("%w: empty", ErrBadDSN)
	default:
		return SQLite, dsn, nil
	}
}

// redact hides a password in a URL so it never reaches a log or terminal.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparseable URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func redactErr(err error, dsn string) string {
	s := err.Error()
	if u, perr := url.Parse(dsn); perr == nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			s = strings.ReplaceAll(s, pw, "xxxxx")
		}
	}
	return s
}

// Open connects to the database named by cfg.DSN. It does not migrate: call Migrate.
//
// Errors: ErrBadDSN as ParseDSN; ErrUnreachable when the SQLite data directory cannot be
// created or written, or PostgreSQL does not answer within 10 seconds.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	dialect, target, err := ParseDSN(cfg.DSN)
	if err != nil {
		return nil, err
	}
	db := &DB{dialect: dialect, now: cfg.Now, dsn: cfg.DSN}
	if db.now == nil {
		db.now = time.Now
	}
	switch dialect {
	case SQLite:
		err = db.openSQLite(ctx, target, cfg)
	case Postgres:
		err = db.openPostgres(ctx, target, cfg)
	}
	if err != nil {
		return nil, err
	}
	return db, nil
}

func (db *DB) openSQLite(ctx context.Context, path string, cfg Config) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("%w: cannot create data directory %s: %v", ErrUnreachable, dir, errors.Unwrap(err))
	}
	probe, err := os.CreateTemp(dir, ".tidings-write-check-*")
	if err != nil {
		return fmt.Errorf("%w: data directory %s is not writable", ErrUnreachable, dir)
	}
	probe.Close()
	os.Remove(probe.Name())

	// busy_timeout first so the other pragmas wait for a lock rather than fail.
	// synchronous(FULL): a commit returns only once the WAL is on disk, so an acknowledged
	// write survives a power loss (see "Durability" in the package doc).
	base := "file:" + filepath.ToSlash(path) + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return fmt.Errorf("%w: open %s: %v", ErrUnreachable, path, err)
	}
	n := cfg.ReadConns
	if n <= 0 {
		n = 4
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(0)
	db.writer, db.reader, db.sqlDB = w, r, w
	return nil
}

func (db *DB) openPostgres(ctx context.Context, dsn string, cfg Config) error {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBadDSN, redactErr(err, dsn))
	}
	// Four connections a core: pgx's default (one a core, at least 4) queues requests
	// behind a few slow transactions, while twice as many crowd the server with backends
	// that wait on each other (the messaging bench on two cores: p99 12 s with 16 per
	// instance, 89 ms with 8). A DSN that names its own (pool_max_conns=N) is the
	// operator's choice and is kept.
	if !strings.Contains(dsn, "pool_max_conns") {
		pc.MaxConns = int32(max(4, 4*runtime.GOMAXPROCS(0)))
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	// Every timestamp travels as UTC so that scanned values compare equal to SQLite's.
	pc.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(pingCtx, pc)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrUnreachable, redactErr(err, dsn))
	}
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return fmt.Errorf("%w: cannot reach PostgreSQL at %s:%d: %s", ErrUnreachable, pc.ConnConfig.Host, pc.ConnConfig.Port, redactErr(err, dsn))
	}
	sc := pc.Copy()
	sc.MaxConns = streamConns
	streams, err := pgxpool.NewWithConfig(ctx, sc) // connects on first use
	if err != nil {
		pool.Close()
		return fmt.Errorf("%w: %s", ErrUnreachable, redactErr(err, dsn))
	}
	db.pool, db.streams = pool, streams
	db.sqlDB = stdlib.OpenDBFromPool(pool)
	return nil
}

// streamConns is the size of the event streams' pool: their reads are one indexed query
// each, made by the realtime hub's few workers.
const streamConns = 2

// ViewStream is View for the reads of open event streams (MSG-4). On PostgreSQL they run
// on a pool of their own, so that a stream's catch-up never queues behind the requests
// that wrote what it reports: under a burst of sends, the requests waiting for a
// connection held back the very events they had committed by seconds.
//
// Errors: fn's, unchanged.
func (db *DB) ViewStream(ctx context.Context, fn func(*Tx) error) error {
	if db.streams == nil {
		return db.View(ctx, fn)
	}
	return db.view(pgxQuerier{db.streams}, fn)
}

// Dialect reports which engine is behind db.
func (db *DB) Dialect() Dialect { return db.dialect }

// Now reads the injected clock.
func (db *DB) Now() time.Time { return db.now().UTC() }

// SQLDB exposes the database/sql handle (the SQLite writer, or a pgx-backed handle on
// PostgreSQL). For the jobs package and migrations only.
func (db *DB) SQLDB() *sql.DB { return db.sqlDB }

// PgxPool exposes the pgx pool on PostgreSQL (nil on SQLite). For the jobs package only.
func (db *DB) PgxPool() *pgxpool.Pool { return db.pool }

// Ping checks the database answers.
//
// Errors: the driver's, when it does not.
func (db *DB) Ping(ctx context.Context) error {
	if db.pool != nil {
		return db.pool.Ping(ctx)
	}
	return db.reader.PingContext(ctx)
}

// Close releases every connection.
//
// Errors: the SQLite handles' close errors, joined; none on PostgreSQL.
func (db *DB) Close() error {
	if db.pool != nil {
		db.sqlDB.Close()
		db.pool.Close()
		db.streams.Close()
		return nil
	}
	return errors.Join(db.reader.Close(), db.writer.Close())
}

// Tx is a unit of work; its queries are on its capability handles (handles.go). Now is fixed
// when it starts, so every row written in one transaction carries the same time.
type Tx struct {
	q        querier
	dialect  Dialect
	Now      time.Time
	readOnly bool
	sqlTx    *sql.Tx
	pgxTx    pgx.Tx
	onCommit []func()
	// events are the message events to store at commit (PostgreSQL: AddMessageEvent).
	events []*MessageEvent
	// later are the statements whose result nothing in the transaction reads (audit rows),
	// sent with the commit on PostgreSQL (execLater): a round trip less per write.
	later []queued
	// savepoints numbers the savepoints of this transaction.
	savepoints int
	// statements is atomic because a View may be shared by goroutines (a cold availability
	// load reads its parts on several connections at once).
	statements atomic.Int64
}

// Statements reports how many SQL statements tx has run so far.
func (tx *Tx) Statements() int { return int(tx.statements.Load()) }

// Raw returns the driver's transaction (*sql.Tx on SQLite, pgx.Tx on PostgreSQL), so the
// jobs package can insert a job in it. Nil in a View.
func (tx *Tx) Raw() any {
	if tx.sqlTx != nil {
		return tx.sqlTx
	}
	if tx.pgxTx != nil {
		return tx.pgxTx
	}
	return nil
}

// Dialect reports the engine, for the rare caller that must branch.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// OnCommit registers f to run after a successful commit (e.g. waking a listener).
func (tx *Tx) OnCommit(f func()) { tx.onCommit = append(tx.onCommit, f) }

// View runs fn with read-only access. Statements run outside a transaction (each sees the
// latest committed data), which is what hot read paths want: no BEGIN/COMMIT round trips, and
// on SQLite the read pool, never the writer. Use Update for read-modify-write. A View's Tx,
// unlike Update's, may be used by several goroutines at once: each statement takes its own
// connection from the pool.
//
// Errors: fn's, unchanged.
func (db *DB) View(ctx context.Context, fn func(*Tx) error) error {
	if db.pool != nil {
		return db.view(pgxQuerier{db.pool}, fn)
	}
	return db.view(sqlQuerier{db.reader}, fn)
}

// view runs fn with read-only statements on q, each outside a transaction.
func (db *DB) view(q querier, fn func(*Tx) error) error {
	tx := &Tx{dialect: db.dialect, Now: db.Now(), readOnly: true}
	tx.q = counted{q, &tx.statements}
	return fn(tx)
}

// Update runs fn in a read-write transaction, committed when fn returns nil and rolled back
// otherwise. On SQLite it takes the single writer connection (BEGIN IMMEDIATE).
//
// Errors: fn's, unchanged (the transaction is rolled back); ErrBusy when BEGIN or COMMIT
// waited past the busy timeout (SQLite) or hit a serialization failure (PostgreSQL).
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) (err error) {
	tx := &Tx{dialect: db.dialect, Now: db.Now()}
	if db.pool != nil {
		// The connection is acquired first so that a transaction whose end went out in
		// the commit batch (commitBatch) is released without pgx's own COMMIT: pgx does
		// not know the batch committed, and a second COMMIT costs a round trip and a
		// warning in the server's log.
		conn, err := db.pool.Acquire(ctx)
		if err != nil {
			return fmt.Errorf("begin: %w", translate(err))
		}
		defer conn.Release() // after Commit or Rollback: the pool then takes it back idle
		// The transaction begins with its first statement (lazyTx): a round trip less.
		ptx := &lazyTx{conn: conn.Conn()}
		tx.pgxTx, tx.q = ptx, counted{pgxQuerier{ptx}, &tx.statements}
		defer func() {
			if p := recover(); p != nil {
				ptx.Rollback(context.WithoutCancel(ctx))
				panic(p)
			}
		}()
		if err := fn(tx); err != nil {
			ptx.Rollback(context.WithoutCancel(ctx))
			return err
		}
		if len(tx.events) > 0 || len(tx.later) > 0 {
			if err := tx.commitBatch(ctx, ptx); err != nil {
				ptx.Rollback(context.WithoutCancel(ctx))
				return fmt.Errorf("commit: %w", translate(err))
			}
		} else if err := ptx.Commit(ctx); err != nil {
			return fmt.Errorf("commit: %w", translate(err))
		}
	} else {
		stx, err := db.writer.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", translate(err))
		}
		tx.sqlTx, tx.q = stx, counted{sqlQuerier{stx}, &tx.statements}
		defer func() {
			if p := recover(); p != nil {
				stx.Rollback()
				panic(p)
			}
		}()
		if err := fn(tx); err != nil {
			stx.Rollback()
			return err
		}
		if err := stx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", translate(err))
		}
	}
	for _, f := range tx.onCommit {
		f()
	}
	return nil
}
