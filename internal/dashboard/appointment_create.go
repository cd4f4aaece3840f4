package dashboard

import (
	"errors"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/walltime"
	"github.com/tidings-health/tidings/internal/web"
)

// appointmentCreate books an appointment from the booking form (POST /appointments, fields
// reason_id, agenda_id (0 or empty: no preference), start (a free time, or "other" with time
// typed as HH:MM on the clinic's clock that day), patient_id, note, and confirm) and returns
// to the day of the appointment, with its reason's free times and a confirmation. The
// booking and its audit row ("appointment.create") commit together; booking.Book checks the
// rules and writes the audit row.
//
// A time taken meanwhile answers 409 with the form, the message msgTaken and the day's fresh
// free times; invalid fields answer 422 with the form and the fields named. What the booking
// use case asks staff to confirm, a time outside the agenda's working hours or off its grid
// and the patient's other appointment that day, answers 409 with the form as it was sent and
// the question ("Outside Dr Lovelace's hours — book anyway?"); its "Book anyway" button sends
// the same form again with confirm set to what it confirms.
func (d *Dashboard) appointmentCreate(w http.ResponseWriter, r *http.Request) {
	in, inErr, ok := postedForm(d, w, r, readBookInput)
	if !ok {
		return
	}
	ctx := r.Context()
	v := clinic.ValidationError{Fields: clinic.FieldsOf(inErr)}
	if in.ReasonID == 0 {
		v.Add("reason_id", "is required")
	}
	if in.Start == "other" && in.AgendaID == 0 && !clinic.HasField(v.Fields, "agenda_id") {
		v.Add("agenda_id", "is required for a time that is not listed: choose the agenda")
	}
	if in.Start == "other" {
		// A typed time is read on the clinic's clock, the form's.
		f, err := d.loadFrame(r)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		in.StartAt, _ = walltime.Input{Date: r.PostFormValue("date"), Time: in.Time, DateField: "date", TimeField: "time",
			DefaultMinute: -1}.Resolve(&v, f.Loc)
	} else if in.Start == "" && !clinic.HasField(v.Fields, "start") {
		v.Add("start", "is required: choose one of the free times, or type another")
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
			PatientID: in.PatientID, Start: in.StartAt, BookedBy: clinic.BookedByStaff, Note: in.Note,
			AllowOutsideHours: in.AllowOutsideHours, AllowSameDay: in.AllowSameDay}, nil)
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
		if web.Status(err) == http.StatusConflict && !confirmable(err) && in.Start != "other" {
			in.Start = "" // the time chosen is taken: the fresh free times are shown
		}
		d.showBook(w, r, in, web.Status(err), err)
	default:
		d.fail(w, r, err)
	}
}

// confirmable reports whether err only asks the person to confirm the booking or move.
func confirmable(err error) bool {
	return errors.Is(err, booking.ErrOutsideHours) || errors.Is(err, booking.ErrSameDay)
}
