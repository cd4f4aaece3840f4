// Package storetest opens a fresh, migrated database for a test: SQLite in a temp dir by
// default, or a new PostgreSQL database when TIDINGS_TEST_POSTGRES holds a server URL, so the
// whole suite runs unchanged on both dialects.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tidings-health/tidings/internal/store"
)

// EnvPostgres names the variable that switches the suite to PostgreSQL, e.g.
// TIDINGS_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvPostgres = "TIDINGS_TEST_POSTGRES"

// DSN returns the --db value of a fresh, empty database that is dropped when the test ends.
// On PostgreSQL that is a new schema, selected through search_path: far faster to create
// than a database, and just as isolated for the app and River.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		return filepath.Join(t.TempDir(), "tidings.db")
	}
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvPostgres, err)
	}
	defer admin.Close(ctx)
	// The scheduling migration needs btree_gist. Extensions belong to the database, not a
	// schema: install it once in public so every test schema's migration finds it.
	if _, err := admin.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public"); err != nil {
		var n int
		// Two packages may race to create it; what matters is that it exists.
		if admin.QueryRow(ctx, "SELECT count(*) FROM pg_extension WHERE extname = 'btree_gist'").Scan(&n); n == 0 {
			t.Fatalf("create extension btree_gist: %v", err)
		}
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Logf("drop test schema: %v", err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+name+" CASCADE"); err != nil {
			t.Logf("drop test schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
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
