package sendtime

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/walltime"
)

// Bounds of an offset (see the package doc for why).
const (
	// MinBefore is the shortest offset: a reminder less than 15 minutes ahead reminds nobody.
	MinBefore = 15 * time.Minute
	// MaxDays is the longest offset, in days (30 days, 720h).
	MaxDays = 30
	// MaxOffsets is the most reminders ParseList accepts for one clinic: each is a message
	// the patient reads and the clinic may pay for.
	MaxOffsets = 8
)

// Reasons of the validation errors, safe to show (they never echo the input) and keys of
// the EN/FR catalog.
const (
	OffsetReason      = "must be a time before the appointment such as 72h, 2h, 90m or 1d@10:00 (the day before at 10:00)"
	OffsetRangeReason = "must be at least 15 minutes and at most 30 days before the appointment"
	DuplicateReason   = "is listed twice"
	TooManyReason     = "must list at most 8 reminders"
)

// Offset is one reminder rule of a clinic: how long before an appointment its reminder is
// due. The zero Offset is no rule (IsZero); build one with Parse, Before or DaysBeforeAt.
// Offsets are comparable: equal rules are == (Parse("24h") == Parse("1d")).
type Offset struct {
	elapsed time.Duration // > 0: elapsed time before the start
	days    int           // civil days before the start's date (day rules)
	clock   int           // minute of day + 1 for "at" rules; 0: the start's own wall time
}

// Before is the rule "d before the appointment": a whole number of days is that many
// calendar days at the same wall-clock time, anything else is elapsed time. d must be whole
// minutes from MinBefore to MaxDays days.
func Before(d time.Duration) (Offset, error) {
	if d%time.Minute != 0 {
		return Offset{}, clinic.Invalid("offset", OffsetReason)
	}
	if d < MinBefore || d > MaxDays*24*time.Hour {
		return Offset{}, clinic.Invalid("offset", OffsetRangeReason)
	}
	if d%(24*time.Hour) == 0 {
		return Offset{days: int(d / (24 * time.Hour))}, nil
	}
	return Offset{elapsed: d}, nil
}

// DaysBeforeAt is the rule "days before the appointment's date, at minute minutes after
// midnight on the clinic's clock" (1, 600: the day before at 10:00; 0 is the same day).
func DaysBeforeAt(days, minute int) (Offset, error) {
	if minute < 0 || minute >= 24*60 {
		return Offset{}, clinic.Invalid("offset", OffsetReason)
	}
	if days < 0 || days > MaxDays {
		return Offset{}, clinic.Invalid("offset", OffsetRangeReason)
	}
	return Offset{days: days, clock: minute + 1}, nil
}

// IsZero reports whether o is the zero Offset, which is no rule.
func (o Offset) IsZero() bool { return o == Offset{} }

// Elapsed is the elapsed time before the start, or 0 for a wall-clock rule.
func (o Offset) Elapsed() time.Duration { return o.elapsed }

// Days is the number of calendar days before the start's date of a wall-clock rule, or 0
// for an elapsed one (and for "the same day at …").
func (o Offset) Days() int { return o.days }

// Clock is the minute of day of an "N days before at HH:MM" rule; ok is false for the other
// kinds (whose due time of day is the start's, or none).
func (o Offset) Clock() (minute int, ok bool) { return o.clock - 1, o.clock > 0 }

// String writes the canonical text form: "72h", "2h", "45m", "1h30m", "1d@10:00"; the zero
// Offset is "".
func (o Offset) String() string {
	switch {
	case o.clock > 0:
		return strconv.Itoa(o.days) + "d@" + walltime.Clock(o.clock-1)
	case o.days > 0:
		return strconv.Itoa(o.days*24) + "h"
	case o.elapsed > 0:
		h, m := int(o.elapsed/time.Hour), int(o.elapsed%time.Hour/time.Minute)
		switch {
		case m == 0:
			return strconv.Itoa(h) + "h"
		case h == 0:
			return strconv.Itoa(m) + "m"
		}
		return strconv.Itoa(h) + "h" + strconv.Itoa(m) + "m"
	}
	return ""
}

// MarshalText writes String, so that an Offset is a JSON string in the API and a column of
// text in the store.
func (o Offset) MarshalText() ([]byte, error) {
	if o.IsZero() {
		return nil, fmt.Errorf("sendtime: marshal the zero Offset")
	}
	return []byte(o.String()), nil
}

// UnmarshalText reads the text form with Parse.
func (o *Offset) UnmarshalText(b []byte) error {
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*o = p
	return nil
}

// Parse reads the text form of an offset (grammar in the package doc). Anything else is a
// clinic.ValidationError on the field "offset" (errors.Is(err, clinic.ErrInvalid)): with
// OffsetReason when the text is not an offset, OffsetRangeReason when it is one out of bounds.
func Parse(s string) (Offset, error) {
	s = strings.TrimSpace(s)
	n, rest, ok := number(s)
	if !ok {
		return Offset{}, clinic.Invalid("offset", OffsetReason)
	}
	switch {
	case rest == "d":
		if n < 1 || n > MaxDays {
			return Offset{}, clinic.Invalid("offset", OffsetRangeReason)
		}
		return Offset{days: n}, nil
	case strings.HasPrefix(rest, "d@"):
		minute, ok := walltime.ParseClock(rest[2:], false)
		// ParseClock trims spaces; the text form has none inside.
		if !ok || strings.TrimSpace(rest[2:]) != rest[2:] {
			return Offset{}, clinic.Invalid("offset", OffsetReason)
		}
		return DaysBeforeAt(n, minute)
	case rest == "m":
		return Before(time.Duration(n) * time.Minute)
	case rest == "h":
		return Before(time.Duration(n) * time.Hour)
	case strings.HasPrefix(rest, "h"):
		m, tail, ok := number(rest[1:])
		if !ok || tail != "m" || m > 59 {
			return Offset{}, clinic.Invalid("offset", OffsetReason)
		}
		return Before(time.Duration(n)*time.Hour + time.Duration(m)*time.Minute)
	}
	return Offset{}, clinic.Invalid("offset", OffsetReason)
}

// number reads one to five leading ASCII digits (five: enough for 43200m, short enough that
// no sum overflows).
func number(s string) (n int, rest string, ok bool) {
	i := 0
	for i < len(s) && i < 6 && '0' <= s[i] && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
	}
	return n, s[i:], i > 0 && i <= 5
}

// ParseList reads a clinic's list of reminder offsets, naming each bad item field[i]: an
// item Parse refuses, or one equal to an earlier item ("24h" then "1d"). More than
// MaxOffsets items is refused on field. The list may be empty (no reminders).
func ParseList(field string, texts []string) ([]Offset, error) {
	v := &clinic.ValidationError{}
	if len(texts) > MaxOffsets {
		v.Add(field, TooManyReason)
		return nil, v
	}
	out := make([]Offset, 0, len(texts))
	for i, s := range texts {
		f := field + "[" + strconv.Itoa(i) + "]"
		o, err := Parse(s)
		switch {
		case err != nil:
			v.Add(f, err.(*clinic.ValidationError).Fields[0].Reason)
		case slices.Contains(out, o):
			v.Add(f, DuplicateReason)
		default:
			out = append(out, o)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
