package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// staffUserPage is the data of templates/staff_user.html: one account and what an
// administrator may change of it.
type staffUserPage struct {
	ID            clinic.UserID
	Name          string // its name, else its e-mail
	Email         string
	Role          string // roleLabel of its current role
	Disabled      bool
	Temporary     bool
	LastSignIn    string
	Self          bool // the administrator's own account: no role change, disabling or reset here
	Roles         []roleOption
	Practitioners []practitionerOption
	Errors        formErrors
}

// staffEdit shows one staff account of the organisation (GET /staff/{id}, administrators):
// its role and linked practitioner (a form), its status with the button that disables or
// enables it, and the button that gives it a new password. Another organisation's account
// is "not found".
func (d *Dashboard) staffEdit(w http.ResponseWriter, r *http.Request) {
	id, err := staffUserID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.showStaffUser(w, r, id, nil, nil)
}

// showStaffUser shows an account's page; after a refused change, refused says why (its
// status is the answer's) and role, when not nil, is the role form as it was sent.
func (d *Dashboard) showStaffUser(w http.ResponseWriter, r *http.Request, id clinic.UserID, refused error, sent *roleForm) {
	ctx := r.Context()
	var f frame
	var page staffUserPage
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		u, err := tx.Staff().User(ctx, f.Org.ID, id)
		if err != nil {
			return err
		}
		page = staffUserPage{ID: u.ID, Name: staffName(u), Email: u.Email, Role: roleLabel(u.Role), Disabled: u.DisabledAt != nil,
			Temporary: u.TemporaryPassword, Self: f.Actor.Kind == clinic.ActorStaff && u.ID == f.Actor.UserID}
		if u.LastSignInAt != nil {
			page.LastSignIn = f.stamp(*u.LastSignInAt)
		}
		form := roleForm{Role: u.Role, PractitionerID: u.PractitionerID}
		if sent != nil {
			form = *sent
		}
		page.Roles = roleOptions(form.Role)
		page.Practitioners, err = practitionerOptions(ctx, tx, f.Org.ID, form.PractitionerID, u.ID)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if refused != nil {
		page.Errors, status = staffNotes(refused), web.Status(refused)
	}
	d.send(w, r, reply{Status: status, Page: "staff_user", View: view{Title: "Staff account", Header: f.header(r, "staff"), Data: page}})
}

// roleForm is the role form of an account's page as sent.
type roleForm struct {
	Role           clinic.Role
	PractitionerID clinic.PractitionerID
}
