package dashboard

import (
	"net/http"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/web"
)

// patientConsent records a patient's consent change made by staff for them
// (POST /patients/{id}/consents, fields channel, purpose (or "all") and opt_in on|off; CON-3)
// through patient.RecordConsent, whose source is the dashboard for staff, and returns to
// the patient file. Unknown channels and purposes are the use case's 422.
func (d *Dashboard) patientConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	in := patient.ConsentInput{OptIn: respectValue(r.PostFormValue("opt_in"))}
	if _, ok := r.PostForm["channel"]; ok {
		ch := r.PostFormValue("channel")
		in.Channel = &ch
	}
	if _, ok := r.PostForm["purpose"]; ok {
		pu := r.PostFormValue("purpose")
		in.Purpose = &pu
	}
	if _, err := d.patients.RecordConsent(ctx, web.MustActor(ctx), clinic.PatientID(id), in); err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, withDone("/patients/"+strconv.FormatInt(id, 10), "consent-recorded")+"#consent", http.StatusSeeOther)
}
