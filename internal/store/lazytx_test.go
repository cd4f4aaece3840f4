package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestUpdateFirstStatement: a transaction's first statement (on PostgreSQL the one that
// carries its BEGIN, lazyTx) behaves as any other, whatever its kind and outcome: rows read
// in full, no row reported as not found, a failure rolling the transaction back and leaving
// the connection fit for the next one; a transaction of no statement commits nothing; River
// and savepoints work on the transaction Raw hands out before any statement.
func TestUpdateFirstStatement(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	count := func() int64 {
		t.Helper()
		var n int64
		if err := db.View(ctx, func(tx *store.Tx) (err error) {
			n, err = tx.IntRaw(ctx, `SELECT COUNT(*) FROM organisations WHERE slug LIKE 'lazy-%'`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	insert := func(tx *store.Tx, slug string) error {
		_, err := tx.ExecRaw(ctx, `INSERT INTO organisations (slug, name, created_at) VALUES ($1, $1, $2)`, slug, tx.Now)
		return err
	}
	cases := []struct {
		name    string
		fn      func(tx *store.Tx) error
		wantErr func(error) bool
		added   int64
	}{
		{"no statement", func(tx *store.Tx) error { return nil }, nil, 0},
		{"a query of several rows first", func(tx *store.Tx) error {
			ns, err := tx.IntsRaw(ctx, `SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3`)
			if err != nil || !slices.Equal(ns, []int64{1, 2, 3}) {
				return errors.Join(err, errors.New("rows read wrong"))
			}
			return insert(tx, "lazy-rows")
		}, nil, 1},
		{"no row first", func(tx *store.Tx) error {
			_, err := tx.IntRaw(ctx, `SELECT 1 WHERE false`)
			if !errors.Is(err, clinic.ErrNotFound) {
				return errors.Join(err, errors.New("no row not reported as not found"))
			}
			return insert(tx, "lazy-norow")
		}, nil, 1},
		{"a write first, then a failure", func(tx *store.Tx) error {
			if err := insert(tx, "lazy-undone"); err != nil {
				return err
			}
			return insert(tx, "lazy-undone") // unique slug
		}, func(err error) bool { return errors.Is(err, clinic.ErrConflict) }, 0},
		{"a failing first statement", func(tx *store.Tx) error {
			_, err := tx.IntRaw(ctx, `SELECT 1 / (SELECT COUNT(*) FROM organisations WHERE false)`)
			return err
		}, func(err error) bool { return err != nil }, 0},
		{"a failing first exec", func(tx *store.Tx) error {
			_, err := tx.ExecRaw(ctx, `INSERT INTO organisations (slug, name, created_at) VALUES ('lazy-null', NULL, $1)`, tx.Now)
			return err
		}, func(err error) bool { return err != nil }, 0},
		{"an exec first", func(tx *store.Tx) error {
			_, err := tx.ExecRaw(ctx, `UPDATE organisations SET name = 'x' WHERE slug = 'none'`)
			if err != nil {
				return err
			}
			return insert(tx, "lazy-exec")
		}, nil, 1},
		{"a savepoint first", func(tx *store.Tx) error {
			serr := tx.Savepoint(ctx, func() error {
				if err := insert(tx, "lazy-sp-undone"); err != nil {
					return err
				}
				return errors.New("undo")
			})
			if serr == nil {
				return errors.New("savepoint error lost")
			}
			return insert(tx, "lazy-sp-kept")
		}, nil, 1},
	}
	if db.Dialect() == store.Postgres {
		cases = append(cases, struct {
			name    string
			fn      func(tx *store.Tx) error
			wantErr func(error) bool
			added   int64
		}{"a nested transaction of Raw's first", func(tx *store.Tx) error {
			raw, ok := tx.Raw().(pgx.Tx)
			if !ok {
				return errors.New("Raw is no pgx.Tx")
			}
			nested, err := raw.Begin(ctx)
			if err != nil {
				return err
			}
			if err := insert(tx, "lazy-nested-undone"); err != nil {
				return err
			}
			if err := nested.Rollback(ctx); err != nil {
				return err
			}
			return insert(tx, "lazy-nested-kept")
		}, nil, 1})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := count()
			err := db.Update(ctx, c.fn)
			if c.wantErr == nil && err != nil || c.wantErr != nil && !c.wantErr(err) {
				t.Fatalf("Update = %v", err)
			}
			if got := count() - before; got != c.added {
				t.Errorf("%d organisations added, want %d", got, c.added)
			}
			// The connection is fit for the next transaction.
			if err := db.Update(ctx, func(tx *store.Tx) error {
				_, err := tx.IntRaw(ctx, `SELECT 1`)
				return err
			}); err != nil {
				t.Errorf("the next transaction: %v", err)
			}
		})
	}
}
