package bench

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestSlotsSmall runs the slots benchmark at a small size and checks its report: the
// closing JSON line with every figure, no HTTP errors, and a statement count that does not
// depend on the number of agendas.
func TestSlotsSmall(t *testing.T) {
	ctx := context.Background()
	run := func(agendas int) map[string]any {
		db := storetest.Open(t, nil)
		if err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		var out, log strings.Builder
		cfg := SlotsConfig{Practitioners: agendas, Days: 14, Bookings: 100, Iterations: 5, HTTPDuration: 500 * time.Millisecond, ReadRate: 20, WriteRate: 10, Log: &log}
		if err := Slots(ctx, db, cfg, &out); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		var rep map[string]any
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
			t.Fatalf("last line is not JSON: %q", lines[len(lines)-1])
		}
		for _, k := range []string{"bench", "db", "p50_ms", "p99_ms", "first_p99_ms", "uncached_p99_ms", "uncached_in_update_p99_ms", "floor_busy_scan_p50_ms", "floor_busy_scan_p99_ms", "http_p99_ms", "statements_per_request", "slots"} {
			if _, ok := rep[k]; !ok {
				t.Errorf("report lacks %q: %v", k, rep)
			}
		}
		if rep["http_errors"].(float64) != 0 || rep["slots"].(float64) == 0 || rep["appointments"].(float64) != 100 {
			t.Errorf("report %v\nlog:\n%s", rep, log.String())
		}
		return rep
	}
	a, b := run(3), run(12)
	if a["statements_per_request"] != b["statements_per_request"] {
		t.Errorf("statements per request: %v with 3 agendas, %v with 12", a["statements_per_request"], b["statements_per_request"])
	}
}
