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

// TestPortalSmall runs the portal benchmark at a tiny size through the real server and
// checks its report: the closing JSON line with every figure, pages and bookings measured,
// no errors, no double bookings and no booking lost.
func TestPortalSmall(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	var out, log strings.Builder
	cfg := PortalConfig{Patients: 4, Agendas: 2, Duration: 2 * time.Second, Think: 5 * time.Millisecond, Log: &log}
	if err := Portal(ctx, db, cfg, &out); err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var rep map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatalf("last line is not JSON: %q", lines[len(lines)-1])
	}
	for _, k := range []string{"pages", "page_p50_ms", "page_p99_ms", "bookings", "booking_p50_ms", "booking_p99_ms", "booked", "server_page_p99_ms", "requests_per_s"} {
		if v, ok := rep[k].(float64); !ok || v <= 0 {
			t.Errorf("report %s = %v, want a positive figure: %v\nlog:\n%s", k, rep[k], rep, log.String())
		}
	}
	for _, k := range []string{"taken", "cancelled", "no_free_day", "cancel_p99_ms"} {
		if _, ok := rep[k].(float64); !ok {
			t.Errorf("report lacks %s: %v", k, rep)
		}
	}
	for _, k := range []string{"errors", "double_bookings", "lost"} {
		if rep[k] != 0.0 {
			t.Errorf("report %s = %v, want 0: %v\nlog:\n%s", k, rep[k], rep, log.String())
		}
	}
	if rep["bench"] != "portal" || rep["patients"] != 4.0 || rep["agendas"] != 2.0 || rep["db"] == "" {
		t.Errorf("report %v", rep)
	}
}
