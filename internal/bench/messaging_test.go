package bench_test

import (
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/bench"
	"github.com/tidings-health/tidings/internal/cli"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// serveEnv makes this test binary the tidings command: the messaging bench starts its
// servers as `os.Args[0] serve …` with it set, so the test needs no `go build`.
const serveEnv = "TIDINGS_BENCH_TEST_SERVE=1"

func TestMain(m *testing.M) {
	if os.Getenv(strings.Split(serveEnv, "=")[0]) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Run(ctx, cli.Env{Args: os.Args[1:], Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestMessagingSmall runs the messaging benchmark at a tiny size against real servers
// (this test binary re-executed as `tidings serve`: one on SQLite, two on PostgreSQL with
// TIDINGS_TEST_POSTGRES) and checks its report: every message sent reached its patient's
// stream and no other, no errors, and every figure present.
func TestMessagingSmall(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	db, err := store.Open(ctx, store.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	var out, log lockedBuilder
	cfg := bench.MessagingConfig{Sessions: 20, Rate: 20, Duration: 2 * time.Second, DSN: dsn, Command: os.Args[0], Env: []string{serveEnv}, Log: &log}
	if err := bench.Messaging(ctx, db, cfg, &out); err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var rep map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatalf("last line is not JSON: %q", lines[len(lines)-1])
	}
	positive := []string{"sessions", "instances", "msgs_per_s", "sent", "received", "p50_ms", "p99_ms", "persist_p99_ms"}
	if runtime.GOOS == "linux" {
		positive = append(positive, "max_rss_mb")
	}
	for _, k := range positive {
		if v, ok := rep[k].(float64); !ok || v <= 0 {
			t.Errorf("report %s = %v, want a positive figure: %v\nlog:\n%s", k, rep[k], rep, log.String())
		}
	}
	for _, k := range []string{"lost", "errors", "misdelivered", "duplicates"} {
		if rep[k] != 0.0 {
			t.Errorf("report %s = %v, want 0: %v\nlog:\n%s", k, rep[k], rep, log.String())
		}
	}
	if rep["bench"] != "messaging" || rep["sessions"] != 20.0 || rep["sent"] != rep["received"] || rep["sent"].(float64) < 30 {
		t.Errorf("report %v\nlog:\n%s", rep, log.String())
	}
	want := 1.0
	if db.Dialect() == store.Postgres {
		want = 2
	}
	if rep["instances"] != want {
		t.Errorf("instances = %v, want %v", rep["instances"], want)
	}
}
