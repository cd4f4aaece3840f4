package bench

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestHL7Small runs the HL7 benchmark at a small size, one 2 MB message included, through
// the real MLLP listener and service, and checks its report: every message acknowledged AA
// (HL7 fails otherwise) and a result stored for each (SYN-1).
func TestHL7Small(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	var out, log strings.Builder
	cfg := HL7Config{Patients: 20, Single: 30, Messages: 120, Connections: 4, Large: 1, Log: &log}
	if err := HL7(ctx, db, cfg, &out); err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var rep map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatalf("last line is not JSON: %q", lines[len(lines)-1])
	}
	for _, k := range []string{"msgs_per_s", "msgs_per_s_1conn", "ack_p99_ms", "ack_p99_ms_1conn", "max_rss_mb"} {
		if v, ok := rep[k].(float64); !ok || v <= 0 {
			t.Errorf("report %s = %v, want a positive figure: %v", k, rep[k], rep)
		}
	}
	if rep["bench"] != "hl7" || rep["connections"].(float64) != 4 || rep["results_stored"].(float64) != 30+120+12 {
		t.Errorf("report %v", rep)
	}
}
