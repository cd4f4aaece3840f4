package availability

import (
	"fmt"
	"time"
)

// secondsPerDay is the length of a civil day on the wall clock. Wall
// clocks always have 24h days; only the instants they map to vary.
const secondsPerDay = 24 * 60 * 60

// Date is a civil date (year, month, day) in the clinic's time zone. It
// exists because exceptions and the booking horizon are about calendar
// days as the clinic sees them, which are neither instants nor 24h
// periods of UTC.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the civil date of t as seen in loc, which is how the
// engine decides which day's hours apply to an instant.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate parses "2006-01-02", the form dates take in the API and the
// database, rejecting impossible dates such as 2025-02-30.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("availability: parse date %q: %w", s, err)
	}
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}, nil
}

// String formats d as "2006-01-02" so dates read the same in logs, error
// messages and the API.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// AddDays returns the date n calendar days after d (before it if n is
// negative). Like time.Date, it normalises an out-of-range d first.
func (d Date) AddDays(n int) Date {
	return dateOfDays(d.days() + int64(n))
}

// Weekday returns the day of the week of d, which selects the weekly
// hours that apply to it.
func (d Date) Weekday() time.Weekday {
	return weekdayOfDays(d.days())
}

// valid reports whether d names a real calendar date.
func (d Date) valid() bool {
	return d.Month >= time.January && d.Month <= time.December && d.Day >= 1 &&
		dateOfDays(d.days()) == d
}

// days returns the number of days from 1970-01-01 to d in the proleptic
// Gregorian calendar (Howard Hinnant's days_from_civil). The engine uses
// day numbers because wall-clock midnight of day n is n*secondsPerDay on
// the "local seconds" axis, which makes zone arithmetic exact and cheap.
func (d Date) days() int64 {
	y := int64(d.Year)
	m := int64(d.Month)
	// Normalise an out-of-range month first so AddDays behaves like
	// time.Date on odd input instead of producing garbage.
	y += floorDiv(m-1, 12)
	m = floorMod(m-1, 12) + 1
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + int64(d.Day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// dateOfDays is the inverse of Date.days (civil_from_days).
func dateOfDays(z int64) Date {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return Date{Year: int(y), Month: time.Month(m), Day: int(d)}
}

// weekdayOfDays returns the weekday of day number z (1970-01-01 was a
// Thursday).
func weekdayOfDays(z int64) time.Weekday {
	return time.Weekday(floorMod(z+4, 7))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	return a - floorDiv(a, b)*b
}
