// Package portal serves the patient portal (POR-1..9): one portal per clinic at
// /p/{slug}, where patients sign in with the account their invitation opened, book within
// the clinic's online rules (reason → practitioner or "No preference" → day → time, only real
// slots), see, move, cancel and add to their calendar their appointments, manage how the
// clinic contacts them, opt in to push notifications, join the waitlist, and exchange
// secure messages with the clinic, live on open pages (MSG-2..MSG-6). At /r/{token},
// outside every portal, it asks the patient a result's or recall's message was sent to for
// their surname and date of birth before naming the clinic that wants to see them (RES-3).
//
// Pages are server-rendered with the shared page kit (internal/page), mobile first, in
// English and French (the browser's language, switchable). Every rule is the use cases'
// (booking, account, patient, waitlist); a handler decodes, calls and renders. A patient
// reaches only their own records and the relatives they manage: anything else is "not
// found", never "forbidden". Routes with web.Patient authenticate here, at the portal the
// path names, since a patient's account belongs to that portal's organisation.
//
// It must not import the dashboard, the api or the server.
package portal

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/account"
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/page"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/realtime"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/waitlist"
	"github.com/tidings-health/tidings/internal/web"
)

//go:embed templates static
var files embed.FS

// CookieName is the portal session's cookie, scoped to /p/ so the dashboard never sees it.
const CookieName = "tidings_portal"

// langCookie keeps a visitor's choice of language before they sign in.
const langCookie = "tidings_portal_lang"

// StaticPrefix is where the portal's own static files are served.
const StaticPrefix = "/portal-static/"

// Deps are what the portal needs from the process.
type Deps struct {
	DB       *store.DB // reads only: writes go through the use cases
	Accounts *account.Service
	Booking  *booking.Service
	Patients *patient.Service
	Notify   *notify.Service
	Waitlist *waitlist.Service
	// Recalls checks the identity of a patient who opened a result's or recall's link.
	Recalls *recall.Service
	// Messaging is secure messaging (MSG-2..MSG-6); Hub delivers its events to the
	// patient's open pages (GET /p/{slug}/events).
	Messaging *messaging.Service
	Hub       *realtime.Hub
	Logger    *slog.Logger
	Now       func() time.Time
	// EmailDomain is the domain of the appointments' calendar UIDs (the e-mails').
	EmailDomain string
	// VAPIDPublic is the Web Push application server key; empty hides the push opt-in.
	VAPIDPublic string
	// SecureCookies marks cookies Secure behind a TLS-terminating proxy.
	SecureCookies bool
	// ClientIP is the address sign-in limits are keyed by (the session manager's, which
	// knows the trusted proxies); default the connection's peer.
	ClientIP func(*http.Request) string
}

// Portal serves the patient pages.
type Portal struct {
	d      Deps
	pages  *page.Set
	assets *page.Assets
}

// pageNames lists the page templates, each parsed with the layout and the shared parts.
func pageNames() []string {
	return []string{"signin", "reset", "join", "sent", "password", "home", "book", "appointment", "reschedule", "preferences", "error", "waitlist", "offer", "recall", "messages", "message_new", "conversation"}
}

