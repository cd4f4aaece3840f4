package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tidings-health/tidings/internal/clinic"
)

// ErrBusy means the database stayed locked past the busy timeout (SQLite) or a
// serialization failure occurred (PostgreSQL): the caller may retry.
var ErrBusy = errors.New("database busy")

// translate maps driver errors to the domain's sentinels by error code, never by message
// text, keeping the driver's error wrapped for logs.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows) {
		return clinic.ErrNotFound
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", clinic.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: referenced record: %w", clinic.ErrNotFound, err)
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return fmt.Errorf("%w: %w", clinic.ErrInvalid, err)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_BUSY_SNAPSHOT:
			return fmt.Errorf("%w: %w", ErrBusy, err)
		}
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505", "23P01": // unique_violation, exclusion_violation
			return fmt.Errorf("%w: %w", clinic.ErrConflict, err)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%w: referenced record: %w", clinic.ErrNotFound, err)
		case "23514", "23502", "22P02", "22001": // check, not null, invalid text repr, too long
			return fmt.Errorf("%w: %w", clinic.ErrInvalid, err)
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return fmt.Errorf("%w: %w", ErrBusy, err)
		}
	}
	return err
}
