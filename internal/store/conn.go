package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tidings-health/tidings/internal/clinic"
)

// querier is the little both drivers have in common. Store methods use only this, so one
// method body serves both dialects.
type querier interface {
	exec(ctx context.Context, q string, args ...any) (int64, error)
	query(ctx context.Context, q string, args ...any) (rows, error)
	queryRow(ctx context.Context, q string, args ...any) row
}

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

type row interface{ Scan(dest ...any) error }

// sqlTimeLayout is fixed-width so that SQLite's text comparisons order instants correctly.
const sqlTimeLayout = "2006-01-02T15:04:05.000000Z"

// parseSQLTime reads a time written in sqlTimeLayout by fixed positions, falling back to
// time.Parse for anything else (rows written by other tools).
func parseSQLTime(s string) (time.Time, error) {
	if len(s) == len(sqlTimeLayout) && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == '.' && s[26] == 'Z' {
		n := func(i, j int) (int, bool) {
			v := 0
			for _, c := range s[i:j] {
				if c < '0' || c > '9' {
					return 0, false
				}
				v = v*10 + int(c-'0')
			}
			return v, true
		}
		y, ok1 := n(0, 4)
		mo, ok2 := n(5, 7)
		d, ok3 := n(8, 10)
		h, ok4 := n(11, 13)
		mi, ok5 := n(14, 16)
		sec, ok6 := n(17, 19)
		us, ok7 := n(20, 26)
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && sec < 60 {
			return time.Date(y, time.Month(mo), d, h, mi, sec, us*1000, time.UTC), nil
		}
	}
	t, err := time.Parse(time.RFC3339Nano, strings.Replace(s, " ", "T", 1))
	if err != nil {
		return t, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// sqliteArgs makes times fixed-width UTC text; everything else database/sql converts.
func sqliteArgs(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = v.UTC().Format(sqlTimeLayout)
		case *time.Time:
			if v == nil {
				args[i] = nil
			} else {
				args[i] = v.UTC().Format(sqlTimeLayout)
			}
		}
	}
	return args
}

type sqlRunner interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

type sqlQuerier struct{ r sqlRunner }

func (s sqlQuerier) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.r.ExecContext(ctx, q, sqliteArgs(args)...)
	if err != nil {
		return 0, translate(err)
	}
	return res.RowsAffected()
}

func (s sqlQuerier) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := s.r.QueryContext(ctx, q, sqliteArgs(args)...)
	if err != nil {
		return nil, translate(err)
	}
	return sqlRows{r}, nil
}

func (s sqlQuerier) queryRow(ctx context.Context, q string, args ...any) row {
	return translatingRow{s.r.QueryRowContext(ctx, q, sqliteArgs(args)...)}
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close()                 { r.Rows.Close() }
func (r sqlRows) Err() error             { return translate(r.Rows.Err()) }
func (r sqlRows) Scan(dest ...any) error { return translate(r.Rows.Scan(dest...)) }

type translatingRow struct{ r row }

func (t translatingRow) Scan(dest ...any) error { return translate(t.r.Scan(dest...)) }

type pgxRunner interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type pgxQuerier struct{ r pgxRunner }

func pgArgs(args []any) []any {
	for i, a := range args {
		if v, ok := a.(time.Time); ok {
			args[i] = v.UTC()
		}
	}
	return args
}

func (p pgxQuerier) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := p.r.Exec(ctx, q, pgArgs(args)...)
	if err != nil {
		return 0, translate(err)
	}
	return tag.RowsAffected(), nil
}

func (p pgxQuerier) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := p.r.Query(ctx, q, pgArgs(args)...)
	if err != nil {
		return nil, translate(err)
	}
	return pgxRows{r}, nil
}

func (p pgxQuerier) queryRow(ctx context.Context, q string, args ...any) row {
	return translatingRow{p.r.QueryRow(ctx, q, pgArgs(args)...)}
}

type pgxRows struct{ pgx.Rows }

func (r pgxRows) Err() error             { return translate(r.Rows.Err()) }
func (r pgxRows) Scan(dest ...any) error { return translate(r.Rows.Scan(dest...)) }

// conds builds the optional " AND …" conditions of a filter, numbering placeholders after
// the arguments already in args.
type conds struct {
	sql  strings.Builder
	args []any
}

// add appends " AND cond" with vs as its arguments; cond holds one %d verb per value
// (%[1]d, %[2]d for several), replaced by their placeholder numbers.
func (c *conds) add(cond string, vs ...any) {
	n := make([]any, len(vs))
	for i := range vs {
		n[i] = len(c.args) + i + 1
	}
	c.args = append(c.args, vs...)
	fmt.Fprintf(&c.sql, " AND "+cond, n...)
}

// qualifiedCols prefixes each column of a comma-separated list (line breaks allowed) with a
// table alias, for a join.
func qualifiedCols(alias, cols string) string {
	fields := strings.Split(cols, ",")
	for i, f := range fields {
		fields[i] = alias + "." + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}

// one turns the result of an UPDATE or DELETE of one row by id into clinic.ErrNotFound
// when no row matched (another organisation's, or none).
func one(n int64, err error) error {
	if err == nil && n == 0 {
		return clinic.ErrNotFound
	}
	return err
}

// collect runs q and scans every row with scan.
func collect[T any](ctx context.Context, t txer, scan func(row) (T, error), q string, args ...any) ([]T, error) {
	tx := t.base()
	rs, err := tx.q.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []T
	for rs.Next() {
		v, err := scan(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rs.Err()
}

// counted counts the statements a transaction runs, so tests and benchmarks can check that
// a request's statement count does not grow with the data (no N+1 queries).
type counted struct {
	q querier
	n *atomic.Int64
}

func (c counted) exec(ctx context.Context, q string, args ...any) (int64, error) {
	c.n.Add(1)
	return c.q.exec(ctx, q, args...)
}

func (c counted) query(ctx context.Context, q string, args ...any) (rows, error) {
	c.n.Add(1)
	return c.q.query(ctx, q, args...)
}

func (c counted) queryRow(ctx context.Context, q string, args ...any) row {
	c.n.Add(1)
	return c.q.queryRow(ctx, q, args...)
}
