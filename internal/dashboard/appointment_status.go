package dashboard

import (
	"context"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/web"
)

// appointmentStatus sets an appointment's status from its button
// (POST /appointments/{id}/status, fields status, version, next) and returns to next, or the
// appointment's day. Only the changes booking.CanTransition allows are made; cancelling has
// its own route and permission, and reinstating a cancelled appointment (which books its
// slot again) needs the permission to book (both enforced by booking.SetStatus, for every
// surface). A stale version or a refused change is a 409.
// Audited as "appointment.status".
func (d *Dashboard) appointmentStatus(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	res, err := d.change(r, func(ctx context.Context, _ clinic.Appointment, _ *time.Location, ch booking.Change) (clinic.Appointment, error) {
		to := clinic.Status(r.PostFormValue("status"))
		if !to.Valid() {
			ch.Problems = append(ch.Problems, clinic.FieldError{Field: "status", Reason: clinic.StatusReason})
		}
		return d.booking.SetStatus(ctx, web.MustActor(ctx), ch, to)
	})
	if err != nil {
		d.failChange(w, r, err)
		return
	}
	http.Redirect(w, r, backTo(r, dayPath(res.After.Start, res.Loc), "status"), http.StatusSeeOther)
}
