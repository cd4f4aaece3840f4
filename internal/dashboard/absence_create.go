package dashboard

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
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
	err := d.db.Update(ctx, func(tx *store.Tx) error {
		f, err := d.frameTx(ctx, tx, r)
		if err != nil {
			return err
		}
		p, err := tx.Practitioner(ctx, f.Org.ID, clinic.PractitionerID(id))
		if err != nil {
			return err
		}
		var v clinic.ValidationError
		start, rep1 := wallInput{Date: form.StartDate, Time: form.StartTime, DateField: "start_date", TimeField: "start_time"}.resolve(&v, f.Loc)
		endDate := form.EndDate
		if endDate == "" {
			endDate = form.StartDate
		}
		end, rep2 := wallInput{Date: endDate, Time: form.EndTime, DateField: "end_date", TimeField: "end_time", DefaultMinute: 24 * 60}.resolve(&v, f.Loc)
		if len(v.Fields) == 0 && !end.After(start) {
			field := "end_date"
			if endDate == form.StartDate {
				field = "end_time"
			}
			v.Add(field, "must be after the start")
		}
		checkNote(&v, "note", form.Note)
		if err := v.Err(); err != nil {
			return err
		}
		repeated = rep1 || rep2
		ab, err = tx.CreateAbsence(ctx, f.Org.ID, clinic.Absence{PractitionerID: p.ID, Start: start, End: end, Note: form.Note})
		return err
	})
	switch {
	case err == nil:
		done := "absence-added"
		if repeated {
			done = "absence-added-earlier"
		}
		http.Redirect(w, r, withDone(fmt.Sprintf("/practitioners/%d/absences", id), done)+fmt.Sprintf("#absence-%d", ab.ID), http.StatusSeeOther)
	case formError(err):
		d.showSchedules(w, r, http.StatusUnprocessableEntity, scheduleOverride{Practitioner: clinic.PractitionerID(id), Absence: &form, AbsenceErrors: fieldsOf(err)})
	default:
		d.fail(w, r, err)
	}
}
