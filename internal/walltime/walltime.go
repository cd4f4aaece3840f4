// Package walltime reads the times people type — "09:30" on a clinic's clock, a date and a
// time in a form — and turns them into instants of the clinic's zone, explicitly around
// daylight-saving changes: a wall time that does not exist (the clocks jump forward) is an
// error naming the field, and one that happens twice (the clocks go back) resolves to the
// earlier instant and says so. The API, the dashboard and the notification planner use it,
// so "9:30" means the same everywhere.
//
// It is pure: no clock, no I/O. It imports only the clinic vocabulary (for field errors).
package walltime

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/input"
)

// Staff type times as the clinic's clock shows them. Around a daylight-saving change a wall
// time may not exist (the clocks jump from 02:00 to 03:00: 02:30 never happens) or happen
// twice (they go back from 03:00 to 02:00: 02:30 happens in summer time, then an hour later
// in standard time). time.Date picks one of the candidates without saying which, so the
// conversion is done here, explicitly.

// At returns the instant at which the clock of loc shows day (a civil date, from
// time.Parse(time.DateOnly, …)) at minute minutes after midnight (1440 is the next
// midnight). ok is false when that wall time does not exist; repeated is true when it
// happens twice, and t is then the earlier instant.
func At(day time.Time, minute int, loc *time.Location) (t time.Time, repeated, ok bool) {
	y, m, d := day.Date()
	naive := time.Date(y, m, d, 0, minute, 0, 0, time.UTC) // the wall time, read as if in UTC
	guess := time.Date(y, m, d, 0, minute, 0, 0, loc)
	var found []time.Time
	// Every offset in use within a day of the guess: no zone changes twice in 24 hours.
	for _, probe := range []time.Time{guess.Add(-24 * time.Hour), guess, guess.Add(24 * time.Hour)} {
		_, off := probe.Zone()
		c := naive.Add(-time.Duration(off) * time.Second)
		if sameWall(c.In(loc), naive) && !slices.ContainsFunc(found, c.Equal) {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		return time.Time{}, false, false
	}
	slices.SortFunc(found, time.Time.Compare)
	return found[0], len(found) > 1, true
}

func sameWall(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd && a.Hour() == b.Hour() && a.Minute() == b.Minute() && a.Second() == b.Second()
}

// ParseClock reads "HH:MM" or "H:MM" (00:00 to 23:59, and 24:00 when end is true, the end
// of a working day) into minutes after midnight. Surrounding spaces are ignored; anything
// else (seconds, "8am", signs) is refused.
func ParseClock(s string, end bool) (int, bool) {
	s = strings.TrimSpace(s)
	if len(s) == 4 {
		s = "0" + s
	}
	if end && s == "24:00" {
		return 24 * 60, true
	}
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for i, c := range []byte(s) {
		if i != 2 && (c < '0' || c > '9') {
			return 0, false
		}
	}
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[3:])
	if h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

// Clock writes minutes after midnight as "HH:MM".
func Clock(m int) string {
	return strconv.Itoa(m/600) + strconv.Itoa(m/60%10) + ":" + strconv.Itoa(m%60/10) + strconv.Itoa(m%10)
}

// Input is a local date and time typed into a form, with the names of its two fields
// for the errors.
type Input struct {
	Date, Time           string
	DateField, TimeField string
	// DefaultMinute is used when Time is empty; -1 makes the time required.
	DefaultMinute int
}

// Resolve turns the typed date and time into an instant of loc, adding to v a field error
// naming the date or time field when either is malformed or the time does not exist that
// day.
func (in Input) Resolve(v *clinic.ValidationError, loc *time.Location) (t time.Time, repeated bool) {
	day, dayOK := ParseDay(in.Date)
	if !dayOK {
		if in.Date == "" {
			v.Add(in.DateField, "is required")
		} else {
			v.Add(in.DateField, DateReason)
		}
	}
	minute := in.DefaultMinute
	if in.Time != "" || minute < 0 {
		var ok bool
		if minute, ok = ParseClock(in.Time, false); !ok {
			if in.Time == "" {
				v.Add(in.TimeField, "is required")
			} else {
				v.Add(in.TimeField, ClockReason)
			}
			return time.Time{}, false
		}
	}
	if !dayOK {
		return time.Time{}, false
	}
	t, repeated, ok := At(day, minute, loc)
	if !ok {
		v.Add(in.TimeField, GapReason)
	}
	return t, repeated
}

// ClockReason is the field error for a time that ParseClock refuses.
const ClockReason = "must be a time written HH:MM, such as 09:30"

// GapReason is the field error for a wall time that does not exist in the zone that day.
const GapReason = "does not exist on that day: the clocks go forward for daylight saving; choose another time"

// DateReason is the field error for a day that ParseDay refuses.
const DateReason = "must be a date in the form YYYY-MM-DD, such as 2026-04-05"

// ParseDay reads a civil date written YYYY-MM-DD (as date inputs send it), at 00:00 UTC,
// zone-free. Years outside input.MinYear to input.MaxYear are refused: nothing a clinic
// schedules lies there, and a page for year 0 or 10000 cannot link to its neighbours.
func ParseDay(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < input.MinYear || t.Year() > input.MaxYear {
		return time.Time{}, false
	}
	return t, true
}
