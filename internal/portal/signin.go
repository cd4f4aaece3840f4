package portal

import (
	"errors"
	"net/http"

	"github.com/tidings-health/tidings/internal/account"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/page"
)

// signinPage is the sign-in form's data.
type signinPage struct {
	Email   string
	Next    string
	Problem string // a catalog key: wrong credentials, too many attempts
}

// msgBadCredentials and msgRateLimited are the sign-in's only answers.
const (
	msgBadCredentials = "The e-mail address or the password is not right."
	msgRateLimited    = "Too many attempts. Wait a few minutes and try again."
)

// signinForm shows the sign-in form (GET /p/{slug}/signin?next=). A signed-in patient goes
// home.
func (p *Portal) signinForm(w http.ResponseWriter, r *http.Request, v *visit) {
	if v.Session != nil {
		http.Redirect(w, r, localNext(v, r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	p.render(w, r, v, http.StatusOK, "signin", "Sign in", signinPage{Next: localNext(v, r.URL.Query().Get("next"))})
}

// signin checks the credentials (POST /p/{slug}/signin: email, password, next). The answer
// to a wrong password, an unknown address and an account not yet activated is the same,
// with the same status.
func (p *Portal) signin(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, v, err)
		return
	}
	email, next := r.PostFormValue("email"), localNext(v, r.PostFormValue("next"))
	token, _, err := p.d.Accounts.SignIn(r.Context(), v.Site, email, r.PostFormValue("password"), p.d.ClientIP(r))
	switch {
	case err == nil:
		p.setSession(w, r, token)
		http.Redirect(w, r, next, http.StatusSeeOther)
	case errors.Is(err, account.ErrBadCredentials):
		p.render(w, r, v, http.StatusUnauthorized, "signin", "Sign in", signinPage{Email: email, Next: next, Problem: msgBadCredentials})
	case errors.Is(err, account.ErrRateLimited):
		w.Header().Set("Retry-After", "60")
		p.render(w, r, v, http.StatusTooManyRequests, "signin", "Sign in", signinPage{Email: email, Next: next, Problem: msgRateLimited})
	default:
		p.fail(w, r, v, err)
	}
}

// signout ends the session (POST /p/{slug}/signout).
func (p *Portal) signout(w http.ResponseWriter, r *http.Request, v *visit) {
	if c, err := r.Cookie(CookieName); err == nil {
		if err := p.d.Accounts.SignOut(r.Context(), c.Value); err != nil {
			p.fail(w, r, v, err)
			return
		}
	}
	p.clearSession(w, r)
	http.Redirect(w, r, page.WithDone(v.base()+"/signin", "signed-out"), http.StatusSeeOther)
}

// askPage is the data of the reset and "no account yet" forms and of their one answer.
type askPage struct {
	Email string
	Kind  string // "reset" or "join"
}

// resetForm shows the "forgot your password" form (GET /p/{slug}/reset).
func (p *Portal) resetForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p.render(w, r, v, http.StatusOK, "reset", "Reset your password", askPage{Kind: "reset"})
}

// reset asks for a reset link (POST /p/{slug}/reset: email). The answer is the same page
// whether or not the address has an account.
func (p *Portal) reset(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, v, err)
		return
	}
	if err := p.d.Accounts.RequestReset(r.Context(), v.Site, r.PostFormValue("email"), p.d.ClientIP(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.render(w, r, v, http.StatusOK, "sent", "Check your e-mail", askPage{Kind: "reset"})
}

// joinForm shows the "I have no account yet" form (GET /p/{slug}/join).
func (p *Portal) joinForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p.render(w, r, v, http.StatusOK, "join", "Create your account", askPage{Kind: "join"})
}

// join asks for an invitation (POST /p/{slug}/join: email), with the same answer whether
// or not the clinic knows the address.
func (p *Portal) join(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, v, err)
		return
	}
	if err := p.d.Accounts.RequestInvite(r.Context(), v.Site, r.PostFormValue("email"), p.d.ClientIP(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.render(w, r, v, http.StatusOK, "sent", "Check your e-mail", askPage{Kind: "join"})
}

// passwordPage is the data of the page an invitation or reset link opens.
type passwordPage struct {
	Token  string
	Email  string
	Invite bool
	Fields []clinic.FieldError
}

// passwordForm shows the "choose your password" form of a link (GET
// /p/{slug}/password/{token}); a used or expired link says so.
func (p *Portal) passwordForm(w http.ResponseWriter, r *http.Request, v *visit) {
	st, err := p.d.Accounts.CheckLink(r.Context(), v.Site, r.PathValue("token"))
	if err != nil {
		p.deadLink(w, r, v, err)
		return
	}
	p.render(w, r, v, http.StatusOK, "password", "Choose your password", passwordPage{Token: r.PathValue("token"), Email: st.Email, Invite: st.Purpose == "invite"})
}

// deadLink answers a link that was used or has expired, pointing to a fresh one.
func (p *Portal) deadLink(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	if !errors.Is(err, account.ErrLinkDead) {
		p.fail(w, r, v, err)
		return
	}
	e := page.NewError(http.StatusNotFound, "This link has expired or was already used. Ask for a new one below.")
	e.Title = "Link expired"
	p.render(w, r, v, http.StatusNotFound, "error", e.Title, e)
}

// password sets the password of a link's account and signs the patient in (POST
// /p/{slug}/password/{token}: password, confirm).
func (p *Portal) password(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, v, err)
		return
	}
	token := r.PathValue("token")
	plain, _, err := p.d.Accounts.SetPassword(r.Context(), v.Site, token, r.PostFormValue("password"), r.PostFormValue("confirm"))
	switch {
	case err == nil:
		p.setSession(w, r, plain)
		http.Redirect(w, r, page.WithDone(v.base()+"/", "password"), http.StatusSeeOther)
	case errors.Is(err, clinic.ErrInvalid):
		st, lerr := p.d.Accounts.CheckLink(r.Context(), v.Site, token)
		if lerr != nil {
			p.deadLink(w, r, v, lerr)
			return
		}
		p.render(w, r, v, http.StatusUnprocessableEntity, "password", "Choose your password",
			passwordPage{Token: token, Email: st.Email, Invite: st.Purpose == "invite", Fields: clinic.FieldsOf(err)})
	default:
		p.deadLink(w, r, v, err)
	}
}

// language sets the language of the portal for this browser (and the account, when
// signed in) and returns to the page (POST /p/{slug}/language: lang, back).
func (p *Portal) language(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, v, err)
		return
	}
	loc, ok := i18n.Parse(r.PostFormValue("lang"))
	if !ok {
		p.fail(w, r, v, clinic.Invalid("lang", "must be en or fr"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: loc.String(), Path: "/p/", HttpOnly: true, Secure: p.d.SecureCookies || r.TLS != nil,
		SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	if v.Session != nil {
		if err := p.d.Accounts.SetLocale(r.Context(), *v.Session, loc.String()); err != nil {
			p.fail(w, r, v, err)
			return
		}
	}
	back := r.PostFormValue("back")
	if back != v.base()+"/" {
		back = localNext(v, back)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
