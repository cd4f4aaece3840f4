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
// start_date, start_time, end_date, end_time, note, preview), typed in the current clinic's
// local time: an empty start time is the start of the day, an empty end time the end of the
// end day, an empty end day the start day. A time that does not exist (the clocks go
// forward) is refused naming its field; one that happens twice is read as the earlier, and
// the confirmation says so.
//
// With preview=1 (the schedules page's form sends it) an absence that falls on booked
// appointments is not recorded yet: the page lists them with what each patient would be
// told, on each channel, if staff cancelled the appointment (booking.CancelNoticesTx), and
// a button that posts the same values without preview to record it. One that falls on none
// is recorded at once, since there is nothing to check.
//
// Recorded, it shows the practitioner's absences with the appointments each falls on (PRG),
// to cancel or move one by one: the absence itself cancels nothing and tells no patient;
// each cancellation or move is an ordinary, notified appointment change.
func (d *Dashboard) absenceCreate(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	form := absenceForm{StartDate: r.PostFormValue("start_date"), StartTime: r.PostFormValue("start_time"),
		EndDate: r.PostFormValue("end_date"), EndTime: r.PostFormValue("end_time"), Note: strings.TrimSpace(r.PostFormValue("note"))}
	actor := web.MustActor(ctx)
	var x clinic.Absence
	var repeated bool
	var name string
	f, err := d.loadFrame(r)
	if err == nil {
		// The practitioner is read first: another organisation's is "not found" whatever
		// the form says.
		err = d.db.View(ctx, func(tx *store.Tx) error {
			p, err := tx.Directory().Practitioner(ctx, f.Org.ID, clinic.PractitionerID(id))
			name = p.Name
			return err
		})
	}
	endDate := form.EndDate
	if endDate == "" {
		endDate = form.StartDate
	}
	// The use case names start and end; the form has a date and a time for each.
	endField := "end_date"
	if endDate == form.StartDate {
		endField = "end_time"
	}
	rename := map[string]string{"start": "start_date", "end": endField}
	if err == nil {
		var v clinic.ValidationError
		start, rep1 := walltime.Input{Date: form.StartDate, Time: form.StartTime, DateField: "start_date", TimeField: "start_time"}.Resolve(&v, f.Loc)
		end, rep2 := walltime.Input{Date: endDate, Time: form.EndTime, DateField: "end_date", TimeField: "end_time", DefaultMinute: 24 * 60}.Resolve(&v, f.Loc)
		repeated = rep1 || rep2
		err = v.Err()
		x = clinic.Absence{PractitionerID: clinic.PractitionerID(id), Start: start, End: end, Note: form.Note}
	}
	if err == nil && r.PostFormValue("preview") == "1" {
		var page closurePage
		var shown []clinic.PatientID
		err = d.db.View(ctx, func(tx *store.Tx) error {
			affected, err := d.booking.PreviewAbsenceTx(ctx, tx, actor, x)
			if err != nil || len(affected) == 0 {
				return err
			}
			rows, who, err := d.affectedRows(ctx, tx, f, [][]clinic.Appointment{affected}, "")
			if err != nil {
				return err
			}
			shown = who
			page = closurePage{Absence: true, Subject: name, From: f.stamp(x.Start), To: f.stamp(x.End), Note: form.Note, Zone: f.Loc.String(),
				Action: fmt.Sprintf("/practitioners/%d/absences", id), Back: fmt.Sprintf("/schedules#absence-form-%d", id), Affected: rows[0],
				Fields: []hiddenField{{"start_date", form.StartDate}, {"start_time", form.StartTime}, {"end_date", form.EndDate},
					{"end_time", form.EndTime}, {"note", form.Note}}}
			return nil
		})
		err = renameFields(err, rename)
		if err == nil && page.Affected != nil {
			d.showClosurePreview(w, r, f, page, shown)
			return
		}
	}
	var ab clinic.Absence
	if err == nil {
		ab, _, err = d.booking.CreateAbsence(ctx, actor, x)
		err = renameFields(err, rename)
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
