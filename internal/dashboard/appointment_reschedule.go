package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/walltime"
	"github.com/tidings-health/tidings/internal/web"
)

// appointmentReschedule moves an appointment (POST /appointments/{id}/move, fields version,
// agenda_id, and either slot (a free time's instant) or date and time typed in the clinic's
// local time; next). The move is one statement (booking.Reschedule): the patient never holds
// both times, nor neither. A typed time that does not exist that day (the clocks go forward)
// answers 422 naming the field "time"; one that happens twice (the clocks go back) is read
// as the earlier, and the confirmation says so. A taken time or a stale version answers 409
// with the form and the day's free times. A time outside the agenda's working hours or off
// its grid answers 409 with the form and the question ("Outside Dr Lovelace's hours — move
// anyway?"), whose "Move anyway" button sends it again with confirm=outside_hours. Audited as
// "appointment.reschedule".
func (d *Dashboard) appointmentReschedule(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	var repeated bool
	res, err := d.change(r, func(ctx context.Context, _ clinic.Appointment, loc *time.Location, ch booking.Change) (clinic.Appointment, error) {
		v := clinic.ValidationError{Fields: ch.Problems}
		agenda, err := formID(r, "agenda_id")
		v.Fields = append(v.Fields, clinic.FieldsOf(err)...)
		var start time.Time
		if s := r.PostFormValue("slot"); s != "" {
			if start, err = time.Parse(time.RFC3339, s); err != nil {
				v.Add("slot", "must be one of the free times listed")
			}
		} else {
			start, repeated = walltime.Input{Date: r.PostFormValue("date"), Time: r.PostFormValue("time"),
				DateField: "date", TimeField: "time", DefaultMinute: -1}.Resolve(&v, loc)
		}
		if start.IsZero() && len(v.Fields) > 0 {
			// The form's own problems are the answer: the use case would add "start is
			// required" for the time it could not read.
			return clinic.Appointment{}, v.Err()
		}
		ch.Problems = v.Fields
		ch.AllowOutsideHours = slices.Contains(strings.Fields(r.PostFormValue("confirm")), confirmHours)
		return d.booking.Reschedule(ctx, web.MustActor(ctx), ch, clinic.AgendaID(agenda), start)
	})
	switch {
	case err == nil:
		done := "moved"
		if repeated {
			done = "moved-earlier"
		}
		http.Redirect(w, r, backTo(r, dayPath(res.After.Start, res.Loc), done), http.StatusSeeOther)
	case formError(err):
		agenda, _ := formID(r, "agenda_id")
		in := moveInput{Date: r.PostFormValue("date"), Time: r.PostFormValue("time"), AgendaID: agenda, Next: r.PostFormValue("next")}
		if s := r.PostFormValue("slot"); s != "" && in.Date == "" {
			// A free time picked: the typed form shows it, for "Move anyway" to send.
			if t, err := time.Parse(time.RFC3339, s); err == nil && res.Loc != nil {
				in.Date, in.Time = t.In(res.Loc).Format(time.DateOnly), t.In(res.Loc).Format("15:04")
			}
		}
		d.showMove(w, r, in, web.Status(err), err)
	default:
		d.fail(w, r, err)
	}
}
