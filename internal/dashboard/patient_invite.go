package dashboard

import (
	"net/http"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/web"
)

// patientInvite sends one patient an invitation to the current clinic's patient portal
// (POST /patients/{id}/invite; POR-7) through account.Invite, which says why not when the
// patient cannot be invited (no valid address, a shared one, a managed relative, an active
// account: 422 on "email") or the portal is off (409), on the error page like the file's
// other actions; then shows the file again.
func (d *Dashboard) patientInvite(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	f, err := d.loadFrame(r)
	if err == nil && f.Clinic.ID == 0 {
		err = clinic.Invalid("clinic_id", "does not exist yet: set up a clinic first")
	}
	if err == nil {
		err = d.accounts.Invite(ctx, web.MustActor(ctx), f.Clinic.ID, clinic.PatientID(id))
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, withDone("/patients/"+strconv.FormatInt(id, 10), "invite-sent")+"#portal", http.StatusSeeOther)
}