// New parses the templates (a broken one fails the boot) and loads the static files.
func New(d Deps) (*Portal, error) {
	if d.DB == nil || d.Accounts == nil || d.Booking == nil || d.Patients == nil || d.Notify == nil || d.Waitlist == nil || d.Recalls == nil ||
		d.Messaging == nil || d.Hub == nil {
		return nil, errors.New("portal: Deps.DB, Accounts, Booking, Patients, Notify, Waitlist, Recalls, Messaging and Hub are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.EmailDomain == "" {
		d.EmailDomain = "tidings.invalid"
	}
	if d.ClientIP == nil {
		d.ClientIP = func(r *http.Request) string {
			host := r.RemoteAddr
			if i := strings.LastIndexByte(host, ':'); i >= 0 {
				host = host[:i]
			}
			return host
		}
	}
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	assets, err := page.LoadAssets(static, ".", StaticPrefix)
	if err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	pages, err := parse(assets, nil)
	if err != nil {
		return nil, err
	}
	return &Portal{d: d, pages: pages, assets: assets}, nil
}

// parse parses every page with the layout; cat nil is the built-in catalog (tests pass one
// that fails on a missing key).
func parse(assets *page.Assets, cat *i18n.Catalog) (*page.Set, error) {
	ps := map[string]string{}
	for _, n := range pageNames() {
		ps[n] = "templates/" + n + ".html"
	}
	set, err := page.Parse(page.Config{FS: files, Layouts: []string{"templates/layout.html", "templates/steps.html"}, Pages: ps, Blocks: []string{"layout", "content"},
		Funcs: template.FuncMap{"invalid": clinic.HasField, "events": realtime.ScriptURL}, Assets: assets, Catalog: cat, Fields: fieldLabel})
	if err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	return set, nil
}

// Routes is the portal's route table: public pages (sign-in, reset, invitation links,
// static files, the identity check of results' and recalls' links) and web.Patient ones.
func (p *Portal) Routes() []web.Route {
	pub := func(method, pattern string, h http.HandlerFunc) web.Route {
		return web.Route{Method: method, Pattern: pattern, Auth: web.Public, Handler: h}
	}
	pat := func(method, pattern string, h func(http.ResponseWriter, *http.Request, *visit)) web.Route {
		return web.Route{Method: method, Pattern: pattern, Auth: web.Patient, Handler: p.signedIn(h)}
	}
	site := func(h func(http.ResponseWriter, *http.Request, *visit)) http.HandlerFunc { return p.atSite(h) }
	return []web.Route{
		pub("GET", StaticPrefix, p.assets.Handler().ServeHTTP),
		pub("GET", "/p/", func(w http.ResponseWriter, r *http.Request) {
			p.RenderError(w, r, http.StatusNotFound, "This page does not exist.")
		}),
		pub("GET", "/p/{slug}/sw.js", p.serviceWorker),
		pub("GET", "/p/{slug}/signin", site(p.signinForm)),
		pub("POST", "/p/{slug}/signin", site(p.signin)),
		pub("POST", "/p/{slug}/signout", site(p.signout)),
		pub("GET", "/p/{slug}/reset", site(p.resetForm)),
		pub("POST", "/p/{slug}/reset", site(p.reset)),
		pub("GET", "/p/{slug}/join", site(p.joinForm)),
		pub("POST", "/p/{slug}/join", site(p.join)),
		pub("GET", "/p/{slug}/password/{token}", site(p.passwordForm)),
		pub("POST", "/p/{slug}/password/{token}", site(p.password)),
		pub("POST", "/p/{slug}/language", site(p.language)),
		pat("GET", "/p/{slug}/{$}", p.home),
		pat("GET", "/p/{slug}/book", p.bookForm),
		pat("POST", "/p/{slug}/book", p.book),
		pat("GET", "/p/{slug}/appointments/{id}", p.appointment),
		pat("POST", "/p/{slug}/appointments/{id}/cancel", p.cancel),
		pat("GET", "/p/{slug}/appointments/{id}/reschedule", p.rescheduleForm),
		pat("POST", "/p/{slug}/appointments/{id}/reschedule", p.reschedule),
		pat("GET", "/p/{slug}/appointments/{id}/calendar.ics", p.calendar),
		pat("GET", "/p/{slug}/preferences", p.preferences),
		pat("POST", "/p/{slug}/preferences", p.savePreferences),
		pat("POST", "/p/{slug}/push", p.subscribe),
		pat("GET", "/p/{slug}/waitlist", p.waitlistForm),
		pat("POST", "/p/{slug}/waitlist", p.joinWaitlist),
		pat("POST", "/p/{slug}/waitlist/{id}/leave", p.leaveWaitlist),
		// Secure messaging (MSG-2..MSG-6): the patient's conversations, a new one (MSG-3),
		// a conversation with its reply form, what came after a message (the page script's
		// fragment), read receipts, attachments, and the stream of events (SSE).
		pat("GET", "/p/{slug}/messages", p.messages),
		pat("GET", "/p/{slug}/messages/new", p.newMessageForm),
		pat("POST", "/p/{slug}/messages", p.startConversation),
		pat("GET", "/p/{slug}/messages/{id}", p.conversation),
		pat("POST", "/p/{slug}/messages/{id}", p.reply),
		pat("GET", "/p/{slug}/messages/{id}/after/{after}", p.messagesAfter),
		pat("POST", "/p/{slug}/messages/{id}/read", p.markRead),
		pat("GET", "/p/{slug}/messages/attachments/{id}", p.attachment),
		{Method: "GET", Pattern: "/p/{slug}/events", Auth: web.Patient, Handler: p.signedIn(p.events), WriteTimeout: web.NoWriteDeadline},
		pub("GET", "/p/{slug}/offers/{token}", site(p.offer)),
		pub("POST", "/p/{slug}/offers/{token}", site(p.claim)),
		// A result's or recall's link (RES-3): at no portal's address, since nothing may say
		// which clinic sent it before the patient confirms who they are.
		pub("GET", "/r/{token}", p.recallForm),
		pub("POST", "/r/{token}", p.recallCheck),
	}
}

// visit is one request at a portal: the site, the language, and the patient's session when
// signed in.
type visit struct {
	Site    account.Site
	Locale  i18n.Locale
	Session *account.Session
}

// SelfID is the account holder's record at the clinic (0 when they have none there).
func (v *visit) SelfID() clinic.PatientID {
	if v.Session == nil {
		return 0
	}
	return v.Session.Self.ID
}

// base is the portal's path, /p/{slug}.
func (v *visit) base() string { return "/p/" + v.Site.Settings.Slug }

// atSite resolves the portal of the path: an unknown or switched-off portal is "not found".
func (p *Portal) atSite(h func(http.ResponseWriter, *http.Request, *visit)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		site, err := p.d.Accounts.SiteOf(r.Context(), r.PathValue("slug"))
		if err != nil {
			p.fail(w, r, &visit{Locale: page.Negotiate(r, "", i18n.English)}, err)
			return
		}
		v := &visit{Site: site}
		if c, err := r.Cookie(CookieName); err == nil {
			if s, err := p.d.Accounts.Authenticate(r.Context(), site, c.Value); err == nil {
				v.Session = &s
			}
		}
		v.Locale = p.locale(r, v)
		h(w, r, v)
	}
}

