package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// staffNewPage is the data of templates/staff_new.html.
type staffNewPage struct {
	Name          string
	Email         string
	Roles         []roleOption
	Practitioners []practitionerOption
	Errors        formErrors
}

// staffNew shows the form that adds a staff account (GET /staff/new, administrators):
// name, e-mail, role and, for a practitioner, the practitioner it is. There is no password
// field: Tidings makes one and shows it once when the account is created.
func (d *Dashboard) staffNew(w http.ResponseWriter, r *http.Request) {
	d.showStaffNew(w, r, staffNewPage{Roles: roleOptions(clinic.RoleReception)}, 0, http.StatusOK)
}

// showStaffNew shows the form with page's values, the practitioner list read here.
func (d *Dashboard) showStaffNew(w http.ResponseWriter, r *http.Request, page staffNewPage, practitioner clinic.PractitionerID, status int) {
	ctx := r.Context()
	var f frame
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		page.Practitioners, err = practitionerOptions(ctx, tx, f.Org.ID, practitioner, 0)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Status: status, Page: "staff_new", View: view{Title: "Add a staff account", Header: f.header(r, "staff"), Data: page}})
}
