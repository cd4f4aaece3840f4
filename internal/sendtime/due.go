package sendtime

import (
	"errors"
	"time"

	"github.com/tidings-health/tidings/internal/walltime"
)

// Resolution says how a due instant was found, for the trace of a planned reminder.
type Resolution uint8

const (
	// Elapsed: an elapsed offset, start − d; no wall clock involved.
	Elapsed Resolution = iota
	// Exact: the wall-clock reading happens once that day.
	Exact
	// Repeated: the clocks go back over the reading, which happens twice; due at the earlier.
	Repeated
	// Skipped: the clocks jump forward over the reading; due at the jump.
	Skipped
)

// String is the stable name stored in the trace of a plan.
func (r Resolution) String() string {
	switch r {
	case Elapsed:
		return "elapsed"
	case Exact:
		return "exact"
	case Repeated:
		return "repeated"
	case Skipped:
		return "skipped"
	}
	return "unknown"
}

// Due returns the instant, in UTC, at which the reminder o of an appointment starting at
// start is due, reading wall-clock rules on the clock of zone (the clinic's). The rules are
// the package doc's: elapsed offsets are start − d; days and "at" offsets are the first
// instant at which the clock reads the target date and time or later. Due does not judge
// the result: one at or after start, or before now, is Plan's to drop.
//
// Errors: a zero o or a nil zone (programming errors: Parse gives neither).
func Due(start time.Time, zone *time.Location, o Offset) (time.Time, error) {
	t, _, err := due(start, zone, o)
	return t, err
}

func due(start time.Time, zone *time.Location, o Offset) (time.Time, Resolution, error) {
	switch {
	case o.IsZero():
		return time.Time{}, 0, errors.New("sendtime: due time of the zero Offset")
	case zone == nil:
		// Also for elapsed offsets, which do not need it: a caller that forgot the zone
		// learns it from its first test, not from its first clinic with a "1d@10:00".
		return time.Time{}, 0, errors.New("sendtime: due time in a nil zone")
	case o.elapsed > 0:
		return start.Add(-o.elapsed).UTC(), Elapsed, nil
	}
	local := start.In(zone)
	y, m, d := local.Date()
	day := time.Date(y, m, d-o.days, 0, 0, 0, 0, time.UTC)
	minute := local.Hour()*60 + local.Minute()
	rem := time.Duration(local.Second())*time.Second + time.Duration(local.Nanosecond())
	if o.clock > 0 {
		minute, rem = o.clock-1, 0
	}
	t, res := reading(day, minute, rem, zone)
	return t.UTC(), res, nil
}

// reading returns the first instant at which the clock of loc reads day (a civil date at
// 00:00 UTC) at minute minutes and rem (under a minute) after midnight, or later.
func reading(day time.Time, minute int, rem time.Duration, loc *time.Location) (time.Time, Resolution) {
	if t, repeated, ok := walltime.At(day, minute, loc); ok {
		// Zones change offset on whole minutes, so the rest of the minute reads on.
		if repeated {
			return t.Add(rem), Repeated
		}
		return t.Add(rem), Exact
	}
	// The clocks jump over the reading. Read it with each offset in use around it: with
	// the offset before the jump that names an instant shortly after the jump (by less than
	// the jump's size), in the zone period the jump starts. The jump is the start of that
	// period that reads later than asked for while the instant before it reads earlier.
	y, m, d := day.Date()
	want := time.Date(y, m, d, 0, minute, 0, 0, time.UTC).Add(rem)
	var best time.Time
	for _, probe := range [...]time.Duration{-24 * time.Hour, 0, 24 * time.Hour} {
		_, off := want.Add(probe).In(loc).Zone()
		jump, _ := want.Add(-time.Duration(off) * time.Second).In(loc).ZoneBounds()
		if !jump.IsZero() && !wall(jump, loc).Before(want) && wall(jump.Add(-1), loc).Before(want) &&
			(best.IsZero() || jump.Before(best)) {
			best = jump
		}
	}
	if best.IsZero() {
		// Not reached for any zone in the tz database (the oracle test scans the
		// transitions of eight zones); if a future zone manages it, Go's reading of the
		// wall time is still an instant near the one asked for.
		best = time.Date(y, m, d, 0, minute, 0, int(rem), loc)
	}
	return best, Skipped
}

// wall is the reading of t's clock in loc, as an instant of UTC (09:00 local → 09:00 UTC),
// so that readings compare with Before.
func wall(t time.Time, loc *time.Location) time.Time {
	_, off := t.In(loc).Zone()
	return t.Add(time.Duration(off) * time.Second).UTC()
}
