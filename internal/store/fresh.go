package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
)

// FreshSchema creates an empty schema, named prefix and random hex, in the PostgreSQL
// database dsn names, and returns the DSN that selects it (through search_path, which is
// how the app's tables and River's are found), its name, and drop, which removes it with
// everything in it. The tests (storetest) and the benchmarks (tidings bench on a
// PostgreSQL --db) each work alone this way in a shared database: a schema is far faster
// to create than a database, and as isolated for the app.
//
// btree_gist, which the scheduling migration needs, is installed once in public: an
// extension belongs to the database, and one the migration created inside the schema
// would go with it when it is dropped, under whoever else uses it.
//
// Errors: ErrBadDSN for a dsn that is no URL; the server's.
func FreshSchema(ctx context.Context, dsn, prefix string) (string, string, func(context.Context) error, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", "", nil, fmt.Errorf("fresh schema: %w", ErrBadDSN)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := prefix + hex.EncodeToString(b)
	exec := func(ctx context.Context, sql string) error {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer c.Close(context.WithoutCancel(ctx))
		_, err = c.Exec(ctx, sql)
		return err
	}
	if err := exec(ctx, "CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public"); err != nil {
		// Two processes may race to create it; what matters is that it exists.
		if err := exec(ctx, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gist') THEN RAISE 'no btree_gist'; END IF; END $$"); err != nil {
			return "", "", nil, fmt.Errorf("fresh schema: create extension btree_gist: %w", err)
		}
	}
	if err := exec(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", "", nil, fmt.Errorf("fresh schema: create %s: %w", name, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	drop := func(ctx context.Context) error {
		if err := exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema %s: %w", name, err)
		}
		return nil
	}
	return u.String(), name, drop, nil
}
