package walltime

import (
	"testing"
	"time"
)

// FuzzParseClock: any text either reads as a minute of the day that writes back to the same
// clock, or is refused; nothing panics.
func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"09:30", "9:30", " 9:30 ", "24:00", "23:59", "8am", "-1:00", "+9:30", "١٢:٣٠", "99:99", ""} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, end bool) {
		m, ok := ParseClock(s, end)
		if !ok {
			return
		}
		if m < 0 || m > 1440 || (m == 1440 && !end) {
			t.Fatalf("ParseClock(%q, %v) = %d", s, end, m)
		}
		if back, ok := ParseClock(Clock(m), end); !ok || back != m {
			t.Fatalf("Clock(%d) = %q reads back as %d, %v", m, Clock(m), back, ok)
		}
	})
}

// FuzzParseDay: an accepted day is a midnight within the bounded years that formats back to
// the text given.
func FuzzParseDay(f *testing.F) {
	for _, s := range []string{"2026-04-05", "0000-01-01", "9999-12-31", "2026-02-29", "2024-02-29", "2026-4-5", "", "10000-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseDay(s)
		if !ok {
			return
		}
		if d.Format(time.DateOnly) != s || d.Hour() != 0 || d.Location() != time.UTC {
			t.Fatalf("ParseDay(%q) = %v", s, d)
		}
	})
}
