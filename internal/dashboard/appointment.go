package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/walltime"
	"github.com/tidings-health/tidings/internal/web"
)

// msgTaken is what staff read when the time they chose was booked by someone else between
// showing the form and sending it.
const msgTaken = "This time was just taken — pick another slot."

// conflictMessage is the safe sentence for a 409 of an appointment change: msgTaken when
// the slot is no longer free, the refused status change in staff's words (why, from the
// status table: booking.TransitionError.Why), the domain's own words otherwise (a stale
// version, a status that forbids a move). Each is a catalog key, or a text one of its
// patterns produces (the statuses are their labels, themselves keys).
func conflictMessage(err error) string {
	var te *booking.TransitionError
	switch {
	case errors.Is(err, booking.ErrNotAvailable):
		return msgTaken
	case errors.As(err, &te):
		return transitionMessage(te)
	}
	return web.SafeMessage(err)
}

// transitionMessage says why the status table refused a change, in staff's words.
func transitionMessage(te *booking.TransitionError) string {
	to := statusLabel(te.To)
	switch te.Why {
	case booking.WhySameStatus:
		return "This appointment is already " + to + "."
	case booking.WhyNotYet:
		return "“" + to + "” can be recorded only from the day of the appointment."
	case booking.WhyDayPast:
		return "The day of this appointment has passed: it cannot be set to " + to + ". Record whether the patient came instead."
	case booking.WhyCancelPast:
		return "The day of this appointment has passed: it cannot be cancelled. Record a no-show or an excused absence instead."
	case booking.WhyCancelArrived:
		return "The patient has arrived: this appointment can no longer be cancelled."
	case booking.WhySeenFinal:
		return "The patient has been seen: this appointment's status is final."
	case booking.WhyReinstatePast:
		return "The day of this appointment has passed: it cannot be booked again. Book a new appointment instead."
	}
	return "This appointment is now " + statusLabel(te.From) + ": it cannot be set to " + to +
		". Reload the page to see its current state."
}

// failChange answers a refused appointment change with the error page, a conflict in
// conflictMessage's words.
func (d *Dashboard) failChange(w http.ResponseWriter, r *http.Request, err error) {
	if web.Status(err) == http.StatusConflict {
		d.renderError(w, r, http.StatusConflict, conflictMessage(err), nil)
		return
	}
	d.fail(w, r, err)
}

// formError reports whether err is one a form answers by showing itself again (422 with
// the fields named, 409 with a message) rather than with the error page.
func formError(err error) bool {
	s := web.Status(err)
	return s == http.StatusUnprocessableEntity || s == http.StatusConflict
}

// postedID reads a posted form and the {id} of its path, answering the error page itself
// when either is wrong; ok says whether the handler may go on.
func (d *Dashboard) postedID(w http.ResponseWriter, r *http.Request) (id int64, ok bool) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return 0, false
	}
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return 0, false
	}
	return id, true
}

// postedForm parses a posted form and reads it with read. A form refused as typed
// (formError) goes on, with that refusal, for the handler to show or complete; anything
// else answers the error page itself, and ok is false.
func postedForm[T any](d *Dashboard, w http.ResponseWriter, r *http.Request, read func(url.Values) (T, error)) (in T, refusal error, ok bool) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return in, nil, false
	}
	in, err := read(r.PostForm)
	if err != nil && !formError(err) {
		d.fail(w, r, err)
		return in, nil, false
	}
	return in, err, true
}

// postedClinicForm is postedForm for a form of the current clinic: it also loads the
// frame, and returns the refusal's fields in v, which also names clinic_id when the
// organisation has no clinic yet, for the handler to complete.
func postedClinicForm[T any](d *Dashboard, w http.ResponseWriter, r *http.Request, read func(url.Values) (T, error)) (in T, f frame, v clinic.ValidationError, ok bool) {
	in, refusal, ok := postedForm(d, w, r, read)
	if !ok {
		return in, f, v, false
	}
	v.Fields = clinic.FieldsOf(refusal)
	var err error
	if f, err = d.loadFrame(r); err != nil {
		d.fail(w, r, err)
		return in, f, v, false
	}
	if f.Clinic.ID == 0 {
		v.Add("clinic_id", "does not exist yet: set up a clinic first")
	}
	return in, f, v, true
}

