package dashboard

import (
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// appointmentCreate books an appointment from the booking form (POST /appointments, fields
// reason_id, agenda_id (0 or empty: no preference), start, patient_id, note) and returns to
// the day of the appointment, with its reason's free times and a confirmation. The booking and its audit row
// ("appointment.create") commit together. A time taken meanwhile answers 409 with the form,
// the message msgTaken and the day's fresh free times; invalid fields answer 422 with the
// form and the fields named. booking.Book checks the rules and writes the audit row.
func (d *Dashboard) appointmentCreate(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	in, inErr := readBookInput(r.PostForm)
	if inErr != nil && !formError(inErr) {
		d.fail(w, r, inErr)
		return
	}
	v := clinic.ValidationError{Fields: clinic.FieldsOf(inErr)}
	if in.ReasonID == 0 {
		v.Add("reason_id", "is required")
	}
	if in.Start == "" && !clinic.HasField(v.Fields, "start") {
		v.Add("start", "is required: choose one of the free times")
	}
	if in.PatientID == 0 {
		v.Add("patient_id", "is required: search by name, mobile number or e-mail, then choose the patient")
	}
	var appt clinic.Appointment
	var loc *time.Location
	err := v.Err()
	if err == nil {
		var res booking.Booked
		res, err = d.booking.Book(ctx, web.MustActor(ctx), booking.Request{ReasonID: in.ReasonID, AgendaID: in.AgendaID,
			PatientID: in.PatientID, Start: in.StartAt, BookedBy: clinic.BookedByStaff, Note: in.Note}, nil)
		appt = res.Appointment
		if err == nil {
			err = d.db.View(ctx, func(tx *store.Tx) (err error) { loc, err = appointmentZone(ctx, tx, appt); return err })
		}
	}
	switch {
	case err == nil:
		day := appt.Start.In(loc).Format(time.DateOnly)
		http.Redirect(w, r, withDone(dayLink(day, appt.ReasonID), "booked"), http.StatusSeeOther)
	case formError(err):
		status := web.Status(err)
		msg := ""
		if status == http.StatusConflict {
			msg = conflictMessage(err)
			in.Start = ""
		}
		d.showBook(w, r, in, status, msg, clinic.FieldsOf(err))
	default:
		d.fail(w, r, err)
	}
}
