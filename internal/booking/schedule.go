package booking

import (
	"context"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/input"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/walltime"
	"strings"
)

// MaxScheduleNote bounds the note of an exception or an absence.
const MaxScheduleNote = 500

// checkNote refuses a note that is too long or holds control characters (line breaks are
// kept).
func checkNote(v *input.Checker, field, s string) {
	var out string
	v.Note(field, &s, &out, MaxScheduleNote)
}

// CheckHours validates an agenda's weekly hours: weekdays 0 to 6, each interval within the
// day (0 to 1440 minutes) and ending after it starts, and no two intervals of a weekday
// overlapping. Problems name hours[i].weekday, hours[i].start, hours[i].end, or hours[i]
// for an overlap, i being the interval's index in hs. An interval whose start or end is
// negative was not readable (its problem is the surface's) and is only checked for its
// weekday.
func CheckHours(hs []clinic.WorkingHours) error {
	var v clinic.ValidationError
	for i, h := range hs {
		f := fmt.Sprintf("hours[%d]", i)
		if h.Weekday < time.Sunday || h.Weekday > time.Saturday {
			v.Add(f+".weekday", "must be 0 (Sunday) to 6 (Saturday)")
		}
		if h.Start < 0 || h.End < 0 || !checkInterval(&v, f, h.Start, h.End) {
			continue
		}
		for _, o := range hs[:i] {
			if o.Start >= 0 && o.End > o.Start && o.Weekday == h.Weekday && h.Start < o.End && o.Start < h.End {
				v.Add(f, fmt.Sprintf("overlaps %s–%s on the same day", walltime.Clock(o.Start), walltime.Clock(o.End)))
				break
			}
		}
	}
	return v.Err()
}

// checkInterval checks that [start, end) in minutes after midnight lies within one day and
// ends after it starts, naming prefix+"start" or prefix+"end"; it reports whether it does.
// An interval the surface could not read (a negative minute) is its own problem, not this.
func checkInterval(v *clinic.ValidationError, prefix string, start, end int) bool {
	if prefix != "" {
		prefix += "."
	}
	switch {
	case start >= 1440:
		v.Add(prefix+"start", "must be from 00:00 to 23:59")
	case end == 0 || end > 1440:
		v.Add(prefix+"end", "must be from 00:01 to 24:00")
	case end <= start:
		v.Add(prefix+"end", "must be after start")
	default:
		return true
	}
	return false
}

// SetHours replaces an agenda's weekly working hours (POR-2) and returns them as stored.
// It needs the permission to manage schedules.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound for an agenda of another organisation;
// *clinic.ValidationError from CheckHours.
//
// problems are the surface's own decoding problems (a time it could not read), reported
// with CheckHours' so that one answer names every field; nothing is written then.
func (s *Service) SetHours(ctx context.Context, actor clinic.Actor, agenda clinic.AgendaID, hs []clinic.WorkingHours, problems []clinic.FieldError) ([]clinic.WorkingHours, error) {
	var out []clinic.WorkingHours
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if err := allow(actor, clinic.PermManageSchedule, "set hours"); err != nil {
			return err
		}
		ag, err := tx.Directory().Agenda(ctx, actor.OrgID, agenda)
		if err != nil {
			return err
		}
		if err := input.Merge(problems, CheckHours(hs)); err != nil {
			return err
		}
		if err := tx.Schedule().SetWorkingHours(ctx, actor.OrgID, ag.ID, hs); err != nil {
			return err
		}
		got, err := tx.Schedule().WorkingHours(ctx, actor.OrgID, []clinic.AgendaID{ag.ID})
		if err != nil {
			return err
		}
		out = got[ag.ID]
		return audit.Record(ctx, tx, actor, "agenda.hours")
	})
	return out, err
}

// CheckException validates a dated exception: a day written YYYY-MM-DD, and either closed
// or hours (start before end, within the day), and its note. Problems name day, start,
// end, closed and note.
func CheckException(e clinic.ScheduleException) error {
	var v input.Checker
	day := e.Day
	v.Date("day", &e.Day, &day, false)
	switch {
	case e.Start < 0 || e.End < 0: // not readable: the surface reports it
	case e.End != 0 || e.Start != 0:
		checkInterval(&v.ValidationError, "", e.Start, e.End)
	case !e.Closed:
		v.Add("closed", "an exception either closes the day or adds hours (start and end)")
	}
	checkNote(&v, "note", e.Note)
	return v.Err()
}

