package booking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tidings-health/tidings/internal/availability"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// This file holds what a person booking is asked to confirm rather than refused: a time
// outside the agenda's working hours or off the clinic's grid (a patient squeezed in), and a
// second appointment for the patient the same day. Staff and API tokens are asked; a patient
// online only ever gets the free slots, and the system (the clinical software's sync, jobs)
// books as it is told.

// asks reports whether actor is a principal the confirmations are asked of: a person at the
// dashboard, or an integration acting with a staff role through the API.
func asks(actor clinic.Actor) bool {
	return actor.Kind == clinic.ActorStaff || actor.Kind == clinic.ActorToken
}

// ErrOutsideHours is matched (errors.Is) by every *HoursError.
var ErrOutsideHours = errors.New("outside the agenda's working hours")

// HoursError refuses a staff booking or move to a time outside the agenda's working hours,
// or within them but off the grid of start times, unless it was confirmed
// (Request.AllowOutsideHours, Change.AllowOutsideHours). It is a conflict (409) on the field
// start: the surfaces ask "book anyway?" and send the request again with the confirmation.
type HoursError struct {
	Agenda  string // the agenda's name ("Dr Lovelace")
	OffGrid bool   // within the hours, but not one of the grid's start times
	Grid    int    // minutes between start times: the clinic's grid, or the reason's length from opening
}

func (e *HoursError) Error() string { return "start " + e.Reason() }

// Is makes errors.Is(err, ErrOutsideHours) true.
func (e *HoursError) Is(target error) bool { return target == ErrOutsideHours }

// Unwrap makes it a *clinic.ConflictError on start, with the reason in words.
func (e *HoursError) Unwrap() error {
	return &clinic.ConflictError{Field: "start", Reason: e.Reason()}
}

// Reason is the refusal in words, for people reading the API's answer.
func (e *HoursError) Reason() string {
	if e.OffGrid {
		return fmt.Sprintf("is not on the %d-minute grid of start times of %s (allow_outside_hours: true books it anyway)", e.Grid, e.Agenda)
	}
	return fmt.Sprintf("is outside %s's working hours (allow_outside_hours: true books it anyway)", e.Agenda)
}

// ErrSameDay is matched (errors.Is) by every *SameDayError.
var ErrSameDay = errors.New("the patient already has an appointment that day")

// SameDayError refuses a staff booking for a patient who already has an active appointment
// at the clinic the same local day, unless it was confirmed (Request.AllowSameDay): a
// duplicate is more often a mistake than a plan. It is a conflict (409) on patient_id.
type SameDayError struct {
	Others []clinic.Appointment // the patient's other active appointments that day, by time
}

func (e *SameDayError) Error() string {
	return fmt.Sprintf("patient_id already has %d appointment(s) that day", len(e.Others))
}

// Is makes errors.Is(err, ErrSameDay) true.
func (e *SameDayError) Is(target error) bool { return target == ErrSameDay }

// Unwrap makes it a *clinic.ConflictError on patient_id.
func (e *SameDayError) Unwrap() error {
	return &clinic.ConflictError{Field: "patient_id", Reason: "already has an appointment at this clinic that day"}
}

// sameDay lists the patient's active appointments at clinic cl on the local day of start, but
// except: one statement on the (organisation, patient, start) index.
func sameDay(ctx context.Context, tx *store.Tx, org clinic.OrgID, cl clinic.ClinicID, loc *time.Location, patient clinic.PatientID,
	start time.Time, except clinic.AppointmentID) ([]clinic.Appointment, error) {
	y, m, d := start.In(loc).Date()
	from, to := time.Date(y, m, d, 0, 0, 0, 0, loc), time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	appts, err := tx.Appointments().AppointmentsByTime(ctx, org, store.AppointmentFilter{ClinicID: cl, PatientID: patient, From: from, To: to})
	if err != nil {
		return nil, fmt.Errorf("appointments of patient %d that day: %w", patient, err)
	}
	return slices.DeleteFunc(appts, func(a clinic.Appointment) bool { return !a.Status.Active() || a.ID == except }), nil
}

// taken reports whether an active appointment of agenda, other than except, overlaps
// [start, end): the store's own test at insert, made first when the booking would otherwise
// ask to be confirmed, so that nobody confirms a time that is taken anyway. One statement.
func taken(ctx context.Context, tx *store.Tx, org clinic.OrgID, agenda clinic.AgendaID, start, end time.Time, except clinic.AppointmentID) (bool, error) {
	appts, err := tx.Appointments().AppointmentsByTime(ctx, org, store.AppointmentFilter{AgendaID: agenda, From: start.Add(-store.MaxDuration), To: end})
	if err != nil {
		return false, fmt.Errorf("appointments of agenda %d: %w", agenda, err)
	}
	return slices.ContainsFunc(appts, func(a clinic.Appointment) bool {
		return a.ID != except && a.Status.Active() && a.Start.Before(end) && start.Before(a.End)
	}), nil
}

