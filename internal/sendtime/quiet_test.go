package sendtime

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/walltime"
)

// TestNextAllowed: an SMS due in the quiet hours waits for the window (NOT-8), read on the
// clinic's clock, also on the days the clocks change (NOT-9). Expected instants worked out by
// hand from the zones' offsets.
func TestNextAllowed(t *testing.T) {
	t.Parallel()
	office := Window{From: 8 * 60, To: 20 * 60}
	cases := []struct {
		name   string
		zone   string
		window Window
		due    string // local, with its offset
		want   string // UTC
	}{
		{"NOT-8: in the window, sent as due", "Australia/Sydney", office,
			"2025-10-06T10:15:30+11:00", "2025-10-05T23:15:30Z"},
		{"NOT-8: at the closing minute, waits for the next morning", "Australia/Sydney", office,
			"2025-10-06T20:00:00+11:00", "2025-10-06T21:00:00Z"},
		{"NOT-8: at the opening minute, sent as due", "Australia/Sydney", office,
			"2025-10-06T08:00:00+11:00", "2025-10-05T21:00:00Z"},
		{"NOT-9: the night the clocks go forward, 01:30 AEST waits for 08:00 AEDT (5 h 30)", "Australia/Sydney", office,
			"2025-10-05T01:30:00+10:00", "2025-10-04T21:00:00Z"},
		{"NOT-9: the night the clocks go back, 06:00 AEST waits for 08:00 AEST", "Australia/Sydney", office,
			"2026-04-05T06:00:00+10:00", "2026-04-04T22:00:00Z"},
		{"NOT-9: the first 01:45 of Lord Howe's fall-back night waits for 08:00 +10:30", "Australia/Lord_Howe", office,
			"2026-04-05T01:45:00+11:00", "2026-04-04T21:30:00Z"},
		{"NOT-9: New York spring-forward morning, 07:30 EDT waits for 08:00 EDT", "America/New_York", office,
			"2026-03-08T07:30:00-04:00", "2026-03-08T12:00:00Z"},
		{"a window opening at 02:30 on the night the clocks skip it opens at the jump (03:00)", "Australia/Sydney",
			Window{From: 150, To: 360}, "2025-10-05T01:00:00+10:00", "2025-10-04T16:00:00Z"},
		{"a window the clocks skip entirely opens the next day", "Australia/Sydney",
			Window{From: 120, To: 150}, "2025-10-05T01:00:00+10:00", "2025-10-05T15:00:00Z"},
		{"the clocks going back into a window reopen it at the change", "Australia/Sydney",
			Window{From: 22 * 60, To: 150}, "2026-04-05T02:45:00+11:00", "2026-04-04T16:00:00Z"},
		{"crossing midnight: at noon, waits for 18:00", "Europe/Paris",
			Window{From: 18 * 60, To: 6 * 60}, "2026-06-01T12:00:00+02:00", "2026-06-01T16:00:00Z"},
		{"crossing midnight: at 03:00, sent as due", "Europe/Paris",
			Window{From: 18 * 60, To: 6 * 60}, "2026-06-01T03:00:00+02:00", "2026-06-01T01:00:00Z"},
		{"crossing midnight on the spring-forward night: closed from 06:00 CEST, opens at 18:00", "Europe/Paris",
			Window{From: 18 * 60, To: 6 * 60}, "2026-03-29T06:00:00+02:00", "2026-03-29T16:00:00Z"},
		{"until 24:00: at 23:59, sent as due", "Europe/Paris",
			Window{From: 8 * 60, To: 24 * 60}, "2026-06-01T23:59:00+02:00", "2026-06-01T21:59:00Z"},
		{"until 24:00: at midnight, waits for 08:00", "Europe/Paris",
			Window{From: 8 * 60, To: 24 * 60}, "2026-06-02T00:00:00+02:00", "2026-06-02T06:00:00Z"},
		{"no quiet hours (the zero Window)", "Europe/Paris",
			Window{}, "2026-06-02T03:00:00+02:00", "2026-06-02T01:00:00Z"},
		{"no quiet hours (00:00 to 24:00)", "Europe/Paris",
			Window{From: 0, To: 1440}, "2026-06-02T03:00:00+02:00", "2026-06-02T01:00:00Z"},
		{"a zone that changes at midnight: Havana's 00:00 is skipped, 00:00-06:00 opens at the jump (01:00)", "America/Havana",
			Window{From: 0, To: 6 * 60}, "2025-03-08T23:00:00-05:00", "2025-03-09T05:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc := zone(t, c.zone)
			due := local(t, c.due)
			if got := due.In(loc).Format(time.RFC3339); got != c.due {
				t.Fatalf("fixture: %s reads %s in %s", c.due, got, c.zone)
			}
			got := NextAllowed(due, loc, c.window)
			if want := local(t, c.want); !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("window %s, due %s: NextAllowed %s, want %s", c.window, show(due, loc), show(got, loc), show(want, loc))
			}
		})
	}
}

func TestParseWindow(t *testing.T) {
	t.Parallel()
	cases := []struct {
		from, to string
		want     Window
		text     string
		errors   []clinic.FieldError
	}{
		{"08:00", "20:00", Window{480, 1200}, "08:00-20:00", nil},
		{"8:00", "20:30", Window{480, 1230}, "08:00-20:30", nil},
		{"18:00", "06:00", Window{1080, 360}, "18:00-06:00", nil},
		{"08:00", "24:00", Window{480, 1440}, "08:00-24:00", nil},
		{"08:00", "00:00", Window{480, 0}, "08:00-24:00", nil},
		{"00:00", "24:00", Window{0, 1440}, "00:00-24:00", nil},
		{"20:00", "20:00", Window{}, "", []clinic.FieldError{{Field: "window_to", Reason: WindowReason}}},
		{"00:00", "00:00", Window{}, "", []clinic.FieldError{{Field: "window_to", Reason: WindowReason}}},
		{"24:00", "8pm", Window{}, "", []clinic.FieldError{
			{Field: "window_from", Reason: walltime.ClockReason},
			{Field: "window_to", Reason: walltime.ClockReason},
		}},
	}
	for _, c := range cases {
		w, err := ParseWindow(c.from, c.to)
		var fields []clinic.FieldError
		if v := (*clinic.ValidationError)(nil); errors.As(err, &v) {
			fields = v.Fields
		}
		if diff := cmp.Diff(c.errors, fields); diff != "" {
			t.Errorf("ParseWindow(%q, %q) errors (-want +got):\n%s", c.from, c.to, diff)
		}
		if err == nil && (w != c.want || w.String() != c.text) {
			t.Errorf("ParseWindow(%q, %q) = %v %q, want %v %q", c.from, c.to, w, w, c.want, c.text)
		}
	}
	if s := (Window{}).String(); s != "00:00-24:00" {
		t.Errorf("the zero Window writes %q", s)
	}
}
