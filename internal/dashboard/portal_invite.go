package dashboard

import (
	"net/http"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/web"
)

// portalInvite is "Send (N) invites" (POST /settings/portal/invite, field clinic_id,
// default the current clinic; POR-7): account.InviteAll invites every patient of the
// clinic with a valid address no one else shares and no active account, and the portal
// page is shown again saying how many were sent (sent=N, a count, never who). A portal
// that is off is the use case's conflict, shown on the error page.
func (d *Dashboard) portalInvite(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	id, err := formID(r, "clinic_id")
	var f frame
	if err == nil {
		f, err = d.loadFrame(r)
	}
	clinicID := clinic.ClinicID(id)
	if err == nil && clinicID == 0 {
		if clinicID = f.Clinic.ID; clinicID == 0 {
			err = clinic.Invalid("clinic_id", "does not exist yet: set up a clinic first")
		}
	}
	var n int
	if err == nil {
		n, err = d.accounts.InviteAll(ctx, web.MustActor(ctx), clinicID)
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	to := "/settings/portal?sent=" + strconv.Itoa(n)
	if clinicID != f.Clinic.ID {
		to += "&clinic_id=" + strconv.FormatInt(int64(clinicID), 10)
	}
	key := "invites-sent"
	if n == 0 {
		key = "invites-none"
	}
	http.Redirect(w, r, withDone(to+"#invites", key), http.StatusSeeOther)
}
