package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/staff"
	"github.com/tidings-health/tidings/internal/web"
)

// staffEnable enables a disabled account again (POST /staff/{id}/enable) through
// staff.EnableUser and returns to the account's page; it signs in with the password it had.
func (d *Dashboard) staffEnable(w http.ResponseWriter, r *http.Request) {
	id, ok := d.staffPost(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if _, err := staff.EnableUser(ctx, d.db, web.MustActor(ctx), id); err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, withDone(staffPath(id), "user-enabled"), http.StatusSeeOther)
}