// AddException records a dated change to an agenda's hours. It needs the permission to
// manage schedules.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound for the agenda; *clinic.ValidationError
// from CheckException.
//
// problems are the surface's decoding problems, reported with CheckException's.
func (s *Service) AddException(ctx context.Context, actor clinic.Actor, e clinic.ScheduleException, problems []clinic.FieldError) (clinic.ScheduleException, error) {
	var out clinic.ScheduleException
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if err := allow(actor, clinic.PermManageSchedule, "add exception"); err != nil {
			return err
		}
		ag, err := tx.Directory().Agenda(ctx, actor.OrgID, e.AgendaID)
		if err != nil {
			return err
		}
		e.Note = strings.TrimSpace(e.Note)
		if err := input.Merge(problems, CheckException(e)); err != nil {
			return err
		}
		e.AgendaID = ag.ID
		if out, err = tx.Schedule().AddException(ctx, actor.OrgID, e); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "agenda.exception.create")
	})
	return out, err
}

// DeleteException removes an exception. Errors: clinic.ErrForbidden, clinic.ErrNotFound.
func (s *Service) DeleteException(ctx context.Context, actor clinic.Actor, id int64) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := allow(actor, clinic.PermManageSchedule, "delete exception"); err != nil {
			return err
		}
		if err := tx.Schedule().DeleteException(ctx, actor.OrgID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "agenda.exception.delete")
	})
}

// CheckAbsence validates an absence: start and end within the years a clinic records and
// within the booking window around now, end after start, and its note. Problems name
// start, end and note.
func CheckAbsence(x clinic.Absence, now time.Time) error {
	var v input.Checker
	for _, f := range []struct {
		name string
		t    time.Time
	}{{"start", x.Start}, {"end", x.End}} {
		if f.t.IsZero() {
			v.Add(f.name, "is required")
		} else if v.InYears(f.name, f.t) {
			v.Within(f.name, f.t, now, maxPast, maxAhead)
		}
	}
	if len(v.Fields) == 0 && !x.End.After(x.Start) {
		v.Add("end", "must be after start")
	}
	checkNote(&v, "note", x.Note)
	return v.Err()
}

// CreateAbsence records a practitioner's absence and lists the active appointments it
// falls on: staff cancel or move each (each then an ordinary, notified change). Reading
// those appointments is audited. It needs the permission to manage schedules.
//
// Errors: clinic.ErrForbidden; *clinic.ValidationError (practitioner_id that does not
// exist, and CheckAbsence's).
func (s *Service) CreateAbsence(ctx context.Context, actor clinic.Actor, x clinic.Absence) (clinic.Absence, []clinic.Appointment, error) {
	var out clinic.Absence
	var affected []clinic.Appointment
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if err := allow(actor, clinic.PermManageSchedule, "create absence"); err != nil {
			return err
		}
		if _, err := tx.Directory().Practitioner(ctx, actor.OrgID, x.PractitionerID); err != nil {
			return clinic.MissingReference("practitioner_id", err)
		}
		x.Note = strings.TrimSpace(x.Note)
		if err := CheckAbsence(x, tx.Now); err != nil {
			return err
		}
		created, err := tx.Schedule().CreateAbsence(ctx, actor.OrgID, x)
		if err != nil {
			return err
		}
		out = created
		if affected, err = s.AffectedTx(ctx, tx, actor.OrgID, created.PractitionerID, created.Start, created.End); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, "absence.create"); err != nil {
			return err
		}
		if len(affected) == 0 {
			return nil
		}
		ids := make([]clinic.PatientID, len(affected))
		for i, a := range affected {
			ids[i] = a.PatientID
		}
		return audit.Record(ctx, tx, actor, "appointment.list", ids...)
	})
	return out, affected, err
}

// DeleteAbsence removes an absence. Errors: clinic.ErrForbidden, clinic.ErrNotFound.
func (s *Service) DeleteAbsence(ctx context.Context, actor clinic.Actor, id int64) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := allow(actor, clinic.PermManageSchedule, "delete absence"); err != nil {
			return err
		}
		if err := tx.Schedule().DeleteAbsence(ctx, actor.OrgID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "absence.delete")
	})
}
