package dashboard

import (
	"net/http"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/web"
)

// patientNotifications turns a patient's notifications on or off
// (POST /patients/{id}/notifications, field on: on|off; CON-7) through
// patient.SetNotifications, which lets appointment managers and above do it, and returns to
// the patient file. This is the clinic's switch, not the patient's consent.
func (d *Dashboard) patientNotifications(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	on := respectValue(r.PostFormValue("on"))
	p, err := d.patients.SetNotifications(ctx, web.MustActor(ctx), clinic.PatientID(id), on)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	done := "notifications-on"
	if p.NotificationsOff {
		done = "notifications-off"
	}
	http.Redirect(w, r, withDone("/patients/"+strconv.FormatInt(id, 10), done)+"#notifications", http.StatusSeeOther)
}
