package availability_test

import (
	"testing"

	"github.com/tidings-health/tidings/internal/availability"
)

// FuzzParseDate: a parsed date prints back to the same text, and every date ParseDate
// accepts is a real calendar date; never a panic.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-04-05", "2024-02-29", "2023-02-29", "0000-01-01", "9999-12-31", "2026-13-01", "2026-4-5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := availability.ParseDate(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("%q parsed to %v", s, d)
		}
		if next := d.AddDays(1).AddDays(-1); next != d {
			t.Fatalf("%v ±1 day = %v", d, next)
		}
	})
}
