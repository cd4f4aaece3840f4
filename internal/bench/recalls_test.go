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

// TestRecallsSmall runs the recalls benchmark at a small size, end to end (results over
// MLLP, first steps through the dispatcher to the loopback provider, the checklist page
// through the real server), and checks its report: every figure the issue names, every
// active recall's first step sent, the checklist topped up to its size, no errors.
func TestRecallsSmall(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	var out, log strings.Builder
	cfg := RecallsConfig{Results: 60, Patients: 12, Days: 3, ManualEvery: 10, Connections: 2, Checklist: 30, Clients: 2,
		Duration: time.Second, Log: &log}
	if err := Recalls(ctx, db, cfg, &out); err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var rep map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatalf("last line is not JSON: %q", lines[len(lines)-1])
	}
	for _, k := range []string{"intake_results_per_s", "first_steps", "first_steps_s", "checklist_p50_ms", "checklist_p99_ms",
		"checklist_why_p99_ms", "checklist_requests"} {
		if v, ok := rep[k].(float64); !ok || v <= 0 {
			t.Errorf("report %s = %v, want a positive figure: %v\nlog:\n%s", k, rep[k], rep, log.String())
		}
	}
	// 12 patients, 5 results each over 3 days: 36 recalls; (patient + round) mod 10 = 0
	// makes 6 results manual, each on a day of its own.
	if rep["bench"] != "recalls" || rep["results"].(float64) != 60 || rep["sequences"].(float64) != 36 || rep["sequences_manual"].(float64) != 6 ||
		rep["first_steps"] != rep["sequences_active"] || rep["sequences_active"].(float64) != 30 || rep["checklist_items"].(float64) != 30 ||
		rep["errors"].(float64) != 0 {
		t.Errorf("report %v\nlog:\n%s", rep, log.String())
	}
}
