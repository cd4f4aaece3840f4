package hl7

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Precision says how much of a date/time value was sent. HL7 lets senders stop after any
// part — a birth year only, an appointment to the minute — and a receiver must not invent
// the rest: a date of birth of "1980" is not 1 January 1980.
type Precision int

// The precisions of HL7's DTM/TS values, coarsest first; the zero Precision means no value.
const (
	PrecisionYear             Precision = iota + 1 // YYYY
	PrecisionMonth                                 // YYYYMM
	PrecisionDay                                   // YYYYMMDD
	PrecisionHour                                  // YYYYMMDDHH
	PrecisionMinute                                // YYYYMMDDHHMM
	PrecisionSecond                                // YYYYMMDDHHMMSS
	PrecisionTenthSecond                           // YYYYMMDDHHMMSS.S
	PrecisionHundredthSecond                       // YYYYMMDDHHMMSS.SS
	PrecisionMillisecond                           // YYYYMMDDHHMMSS.SSS
	PrecisionTenthMillisecond                      // YYYYMMDDHHMMSS.SSSS
)

var precisionNames = [...]string{"none", "year", "month", "day", "hour", "minute", "second",
	"tenth of a second", "hundredth of a second", "millisecond", "tenth of a millisecond"}

// String names the precision, for logs and test failures.
func (p Precision) String() string {
	if p < 0 || int(p) >= len(precisionNames) {
		return "Precision(" + strconv.Itoa(int(p)) + ")"
	}
	return precisionNames[p]
}

// ErrInvalidTime is wrapped by every error of ParseTime and ParseDate, so callers can tell a
// bad date from other failures with errors.Is. The messages never quote the value, which is
// often a date of birth.
var ErrInvalidTime = errors.New("hl7: invalid date/time")

func timeError(reason string) error {
	return &timeErr{reason}
}

// timeErr is a refusal of ParseTime: ErrInvalidTime with a reason that names no digits.
type timeErr struct{ reason string }

// Error implements error.
func (e *timeErr) Error() string { return ErrInvalidTime.Error() + ": " + e.reason }

// Unwrap makes errors.Is(err, ErrInvalidTime) hold.
func (e *timeErr) Unwrap() error { return ErrInvalidTime }

// ParseTime reads an HL7 DTM or TS value, YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ],
// and reports how much of it was sent. Omitted parts are the start of the period (a month
// alone is its first day, midnight). When the value carries an offset, t is in a fixed zone
// with that offset — the instant and the wall digits both as sent; use t.In(loc) for the
// clinic's clock. Without one, the wall time is read in loc (UTC when nil), since senders
// write their local time. Surrounding spaces are ignored; anything else is an error
// wrapping ErrInvalidTime.
func ParseTime(s string, loc *time.Location) (time.Time, Precision, error) {
	if loc == nil {
		loc = time.UTC
	}
	v := strings.Trim(s, " ")
	if v == "" {
		return time.Time{}, 0, timeError("empty")
	}
	body, offset := v, ""
	if i := strings.IndexAny(v, "+-"); i >= 0 {
		body, offset = v[:i], v[i:]
	}
	digits, frac, hasFrac := strings.Cut(body, ".")
	if !allDigits(digits) || !allDigits(frac) {
		return time.Time{}, 0, timeError("not digits")
	}
	var p Precision
	switch len(digits) {
	case 4:
		p = PrecisionYear
	case 6:
		p = PrecisionMonth
	case 8:
		p = PrecisionDay
	case 10:
		p = PrecisionHour
	case 12:
		p = PrecisionMinute
	case 14:
		p = PrecisionSecond
	default:
		return time.Time{}, 0, timeError("want 4, 6, 8, 10, 12 or 14 digits before any fraction")
	}
	nanos := 0
	if hasFrac {
		if p != PrecisionSecond || len(frac) < 1 || len(frac) > 4 {
			return time.Time{}, 0, timeError("a fraction needs all 14 digits before it and 1 to 4 after")
		}
		p += Precision(len(frac))
		n, _ := strconv.Atoi(frac)
		for range 9 - len(frac) {
			n *= 10
		}
		nanos = n
	}
	part := func(i, def int) int {
		if len(digits) < i+2 {
			return def
		}
		n, _ := strconv.Atoi(digits[i : i+2])
		return n
	}
	year, _ := strconv.Atoi(digits[:4])
	month, day, hour, minute, second := part(4, 1), part(6, 1), part(8, 0), part(10, 0), part(12, 0)
	switch {
	case year < 1:
		return time.Time{}, 0, timeError("year out of range")
	case month < 1 || month > 12:
		return time.Time{}, 0, timeError("month out of range")
	case day < 1 || day > daysIn(year, month):
		return time.Time{}, 0, timeError("day out of range")
	case hour > 23:
		return time.Time{}, 0, timeError("hour out of range")
	case minute > 59:
		return time.Time{}, 0, timeError("minute out of range")
	case second > 59:
		return time.Time{}, 0, timeError("second out of range")
	}
	zone := loc
	if offset != "" {
		if len(offset) != 5 || !allDigits(offset[1:]) {
			return time.Time{}, 0, timeError("offset is not +HHMM or -HHMM")
		}
		oh, _ := strconv.Atoi(offset[1:3])
		om, _ := strconv.Atoi(offset[3:5])
		if oh > 23 || om > 59 {
			return time.Time{}, 0, timeError("offset out of range")
		}
		secs := oh*3600 + om*60
		if offset[0] == '-' {
			secs = -secs
		}
		zone = time.FixedZone("", secs)
	}
	return time.Date(year, time.Month(month), day, hour, minute, second, nanos, zone), p, nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// ParseDate reads a date — DT, YYYY[MM[DD]], or the date part of a DTM such as a date of
// birth sent as 19800101000000 — and returns it as midnight UTC of that civil date, with at
// most day precision. Time of day and offset are checked but ignored: a birthday does not
// move with time zones.
func ParseDate(s string) (time.Time, Precision, error) {
	t, p, err := ParseTime(s, time.UTC)
	if err != nil {
		return time.Time{}, 0, err
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), min(p, PrecisionDay), nil
}

// FormatTime writes t as an HL7 DTM to precision p, in t's own zone, with the zone's offset
// when p is an hour or finer (a date alone carries none). Builders use it for MSH-7 and other
// times they send; ParseTime reads the result back to the same wall time and precision.
func FormatTime(t time.Time, p Precision) string {
	p = max(PrecisionYear, min(p, PrecisionTenthMillisecond))
	layouts := [...]string{PrecisionYear: "2006", PrecisionMonth: "200601", PrecisionDay: "20060102",
		PrecisionHour: "2006010215", PrecisionMinute: "200601021504", PrecisionSecond: "20060102150405"}
	out := t.Format(layouts[min(p, PrecisionSecond)])
	if p > PrecisionSecond {
		digits := int(p - PrecisionSecond)
		frac := strconv.Itoa(t.Nanosecond() + 1e9)[1:] // nine digits, leading zeros kept
		out += "." + frac[:digits]
	}
	if p >= PrecisionHour {
		out += t.Format("-0700")
	}
	return out
}