// pathID reads the {id} path value; anything but a positive number is "not found", like an
// id that does not exist.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, clinic.ErrNotFound
	}
	return id, nil
}

// formID reads an optional positive id from the form body; field names it in the error.
func formID(r *http.Request, field string) (int64, error) {
	s := r.PostFormValue(field)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, clinic.Invalid(field, "must be a positive whole number")
	}
	return n, nil
}

// formVersion reads the version the form was shown at: a change is made only if the
// appointment is still at that version, so two receptionists cannot overwrite each other.
func formVersion(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || n <= 0 {
		return 0, clinic.Invalid("version", "is missing: reload the page and try again")
	}
	return n, nil
}

// changed is the outcome of one change of an appointment.
type changed struct {
	Before, After clinic.Appointment
	Loc           *time.Location // the appointment's clinic zone
}

// change runs one booking change of the appointment named by the path through its use
// case, which checks the rules and permissions and writes the event and the audit row. The
// appointment and its clinic's zone are read first, to decode times typed on the clinic's
// clock (and so another organisation's appointment is "not found" whatever the form says).
// do adds its own fields' problems to ch.Problems and calls the use case.
func (d *Dashboard) change(r *http.Request,
	do func(ctx context.Context, a clinic.Appointment, loc *time.Location, ch booking.Change) (clinic.Appointment, error)) (changed, error) {
	ctx := r.Context()
	var out changed
	id, err := pathID(r)
	if err != nil {
		return out, err
	}
	actor := web.MustActor(ctx)
	err = d.db.View(ctx, func(tx *store.Tx) error {
		if out.Before, err = tx.Appointments().Appointment(ctx, actor.OrgID, clinic.AppointmentID(id)); err != nil {
			return err
		}
		out.Loc, err = appointmentZone(ctx, tx, out.Before)
		return err
	})
	if err != nil {
		return out, err
	}
	version, err := formVersion(r)
	ch := booking.Change{ID: out.Before.ID, Version: version, Problems: clinic.FieldsOf(err)}
	out.After, err = do(ctx, out.Before, out.Loc, ch)
	return out, err
}

// appointmentZone is the zone of the appointment's clinic, in which its times are shown.
func appointmentZone(ctx context.Context, tx *store.Tx, a clinic.Appointment) (*time.Location, error) {
	c, err := tx.Directory().Clinic(ctx, a.OrgID, a.ClinicID)
	if err != nil {
		return nil, err
	}
	return c.Location()
}

// dayPath is the agenda day view of the day t falls on in loc.
func dayPath(t time.Time, loc *time.Location) string {
	return "/agenda?date=" + t.In(loc).Format(time.DateOnly)
}

// backTo is where a form returns after a change: the local path in its next field, or
// fallback, with the confirmation key done.
func backTo(r *http.Request, fallback, done string) string {
	return withDone(localPath(r.PostFormValue("next"), fallback), done)
}

// statusAction is one status button: the status it sets and its label.
type statusAction struct {
	To    clinic.Status
	Label string
}

// apptActions are the buttons of one appointment: a small POST form per allowed status
// change, Move, and Cancel (a link to the confirmation that asks for the reason). Each form
// carries the version it was shown at and returns to Next. What names the appointment for
// screen readers ("09:00–09:15"); Page is the appointment's own page, for a link from a row.
type apptActions struct {
	ID       clinic.AppointmentID
	Version  int64
	Next     string
	MoveNext string // where the move form returns; "" for the appointment's new day
	What     string
	Page     string // "/appointments/{id}"
	Target   string // the element htmx swaps after a status change; "" for plain forms
	Statuses []statusAction
	Move     bool
	Cancel   bool
}

// appointmentPath is the page of one appointment.
func appointmentPath(id clinic.AppointmentID) string {
	return "/appointments/" + strconv.FormatInt(int64(id), 10)
}

// dayOf says where today falls against a's day on loc, its clinic's clock (booking.DayOf with
// the dashboard's clock): the status buttons depend on it.
func (d *Dashboard) dayOf(a clinic.Appointment, loc *time.Location) booking.Day {
	return booking.DayOf(a.Start, d.now(), loc)
}

