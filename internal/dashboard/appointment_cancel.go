package dashboard

import (
	"context"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/web"
)

// appointmentCancel cancels an appointment (POST /appointments/{id}/cancel, fields version
// and next) and returns to next, or the appointment's day. The cancellation is an
// appointment event, which the notification work will turn into a notice; a stale version is a 409. Audited as
// "appointment.cancel".
func (d *Dashboard) appointmentCancel(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	res, err := d.change(r, func(ctx context.Context, _ clinic.Appointment, _ *time.Location, ch booking.Change) (clinic.Appointment, error) {
		return d.booking.Cancel(ctx, web.MustActor(ctx), ch)
	})
	if err != nil {
		d.failChange(w, r, err)
		return
	}
	http.Redirect(w, r, backTo(r, dayPath(res.After.Start, res.Loc), "cancelled"), http.StatusSeeOther)
}
