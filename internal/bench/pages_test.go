package bench

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestPagesSmall runs the pages benchmark at a small size through the real server and
// checks its report: the closing JSON line with every figure, each page measured and
// holding the grid's appointments (Pages fails on any other answer).
func TestPagesSmall(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	var out, log strings.Builder
	cfg := PagesConfig{Agendas: 3, WeekAgendas: 2, Days: 14, Bookings: 200, Iterations: 3, Log: &log}
	if err := Pages(ctx, db, cfg, &out); err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var rep map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatalf("last line is not JSON: %q", lines[len(lines)-1])
	}
	for _, k := range []string{"day_p50_ms", "day_p99_ms", "week_p50_ms", "week_p99_ms", "day_kb", "week_kb"} {
		if v, ok := rep[k].(float64); !ok || v <= 0 {
			t.Errorf("report %s = %v, want a positive figure: %v", k, rep[k], rep)
		}
	}
	if rep["bench"] != "pages" || rep["agendas"].(float64) != 3 || rep["week_agendas"].(float64) != 2 || rep["appointments"].(float64) != 200 {
		t.Errorf("report %v", rep)
	}
}
