package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestBenchFreshSchema: a benchmark given a PostgreSQL --db works in a schema of its own,
// dropped when it ends, so that a run never measures what an earlier one left behind; the
// database's own schema is left as it was. Given a SQLite file, it works in that file.
func TestBenchFreshSchema(t *testing.T) {
	dsn := storetest.DSN(t)
	code, stdout, stderr := run(t, "", "bench", "slots", "--db", dsn, "--practitioners", "2", "--days", "14", "--bookings", "100",
		"--iterations", "5", "--http-duration", "500ms", "--read-rps", "20", "--write-rps", "10")
	if code != 0 {
		t.Fatalf("bench slots: exit %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var rep map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil || rep["bench"] != "slots" {
		t.Fatalf("last line %q: %v, want the slots report", lines[len(lines)-1], err)
	}
	if os.Getenv(storetest.EnvPostgres) == "" {
		if st, err := os.Stat(dsn); err != nil || st.Size() == 0 {
			t.Errorf("SQLite --db %s: %v, want the run's database in it", dsn, err)
		}
		return
	}
	m := regexp.MustCompile(`working in schema (bench_[0-9a-f_]+) of the database, dropped at the end`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("stderr %q does not name the run's schema", stderr)
	}
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var left, own int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, m[1]).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&own); err != nil {
		t.Fatal(err)
	}
	if left != 0 || own != 0 {
		t.Errorf("after the run: schema %s left %d times, %d tables in the database's own schema; want neither", m[1], left, own)
	}
}
