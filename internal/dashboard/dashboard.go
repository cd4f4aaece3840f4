package dashboard

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// Deps are what the dashboard needs from the process; the server builds them once at
// start-up (house rule 2: dependencies passed to the constructor, no package state).
type Deps struct {
	// DB is the store every page reads from and audit rows are written to. Required.
	DB *store.DB
	// Sessions signs staff in and out. Required.
	Sessions *session.Manager
	// Logger receives internal error causes, with the request id and never patient data.
	// Default: discard.
	Logger *slog.Logger
	// Now is the clock, injected so tests can pin "today" (the agenda's default day).
	// Default: time.Now.
	Now func() time.Time
}

// Dashboard serves the staff pages. Build it with New; it is safe for concurrent use.
type Dashboard struct {
	db       *store.DB
	sessions *session.Manager
	log      *slog.Logger
	now      func() time.Time

	pages  map[string]*template.Template
	assets *assets
}

// New checks d, loads the embedded static assets and parses every template, so that a
// broken template stops the boot instead of failing a request.
func New(d Deps) (*Dashboard, error) {
	if d.DB == nil {
		return nil, errors.New("dashboard: Deps.DB is required")
	}
	if d.Sessions == nil {
		return nil, errors.New("dashboard: Deps.Sessions is required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	pages, err := parsePages(a)
	if err != nil {
		return nil, err
	}
	return &Dashboard{db: d.DB, sessions: d.Sessions, log: d.Logger, now: d.Now, pages: pages, assets: a}, nil
}

// Routes is the dashboard's route table. The server mounts each entry as
// Method + " " + Pattern, authenticates Session routes and checks Perm before the handler
// runs. It includes GET /static/, served by the same handler Static returns, so a server
// that mounts the table must not mount Static a second time. The home page's pattern is
// "/{$}" so that it matches "/" only, not every unknown path.
func (d *Dashboard) Routes() []web.Route {
	return []web.Route{
		{Method: http.MethodGet, Pattern: "/login", Auth: web.Public, Handler: d.loginForm},
		{Method: http.MethodPost, Pattern: "/login", Auth: web.Public, Handler: d.loginSubmit},
		{Method: http.MethodPost, Pattern: "/logout", Auth: web.Session, Perm: clinic.PermSignedIn, Handler: d.logout},
		{Method: http.MethodGet, Pattern: "/{$}", Auth: web.Session, Perm: clinic.PermSignedIn, Handler: d.home},
		{Method: http.MethodPost, Pattern: "/clinic", Auth: web.Session, Perm: clinic.PermSignedIn, Handler: d.clinicSwitch},
		{Method: http.MethodGet, Pattern: "/patients", Auth: web.Session, Perm: clinic.PermReadPatients, Handler: d.patientList},
		{Method: http.MethodPost, Pattern: "/patients/search", Auth: web.Session, Perm: clinic.PermReadPatients, Handler: d.patientSearch},
		{Method: http.MethodGet, Pattern: "/patients/{id}", Auth: web.Session, Perm: clinic.PermReadPatients, Handler: d.patientShow},
		{Method: http.MethodGet, Pattern: "/agenda", Auth: web.Session, Perm: clinic.PermReadSchedule, Handler: d.agendaDay},
		{Method: http.MethodGet, Pattern: "/audit", Auth: web.Session, Perm: clinic.PermReadAudit, Handler: d.auditList},
		{Method: http.MethodGet, Pattern: "/static/", Auth: web.Public, Handler: d.Static().ServeHTTP},
	}
}
