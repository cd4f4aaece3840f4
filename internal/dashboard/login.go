package dashboard

import (
	"errors"
	"net/http"

	"github.com/tidings-health/tidings/internal/session"
)

// The sign-in messages. One message for an unknown e-mail, a wrong password and a disabled
// account, so the form reveals nothing about which accounts exist.
const (
	msgBadCredentials = "Invalid e-mail or password."
	msgRateLimited    = "Too many attempts. Wait a minute and try again."
)

// loginPage is the data of templates/login.html.
type loginPage struct {
	Email string // echoed back after a failed attempt; a staff address, not patient data
	Next  string // a local path to return to after signing in
	Error string
}

// loginForm shows the sign-in form (GET /login).
func (d *Dashboard) loginForm(w http.ResponseWriter, r *http.Request) {
	d.send(w, r, reply{Page: "login", View: view{Title: "Sign in",
		Data: loginPage{Next: localPath(r.URL.Query().Get("next"), "")}}})
}

// loginSubmit signs a user in (POST /login) and sends them on to next, else to the page they
// start from (landing), or back to the form with 401 or 429.
func (d *Dashboard) loginSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	page := loginPage{Email: r.PostFormValue("email"), Next: localPath(r.PostFormValue("next"), "")}
	u, err := d.sessions.SignIn(r.Context(), w, r, page.Email, r.PostFormValue("password"))
	var status int
	switch {
	case err == nil:
		http.Redirect(w, r, localPath(page.Next, landing(u)), http.StatusSeeOther)
		return
	case errors.Is(err, session.ErrRateLimited):
		status, page.Error = http.StatusTooManyRequests, msgRateLimited
	case errors.Is(err, session.ErrBadCredentials):
		status, page.Error = http.StatusUnauthorized, msgBadCredentials
	default:
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Status: status, Page: "login", View: view{Title: "Sign in", Data: page}})
}
