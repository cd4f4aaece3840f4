package store

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

func (db *DB) provider(ctx context.Context) (*goose.Provider, error) {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	if db.dialect == Postgres {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, err
	}
	var opts []goose.ProviderOption
	if db.dialect == Postgres {
		// Several instances may start at once: one migrates, the others wait. The lock is
		// per schema, so databases that hold several Tidings schemas (the test suite's)
		// migrate them side by side.
		var schema string
		if err := db.pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return nil, fmt.Errorf("current schema: %w", err)
		}
		h := fnv.New64a()
		h.Write([]byte(schema))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 600))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, db.sqlDB, sub, opts...)
}

// Migrate applies every pending migration of the app's own tables. Running it from several
// instances at once is safe on PostgreSQL (an advisory session lock serialises them).
//
// Errors: goose's, wrapped (a failed migration is rolled back and named), or the lock's
// timeout when another instance holds the PostgreSQL lock past 10 minutes.
func (db *DB) Migrate(ctx context.Context) error {
	p, err := db.provider(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// MigrationsCurrent reports whether the schema is at the newest version this binary knows,
// for /readyz.
//
// Errors: only the database's, when the version table cannot be read.
func (db *DB) MigrationsCurrent(ctx context.Context) (bool, error) {
	p, err := db.provider(ctx)
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, err
	}
	return !pending, nil
}
