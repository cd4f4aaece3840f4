package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the SQLite writer's prepared statements, by their text, across
// transactions. Why: the SQLite driver prepares a statement on every call, and parsing SQL
// was a quarter of the CPU of an HL7 message applied (bench hl7: 2,668 → 4,313 msg/s over 8
// connections once cached); a transaction reuses a statement prepared on the one writer
// connection through tx.StmtContext, which does not prepare again. A statement is prepared
// after the commit of a transaction that ran it (the writer's single connection is busy
// until then: preparing from inside the transaction would wait on itself), and only once
// it has run twice, so that statements whose text varies (IN lists of ids) are not kept.
// The cache never closes a statement while the database is open (a transaction on another
// goroutine may be about to use it): when it holds max statements it takes no more.
type stmtCache struct {
	db  *sql.DB
	max int

	mu   sync.Mutex
	m    map[string]*sql.Stmt
	seen map[string]int // statements run but not cached, and how often
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, max: 1024, m: map[string]*sql.Stmt{}, seen: map[string]int{}}
}

func (c *stmtCache) get(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[q]
}

// prepare prepares those of the statements qs run for the second time; the writer's
// connection must be free (after a commit). A statement that does not prepare is left to
// the uncached path.
func (c *stmtCache) prepare(ctx context.Context, qs []string) {
	for _, q := range qs {
		c.mu.Lock()
		_, cached := c.m[q]
		full := len(c.m) >= c.max
		if !cached && !full {
			if len(c.seen) >= 4*c.max {
				clear(c.seen) // forgetting a count only delays a statement's caching
			}
			c.seen[q]++
		}
		again := c.seen[q] >= 2
		c.mu.Unlock()
		if cached || full || !again {
			continue
		}
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, ok := c.m[q]; ok {
			st.Close() // prepared meanwhile by another commit; this copy was never handed out
		} else {
			c.m[q] = st
			delete(c.seen, q)
		}
		c.mu.Unlock()
	}
}

// close closes every statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, st := range c.m {
		st.Close()
		delete(c.m, k)
	}
}

// cachedQuerier runs a writer transaction's statements through the cache, noting those it
// does not hold yet so that Update prepares them after the commit.
type cachedQuerier struct {
	tx     *sql.Tx
	cache  *stmtCache
	misses *[]string
}

func (c cachedQuerier) stmt(ctx context.Context, q string) *sql.Stmt {
	if st := c.cache.get(q); st != nil {
		return c.tx.StmtContext(ctx, st)
	}
	*c.misses = append(*c.misses, q)
	return nil
}

func (c cachedQuerier) exec(ctx context.Context, q string, args ...any) (int64, error) {
	st := c.stmt(ctx, q)
	if st == nil {
		return sqlQuerier{c.tx}.exec(ctx, q, args...)
	}
	res, err := st.ExecContext(ctx, sqliteArgs(args)...)
	if err != nil {
		return 0, translate(err)
	}
	return res.RowsAffected()
}

func (c cachedQuerier) query(ctx context.Context, q string, args ...any) (rows, error) {
	st := c.stmt(ctx, q)
	if st == nil {
		return sqlQuerier{c.tx}.query(ctx, q, args...)
	}
	r, err := st.QueryContext(ctx, sqliteArgs(args)...)
	if err != nil {
		return nil, translate(err)
	}
	return sqlRows{r}, nil
}

func (c cachedQuerier) queryRow(ctx context.Context, q string, args ...any) row {
	st := c.stmt(ctx, q)
	if st == nil {
		return sqlQuerier{c.tx}.queryRow(ctx, q, args...)
	}
	return translatingRow{st.QueryRowContext(ctx, sqliteArgs(args)...)}
}
