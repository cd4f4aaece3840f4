package dashboard

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/walltime"
	"github.com/tidings-health/tidings/internal/web"
)

// exceptionCreate adds a dated exception to an agenda's hours (POST /agendas/{id}/exceptions,
// fields day (YYYY-MM-DD, clinic's calendar), kind: "closed" closes the day, "hours" adds
// start–end that day, "replace" closes it and opens start–end instead; note). A refused
// form is shown again (422) naming its fields.
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
	// AddException reads the agenda before it judges the form (another organisation's is
	// "not found").
	e.AgendaID = clinic.AgendaID(id)
	_, err := d.booking.AddException(ctx, actor, e, problems)
	switch {
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
