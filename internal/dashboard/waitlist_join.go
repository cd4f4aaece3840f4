package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/waitlist"
	"github.com/tidings-health/tidings/internal/web"
)

// waitlistJoin puts a patient on the current clinic's waitlist from the waitlist page's
// form (POST /waitlist, fields patient_id, reason_id, agenda_id (0 or empty: any
// practitioner), from and to (YYYY-MM-DD), days (0–6, Sunday first, repeated; none: any
// day), from_time and to_time (HH:MM on the clinic's clock; empty: the whole day)) through
// waitlist.Join, which checks the rules and writes the audit row ("waitlist.join"), then
// returns to the page (Post/Redirect/Get). A refused form is shown again (422, or 409) with
// what was typed and its fields named.
func (d *Dashboard) waitlistJoin(w http.ResponseWriter, r *http.Request) {
	in, f, v, ok := postedClinicForm(d, w, r, readWaitlistInput)
	if !ok {
		return
	}
	ctx := r.Context()
	if in.PatientID == 0 && !clinic.HasField(v.Fields, "patient_id") {
		v.Add("patient_id", "is required: search by name, mobile number or e-mail, then choose the patient")
	}
	if in.ReasonID == 0 && !clinic.HasField(v.Fields, "reason_id") {
		v.Add("reason_id", "is required")
	}
	err := v.Err()
	if err == nil {
		_, err = d.waitlist.Join(ctx, web.MustActor(ctx), waitlist.JoinInput{ClinicID: f.Clinic.ID, PatientID: in.PatientID, ReasonID: in.ReasonID,
			AgendaID: in.AgendaID, From: in.From, To: in.To, Weekdays: in.Days, FromTime: in.FromTime, ToTime: in.ToTime})
	}
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/waitlist", "waitlist-joined"), http.StatusSeeOther)
	case formError(err):
		d.showWaitlist(w, r, in, web.Status(err), err)
	default:
		d.fail(w, r, err)
	}
}
