package walltime

import (
	"fmt"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/zonetest"
	"pgregory.net/rapid"
)

func TestAtWall(t *testing.T) {
	tests := []struct {
		name     string
		zone     string
		day      string
		clock    string
		want     string // RFC 3339 UTC; "" when the time does not exist
		repeated bool
	}{
		{"plain", "Australia/Sydney", "2026-04-08", "09:00", "2026-04-07T23:00:00Z", false},
		{"Sydney spring forward gap", "Australia/Sydney", "2026-10-04", "02:30", "", false},
		{"Sydney gap edge is 03:00", "Australia/Sydney", "2026-10-04", "03:00", "2026-10-03T16:00:00Z", false},
		{"Sydney fall back: earlier of two", "Australia/Sydney", "2026-04-05", "02:30", "2026-04-04T15:30:00Z", true},
		{"Sydney fall back: 03:00 once", "Australia/Sydney", "2026-04-05", "03:00", "2026-04-04T17:00:00Z", false},
		{"Lord Howe half-hour gap", "Australia/Lord_Howe", "2026-10-04", "02:15", "", false},
		{"Lord Howe half-hour repeat", "Australia/Lord_Howe", "2026-04-05", "01:45", "2026-04-04T14:45:00Z", true},
		{"Adelaide gap", "Australia/Adelaide", "2026-10-04", "02:30", "", false},
		{"New York gap", "America/New_York", "2026-03-08", "02:30", "", false},
		{"New York repeat", "America/New_York", "2026-11-01", "01:30", "2026-11-01T05:30:00Z", true},
		{"Paris gap", "Europe/Paris", "2026-03-29", "02:30", "", false},
		{"Paris repeat", "Europe/Paris", "2026-10-25", "02:30", "2026-10-25T00:30:00Z", true},
		{"midnight as an end", "Australia/Sydney", "2026-04-04", "24:00", "2026-04-04T13:00:00Z", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			day, _ := time.Parse(time.DateOnly, tc.day)
			minute, ok := ParseClock(tc.clock, true)
			if !ok {
				t.Fatalf("ParseClock(%q) failed", tc.clock)
			}
			got, repeated, ok := At(day, minute, zonetest.Load(t, tc.zone))
			if tc.want == "" {
				if ok {
					t.Fatalf("got %v, want no such time", got)
				}
				return
			}
			if !ok || got.UTC().Format(time.RFC3339) != tc.want || repeated != tc.repeated {
				t.Errorf("got %v repeated=%v ok=%v, want %s repeated=%v", got.UTC(), repeated, ok, tc.want, tc.repeated)
			}
		})
	}
}

// TestAtWallRoundTrip: every whole minute of a zone reads back as itself, or, when its wall
// time happens twice, as the earlier instant showing the same wall time. Every minute of
// the days around each 2026 change is checked, then random minutes of three years.
func TestAtWallRoundTrip(t *testing.T) {
	var zones []*time.Location
	for _, z := range []string{"Australia/Sydney", "Australia/Lord_Howe", "Australia/Adelaide", "Europe/Paris", "America/New_York", "UTC"} {
		zones = append(zones, zonetest.Load(t, z))
	}
	for _, loc := range zones {
		for _, day := range []string{"2026-03-07", "2026-03-28", "2026-04-04", "2026-10-03", "2026-10-24", "2026-10-31"} {
			from, _ := time.Parse(time.DateOnly, day)
			for m := range 3 * 24 * 60 {
				if msg := roundTrip(from.Add(time.Duration(m)*time.Minute), loc); msg != "" {
					t.Fatal(msg)
				}
			}
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		loc := rapid.SampledFrom(zones).Draw(t, "zone")
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		at := base.Add(time.Duration(rapid.IntRange(0, 3*365*24*60).Draw(t, "minute")) * time.Minute)
		if msg := roundTrip(at, loc); msg != "" {
			t.Fatal(msg)
		}
	})
}

// roundTrip checks atWall on the wall time at shows in loc; "" when it holds.
func roundTrip(at time.Time, loc *time.Location) string {
	local := at.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	got, repeated, ok := At(day, local.Hour()*60+local.Minute(), loc)
	switch {
	case !ok:
		return fmt.Sprintf("%v: wall time %s reported missing", at, local)
	case !sameWall(got.In(loc), local):
		return fmt.Sprintf("%v: got %v, another wall time", at, got.In(loc))
	case !repeated && !got.Equal(at):
		return fmt.Sprintf("%v: got %v", at, got)
	case repeated && got.After(at):
		return fmt.Sprintf("%v: got %v, not the earlier instant", at, got)
	}
	return ""
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		in   string
		end  bool
		want int
		ok   bool
	}{
		{"08:00", false, 480, true}, {"23:59", false, 1439, true}, {"00:00", false, 0, true}, {"24:00", true, 1440, true},
		{"24:00", false, 0, false}, {"8:00", false, 480, true}, {" 9:30 ", false, 570, true}, {"08:60", false, 0, false}, {"25:00", true, 0, false},
		{"+1:00", false, 0, false}, {"08:-1", false, 0, false}, {"", false, 0, false}, {"08:00:00", false, 0, false}, {"8am", false, 0, false},
	}
	for _, tc := range tests {
		got, ok := ParseClock(tc.in, tc.end)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseClock(%q, %v) = %d, %v; want %d, %v", tc.in, tc.end, got, ok, tc.want, tc.ok)
		}
		if ok && Clock(got) != tc.in && len(tc.in) == 5 {
			t.Errorf("Clock(%d) = %q, want %q", got, Clock(got), tc.in)
		}
	}
}
