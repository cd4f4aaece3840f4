package store

import "context"

// ExecRaw and IntsRaw run SQL of the test's own in tx: the tests of the transaction's
// mechanics (lazyTx) need statements no handle has.
func (tx *Tx) ExecRaw(ctx context.Context, sql string, args ...any) (int64, error) {
	return tx.q.exec(ctx, sql, args...)
}

func (tx *Tx) IntsRaw(ctx context.Context, sql string, args ...any) ([]int64, error) {
	return collect(ctx, tx, func(r row) (int64, error) {
		var n int64
		return n, r.Scan(&n)
	}, sql, args...)
}

func (tx *Tx) IntRaw(ctx context.Context, sql string, args ...any) (int64, error) {
	var n int64
	return n, tx.q.queryRow(ctx, sql, args...).Scan(&n)
}
