package availability

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Clock is a wall-clock time of day in minutes after local midnight,
// 0..1440. It exists so working hours are stated the way clinics think
// about them ("09:00–17:00 every Monday") independently of which instants
// that means on a given date. 1440 (EndOfDay) is allowed as an interval
// end so a day can be open until midnight.
type Clock int

// EndOfDay is 24:00, the end of the local day, usable only as Hours.End.
const EndOfDay Clock = 24 * 60

// At returns the Clock for hour:minute, so schedules in code and tests
// read like a timetable: Hours{At(9, 0), At(12, 30)}.
func At(hour, minute int) Clock { return Clock(hour*60 + minute) }

// String formats c as "15:04" ("24:00" for EndOfDay) for error messages.
func (c Clock) String() string {
	if c < 0 || c > EndOfDay {
		return fmt.Sprintf("Clock(%d)", int(c))
	}
	return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60)
}

// Hours is a half-open wall-clock working interval [Start, End) within
// one local day. Start must be before End; intervals of a day may overlap
// or touch, they are merged.
type Hours struct {
	Start, End Clock
}

// String formats h as "09:00-17:00" for error messages.
func (h Hours) String() string { return h.Start.String() + "-" + h.End.String() }

// Exception changes the hours of one civil date, for public holidays,
// training days or an extra Saturday clinic. Closed removes the weekly
// hours of that date; Hours are added to whatever remains. Closed together
// with Hours therefore replaces the day's hours. Several exceptions for
// the same date combine: the date is closed if any of them says so and
// all their Hours are added.
type Exception struct {
	Date   Date
	Closed bool
	Hours  []Hours
}

// Schedule is an agenda's recurring working pattern: Weekly hours indexed
// by time.Weekday (Weekly[time.Monday] ...), amended by dated Exceptions.
type Schedule struct {
	Weekly     [7][]Hours
	Exceptions []Exception
}

// Interval is a half-open span of instants [Start, End), used for busy
// periods, absences and the query window. Two intervals overlap when
// a.Start < b.End && b.Start < a.End; an empty interval (Start == End)
// contains no instant and so blocks nothing.
type Interval struct {
	Start, End time.Time
}

// GridMode selects which start times are offered, because clinics differ:
// some want every appointment on the quarter hour, others want a
// 40-minute reason to chain back to back from opening time.
type GridMode int

const (
	// GridClock offers start times whose local wall time is a multiple
	// of Rules.Grid after local midnight (…, 09:00, 09:15, 09:30 for a
	// 15-minute grid), whatever the working interval's start.
	GridClock GridMode = iota
	// GridReason offers start times at the start of each working run
	// plus a multiple of the step (Rules.Grid if set, else the reason's
	// Duration), so appointments chain from opening time. A working run
	// is a maximal stretch of contiguous working instants of one local
	// date; the step is counted in elapsed time, so a run spanning a DST
	// change keeps its rhythm.
	GridReason
)

// String names the mode for error messages.
func (m GridMode) String() string {
	switch m {
	case GridClock:
		return "GridClock"
	case GridReason:
		return "GridReason"
	}
	return fmt.Sprintf("GridMode(%d)", int(m))
}

// MaxHorizonDays caps Rules.HorizonDays (about ten years) so a bad setting
// cannot make one request enumerate slots forever.
const MaxHorizonDays = 3660

// Rules are a clinic's booking rules, shared by all its agendas.
type Rules struct {
	// HorizonDays is how many whole local days after today may be
	// booked: a slot's local date must be within [today, today +
	// HorizonDays], where today is Now's local date. 0 means same-day
	// only; 90 means today plus the next 90 days, to midnight.
	HorizonDays int
	// MinNotice is the minimum lead time: slots start at or after
	// Now + MinNotice. It may be any non-negative duration.
	MinNotice time.Duration
	// Mode selects the slot grid, see GridMode.
	Mode GridMode
	// Grid is, for GridClock, the required grid (whole minutes dividing
	// 24h, e.g. 15, 30, 60 minutes). For GridReason it is the step
	// between chained starts in whole minutes; zero means the reason's
	// Duration.
	Grid time.Duration
}

