package portal_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/app"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

var ctx = context.Background()

// The clock of the portal tests: Friday 6 March 2026, 08:00 in Sydney.
var start = time.Date(2026, 3, 5, 21, 0, 0, 0, time.UTC)

// env is a full server (app.New, as serve builds it) over a fresh database with two
// organisations whose clinics have their portal on, working hours on weekdays and the
// fixture's patient (Grace Hopper, grace@example.com).
type env struct {
	t     *testing.T
	db    *store.DB
	clock *storetest.Clock
	svc   app.Services
	ts    *httptest.Server
	a, b  storetest.Fixture
	syd   *time.Location
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvLogging(t, nil)
}

// newEnvLogging is newEnv with the server logging to log (nil: app's default).
func newEnvLogging(t *testing.T, log *slog.Logger) *env {
	t.Helper()
	clock := storetest.NewClock(start)
	db := storetest.Open(t, clock.Now)
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// The test client is behind a "proxy" at 127.0.0.1, so that each request may name its
	// own client address (X-Forwarded-For) and the sign-in limits can be exercised apart.
	sessions := session.New(db, q, session.Config{Now: clock.Now, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	srv, svc, err := app.New(app.Config{DB: db, Sessions: sessions, Logger: log, Version: "test", Now: clock.Now,
		Notify: app.Notify{Outbox: true, PublicURL: "http://portal.test"}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, clock: clock, svc: svc, a: storetest.Seed(t, db, "a"), b: storetest.Seed(t, db, "b")}
	e.syd, _ = time.LoadLocation("Australia/Sydney")
	for _, f := range []storetest.Fixture{e.a, e.b} {
		err := db.Update(ctx, func(tx *store.Tx) error {
			var hours []clinic.WorkingHours
			for d := time.Monday; d <= time.Friday; d++ {
				hours = append(hours, clinic.WorkingHours{Weekday: d, Start: 9 * 60, End: 17 * 60})
			}
			return tx.Schedule().SetWorkingHours(ctx, f.Org.ID, f.Agenda.ID, hours)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	e.ts = httptest.NewServer(srv)
	t.Cleanup(e.ts.Close)
	return e
}

// otherPatient creates another patient of f's clinical database, Other Person
// (other@example.org), whom f's patient does not act for.
func (e *env) otherPatient(f storetest.Fixture) clinic.Patient {
	e.t.Helper()
	var other clinic.Patient
	err := e.db.Update(ctx, func(tx *store.Tx) (err error) {
		other, err = tx.Patients().CreatePatient(ctx, f.Org.ID, clinic.Patient{DatabaseID: f.Database.ID, GivenName: "Other", FamilyName: "Person", Email: "other@example.org"})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return other
}

// child creates Kit Hopper (born 2018, no address of their own), recorded as the child of
// f's patient, who acts for them.
func (e *env) child(f storetest.Fixture) clinic.Patient {
	e.t.Helper()
	var kid clinic.Patient
	err := e.db.Update(ctx, func(tx *store.Tx) (err error) {
		if kid, err = tx.Patients().CreatePatient(ctx, f.Org.ID, clinic.Patient{DatabaseID: f.Database.ID, GivenName: "Kit", FamilyName: "Hopper", BirthDate: "2018-04-01"}); err != nil {
			return err
		}
		return tx.Patients().LinkRelatives(ctx, f.Org.ID, f.Patient.ID, kid.ID, clinic.RelParent)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return kid
}

// at is a wall-clock time in Sydney in March 2026.
func (e *env) at(day, hour, min int) time.Time {
	return time.Date(2026, 3, day, hour, min, 0, 0, e.syd)
}

// browser is one patient's browser: a cookie jar, no redirects followed.
type browser struct {
	e   *env
	c   *http.Client
	ip  string
	org storetest.Fixture
}

func (e *env) browser(f storetest.Fixture) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, org: f, ip: "203.0.113.7", c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// base is the fixture's portal path.
func base(f storetest.Fixture) string { return "/p/" + f.Org.Slug + "-main" }

type resp struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (b *browser) do(method, path string, form url.Values) resp {
	b.e.t.Helper()
	return b.doWith(method, path, form, nil)
}

// doWith is do with extra request headers.
func (b *browser) doWith(method, path string, form url.Values, hdr map[string]string) resp {
	b.e.t.Helper()
	if form == nil {
		return b.send(method, path, nil, "", hdr)
	}
	return b.send(method, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", hdr)
}

// send makes a request from the browser's address with body of content type ct ("": no
// body) and the extra headers hdr.
func (b *browser) send(method, path string, body io.Reader, ct string, hdr map[string]string) resp {
	b.e.t.Helper()
	req, err := http.NewRequest(method, b.e.ts.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("X-Forwarded-For", b.ip)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, body: string(raw), location: res.Header.Get("Location"), header: res.Header}
}

func (b *browser) get(path string) resp                   { return b.do("GET", path, nil) }
func (b *browser) post(path string, form url.Values) resp { return b.do("POST", path, form) }

// link is the single-use link of the newest account e-mail planned for patient p: the test
// mints it as the dispatcher would when sending (account.Service.Mint, in a transaction),
// since the e-mail itself is the end-to-end tests' (mailpit).
func (e *env) link(org clinic.OrgID, p clinic.PatientID, kind string) string {
	e.t.Helper()
	var link string
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		ns, err := tx.Notifications().ListNotifications(ctx, org, store.NotificationFilter{PatientID: p, Page: store.Page{Limit: 100}})
		if err != nil {
			return err
		}
		for _, n := range ns {
			if n.Kind == kind {
				link, err = e.svc.Accounts.Mint(ctx, tx, n)
				return err
			}
		}
		e.t.Fatalf("no %s e-mail planned for patient %d", kind, p)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.TrimPrefix(link, "http://portal.test")
}

// activate invites patient p of f from the dashboard's use case and sets their password
// through the link, returning the signed-in browser.
func (e *env) activate(f storetest.Fixture, p clinic.PatientID, password string) *browser {
	e.t.Helper()
	admin := clinic.SystemActor(f.Org.ID, "test")
	if err := e.svc.Accounts.Invite(ctx, admin, f.Clinic.ID, p); err != nil {
		e.t.Fatalf("invite: %v", err)
	}
	b := e.browser(f)
	link := e.link(f.Org.ID, p, "invite")
	if r := b.get(link); r.status != http.StatusOK {
		e.t.Fatalf("GET link: %d %s", r.status, r.body)
	}
	r := b.post(link, url.Values{"password": {password}, "confirm": {password}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, base(f)+"/") {
		e.t.Fatalf("set password: %d %s %s", r.status, r.location, r.body)
	}
	return b
}

var startRE = regexp.MustCompile(`name="start" value="([^"]+)"`)

// starts lists the start times a page offers.
func starts(body string) []string {
	var out []string
	for _, m := range startRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}
