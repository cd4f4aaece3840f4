package dashboard

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/walltime"
	"github.com/tidings-health/tidings/internal/web"
)

// absenceCreate records a practitioner's absence (POST /practitioners/{id}/absences, fields
// start_date, start_time, end_date, end_time, note), typed in the current clinic's local
// time: an empty start time is the start of the day, an empty end time the end of the end
// day, an empty end day the start day. A time that does not exist (the clocks go forward)
// is refused naming its field; one that happens twice is read as the earlier, and the
// confirmation says so. It then shows the practitioner's absences with the appointments
// each falls on (PRG), to cancel or move one by one: each is then an ordinary, notified
// appointment change.
func (d *Dashboard) absenceCreate(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	form := absenceForm{StartDate: r.PostFormValue("start_date"), StartTime: r.PostFormValue("start_time"),
		EndDate: r.PostFormValue("end_date"), EndTime: r.PostFormValue("end_time"), Note: strings.TrimSpace(r.PostFormValue("note"))}
	var ab clinic.Absence
	var repeated bool
	f, err := d.loadFrame(r)
	if err == nil {
		// The practitioner is read first: another organisation's is "not found" whatever
		// the form says.
		err = d.db.View(ctx, func(tx *store.Tx) error {
			_, err := tx.Directory().Practitioner(ctx, f.Org.ID, clinic.PractitionerID(id))
			return err
		})
	}
	if err == nil {
		var v clinic.ValidationError
		start, rep1 := walltime.Input{Date: form.StartDate, Time: form.StartTime, DateField: "start_date", TimeField: "start_time"}.Resolve(&v, f.Loc)
		endDate := form.EndDate
		if endDate == "" {
			endDate = form.StartDate
		}
		end, rep2 := walltime.Input{Date: endDate, Time: form.EndTime, DateField: "end_date", TimeField: "end_time", DefaultMinute: 24 * 60}.Resolve(&v, f.Loc)
		repeated = rep1 || rep2
		err = v.Err()
		if err == nil {
			ab, _, err = d.booking.CreateAbsence(ctx, web.MustActor(ctx), clinic.Absence{PractitionerID: clinic.PractitionerID(id), Start: start, End: end, Note: form.Note})
			// The use case names start and end; the form has a date and a time for each.
			endField := "end_date"
			if endDate == form.StartDate {
				endField = "end_time"
			}
			err = renameFields(err, map[string]string{"start": "start_date", "end": endField})
		}
	}
	switch {
	case err == nil:
		done := "absence-added"
		if repeated {
			done = "absence-added-earlier"
		}
		http.Redirect(w, r, withDone(fmt.Sprintf("/practitioners/%d/absences", id), done)+fmt.Sprintf("#absence-%d", ab.ID), http.StatusSeeOther)
	case formError(err):
		d.showSchedules(w, r, http.StatusUnprocessableEntity, scheduleOverride{Practitioner: clinic.PractitionerID(id), Absence: &form, AbsenceErrors: clinic.FieldsOf(err)})
	default:
		d.fail(w, r, err)
	}
}

// renameFields renames the fields of a validation error from a use case's names to the
// form's (a use case's "end" is the form's "end_time"); other errors pass through.
func renameFields(err error, names map[string]string) error {
	return clinic.RenameFields(err, func(f clinic.FieldError) (clinic.FieldError, bool) {
		if n, ok := names[f.Field]; ok {
			f.Field = n
		}
		return f, true
	})
}
