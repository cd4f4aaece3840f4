package dashboard

import (
	"context"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// appointmentStatus sets an appointment's status from its button
// (POST /appointments/{id}/status, fields status, version, next) and returns to next, or the
// appointment's day. Only the changes booking.CanTransition allows are made; cancelling has
// its own route and permission, and reinstating a cancelled appointment (which books its
// slot again) needs the permission to book. A stale version or a refused change is a 409.
// Audited as "appointment.status".
func (d *Dashboard) appointmentStatus(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	role := web.MustActor(r.Context()).Role
	res, err := d.change(r, "appointment.status", func(ctx context.Context, tx *store.Tx, a clinic.Appointment, _ *time.Location,
		ch booking.Change, v *clinic.ValidationError) (clinic.Appointment, error) {
		to := clinic.Status(r.PostFormValue("status"))
		switch {
		case !to.Valid():
			v.Add("status", "must be one of booked, confirmed, arrived, seen, no_show, excused_absence")
		case to == clinic.StatusCancelled:
			v.Add("status", "cannot be cancelled here: use the Cancel button")
		}
		if err := v.Err(); err != nil {
			return a, err
		}
		if a.Status == clinic.StatusCancelled && !role.Can(clinic.PermWriteSchedule) {
			return a, clinic.ErrForbidden
		}
		return d.booking.SetStatus(ctx, tx, a.OrgID, ch, to)
	})
	if err != nil {
		d.failChange(w, r, err)
		return
	}
	http.Redirect(w, r, backTo(r, dayPath(res.After.Start, res.Loc), "status"), http.StatusSeeOther)
}
