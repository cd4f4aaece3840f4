package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/staff"
	"github.com/tidings-health/tidings/internal/web"
)

// staffDisable disables an account (POST /staff/{id}/disable) through staff.DisableUser,
// which ends its sessions at once, and returns to the account's page. One's own account
// and the last enabled administrator are refused, the page shown again with the reason.
func (d *Dashboard) staffDisable(w http.ResponseWriter, r *http.Request) {
	id, ok := d.staffPost(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	_, err := staff.DisableUser(ctx, d.db, web.MustActor(ctx), id)
	switch {
	case err == nil:
		http.Redirect(w, r, withDone(staffPath(id), "user-disabled"), http.StatusSeeOther)
	case formError(err):
		d.showStaffUser(w, r, id, err, nil)
	default:
		d.fail(w, r, err)
	}
}
