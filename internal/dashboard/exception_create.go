package dashboard

import (
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// maxScheduleNote bounds the note of an exception or an absence.
const maxScheduleNote = 500

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
	e, verr := readException(form)
	org := web.MustActor(ctx).OrgID
	err := d.db.Update(ctx, func(tx *store.Tx) error {
		a, err := tx.Agenda(ctx, org, clinic.AgendaID(id))
		if err != nil {
			return err
		}
		if verr != nil {
			return verr
		}
		e.AgendaID = a.ID
		_, err = tx.AddException(ctx, org, e)
		return err
	})
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/schedules", "exception-added")+fmt.Sprintf("#agenda-%d", id), http.StatusSeeOther)
	case formError(err):
		d.showSchedules(w, r, web.Status(err), scheduleOverride{Agenda: clinic.AgendaID(id), Exception: &form, ExceptionErrors: fieldsOf(err)})
	default:
		d.fail(w, r, err)
	}
}

// readException checks the "add an exception" form.
func readException(f exceptionForm) (clinic.ScheduleException, error) {
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
		start, sok := parseClock(f.Start, false)
		end, eok := parseClock(f.End, true)
		if !sok {
			v.Add("start", "must be a time written HH:MM, such as 09:00")
		}
		if !eok {
			v.Add("end", "must be a time written HH:MM, such as 12:00 (24:00 for midnight)")
		}
		if sok && eok && end <= start {
			v.Add("end", "must be after the start")
		}
		e.Start, e.End = start, end
	default:
		v.Add("kind", "must be closed, hours or replace")
	}
	checkNote(&v, "note", f.Note)
	e.Note = f.Note
	return e, v.Err()
}

// checkNote refuses a note that is too long or holds control characters.
func checkNote(v *clinic.ValidationError, field, s string) {
	switch {
	case utf8.RuneCountInString(s) > maxScheduleNote:
		v.Add(field, fmt.Sprintf("must be at most %d characters", maxScheduleNote))
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		v.Add(field, "must not contain control characters")
	}
}
