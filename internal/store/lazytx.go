package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// lazyTx is a PostgreSQL transaction that begins with its first statement, in the same round
// trip (pgx's Batch.BeginTx), rather than with a BEGIN of its own: a round trip less for
// every Update, which on a two-core machine is a good part of a short write (a secure
// message is four round trips with it, five without). A transaction that runs no statement
// never begins, and its Commit and Rollback do nothing.
//
// It is a pgx.Tx, so that Update's Raw hands it to River as it would pgx's own: every method
// that needs the transaction begins it first. It is used by one goroutine, as a pgx.Tx is.
type lazyTx struct {
	conn *pgx.Conn
	tx   pgx.Tx // nil until begun
}

var _ pgx.Tx = (*lazyTx)(nil)

// batch sends b's statements after the BEGIN, and returns the results positioned after the
// BEGIN's; l is begun from then on, whatever the batch's fate (a failed batch leaves the
// transaction for Rollback to end).
func (l *lazyTx) batch(ctx context.Context, qs []*pgx.QueuedQuery) pgx.BatchResults {
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	b.QueuedQueries = append(b.QueuedQueries, qs...)
	br := l.conn.SendBatch(ctx, b)
	l.tx = br.Tx()
	if _, err := br.Exec(); err != nil {
		return failedBatch{br, err}
	}
	return br
}

// begin begins the transaction on its own (a method that cannot carry it, such as CopyFrom).
func (l *lazyTx) begin(ctx context.Context) error {
	if l.tx != nil {
		return nil
	}
	br := l.batch(ctx, nil)
	return br.Close()
}

// Exec runs sql in the transaction, beginning it in the same round trip if need be (as a
// Query whose rows are none).
func (l *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if l.tx != nil {
		return l.tx.Exec(ctx, sql, args...)
	}
	rows, err := l.Query(ctx, sql, args...)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	rows.Close()
	return rows.CommandTag(), rows.Err()
}

// Query runs sql in the transaction, beginning it in the same round trip if need be.
func (l *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if l.tx != nil {
		return l.tx.Query(ctx, sql, args...)
	}
	br := l.batch(ctx, []*pgx.QueuedQuery{{SQL: sql, Arguments: args}})
	rows, err := br.Query()
	if err != nil {
		br.Close() // reports the same error
		return rows, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// QueryRow runs sql in the transaction, beginning it in the same round trip if need be.
func (l *lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if l.tx != nil {
		return l.tx.QueryRow(ctx, sql, args...)
	}
	rows, err := l.Query(ctx, sql, args...)
	return firstRow{rows: rows, err: err}
}

// SendBatch sends b in the transaction, its BEGIN first if need be.
func (l *lazyTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if l.tx != nil {
		return l.tx.SendBatch(ctx, b)
	}
	return l.batch(ctx, b.QueuedQueries)
}

// Commit commits a begun transaction. Update does not call it after commitBatch, whose
// batch ends with the COMMIT.
func (l *lazyTx) Commit(ctx context.Context) error {
	if l.tx == nil {
		return nil
	}
	return l.tx.Commit(ctx)
}

// Rollback rolls a begun transaction back.
func (l *lazyTx) Rollback(ctx context.Context) error {
	if l.tx == nil {
		return nil
	}
	return l.tx.Rollback(ctx)
}

// Begin starts a savepoint (a pseudo nested transaction), beginning l first.
func (l *lazyTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := l.begin(ctx); err != nil {
		return nil, err
	}
	return l.tx.Begin(ctx)
}

// CopyFrom copies rows in, beginning l first.
func (l *lazyTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	if err := l.begin(ctx); err != nil {
		return 0, err
	}
	return l.tx.CopyFrom(ctx, table, cols, src)
}

// Prepare prepares a statement on the connection (a transaction need not be begun).
func (l *lazyTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return l.conn.Prepare(ctx, name, sql)
}

// LargeObjects is pgx's, on a begun transaction: nothing here uses them.
func (l *lazyTx) LargeObjects() pgx.LargeObjects {
	if l.tx == nil {
		_ = l.begin(context.Background())
	}
	return l.tx.LargeObjects()
}

// Conn is the connection the transaction runs on.
func (l *lazyTx) Conn() *pgx.Conn { return l.conn }

// batchRows are the rows of a statement sent after a BEGIN: closing them closes the batch,
// so that the connection can take the next statement.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
	err    error
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if !r.closed {
		r.closed = true
		r.err = r.br.Close()
	}
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// firstRow is QueryRow over rows: the first row scanned, the rows closed, pgx.ErrNoRows when
// there is none.
type firstRow struct {
	rows pgx.Rows
	err  error
}

func (r firstRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	if !r.rows.Next() {
		r.rows.Close() // before Err: closing ends the batch, whose error Err reports
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	err := r.rows.Scan(dest...)
	r.rows.Close()
	if err != nil {
		return err
	}
	return r.rows.Err()
}

// failedBatch is a batch whose BEGIN failed: every result is that error.
type failedBatch struct {
	br  pgx.BatchResults
	err error
}

func (f failedBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, f.err }
func (f failedBatch) Query() (pgx.Rows, error)         { return nil, f.err }
func (f failedBatch) QueryRow() pgx.Row                { return firstRow{err: f.err} }
func (f failedBatch) Close() error                     { f.br.Close(); return f.err }
func (f failedBatch) Tx() pgx.Tx                       { return f.br.Tx() }