// signedIn is atSite for pages of a signed-in patient: a visitor goes to the sign-in page,
// and comes back after signing in (to the page asked for, when it was a GET).
func (p *Portal) signedIn(h func(http.ResponseWriter, *http.Request, *visit)) http.HandlerFunc {
	return p.atSite(func(w http.ResponseWriter, r *http.Request, v *visit) {
		if v.Session == nil {
			next := v.base() + "/"
			if r.Method == http.MethodGet {
				next = r.URL.Path
				if r.URL.RawQuery != "" {
					next += "?" + r.URL.RawQuery
				}
			}
			http.Redirect(w, r, v.base()+"/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		r = r.WithContext(web.WithActor(r.Context(), v.Session.Actor))
		h(w, r, v)
	})
}

// locale is the language of a page: the patient's choice, else the visitor's cookie, else
// the browser's, else the clinic's region's.
func (p *Portal) locale(r *http.Request, v *visit) i18n.Locale {
	pref := ""
	if v.Session != nil {
		pref = v.Session.Account.Locale
	}
	if pref == "" {
		if c, err := r.Cookie(langCookie); err == nil {
			pref = c.Value
		}
	}
	return page.Negotiate(r, pref, i18n.ForRegion(v.Site.Clinic.Region))
}

// view is what every template receives.
type view struct {
	Title  string // a catalog key
	Base   string // /p/{slug}
	Clinic clinic.Clinic
	// Patient is the signed-in patient's given name; empty for a visitor.
	Patient string
	Flash   string
	Locale  i18n.Locale
	Path    string // the page's path, for the language switcher's return
	Data    any
}

// render writes page name with data, for v.
func (p *Portal) render(w http.ResponseWriter, r *http.Request, v *visit, status int, name, title string, data any) {
	vw := view{Title: title, Base: v.base(), Clinic: v.Site.Clinic, Locale: v.Locale, Path: r.URL.Path, Data: data}
	if v.Session != nil {
		vw.Patient = v.Session.Account.Email
		if v.Session.Self.ID != 0 {
			vw.Patient = v.Session.Self.GivenName
		}
	}
	if r.Method == http.MethodGet {
		vw.Flash = flashes.For(r)
	}
	body, err := p.pages.Execute(v.Locale, name, "layout", vw)
	if err != nil {
		p.d.Logger.ErrorContext(r.Context(), "render portal page", "page", name, "request_id", web.RequestID(r.Context()), "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	if status == 0 {
		status = http.StatusOK
	}
	page.WriteHTML(w, status, v.Locale, body)
}

// fail shows err as an error page: its status and safe message, never its cause, which goes
// to the log for a 5xx.
func (p *Portal) fail(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	e := page.ErrorOf(err)
	if e.Status >= 500 {
		p.d.Logger.ErrorContext(r.Context(), "portal", "route", r.Pattern, "request_id", web.RequestID(r.Context()), "err", err)
	}
	if e.Status == http.StatusNotFound {
		e.Message = "This page does not exist."
	}
	p.render(w, r, v, e.Status, "error", e.Title, e)
}

// RenderError shows an error page outside any portal (an unknown path under /p/).
func (p *Portal) RenderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	v := &visit{Locale: page.Negotiate(r, "", i18n.English)}
	p.render(w, r, v, status, "error", page.ErrorTitle(status), page.NewError(status, message))
}

// setSession sets the session cookie. It is a browser-session cookie (no Expires): a
// patient on a shared computer is signed out when the browser closes, and the server ends
// the session anyway after its idle timeout or at exp.
func (p *Portal) setSession(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/p/", HttpOnly: true, Secure: p.d.SecureCookies || r.TLS != nil,
		SameSite: http.SameSiteLaxMode})
}

// clearSession removes the session cookie.
func (p *Portal) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/p/", HttpOnly: true, Secure: p.d.SecureCookies || r.TLS != nil,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// parseForm reads a form body of at most 64 KiB.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return clinic.Invalid("form", "could not be read")
	}
	return nil
}

// localNext keeps a "next" address only when it is a path of this portal, so a link cannot
// send a patient to another site after signing in.
func localNext(v *visit, next string) string {
	if strings.HasPrefix(next, v.base()+"/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return v.base() + "/"
}

// ctxActor is the signed-in patient's actor.
func ctxActor(ctx context.Context) clinic.Actor { return web.MustActor(ctx) }
