package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// profilePage is the data of templates/profile.html: what a signed-in user sets for
// themselves.
type profilePage struct {
	Name      string
	Email     string
	Role      string // roleLabel
	Locale    string // "", "en" or "fr": the language chosen ("" follows the browser)
	Temporary bool   // signs in with a password an administrator made
	// NoAccount: the actor is not a user (an API token has no profile).
	NoAccount bool
	Errors    formErrors // of the name and language form
	Password  formErrors // of the password form
}

// profileEdit shows the signed-in user's profile (GET /profile, every staff user): their
// name and the language of their pages (English, French, or their browser's, ADM-6) in one
// form, and the form that changes their password knowing the current one. The header's
// language switch sets the same preference.
func (d *Dashboard) profileEdit(w http.ResponseWriter, r *http.Request) {
	d.showProfile(w, r, nil, http.StatusOK)
}

// showProfile shows the profile, after a refused form with the values sent and its notes.
func (d *Dashboard) showProfile(w http.ResponseWriter, r *http.Request, refused *profilePage, status int) {
	ctx := r.Context()
	var f frame
	err := d.db.View(ctx, func(tx *store.Tx) (err error) { f, err = d.frameTx(ctx, tx, r); return err })
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page := profilePage{Name: f.User.Name, Email: f.User.Email, Role: roleLabel(f.User.Role), Locale: f.User.Locale,
		Temporary: f.User.TemporaryPassword, NoAccount: f.User.ID == 0 || f.Actor.Kind != clinic.ActorStaff}
	if refused != nil {
		page.Errors, page.Password = refused.Errors, refused.Password
		if refused.Errors != nil {
			page.Name, page.Locale = refused.Name, refused.Locale
		}
	}
	d.send(w, r, reply{Status: status, Page: "profile", View: view{Title: "Your profile", Header: f.header(r, "profile"), Data: page}})
}