// agendaSchedule reads one agenda's weekly hours and its exceptions around start: two
// statements, for a staff booking, which does not load the agenda's availability.
func agendaSchedule(ctx context.Context, tx *store.Tx, org clinic.OrgID, agenda clinic.AgendaID, loc *time.Location, start time.Time) (availability.Schedule, error) {
	var s availability.Schedule
	hours, err := tx.Schedule().WorkingHours(ctx, org, []clinic.AgendaID{agenda})
	if err != nil {
		return s, err
	}
	for _, h := range hours[agenda] {
		addHours(&s, h)
	}
	day := availability.DateOf(start, loc)
	// The appointment may run past midnight into the next day's hours: a day either side.
	exceptions, err := tx.Schedule().Exceptions(ctx, org, []clinic.AgendaID{agenda}, day.AddDays(-1).String(), day.AddDays(1).String())
	if err != nil {
		return s, err
	}
	for _, e := range exceptions {
		x, err := exceptionOf(e)
		if err != nil {
			return s, err
		}
		s.Exceptions = append(s.Exceptions, x)
	}
	return s, nil
}

// addHours adds one interval of weekly hours to s.
func addHours(s *availability.Schedule, h clinic.WorkingHours) {
	s.Weekly[h.Weekday] = append(s.Weekly[h.Weekday], availability.Hours{Start: availability.Clock(h.Start), End: availability.Clock(h.End)})
}

// exceptionOf is the engine's form of a dated exception.
func exceptionOf(e clinic.ScheduleException) (availability.Exception, error) {
	day, err := availability.ParseDate(e.Day)
	if err != nil {
		return availability.Exception{}, fmt.Errorf("exception %d: %w", e.ID, err)
	}
	x := availability.Exception{Date: day, Closed: e.Closed}
	if e.End > 0 {
		x.Hours = []availability.Hours{{Start: availability.Clock(e.Start), End: availability.Clock(e.End)}}
	}
	return x, nil
}

// gridRules are the clinic's grid of start times, as the engine reads them: the clinic's
// clock grid (every 15, 30 or 60 minutes), or the reason's length chained from opening.
func gridRules(cl clinic.Clinic) availability.Rules {
	rules := availability.Rules{HorizonDays: staffHorizon}
	if g := cl.Rules.GridMinutes; g > 0 {
		rules.Mode, rules.Grid = availability.GridClock, time.Duration(g)*time.Minute
	} else {
		rules.Mode = availability.GridReason
	}
	return rules
}

// checkHours refuses start on the agenda named agenda, with schedule s, when the reason's
// whole length does not fall within its working hours (weekly hours and that day's
// exceptions), or does but not on the grid (*HoursError). It is the engine's own test of a
// slot, without the absences and appointments, which are checked for every booking, nor the
// clock (a visit entered late is in hours or not the same).
func checkHours(s availability.Schedule, loc *time.Location, cl clinic.Clinic, reason clinic.Reason, agenda string, start time.Time) error {
	q := availability.Query{Zone: loc, Schedule: s, Duration: reason.Duration, Rules: gridRules(cl), Now: start,
		Window: availability.Interval{Start: start, End: start.Add(time.Second)}}
	slots, err := availability.Slots(q)
	if err != nil {
		return fmt.Errorf("working hours of %s: %w", agenda, err)
	}
	if slices.ContainsFunc(slots, start.Equal) {
		return nil
	}
	e := &HoursError{Agenda: agenda, Grid: cl.Rules.GridMinutes}
	if e.Grid == 0 {
		e.Grid = int(reason.Duration / time.Minute)
	}
	// Within the hours at all: a slot on a one-minute grid at the minute of start.
	m := start.Truncate(time.Minute)
	q.Rules.Mode, q.Rules.Grid, q.Now = availability.GridClock, time.Minute, m
	q.Window = availability.Interval{Start: m, End: m.Add(time.Second)}
	if slots, err = availability.Slots(q); err != nil {
		return fmt.Errorf("working hours of %s: %w", agenda, err)
	}
	e.OffGrid = slices.ContainsFunc(slots, m.Equal)
	return e
}
