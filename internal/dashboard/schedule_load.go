package dashboard

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// schedule is what the day and week views show of the current clinic over [from, to): its
// agendas and their appointments (loadSchedule), then, for the agendas shown, their
// patients' names, working hours, exceptions and absences (focus). Every part is one
// statement whatever the number of agendas.
type schedule struct {
	agendas []clinic.Agenda
	appts   []clinic.Appointment
	names   names
	// Filled by focus, for the agendas shown.
	patients   map[clinic.PatientID]string
	shown      []clinic.PatientID // for the audit row
	hours      map[clinic.AgendaID][]clinic.WorkingHours
	exceptions map[clinic.AgendaID][]clinic.ScheduleException
	absences   map[clinic.PractitionerID][]clinic.Absence
}

// loadSchedule reads the clinic's agendas and its appointments starting in [from, to): all
// of them, or agenda's only when pick returns one (pick sees the clinic's agendas; nil picks
// none).
func loadSchedule(ctx context.Context, tx *store.Tx, f frame, from, to time.Time, pick func([]clinic.Agenda) (clinic.AgendaID, error)) (schedule, error) {
	var s schedule
	var err error
	if s.agendas, err = clinicAgendas(ctx, tx, f.Org.ID, f.Clinic.ID); err != nil {
		return s, err
	}
	filter := store.AppointmentFilter{ClinicID: f.Clinic.ID, From: from, To: to}
	if pick != nil {
		if filter.AgendaID, err = pick(s.agendas); err != nil {
			return s, err
		}
	}
	if s.appts, err = tx.Appointments().AppointmentsByTime(ctx, f.Org.ID, filter); err != nil {
		return s, err
	}
	s.names, err = directoryNames(ctx, tx, f.Org.ID)
	return s, err
}

// shownAgendas are the agendas that get a column, in id order: the active ones, and an
// inactive one, or one moved to another clinic since, only when it holds appointments here
// in the window, so that nothing booked is hidden.
func (s schedule) shownAgendas() []clinic.Agenda {
	busy := map[clinic.AgendaID]bool{}
	for _, a := range s.appts {
		busy[a.AgendaID] = true
	}
	var out []clinic.Agenda
	for _, a := range s.agendas {
		if a.Active || busy[a.ID] {
			out = append(out, a)
			delete(busy, a.ID)
		}
	}
	for _, a := range s.appts {
		if busy[a.AgendaID] {
			out = append(out, clinic.Agenda{ID: a.AgendaID, Name: s.names.agendas[a.AgendaID]})
			delete(busy, a.AgendaID)
		}
	}
	return out
}

// focus keeps the appointments of the agendas shown and reads, for them, the patients'
// names (the patients the page shows, audited), the weekly hours, the exceptions of the
// days in [from, to) and the absences of their practitioners overlapping it.
func (s *schedule) focus(ctx context.Context, tx *store.Tx, f frame, shown []clinic.Agenda, from, to time.Time) error {
	ids := make([]clinic.AgendaID, 0, len(shown))
	var practitioners []clinic.PractitionerID
	for _, a := range shown {
		ids = append(ids, a.ID)
		if a.PractitionerID != nil && !slices.Contains(practitioners, *a.PractitionerID) {
			practitioners = append(practitioners, *a.PractitionerID)
		}
	}
	s.appts = slices.DeleteFunc(s.appts, func(a clinic.Appointment) bool { return !slices.Contains(ids, a.AgendaID) })
	var err error
	if s.patients, s.shown, err = patientNames(ctx, tx, f.Org.ID, s.appts); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	if s.hours, err = tx.Schedule().WorkingHours(ctx, f.Org.ID, ids); err != nil {
		return err
	}
	first := from.In(f.Loc).Format(time.DateOnly)
	last := to.Add(-time.Nanosecond).In(f.Loc).Format(time.DateOnly)
	es, err := tx.Schedule().Exceptions(ctx, f.Org.ID, ids, first, last)
	if err != nil {
		return err
	}
	s.exceptions = map[clinic.AgendaID][]clinic.ScheduleException{}
	for _, e := range es {
		s.exceptions[e.AgendaID] = append(s.exceptions[e.AgendaID], e)
	}
	s.absences = map[clinic.PractitionerID][]clinic.Absence{}
	if len(practitioners) == 0 {
		return nil
	}
	xs, err := tx.Schedule().Absences(ctx, f.Org.ID, practitioners, from, to)
	if err != nil {
		return err
	}
	for _, x := range xs {
		s.absences[x.PractitionerID] = append(s.absences[x.PractitionerID], x)
	}
	return nil
}

// apptView says how a grid shows its appointments: the page they are on (here, with its
// filters), the one opened with its actions (open, 0 for none), and the actions the user
// may take on each, whose forms return to next.
type apptView struct {
	here    string
	open    clinic.AppointmentID
	actions func(a clinic.Appointment, what, next string) apptActions
}

// openLink is here with appointment id opened (its status buttons, Move and Cancel shown),
// scrolled to it.
func openLink(here string, id clinic.AppointmentID) string {
	return here + "&open=" + strconv.FormatInt(int64(id), 10)
}

// column is what the grid needs of agenda a on day d: its working time and status that
// day, its absences, its appointments (with the actions the user may take) and the free
// starts of the chosen reason.
func (s schedule) column(d *gridDay, a clinic.Agenda, f frame, v apptView) *columnSource {
	date := d.date.Format(time.DateOnly)
	var exc []clinic.ScheduleException
	for _, e := range s.exceptions[a.ID] {
		if e.Day == date {
			exc = append(exc, e)
		}
	}
	src := &columnSource{day: d, col: gridColumn{Key: "a" + idString(int64(a.ID)), AgendaID: a.ID, Agenda: a.Name, Date: date, Inactive: !a.Active}}
	src.working, src.col.Status, src.col.StatusNote = working(d, s.hours[a.ID], exc)
	src.col.Closed = !slices.Contains(src.working, true)
	if a.PractitionerID != nil {
		for _, x := range s.absences[*a.PractitionerID] {
			if x.Start.Before(d.end) && x.End.After(d.start) {
				src.absences = append(src.absences, x)
			}
		}
	}
	for _, x := range s.appts {
		if x.AgendaID != a.ID || x.Start.Before(d.start) || !x.Start.Before(d.end) {
			continue
		}
		what := span(x.Start, x.End, f.Loc)
		open := openLink(v.here, x.ID)
		acts := v.actions(x, what, open)
		ap := agendaAppointment{
			ID: x.ID, Time: what, Start: x.Start.In(f.Loc).Format("15:04"), PatientID: x.PatientID, Patient: s.patients[x.PatientID],
			Reason: s.names.reasons[x.ReasonID], Status: x.Status, StatusLabel: statusLabel(x.Status), Active: x.Status.Active(),
			Online: x.BookedBy == clinic.BookedByPatient, Actions: acts, Acts: len(acts.Statuses) > 0 || acts.Move || acts.Cancel, Open: x.ID == v.open,
		}
		ap.attrs(open)
		src.appts = append(src.appts, ap)
		src.spans = append(src.spans, [2]time.Time{x.Start, x.End})
		src.col.Booked = true
		if x.Status.Active() {
			src.col.Count++
		}
	}
	return src
}
