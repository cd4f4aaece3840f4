package sendtime

import (
	"fmt"
	"time"
)

// Drop says why Plan leaves a reminder out; Kept when it does not.
type Drop uint8

const (
	// Kept: the reminder is due before the start and not before now.
	Kept Drop = iota
	// AtOrAfterStart: due at or after the appointment's start ("0d@10:00" for a 09:00
	// appointment): it would remind of something already begun.
	AtOrAfterStart
	// InPast: due before now (a booking made 1 h before gets no 2 h reminder): sent late it
	// would say "in 2 hours" of an appointment an hour away, and the booking confirmation
	// has just told the patient everything.
	InPast
	// SameInstant: due at the very instant of a reminder listed earlier ("24h" and
	// "1d@09:00" for a 09:00 appointment): one message, not two.
	SameInstant
)

// String is the stable name stored in the trace of a plan.
func (d Drop) String() string {
	switch d {
	case Kept:
		return "kept"
	case AtOrAfterStart:
		return "at_or_after_start"
	case InPast:
		return "in_past"
	case SameInstant:
		return "same_instant"
	}
	return "unknown"
}

// Planned is one offset of a clinic applied to one appointment.
type Planned struct {
	Offset     Offset
	Due        time.Time // UTC
	Resolution Resolution
	Dropped    Drop // Kept when the reminder is to be sent
}

// Plan applies a clinic's offsets, in their order, to an appointment starting at start in
// zone, at planning time now (passed in, never read). It returns one Planned per offset,
// dropped ones included so that the plan's trace can say why a patient got no 72 h reminder;
// the caller schedules those with Dropped == Kept. The checks, in order: at or after the
// start, before now, at the same instant as an earlier offset that was kept. A reminder due
// exactly at now is kept (send it at once).
//
// Errors: as Due (a zero offset, a nil zone), naming the offset's index.
func Plan(start time.Time, zone *time.Location, offsets []Offset, now time.Time) ([]Planned, error) {
	out := make([]Planned, len(offsets))
	for i, o := range offsets {
		t, res, err := due(start, zone, o)
		if err != nil {
			return nil, fmt.Errorf("plan reminder %d: %w", i, err)
		}
		p := Planned{Offset: o, Due: t, Resolution: res}
		switch {
		case !t.Before(start):
			p.Dropped = AtOrAfterStart
		case t.Before(now):
			p.Dropped = InPast
		default:
			for _, q := range out[:i] {
				if q.Dropped == Kept && q.Due.Equal(t) {
					p.Dropped = SameInstant
					break
				}
			}
		}
		out[i] = p
	}
	return out, nil
}
