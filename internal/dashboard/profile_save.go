package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/staff"
	"github.com/tidings-health/tidings/internal/web"
)

// profileSave saves the signed-in user's name and language (POST /profile, fields name,
// locale: en, fr, or empty to follow the browser) through staff.UpdateProfile and shows the
// profile again, in the language chosen (ADM-6). A refused form is shown again (422).
func (d *Dashboard) profileSave(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	in := staff.Profile{Name: r.PostFormValue("name"), Locale: r.PostFormValue("locale")}
	_, err := staff.UpdateProfile(ctx, d.db, web.MustActor(ctx), in)
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/profile", "profile-saved"), http.StatusSeeOther)
	case formError(err):
		d.showProfile(w, r, &profilePage{Name: in.Name, Locale: in.Locale, Errors: staffNotes(err)}, web.Status(err))
	default:
		d.fail(w, r, err)
	}
}
