package bench

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestDispatchSmall runs the dispatch benchmark at a small size and checks its report: the
// closing JSON line with the figures the issue names, every reminder at the provider once,
// none early, none lost.
func TestDispatchSmall(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	var out strings.Builder
	if err := Dispatch(ctx, db, DispatchConfig{Backlog: 300, Rate: 100, Steady: time.Second}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var rep map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatalf("last line is not JSON: %q", lines[len(lines)-1])
	}
	for _, k := range []string{"sends_per_s", "lateness_p99_ms", "early", "duplicates", "lost", "max_rss_mb"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("report lacks %q: %v", k, rep)
		}
	}
	if rep["duplicates"].(float64) != 0 || rep["lost"].(float64) != 0 || rep["early"].(float64) != 0 || rep["steady_sent"].(float64) != 100 ||
		rep["sends_per_s"].(float64) <= 0 {
		t.Errorf("report %v", rep)
	}
}
