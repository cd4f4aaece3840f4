// Package storetest opens a fresh, migrated database for a test: SQLite in a temp dir by
// default, or a new PostgreSQL database when TIDINGS_TEST_POSTGRES holds a server URL, so the
// whole suite runs unchanged on both dialects.
package storetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/store"
)

// EnvPostgres names the variable that switches the suite to PostgreSQL, e.g.
// TIDINGS_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvPostgres = "TIDINGS_TEST_POSTGRES"

// DSN returns the --db value of a fresh, empty database that is dropped when the test ends.
// On PostgreSQL that is a new schema (store.FreshSchema).
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		return filepath.Join(t.TempDir(), "tidings.db")
	}
	dsn, _, drop, err := store.FreshSchema(context.Background(), base, "t_")
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	t.Cleanup(func() {
		if err := drop(context.Background()); err != nil {
			t.Logf("drop test schema: %v", err)
		}
	})
	return dsn
}

// Open returns a migrated database whose clock is now (time.Now when nil).
func Open(t testing.TB, now func() time.Time) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{DSN: DSN(t), Now: now})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}
