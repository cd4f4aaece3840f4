package dashboard

import (
	"net/http"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/staff"
	"github.com/tidings-health/tidings/internal/web"
)

// passwordPage is the data of templates/staff_password.html: a password an administrator
// hands on, shown this once.
type passwordPage struct {
	ID       clinic.UserID
	Name     string // the account's name, else its e-mail
	Email    string
	Password string
	Created  bool // a new account, rather than a reset
}

// staffCreate adds a staff account from the form of staffNew (POST /staff/new, fields name,
// email, role, practitioner_id) through staff.CreateUser, with a password made by
// staff.NewPassword and marked temporary. The answer is the page that shows that password,
// once: not a redirect, because the password must not travel in a URL nor be kept anywhere
// to be shown later (the page is sent no-store). A refused form is shown again with each
// problem under its field (422, or 409 for an e-mail already used).
func (d *Dashboard) staffCreate(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	role := clinic.Role(r.PostFormValue("role"))
	page := staffNewPage{Name: r.PostFormValue("name"), Email: strings.TrimSpace(r.PostFormValue("email")), Roles: roleOptions(role)}
	pid, err := readPractitioner(r)
	if err != nil {
		page.Errors = staffNotes(err)
		d.showStaffNew(w, r, page, 0, http.StatusUnprocessableEntity)
		return
	}
	plain, err := staff.NewPassword()
	if err != nil {
		d.fail(w, r, err)
		return
	}
	u, err := staff.CreateUser(ctx, d.db, web.MustActor(ctx), staff.NewUser{Email: page.Email, Name: page.Name, Role: role,
		Password: plain, PractitionerID: pid, Temporary: true})
	switch {
	case err == nil:
	case formError(err):
		page.Errors = staffNotes(err)
		d.showStaffNew(w, r, page, pid, web.Status(err))
		return
	default:
		d.fail(w, r, err)
		return
	}
	d.showPassword(w, r, u, plain, true)
}

// showPassword shows the password just given to u, this once: after a creation (created)
// or a reset. It is the answer to the POST, never a redirect, so that the password does not
// travel in a URL; the page is sent no-store.
func (d *Dashboard) showPassword(w http.ResponseWriter, r *http.Request, u clinic.User, plain string, created bool) {
	f, err := d.loadFrame(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	title := "New password"
	if created {
		title = "Staff account created"
	}
	d.send(w, r, reply{Page: "staff_password", View: view{Title: title, Header: f.header(r, "staff"),
		Data: passwordPage{ID: u.ID, Name: staffName(u), Email: u.Email, Password: plain, Created: created}}})
}
