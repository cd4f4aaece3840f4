package sendtime

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestPlan: which reminders of a clinic an appointment gets, and why the others are dropped
// (NOT-1, NOT-9, issue 8 item 4).
func TestPlan(t *testing.T) {
	t.Parallel()
	syd := zone(t, "Australia/Sydney")
	start := local(t, "2025-10-05T09:00:00+11:00") // the spring-forward day
	type row struct{ Offset, Due, Resolution, Dropped string }
	cases := []struct {
		name    string
		offsets []string
		now     string
		want    []row
	}{
		{"booked weeks ahead: all kept but the one after the start and the repeat",
			[]string{"72h", "24h", "2h", "1d@10:00", "0d@10:00", "1d@09:00"}, "2025-09-01T10:00:00+10:00", []row{
				{"72h", "2025-10-01T23:00:00Z", "exact", "kept"},
				{"24h", "2025-10-03T23:00:00Z", "exact", "kept"},
				{"2h", "2025-10-04T20:00:00Z", "elapsed", "kept"},
				{"1d@10:00", "2025-10-04T00:00:00Z", "exact", "kept"},
				{"0d@10:00", "2025-10-04T23:00:00Z", "exact", "at_or_after_start"},
				{"1d@09:00", "2025-10-03T23:00:00Z", "exact", "same_instant"},
			}},
		{"booked 1 h before: no 2 h reminder, nor any other",
			[]string{"72h", "24h", "2h"}, "2025-10-05T08:00:00+11:00", []row{
				{"72h", "2025-10-01T23:00:00Z", "exact", "in_past"},
				{"24h", "2025-10-03T23:00:00Z", "exact", "in_past"},
				{"2h", "2025-10-04T20:00:00Z", "elapsed", "in_past"},
			}},
		{"booked 3 h before: the 2 h reminder only",
			[]string{"72h", "24h", "2h"}, "2025-10-05T06:00:00+11:00", []row{
				{"72h", "2025-10-01T23:00:00Z", "exact", "in_past"},
				{"24h", "2025-10-03T23:00:00Z", "exact", "in_past"},
				{"2h", "2025-10-04T20:00:00Z", "elapsed", "kept"},
			}},
		{"a reminder due at the planning instant is kept (sent at once)",
			[]string{"2h"}, "2025-10-05T07:00:00+11:00", []row{
				{"2h", "2025-10-04T20:00:00Z", "elapsed", "kept"},
			}},
		{"the same day at 09:00 is at the start",
			[]string{"0d@09:00"}, "2025-09-01T10:00:00+10:00", []row{
				{"0d@09:00", "2025-10-04T22:00:00Z", "exact", "at_or_after_start"},
			}},
		{"a repeat of a dropped reminder is dropped for its own reason",
			[]string{"0d@10:00", "0d@10:00", "24h", "1d@09:00", "1d@9:00"}, "2025-09-01T10:00:00+10:00", []row{
				{"0d@10:00", "2025-10-04T23:00:00Z", "exact", "at_or_after_start"},
				{"0d@10:00", "2025-10-04T23:00:00Z", "exact", "at_or_after_start"},
				{"24h", "2025-10-03T23:00:00Z", "exact", "kept"},
				{"1d@09:00", "2025-10-03T23:00:00Z", "exact", "same_instant"},
				{"1d@09:00", "2025-10-03T23:00:00Z", "exact", "same_instant"},
			}},
		{"no offsets, no reminders", nil, "2025-09-01T10:00:00+10:00", []row{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			offsets := make([]Offset, len(c.offsets))
			for i, s := range c.offsets {
				offsets[i] = mustParse(t, s)
			}
			got, err := Plan(start, syd, offsets, local(t, c.now))
			if err != nil {
				t.Fatal(err)
			}
			rows := []row{}
			for _, p := range got {
				rows = append(rows, row{p.Offset.String(), p.Due.Format(time.RFC3339), p.Resolution.String(), p.Dropped.String()})
			}
			if diff := cmp.Diff(c.want, rows); diff != "" {
				t.Errorf("Plan for 09:00 AEDT on 2025-10-05 (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	got := []string{Elapsed.String(), Exact.String(), Repeated.String(), Skipped.String(), Resolution(9).String(),
		Kept.String(), AtOrAfterStart.String(), InPast.String(), SameInstant.String(), Drop(9).String()}
	want := []string{"elapsed", "exact", "repeated", "skipped", "unknown", "kept", "at_or_after_start", "in_past", "same_instant", "unknown"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}
