package dashboard

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/walltime"
	"github.com/tidings-health/tidings/internal/web"
)

// exceptionCreate adds a dated exception to an agenda's hours (POST /agendas/{id}/exceptions,
// fields day (YYYY-MM-DD, clinic's calendar), kind: "closed" closes the day, "hours" adds
// start–end that day, "replace" closes it and opens start–end instead; note; preview). A
// refused form is shown again (422) naming its fields.
//
// With preview=1 (the schedules page's form sends it) an exception that would leave booked
// appointments without hours is not recorded yet: the page lists them with what each
// patient would be told, on each channel, if staff cancelled the appointment, and a button
// that posts the same values without preview to record it. Recorded, an exception that
// leaves appointments without hours leads to the agenda's exceptions page, where staff
// cancel or move each (the exception itself cancels nothing and tells no patient); any
// other back to the schedules page.
func (d *Dashboard) exceptionCreate(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	form := exceptionForm{Day: r.PostFormValue("day"), Kind: r.PostFormValue("kind"), Start: r.PostFormValue("start"),
		End: r.PostFormValue("end"), Note: strings.TrimSpace(r.PostFormValue("note"))}
	e, problems := readException(form)
	actor := web.MustActor(ctx)
	// The use cases read the agenda before they judge the form (another organisation's is
	// "not found").
	e.AgendaID = clinic.AgendaID(id)
	var err error
	if r.PostFormValue("preview") == "1" {
		var f frame
		var page closurePage
		var shown []clinic.PatientID
		err = d.db.View(ctx, func(tx *store.Tx) (err error) {
			if f, err = d.frameTx(ctx, tx, r); err != nil {
				return err
			}
			affected, err := d.booking.PreviewExceptionTx(ctx, tx, actor, e, problems)
			if err != nil || len(affected) == 0 {
				return err
			}
			ag, err := tx.Directory().Agenda(ctx, f.Org.ID, e.AgendaID)
			if err != nil {
				return err
			}
			rows, who, err := d.affectedRows(ctx, tx, f, [][]clinic.Appointment{affected}, "")
			if err != nil {
				return err
			}
			shown = who
			page = closurePage{Subject: ag.Name, Day: e.Day, What: exceptionText(e), Note: e.Note, Zone: f.Loc.String(),
				Action: fmt.Sprintf("/agendas/%d/exceptions", id), Back: fmt.Sprintf("/schedules#exception-%d", id), Affected: rows[0],
				Fields: []hiddenField{{"day", form.Day}, {"kind", form.Kind}, {"start", form.Start}, {"end", form.End}, {"note", form.Note}}}
			return nil
		})
		if err == nil && page.Affected != nil {
			d.showClosurePreview(w, r, f, page, shown)
			return
		}
	}
	var added clinic.ScheduleException
	if err == nil {
		added, err = d.booking.AddException(ctx, actor, e, problems)
	}
	var affected []clinic.Appointment
	var readErr error
	if err == nil && added.Closed {
		// It is recorded: a failure to read what it closes must not hide that, so it leads
		// to the exceptions page, which reads them again.
		readErr = d.db.View(ctx, func(tx *store.Tx) (err error) {
			affected, err = d.booking.ExceptionAffectedTx(ctx, tx, actor.OrgID, added.AgendaID, added.Day)
			return err
		})
	}
	switch {
	case err == nil && (len(affected) > 0 || readErr != nil):
		http.Redirect(w, r, withDone(fmt.Sprintf("/agendas/%d/exceptions", id), "exception-added")+"#day-"+added.Day, http.StatusSeeOther)
	case err == nil:
		http.Redirect(w, r, withDone("/schedules", "exception-added")+fmt.Sprintf("#agenda-%d", id), http.StatusSeeOther)
	case formError(err):
		d.showSchedules(w, r, web.Status(err), scheduleOverride{Agenda: clinic.AgendaID(id), Exception: &form, ExceptionErrors: clinic.FieldsOf(err)})
	default:
		d.fail(w, r, err)
	}
}

// readException reads the "add an exception" form into the use case's value and the
// problems of decoding it (a day or time not written as asked, an unknown kind); the
// rules (end after start, the note's length) are booking.CheckException's.
func readException(f exceptionForm) (clinic.ScheduleException, []clinic.FieldError) {
	var e clinic.ScheduleException
	var v clinic.ValidationError
	if day, err := time.Parse(time.DateOnly, f.Day); err != nil {
		v.Add("day", "must be a date in the form YYYY-MM-DD, such as 2026-12-25")
	} else {
		e.Day = day.Format(time.DateOnly)
	}
	switch f.Kind {
	case "closed":
		e.Closed = true
	case "hours", "replace":
		e.Closed = f.Kind == "replace"
		start, sok := walltime.ParseClock(f.Start, false)
		end, eok := walltime.ParseClock(f.End, true)
		if !sok {
			v.Add("start", "must be a time written HH:MM, such as 09:00")
			start = -1
		}
		if !eok {
			v.Add("end", "must be a time written HH:MM, such as 12:00 (24:00 for midnight)")
			end = -1
		}
		e.Start, e.End = start, end
	default:
		v.Add("kind", "must be closed, hours or replace")
		e.Closed = true // the kind's problem is the answer, not "closed"
	}
	e.Note = f.Note
	return e, v.Fields
}
