package sendtime

import (
	"errors"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// FuzzParse: any text is either refused with a validation error on "offset", or an offset
// within the bounds whose canonical text reads back as the same offset, is its own canonical
// text, and has a due time before a 09:00 appointment in Sydney; nothing panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"72h", "3d", "2h", "90m", "1h30m", "0h45m", "1d@10:00", "0d@7:00", "30d@23:59",
		"720h", "721h", "14m", "P1D", "1d@24:00", "99999h", "000001h", "", " 2h ", "2h60m", "١h", "1d@ 10:00"} {
		f.Add(s)
	}
	syd, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		f.Fatal(err)
	}
	start := time.Date(2025, 10, 5, 9, 0, 0, 0, syd)
	f.Fuzz(func(t *testing.T, s string) {
		o, err := Parse(s)
		if err != nil {
			var v *clinic.ValidationError
			if !errors.As(err, &v) || len(v.Fields) != 1 || v.Fields[0].Field != "offset" ||
				(v.Fields[0].Reason != OffsetReason && v.Fields[0].Reason != OffsetRangeReason) {
				t.Fatalf("Parse(%q): %v", s, err)
			}
			return
		}
		text := o.String()
		back, err := Parse(text)
		if err != nil || back != o || back.String() != text {
			t.Fatalf("Parse(%q) = %q reads back as %q, %v", s, text, back, err)
		}
		_, isAt := o.Clock()
		switch {
		case o.IsZero():
			t.Fatalf("Parse(%q) is the zero Offset", s)
		case o.Elapsed() > 0 && (o.Elapsed() < MinBefore || o.Elapsed() >= MaxDays*24*time.Hour || o.Elapsed()%(24*time.Hour) == 0 || o.Days() != 0 || isAt):
			t.Fatalf("Parse(%q) = elapsed %v, days %d", s, o.Elapsed(), o.Days())
		case o.Elapsed() == 0 && (o.Days() > MaxDays || o.Days() < 0 || (o.Days() == 0 && !isAt)):
			t.Fatalf("Parse(%q) = %d days", s, o.Days())
		}
		d, err := Due(start, syd, o)
		if err != nil || (!isAt && !d.Before(start)) || start.Sub(d) > (MaxDays+1)*24*time.Hour {
			t.Fatalf("Due(%s) = %v, %v", text, d, err)
		}
	})
}

// FuzzParseWindow: accepted ends make a window whose text writes them back (24:00 for an end
// at midnight) and in which NextAllowed ends, within two days; nothing panics.
func FuzzParseWindow(f *testing.F) {
	for _, p := range [][2]string{{"08:00", "20:00"}, {"18:00", "06:00"}, {"00:00", "24:00"}, {"24:00", "08:00"}, {"8:00", "8:00"}, {"", ""}} {
		f.Add(p[0], p[1])
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		f.Fatal(err)
	}
	due := time.Date(2026, 3, 29, 1, 30, 0, 0, paris)
	f.Fuzz(func(t *testing.T, from, to string) {
		w, err := ParseWindow(from, to)
		if err != nil {
			if !errors.Is(err, clinic.ErrInvalid) {
				t.Fatalf("ParseWindow(%q, %q): %v", from, to, err)
			}
			return
		}
		text := w.String()
		if back, err := ParseWindow(text[:5], text[6:]); err != nil || back.String() != text {
			t.Fatalf("ParseWindow(%q, %q) writes %q, which reads back as %v, %v", from, to, text, back, err)
		}
		if got := NextAllowed(due, paris, w); got.Before(due) || !w.Open(got, paris) || got.Sub(due) >= 48*time.Hour {
			t.Fatalf("window %s: NextAllowed(%v) = %v", text, due, got)
		}
	})
}
