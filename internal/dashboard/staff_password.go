package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/staff"
	"github.com/tidings-health/tidings/internal/web"
)

// staffPassword gives an account a new password (POST /staff/{id}/password) through
// staff.ResetPassword, which signs the account out everywhere, and shows the password this
// once (no redirect: it must not travel in a URL; the page is sent no-store). One's own
// password is changed in the profile instead: the account's page is shown again saying so.
func (d *Dashboard) staffPassword(w http.ResponseWriter, r *http.Request) {
	id, ok := d.staffPost(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	u, plain, err := staff.ResetPassword(ctx, d.db, web.MustActor(ctx), id)
	switch {
	case err == nil:
	case formError(err):
		d.showStaffUser(w, r, id, err, nil)
		return
	default:
		d.fail(w, r, err)
		return
	}
	d.showPassword(w, r, u, plain, false)
}
