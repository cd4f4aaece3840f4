package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/staff"
	"github.com/tidings-health/tidings/internal/web"
)

// profilePassword changes the signed-in user's password (POST /profile/password, fields
// current_password, new_password, new_password_2) through staff.ChangePassword. This
// browser stays signed in; the user's other sessions end. The two new passwords must match
// before anything is tried. A refused form is shown again (422), its fields emptied.
func (d *Dashboard) profilePassword(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	in := staff.PasswordChange{Current: r.PostFormValue("current_password"), New: r.PostFormValue("new_password")}
	if c, err := r.Cookie(session.CookieName); err == nil && c.Value != "" {
		in.Keep = auth.HashToken(c.Value)
	}
	var err error
	if in.New != r.PostFormValue("new_password_2") {
		err = clinic.Invalid("new_password_2", "does not match the new password")
	} else {
		err = staff.ChangePassword(ctx, d.db, web.MustActor(ctx), in)
	}
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/profile", "password-changed"), http.StatusSeeOther)
	case formError(err):
		d.showProfile(w, r, &profilePage{Password: staffNotes(err)}, web.Status(err))
	default:
		d.fail(w, r, err)
	}
}