// actionsFor lists the buttons of what actor may do to a on day (d.dayOf) from here
// (booking.Actions: the use cases' own rules); the forms return to next, and so does Move
// (set MoveNext to "" to send Move to the appointment's new day instead).
func actionsFor(a clinic.Appointment, day booking.Day, actor clinic.Actor, next, what string, withStatuses bool) apptActions {
	x := apptActions{ID: a.ID, Version: a.Version, Next: next, MoveNext: next, What: what, Page: appointmentPath(a.ID)}
	allowed := booking.Actions(actor, a, day)
	if withStatuses {
		for _, to := range allowed.Statuses {
			x.Statuses = append(x.Statuses, statusAction{To: to, Label: actionLabel(a.Status, to)})
		}
	}
	x.Move, x.Cancel = allowed.Move, allowed.Cancel
	return x
}

// actionLabel is the verb on a status button.
func actionLabel(from, to clinic.Status) string {
	switch to {
	case clinic.StatusBooked:
		if from == clinic.StatusCancelled {
			return "Reinstate"
		}
		return "Back to booked"
	case clinic.StatusConfirmed:
		return "Confirm"
	case clinic.StatusArrived:
		return "Arrived"
	case clinic.StatusSeen:
		return "Seen"
	case clinic.StatusNoShow:
		return "No show"
	case clinic.StatusExcusedAbsence:
		return "Excused"
	}
	return statusLabel(to)
}

// patientNames reads the names of the patients of appts in one statement and returns them
// by id with the ids in first-seen order (the patients a page shows, for its audit row).
func patientNames(ctx context.Context, tx *store.Tx, org clinic.OrgID, appts []clinic.Appointment) (map[clinic.PatientID]string, []clinic.PatientID, error) {
	var ids []clinic.PatientID
	seen := map[clinic.PatientID]bool{}
	for _, a := range appts {
		if !seen[a.PatientID] {
			seen[a.PatientID] = true
			ids = append(ids, a.PatientID)
		}
	}
	ps, err := tx.Patients().PatientsByIDs(ctx, org, ids)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[clinic.PatientID]string, len(ps))
	for id, p := range ps {
		names[id] = p.FullName()
	}
	return names, ids, nil
}

// option is one entry of a select.
type option struct {
	Value    int64
	Label    string
	Selected bool
}

// clinicAgendas lists the agendas of the current clinic, by id.
func clinicAgendas(ctx context.Context, tx *store.Tx, org clinic.OrgID, c clinic.ClinicID) ([]clinic.Agenda, error) {
	return all(func(p store.Page) ([]clinic.Agenda, error) {
		return tx.Directory().Agendas(ctx, org, store.AgendaFilter{ClinicID: c}, p)
	}, func(a clinic.Agenda) int64 { return int64(a.ID) })
}

// clinicReasons lists the consultation reasons of a clinic, by id.
func clinicReasons(ctx context.Context, tx *store.Tx, org clinic.OrgID, c clinic.ClinicID) ([]clinic.Reason, error) {
	return all(func(p store.Page) ([]clinic.Reason, error) {
		return tx.Directory().Reasons(ctx, org, store.ReasonFilter{ClinicID: c}, p)
	}, func(x clinic.Reason) int64 { return int64(x.ID) })
}

// dayRange reads a filter's days "from" and "to", written YYYY-MM-DD, as the instants
// bounding them in loc (from's midnight, the midnight after to, so the last day is
// included; zero when not given), adding each problem to v under its field.
func dayRange(v *clinic.ValidationError, from, to string, loc *time.Location) (start, end time.Time) {
	if from != "" {
		if day, ok := walltime.ParseDay(from); ok {
			start, _ = dayBounds(day, loc)
		} else {
			v.Add("from", walltime.DateReason)
		}
	}
	if to != "" {
		if day, ok := walltime.ParseDay(to); ok {
			_, end = dayBounds(day, loc)
		} else {
			v.Add("to", walltime.DateReason)
		}
	}
	if !start.IsZero() && !end.IsZero() && !end.After(start) {
		v.Add("to", "must be the first day or a later one")
	}
	return start, end
}

// dayBounds are the first instant of a civil day in loc and of the next: 23, 24 or 25
// hours apart.
func dayBounds(day time.Time, loc *time.Location) (from, to time.Time) {
	y, m, d := day.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc), time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

// today is the civil date (at 00:00 UTC, zone-free) it is now in loc.
func today(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
