package dashboard

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/web"
)

// appointmentCancel cancels an appointment from its confirmation form
// (POST /appointments/{id}/cancel, fields version, reason, reason_detail and next) and
// returns to next, or the appointment's day. The reason is required here, since a person is
// there to give it (booking.Cancel takes it optionally, for the API's integrations): one of
// cancelReasons, with details, or details alone for "Another reason"; it is kept on the
// cancellation event. A missing reason answers 422 with the form and the field named in
// words; a stale version, or a cancellation the status table refuses (the patient has
// arrived, the day has passed), 409 with the reason. The cancellation is an appointment
// event, which the notification work turns into a notice. Audited as "appointment.cancel".
func (d *Dashboard) appointmentCancel(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	in := cancelInput{Reason: r.PostFormValue("reason"), Detail: strings.TrimSpace(r.PostFormValue("reason_detail")), Next: r.PostFormValue("next")}
	res, err := d.change(r, func(ctx context.Context, _ clinic.Appointment, _ *time.Location, ch booking.Change) (clinic.Appointment, error) {
		text, problems := in.text()
		ch.Reason, ch.Problems = text, append(ch.Problems, problems...)
		a, err := d.booking.Cancel(ctx, web.MustActor(ctx), ch)
		// The use case checks the text the details make: its problems are the details'.
		return a, clinic.RenameFields(err, func(f clinic.FieldError) (clinic.FieldError, bool) {
			if f.Field == "reason" && !clinic.HasField(problems, "reason") {
				f.Field = "reason_detail"
			}
			return f, true
		})
	})
	switch {
	case err == nil:
		http.Redirect(w, r, backTo(r, dayPath(res.After.Start, res.Loc), "cancelled"), http.StatusSeeOther)
	case formError(err):
		status, msg := moveStatus(err)
		d.showCancel(w, r, in, status, msg, notesOf(err, cancelLabels, nil))
	default:
		d.fail(w, r, err)
	}
}
