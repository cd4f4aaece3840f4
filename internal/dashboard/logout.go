package dashboard

import "net/http"

// logout ends the session (POST /logout) and returns to the sign-in form.
func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request) {
	if err := d.sessions.SignOut(r.Context(), w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
