package sendtime

import (
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/walltime"
)

// WindowReason is the field error for a window whose two ends are the same time.
const WindowReason = "must differ from the start of the window; 00:00 to 24:00 allows sending at any hour"

// Window is the part of each day, on the clinic's clock, in which it sends SMS (NOT-8): from
// From (included) to To (excluded), minutes after midnight. From > To crosses midnight
// (18:00 to 06:00). Minutes are read modulo a day, so To may be 1440 (24:00); From == To,
// the zero Window included, is no quiet hours at all.
type Window struct {
	From, To int
}

// ParseWindow reads the two ends of a window as the dashboard's time inputs send them
// ("08:00", "20:00"; "24:00" for the end of the day), with field errors on "window_from" and
// "window_to". Two equal ends are refused, except 00:00 to 24:00 (any hour).
func ParseWindow(from, to string) (Window, error) {
	v := &clinic.ValidationError{}
	f, okF := walltime.ParseClock(from, false)
	if !okF {
		v.Add("window_from", walltime.ClockReason)
	}
	t, okT := walltime.ParseClock(to, true)
	if !okT {
		v.Add("window_to", walltime.ClockReason)
	}
	if okF && okT && f == t%(24*60) && !(f == 0 && t == 24*60) {
		v.Add("window_to", WindowReason)
	}
	if err := v.Err(); err != nil {
		return Window{}, err
	}
	return Window{From: f, To: t}, nil
}

// String writes "08:00-20:00" ("00:00-24:00" for no quiet hours).
func (w Window) String() string {
	from, to := w.bounds()
	if from == to {
		return "00:00-24:00"
	}
	if to == 0 {
		to = day
	}
	return walltime.Clock(int(from/time.Minute)) + "-" + walltime.Clock(int(to/time.Minute))
}

const day = 24 * time.Hour

// bounds are From and To as times of day in [0, 24h).
func (w Window) bounds() (from, to time.Duration) {
	mod := func(m int) time.Duration { return time.Duration((m%1440+1440)%1440) * time.Minute }
	return mod(w.From), mod(w.To)
}

// open reports whether a time of day tod in [0, 24h) is in the window from..to.
func open(from, to, tod time.Duration) bool {
	switch {
	case from == to:
		return true
	case from < to:
		return from <= tod && tod < to
	}
	return tod >= from || tod < to
}

// Open reports whether t is in the window on zone's clock.
func (w Window) Open(t time.Time, zone *time.Location) bool {
	from, to := w.bounds()
	return open(from, to, timeOfDay(t.In(zone)))
}

func timeOfDay(lt time.Time) time.Duration {
	return time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute +
		time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
}

// NextAllowed returns, in UTC, the first instant at or after t at which the window w is open
// on zone's clock: t itself when it is, otherwise the moment the window next opens. An SMS
// due in the quiet hours waits for it.
//
// It walks the zone's periods of constant offset: within one, the clock's time of day runs
// with the instant, so the next opening is From minus the time of day (modulo a day) ahead,
// unless the period ends first; then the next period starts at the change, whose reading may
// already be in the window (the clocks jumped over the opening: the window opens at the
// jump) or not (the clocks went back out of it). zone must not be nil.
func NextAllowed(t time.Time, zone *time.Location, w Window) time.Time {
	from, to := w.bounds()
	for p := t; ; {
		lp := p.In(zone)
		tod := timeOfDay(lp)
		if open(from, to, tod) {
			return p.UTC()
		}
		next := p.Add((from - tod + day) % day)
		_, end := lp.ZoneBounds()
		if end.IsZero() || next.Before(end) {
			return next.UTC()
		}
		// end is after p, and periods in the tz database last months, so this loop turns
		// once, twice on the day of a change.
		p = end
	}
}
