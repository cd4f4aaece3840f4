package dashboard

import (
	"net/http"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/staff"
	"github.com/tidings-health/tidings/internal/web"
)

// staffRole changes an account's role and the practitioner it is linked to
// (POST /staff/{id}/role, fields role, practitioner_id: empty for none, ignored for a role
// other than practitioner, which unlinks the account) through staff.ChangeRole, and returns
// to the account's page. A refused change (one's own role,
// the last administrator, a practitioner already linked) shows the page again with the
// reason beside the field (422 or 409).
func (d *Dashboard) staffRole(w http.ResponseWriter, r *http.Request) {
	id, ok := d.staffPost(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	form := roleForm{Role: clinic.Role(r.PostFormValue("role"))}
	pid, err := readPractitioner(r)
	form.PractitionerID = pid
	if form.Role != clinic.RolePractitioner {
		// The select still shows the practitioner of an account leaving that role: giving
		// another role unlinks it, as the select's label says.
		form.PractitionerID, err = 0, nil
	}
	if err == nil {
		_, err = staff.ChangeRole(ctx, d.db, web.MustActor(ctx), id, staff.RoleChange{Role: form.Role, PractitionerID: form.PractitionerID})
	}
	switch {
	case err == nil:
		http.Redirect(w, r, withDone(staffPath(id), "role-changed"), http.StatusSeeOther)
	case formError(err):
		d.showStaffUser(w, r, id, err, &form)
	default:
		d.fail(w, r, err)
	}
}

// staffPath is an account's page.
func staffPath(id clinic.UserID) string { return "/staff/" + strconv.FormatInt(int64(id), 10) }