// Query is everything the engine needs to compute one agenda's slots for
// one reason for visit. Slices may be unsorted and may overlap.
type Query struct {
	// Zone is the clinic's time zone; hours and dates are local to it
	// and returned slots are expressed in it. Required.
	Zone *time.Location
	// Schedule is the agenda's working pattern.
	Schedule Schedule
	// Absences are periods the practitioner is away (leave, conference).
	Absences []Interval
	// Busy are periods already taken (appointments, holds, blocks).
	Busy []Interval
	// Duration is the reason's appointment length, whole minutes in
	// (0, 24h]. The whole appointment must lie in working time.
	Duration time.Duration
	// BufferAfter is free time required after the appointment (cleaning,
	// notes), whole minutes in [0, 24h]. It must not overlap absences or
	// busy periods but may extend past working hours.
	BufferAfter time.Duration
	// Window restricts the offered starts to Window.Start <= s <
	// Window.End, typically the week shown on screen. A zero Start or
	// End leaves that side unbounded (the horizon still applies).
	Window Interval
	// Rules are the clinic's booking rules.
	Rules Rules
	// Now is the current instant, passed in so results are reproducible.
	// Required.
	Now time.Time
}

// ErrInvalidQuery is wrapped by every validation error, so callers can
// tell a configuration or request problem (errors.Is) from anything else.
// The message names the offending field, e.g.
// "availability: invalid query: Schedule.Weekly[Monday][1]: ...".
var ErrInvalidQuery = errors.New("availability: invalid query")

// Slots returns the instants, in q.Zone, at which an appointment of
// q.Duration may start, sorted ascending and distinct. A start s is
// offered iff:
//   - every instant of [s, s+Duration) is working time (local date and
//     local wall time inside that date's hours; an appointment may run
//     past local midnight when the next day's hours continue it);
//   - [s, s+Duration+BufferAfter) overlaps no absence and no busy period;
//   - s >= Now+MinNotice, and s's local date is within the horizon;
//   - Window.Start <= s < Window.End (for the bounds that are set);
//   - s is on the grid of Rules.Mode.
//
// It returns an error wrapping ErrInvalidQuery if q is malformed.
func Slots(q Query) ([]time.Time, error) {
	return AppendSlots(nil, q)
}

// AppendSlots appends the slots of q, as defined by Slots, to dst and
// returns the extended slice (dst unchanged on error). Building the
// []time.Time result is the largest cost of a slot search (about half of
// it for a lightly booked 90-day agenda), so hot paths that walk many
// agendas can reuse one buffer: buf, err = AppendSlots(buf[:0], q).
func AppendSlots(dst []time.Time, q Query) ([]time.Time, error) {
	p, err := prepare(q, "")
	if err != nil {
		return dst, err
	}
	w, ok := p.window(p.lo, p.hi)
	if !ok {
		return dst, nil
	}
	n := p.maxSlots(w)
	return p.appendSlots(slices.Grow(dst, n), w, len(dst)+n), nil
}

// First answers "first available, no preference": the earliest slot over
// several agendas (each Query as for Slots), with ties going to the lowest
// index. It searches forward in growing chunks (1 day, 2, 4, ...) across
// all agendas, so an early slot is found without computing the whole
// horizon. ok is false, and index -1, when no agenda has a slot. An
// invalid query yields an error naming it (qs[i].Field).
func First(qs []Query) (index int, slot time.Time, ok bool, err error) {
	ps := make([]*prepared, len(qs))
	for i, q := range qs {
		p, err := prepare(q, fmt.Sprintf("qs[%d].", i))
		if err != nil {
			return -1, time.Time{}, false, err
		}
		ps[i] = p
	}
	if len(ps) == 0 {
		return -1, time.Time{}, false, nil
	}

	// [from, until) bounds every possible slot of every agenda.
	from, until := ps[0].lo, min(ps[0].hi, ps[0].upper())
	for _, p := range ps[1:] {
		from = min(from, p.lo)
		until = max(until, min(p.hi, p.upper()))
	}

	const maxChunk = 32 * secondsPerDay
	chunk := int64(secondsPerDay)
	var buf [1]time.Time
	for t := from; t < until; {
		end := t + chunk
		best, bestAt := -1, time.Time{}
		for i, p := range ps {
			hi := end
			if best >= 0 {
				hi = bestAt.Unix() // only a strictly earlier slot beats a lower index
			}
			if w, ok := p.window(t, hi); ok {
				if found := p.appendSlots(buf[:0], w, 1); len(found) == 1 {
					best, bestAt = i, found[0]
				}
			}
		}
		if best >= 0 {
			return best, bestAt, true, nil
		}
		t = end
		chunk = min(2*chunk, maxChunk)
	}
	return -1, time.Time{}, false, nil
}
