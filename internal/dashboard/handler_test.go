package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/account"
	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/realtime"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
	"github.com/tidings-health/tidings/internal/waitlist"
	"github.com/tidings-health/tidings/internal/web"
)

// testNow is "now" for every handler test: Tuesday 7 April 2026, 10:00 in Sydney (AEST).
var testNow = time.Date(2026, 4, 7, 0, 0, 0, 0, time.UTC)

const testPassword = "correct horse battery staple"

// env is a dashboard over a fresh database with one seeded organisation and its users.
type env struct {
	t     *testing.T
	db    *store.DB
	d     *Dashboard
	mux   *http.ServeMux
	fx    storetest.Fixture
	admin clinic.User
	recep clinic.User
	clock *storetest.Clock // testNow unless a test moves it
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	clock := storetest.NewClock(testNow)
	now := clock.Now
	db := storetest.Open(t, now)
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	queue, err := jobs.New(db, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, fx: storetest.Seed(t, db, "acme"), clock: clock}
	hash, err := auth.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *store.Tx) (err error) {
		if e.admin, err = tx.Staff().CreateUser(ctx, e.fx.Org.ID, clinic.User{Email: "ada@example.com", Name: "Ada Admin",
			Role: clinic.RoleAdministrator, PasswordHash: hash}); err != nil {
			return err
		}
		e.recep, err = tx.Staff().CreateUser(ctx, e.fx.Org.ID, clinic.User{Email: "rita@example.com", Name: "Rita Reception",
			Role: clinic.RoleReception, PasswordHash: hash})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	bk := booking.New(db)
	hub := realtime.New(nil, 0)
	msgs := messaging.New(db, messaging.Config{Published: hub.Publish})
	e.d, err = New(Deps{DB: db, Sessions: session.New(db, queue, session.Config{Now: now}), Now: now,
		Booking: bk, Directory: directory.New(db), Patients: patient.New(db), Notify: notify.New(db),
		Sync: integration.New(db, integration.Config{}), Accounts: account.New(db, account.Config{Now: now}),
		Waitlist: waitlist.New(db, bk, waitlist.Config{}), Recalls: recall.New(db, recall.Config{Now: now}),
		Messaging: msgs, Hub: hub})
	if err != nil {
		t.Fatal(err)
	}
	e.mux = http.NewServeMux()
	for _, rt := range e.d.Routes() {
		h := rt.Handler
		if rt.Auth == web.Session {
			// What the server does before a Session route: the permission check.
			perm := rt.Perm
			h = func(w http.ResponseWriter, r *http.Request) {
				a, ok := web.ActorFrom(r.Context())
				if !ok {
					http.Redirect(w, r, "/login", http.StatusSeeOther)
					return
				}
				if !a.Role.Can(perm) {
					e.d.RenderError(w, r, http.StatusForbidden, web.SafeMessage(clinic.ErrForbidden))
					return
				}
				rt.Handler(w, r)
			}
		}
		e.mux.HandleFunc(rt.Method+" "+rt.Pattern, h)
	}
	return e
}

func actorOf(u clinic.User) clinic.Actor {
	return clinic.StaffActor(u)
}

// request describes one call; a zero Actor means a visitor.
type request struct {
	method string
	path   string
	form   url.Values
	actor  clinic.Actor
	header map[string]string
	cookie *http.Cookie
	// body and contentType send a raw body (a multipart upload) instead of form.
	body        []byte
	contentType string
}

type response struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(rq request) response {
	e.t.Helper()
	var body io.Reader
	if rq.form != nil {
		body = strings.NewReader(rq.form.Encode())
	}
	if rq.body != nil {
		body = bytes.NewReader(rq.body)
	}
	r := httptest.NewRequest(rq.method, rq.path, body)
	if rq.form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if rq.contentType != "" {
		r.Header.Set("Content-Type", rq.contentType)
	}
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	if rq.cookie != nil {
		r.AddCookie(rq.cookie)
	}
	ctx := web.WithRequestID(r.Context(), "req-test")
	if rq.actor.OrgID != 0 {
		ctx = web.WithActor(ctx, rq.actor)
	}
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r.WithContext(ctx))
	return response{status: w.Code, header: w.Header(), body: w.Body.String()}
}

// auditRows reads back org's audit log as "action patient" strings, oldest first.
func (e *env) auditRows(org clinic.OrgID) []string {
	e.t.Helper()
	ctx := context.Background()
	var rows []store.AuditEntry
	err := e.db.View(ctx, func(tx *store.Tx) (err error) {
		rows, err = tx.AuditTrail().AuditLog(ctx, org, store.AuditFilter{}, store.Page{Limit: 500})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for i := len(rows) - 1; i >= 0; i-- {
		r := rows[i]
		if r.RequestID != "req-test" || r.Actor == "" {
			e.t.Errorf("audit row %d lacks its request id or actor: %+v", r.ID, r)
		}
		out = append(out, fmt.Sprintf("%s %d", r.Action, r.PatientID))
	}
	return out
}

var urlAttr = regexp.MustCompile(`(?i)\s(?:href|src|action|hx-post|hx-get|formaction)="([^"]*)"`)

// checkNoPatientDataInURLs fails when any URL in body, or the Location header, holds a piece
// of patient data.
func checkNoPatientDataInURLs(t *testing.T, res response, p clinic.Patient) {
	t.Helper()
	urls := []string{res.header.Get("Location")}
	for _, m := range urlAttr.FindAllStringSubmatch(res.body, -1) {
		urls = append(urls, m[1])
	}
	secrets := []string{p.GivenName, p.FamilyName, p.Email, p.Mobile, strings.TrimPrefix(p.Mobile, "+"), p.BirthDate, "0412", "grace"}
	for _, u := range urls {
		dec, _ := url.QueryUnescape(u)
		for _, s := range secrets {
			if s != "" && strings.Contains(strings.ToLower(dec), strings.ToLower(s)) {
				t.Errorf("URL %q holds patient data %q", u, s)
			}
		}
	}
}

func TestRoutes(t *testing.T) {
	e := newEnv(t)
	type row struct {
		Route string
		Auth  web.AuthKind
		Perm  clinic.Permission
	}
	var got []row
	for _, r := range e.d.Routes() {
		if r.Handler == nil {
			t.Errorf("%s %s has no handler", r.Method, r.Pattern)
		}
		got = append(got, row{r.Method + " " + r.Pattern, r.Auth, r.Perm})
	}
	want := []row{
		{"GET /login", web.Public, ""},
		{"POST /login", web.Public, ""},
		{"POST /logout", web.Session, clinic.PermSignedIn},
		{"POST /settings/language", web.Session, clinic.PermSignedIn},
		{"GET /{$}", web.Session, clinic.PermSignedIn},
		{"POST /clinic", web.Session, clinic.PermSignedIn},
		{"GET /patients", web.Session, clinic.PermReadPatients},
		{"POST /patients/search", web.Session, clinic.PermReadPatients},
		{"GET /patients/{id}", web.Session, clinic.PermReadPatients},
		{"GET /patients/duplicates", web.Session, clinic.PermReadPatients},
		{"POST /patients/duplicates", web.Session, clinic.PermReadPatients},
		{"POST /patients/{id}/invite", web.Session, clinic.PermWritePatients},
		{"GET /patients/new", web.Session, clinic.PermWritePatients},
		{"POST /patients/new", web.Session, clinic.PermWritePatients},
		{"GET /patients/{id}/edit", web.Session, clinic.PermWritePatients},
		{"POST /patients/{id}/edit", web.Session, clinic.PermWritePatients},
		{"GET /patients/{id}/merge", web.Session, clinic.PermPatientConsent},
		{"POST /patients/{id}/merge/search", web.Session, clinic.PermPatientConsent},
		{"GET /patients/{id}/merge/{other}", web.Session, clinic.PermPatientConsent},
		{"POST /patients/{id}/merge", web.Session, clinic.PermPatientConsent},
		{"GET /agenda", web.Session, clinic.PermReadSchedule},
		{"GET /agenda/week", web.Session, clinic.PermReadSchedule},
		{"GET /agenda/appointments/{id}", web.Session, clinic.PermReadSchedule},
		{"GET /waitlist", web.Session, clinic.PermReadSchedule},
		{"POST /waitlist", web.Session, clinic.PermWriteSchedule},
		{"POST /waitlist/search", web.Session, clinic.PermWriteSchedule},
		{"POST /waitlist/{id}/leave", web.Session, clinic.PermWriteSchedule},
		{"GET /appointments/new", web.Session, clinic.PermWriteSchedule},
		{"GET /appointments/online", web.Session, clinic.PermReadSchedule},
		{"POST /appointments/new", web.Session, clinic.PermWriteSchedule},
		{"POST /appointments", web.Session, clinic.PermWriteSchedule},
		{"POST /appointments/{id}/status", web.Session, clinic.PermSetStatus},
		{"GET /appointments/{id}", web.Session, clinic.PermReadSchedule},
		{"GET /appointments/{id}/cancel", web.Session, clinic.PermWriteSchedule},
		{"POST /appointments/{id}/cancel", web.Session, clinic.PermWriteSchedule},
		{"GET /appointments/{id}/move", web.Session, clinic.PermWriteSchedule},
		{"POST /appointments/{id}/move", web.Session, clinic.PermWriteSchedule},
		{"GET /schedules", web.Session, clinic.PermManageSchedule},
		{"POST /agendas/{id}/hours", web.Session, clinic.PermManageSchedule},
		{"POST /agendas/{id}/exceptions", web.Session, clinic.PermManageSchedule},
		{"GET /agendas/{id}/exceptions", web.Session, clinic.PermManageSchedule},
		{"POST /exceptions/{id}/delete", web.Session, clinic.PermManageSchedule},
		{"GET /practitioners/{id}/absences", web.Session, clinic.PermManageSchedule},
		{"POST /practitioners/{id}/absences", web.Session, clinic.PermManageSchedule},
		{"POST /absences/{id}/delete", web.Session, clinic.PermManageSchedule},
		{"GET /reasons", web.Session, clinic.PermReadDirectory},
		{"GET /reasons/new", web.Session, clinic.PermManageDirectory},
		{"POST /reasons", web.Session, clinic.PermManageDirectory},
		{"GET /reasons/{id}/edit", web.Session, clinic.PermManageDirectory},
		{"POST /reasons/{id}", web.Session, clinic.PermManageDirectory},
		{"GET /settings/booking", web.Session, clinic.PermManageDirectory},
		{"POST /settings/booking", web.Session, clinic.PermManageDirectory},
		{"GET /settings/portal", web.Session, clinic.PermManageDirectory},
		{"POST /settings/portal", web.Session, clinic.PermManageDirectory},
		{"GET /settings/portal/button", web.Session, clinic.PermManageDirectory},
		{"POST /settings/portal/invite", web.Session, clinic.PermManageDirectory},
		{"GET /settings/databases", web.Session, clinic.PermManageDirectory},
		{"GET /settings/databases/{id}/dry-run", web.Session, clinic.PermManageDirectory},
		{"POST /settings/databases/{id}", web.Session, clinic.PermManageDirectory},
		{"GET /settings/databases/{id}/hl7", web.Session, clinic.PermManageDirectory},
		{"POST /settings/databases/{id}/hl7", web.Session, clinic.PermManageDirectory},
		{"POST /settings/databases/{id}/mappings", web.Session, clinic.PermManageDirectory},
		{"GET /settings/databases/{id}/fhir", web.Session, clinic.PermManageDirectory},
		{"GET /settings/databases/{id}/import", web.Session, clinic.PermManageDirectory},
		{"GET /settings/databases/{id}/profile", web.Session, clinic.PermManageDirectory},
		{"POST /settings/databases/{id}/profile", web.Session, clinic.PermManageDirectory},
		{"POST /settings/databases/{id}/profile/reset", web.Session, clinic.PermManageDirectory},
		{"POST /settings/databases/{id}/import", web.Session, clinic.PermManageDirectory},
		{"POST /settings/databases/{id}/fhir", web.Session, clinic.PermManageDirectory},
		{"POST /settings/databases/{id}/mappings/delete", web.Session, clinic.PermManageDirectory},
		{"GET /sync/quarantine", web.Session, clinic.PermManageDirectory},
		{"GET /sync/write-backs", web.Session, clinic.PermWriteSchedule},
		{"POST /sync/write-backs/{id}/retry", web.Session, clinic.PermWriteSchedule},
		{"POST /sync/quarantine/{id}/reprocess", web.Session, clinic.PermManageDirectory},
		{"POST /sync/quarantine/{id}/dismiss", web.Session, clinic.PermManageDirectory},
		{"GET /settings/channels", web.Session, clinic.PermManageDirectory},
		{"POST /settings/channels", web.Session, clinic.PermManageDirectory},
		{"POST /patients/{id}/notifications", web.Session, clinic.PermPatientConsent},
		{"POST /patients/{id}/consents", web.Session, clinic.PermPatientConsent},
		{"GET /patients/{id}/explain", web.Session, clinic.PermReadPatients},
		{"GET /consent/conflicts", web.Session, clinic.PermPatientConsent},
		{"GET /audit", web.Session, clinic.PermReadAudit},
		{"GET /audit.csv", web.Session, clinic.PermReadAudit},
		{"GET /notifications", web.Session, clinic.PermReadPatients},
		{"GET /notifications/{id}", web.Session, clinic.PermReadPatients},
		{"GET /outbox", web.Session, clinic.PermReadPatients},
		{"GET /inbox", web.Session, clinic.PermReadPatients},
		{"POST /inbox/read", web.Session, clinic.PermReadPatients},
		{"GET /settings/notifications", web.Session, clinic.PermManageDirectory},
		{"POST /settings/notifications", web.Session, clinic.PermManageDirectory},
		{"GET /settings/templates", web.Session, clinic.PermManageDirectory},
		{"GET /settings/templates/{kind}/{channel}/{lang}", web.Session, clinic.PermManageDirectory},
		{"POST /settings/templates/{kind}/{channel}/{lang}", web.Session, clinic.PermManageDirectory},
		{"POST /settings/templates/{kind}/{channel}/{lang}/preview", web.Session, clinic.PermManageDirectory},
		{"GET /settings/sms", web.Session, clinic.PermManageDirectory},
		{"POST /settings/sms", web.Session, clinic.PermManageDirectory},
		{"POST /settings/sms-accounts/{id}/delete", web.Session, clinic.PermManageDirectory},
		{"GET /staff", web.Session, clinic.PermManageStaff},
		{"GET /staff/new", web.Session, clinic.PermManageStaff},
		{"POST /staff/new", web.Session, clinic.PermManageStaff},
		{"GET /staff/{id}", web.Session, clinic.PermManageStaff},
		{"POST /staff/{id}/role", web.Session, clinic.PermManageStaff},
		{"POST /staff/{id}/disable", web.Session, clinic.PermManageStaff},
		{"POST /staff/{id}/enable", web.Session, clinic.PermManageStaff},
		{"POST /staff/{id}/password", web.Session, clinic.PermManageStaff},
		{"GET /profile", web.Session, clinic.PermSignedIn},
		{"POST /profile", web.Session, clinic.PermSignedIn},
		{"POST /profile/password", web.Session, clinic.PermSignedIn},
		{"GET /my-day", web.Session, clinic.PermReadSchedule},
		{"GET /recalls", web.Session, clinic.PermReadPatients},
		{"GET /recalls/summary", web.Session, clinic.PermReadPatients},
		{"GET /recalls/new", web.Session, clinic.PermFollowUp},
		{"POST /recalls/new", web.Session, clinic.PermFollowUp},
		{"POST /recalls/search", web.Session, clinic.PermFollowUp},
		{"GET /recalls/templates", web.Session, clinic.PermManageDirectory},
		{"POST /recalls/templates", web.Session, clinic.PermManageDirectory},
		{"GET /recalls/templates/{key}", web.Session, clinic.PermManageDirectory},
		{"POST /recalls/settings", web.Session, clinic.PermManageDirectory},
		{"GET /recalls/{id}", web.Session, clinic.PermReadPatients},
		{"POST /recalls/{id}/start", web.Session, clinic.PermFollowUp},
		{"POST /recalls/{id}/skip", web.Session, clinic.PermFollowUp},
		{"POST /recalls/{id}/done", web.Session, clinic.PermFollowUp},
		{"GET /settings/messaging", web.Session, clinic.PermManageDirectory},
		{"POST /settings/messaging", web.Session, clinic.PermManageDirectory},
		{"GET /messages", web.Session, clinic.PermReadPatients},
		{"POST /messages", web.Session, clinic.PermReadPatients},
		{"POST /messages/search", web.Session, clinic.PermReadPatients},
		{"GET /messages/{id}", web.Session, clinic.PermReadPatients},
		{"GET /messages/{id}/after/{after}", web.Session, clinic.PermReadPatients},
		{"POST /messages/{id}/reply", web.Session, clinic.PermReadPatients},
		{"POST /messages/{id}/read", web.Session, clinic.PermReadPatients},
		{"POST /messages/{id}/assign", web.Session, clinic.PermReadPatients},
		{"POST /messages/{id}/close", web.Session, clinic.PermReadPatients},
		{"POST /messages/{id}/reopen", web.Session, clinic.PermReadPatients},
		{"POST /messages/{id}/handover", web.Session, clinic.PermReadPatients},
		{"GET /messages/attachments/{id}", web.Session, clinic.PermReadPatients},
		{"GET /events", web.Session, clinic.PermReadPatients},
		{"GET /static/", web.Public, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
}

func TestNewRequiresDeps(t *testing.T) {
	if _, err := New(Deps{}); err == nil {
		t.Error("New without a database succeeded")
	}
}

func TestHome(t *testing.T) {
	e := newEnv(t)
	res := e.do(request{method: "GET", path: "/", actor: actorOf(e.admin)})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/agenda" {
		t.Errorf("GET / = %d %q, want 303 /agenda", res.status, res.header.Get("Location"))
	}
}

func TestPatientList(t *testing.T) {
	e := newEnv(t)
	p := e.fx.Patient
	res := e.do(request{method: "GET", path: "/patients", actor: actorOf(e.recep)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	for _, want := range []string{p.FullName(), fmt.Sprintf(`class="patient-link" href="/patients/%d"`, p.ID),
		`id="q"`, `action="/patients/search"`, `method="post"`, "Rita Reception", "Org acme", `id="clinic-switch"`} {
		if !strings.Contains(res.body, want) {
			t.Errorf("body lacks %q", want)
		}
	}
	if strings.Contains(res.body, `href="/audit"`) {
		t.Error("reception sees the Audit log link")
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	checkNoPatientDataInURLs(t, res, p)
	checkCSP(t, res.body)
	if diff := cmp.Diff([]string{fmt.Sprintf("patient.list %d", p.ID)}, e.auditRows(e.fx.Org.ID)); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}

	res = e.do(request{method: "GET", path: "/patients?after=abc", actor: actorOf(e.recep)})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `data-field="after"`) {
		t.Errorf("bad cursor: status %d, want 422 naming the field", res.status)
	}
}

func TestPatientListPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var last clinic.PatientID
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		for i := range patientPageSize {
			p, err := tx.Patients().CreatePatient(ctx, e.fx.Org.ID, clinic.Patient{DatabaseID: e.fx.Database.ID,
				GivenName: fmt.Sprintf("Given%d", i), FamilyName: "Family", Language: "en"})
			if err != nil {
				return err
			}
			last = p.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res := e.do(request{method: "GET", path: "/patients", actor: actorOf(e.admin)})
	if n := strings.Count(res.body, `class="patient-link"`); n != patientPageSize {
		t.Errorf("first page shows %d patients, want %d", n, patientPageSize)
	}
	next := fmt.Sprintf(`href="/patients?after=%d"`, last-1)
	if !strings.Contains(res.body, next) {
		t.Fatalf("first page lacks %s", next)
	}
	res = e.do(request{method: "GET", path: fmt.Sprintf("/patients?after=%d", last-1), actor: actorOf(e.admin)})
	if n := strings.Count(res.body, `class="patient-link"`); n != 1 || strings.Contains(res.body, "Next page") {
		t.Errorf("last page shows %d patients (want 1) or a next link", n)
	}
}

func TestPatientSearch(t *testing.T) {
	tests := []struct {
		name   string
		q      string
		htmx   bool
		status int
		found  bool
	}{
		{"family name prefix", "hop", false, http.StatusOK, true},
		{"given and family", "Grace Hopper", false, http.StatusOK, true},
		{"family then given, any case", "HOPPER gr", false, http.StatusOK, true},
		{"national mobile", "0412 345 678", false, http.StatusOK, true},
		{"international mobile", "+61 412-345-678", false, http.StatusOK, true},
		{"e-mail, any case", " Grace@Example.COM ", false, http.StatusOK, true},
		{"htmx fragment", "hopper", true, http.StatusOK, true},
		{"no match", "turing", false, http.StatusOK, false},
		{"other mobile", "0499 999 999", false, http.StatusOK, false},
		{"invalid e-mail", "grace@", false, http.StatusUnprocessableEntity, false},
		{"invalid e-mail, htmx", "grace@", true, http.StatusUnprocessableEntity, false},
		{"invalid phone", "123 456", false, http.StatusUnprocessableEntity, false},
		{"empty", "  ", false, http.StatusUnprocessableEntity, false},
		{"punctuation only", "%_*", false, http.StatusUnprocessableEntity, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			p := e.fx.Patient
			rq := request{method: "POST", path: "/patients/search", form: url.Values{"q": {tc.q}}, actor: actorOf(e.recep)}
			if tc.htmx {
				rq.header = map[string]string{"HX-Request": "true"}
			}
			res := e.do(rq)
			if res.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", res.status, tc.status, res.body)
			}
			link := fmt.Sprintf(`class="patient-link" href="/patients/%d"`, p.ID)
			if got := strings.Contains(res.body, link); got != tc.found {
				t.Errorf("found = %v, want %v\n%s", got, tc.found, res.body)
			}
			if tc.htmx == strings.Contains(res.body, "<html") {
				t.Errorf("htmx=%v but whole page=%v", tc.htmx, !tc.htmx)
			}
			if !strings.Contains(res.body, `id="results"`) {
				t.Error("no #results element")
			}
			if tc.status == http.StatusUnprocessableEntity && !strings.Contains(res.body, `id="q-error"`) {
				t.Error("422 without the field's message")
			}
			checkNoPatientDataInURLs(t, res, p)
			var want []string
			if tc.found {
				want = []string{fmt.Sprintf("patient.search %d", p.ID)}
			}
			if diff := cmp.Diff(want, e.auditRows(e.fx.Org.ID)); diff != "" {
				t.Errorf("audit (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSearchIsTenantScoped searches another organisation's patient by each of its details.
func TestSearchIsTenantScoped(t *testing.T) {
	e := newEnv(t)
	other := storetest.Seed(t, e.db, "other")
	for _, q := range []string{"hopper", "+61412345678", "grace@example.com"} {
		res := e.do(request{method: "POST", path: "/patients/search", form: url.Values{"q": {q}}, actor: actorOf(e.recep)})
		if strings.Contains(res.body, fmt.Sprintf(`href="/patients/%d"`, other.Patient.ID)) {
			t.Errorf("search %q shows another organisation's patient", q)
		}
	}
}

func TestPatientShow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	other := storetest.Seed(t, e.db, "other")
	loc, _ := time.LoadLocation("Australia/Sydney")
	var child clinic.Patient
	err := e.db.Update(ctx, func(tx *store.Tx) (err error) {
		child, err = tx.Patients().CreatePatient(ctx, e.fx.Org.ID, clinic.Patient{DatabaseID: e.fx.Database.ID, GivenName: "Walter",
			FamilyName: "Hopper", BirthDate: "2015-02-01", Language: "en"})
		if err != nil {
			return err
		}
		if err := tx.Patients().LinkRelatives(ctx, e.fx.Org.ID, e.fx.Patient.ID, child.ID, clinic.RelParent); err != nil {
			return err
		}
		for _, start := range []time.Time{time.Date(2026, 4, 8, 9, 0, 0, 0, loc), time.Date(2026, 3, 2, 14, 30, 0, 0, loc)} {
			if _, err := tx.Appointments().CreateAppointment(ctx, e.fx.Org.ID, clinic.Appointment{ClinicID: e.fx.Clinic.ID, AgendaID: e.fx.Agenda.ID,
				ReasonID: e.fx.Reason.ID, PatientID: e.fx.Patient.ID, Start: start, End: start.Add(15 * time.Minute),
				Status: clinic.StatusBooked, BookedBy: clinic.BookedByPatient}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		path   string
		status int
		want   []string
	}{
		{"own patient", fmt.Sprintf("/patients/%d", e.fx.Patient.ID), http.StatusOK, []string{
			`<h1 id="patient-name">Grace Hopper</h1>`, "9 Dec 1980", "0412 345 678", "grace@example.com", "English", "PMS", "P1",
			fmt.Sprintf(`href="/patients/%d">Walter Hopper</a>`, child.ID), "Wed 8 Apr 2026", "09:00–09:15 AEST",
			"Mon 2 Mar 2026", "14:30–14:45 AEDT", "Dr Lovelace", "Standard consult", "Booked", "Patient (online)",
			fmt.Sprintf(`href="/audit?patient=%d"`, e.fx.Patient.ID)}},
		{"another organisation's patient", fmt.Sprintf("/patients/%d", other.Patient.ID), http.StatusNotFound, []string{"Not found."}},
		{"unknown id", "/patients/999999", http.StatusNotFound, []string{"Not found."}},
		{"not a number", "/patients/grace", http.StatusNotFound, []string{"Not found."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(request{method: "GET", path: tc.path, actor: actorOf(e.admin)})
			if res.status != tc.status {
				t.Fatalf("status %d, want %d", res.status, tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.body, w) {
					t.Errorf("body lacks %q", w)
				}
			}
			if tc.status != http.StatusOK && strings.Contains(res.body, "Hopper") {
				t.Error("an error page shows patient data")
			}
			checkNoPatientDataInURLs(t, res, e.fx.Patient)
		})
	}
	// recall.History audits the patient's recall history itself, before the page's own rows.
	want := []string{fmt.Sprintf("recall.history %d", e.fx.Patient.ID), fmt.Sprintf("patient.consent.read %d", e.fx.Patient.ID),
		fmt.Sprintf("patient.decisions %d", e.fx.Patient.ID), fmt.Sprintf("patient.read %d", e.fx.Patient.ID), fmt.Sprintf("relative.list %d", child.ID)}
	if diff := cmp.Diff(want, e.auditRows(e.fx.Org.ID)); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
	if got := e.auditRows(other.Org.ID); len(got) != 0 {
		t.Errorf("the other organisation's audit log has %v", got)
	}
}

// TestPatientShowAuditFails proves the data is not shown when its audit row cannot be written.
func TestPatientShowAuditFails(t *testing.T) {
	e := newEnv(t)
	if _, err := e.db.SQLDB().Exec("DROP TABLE audit_log"); err != nil {
		t.Fatal(err)
	}
	res := e.do(request{method: "GET", path: fmt.Sprintf("/patients/%d", e.fx.Patient.ID), actor: actorOf(e.admin)})
	if res.status != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", res.status)
	}
	for _, s := range []string{"Hopper", "grace@example.com", "61412345678"} {
		if strings.Contains(res.body, s) {
			t.Errorf("the error page shows %q", s)
		}
	}
	if !strings.Contains(res.body, "req-test") {
		t.Error("the error page does not give the request id")
	}
}

func TestAgendaDay(t *testing.T) {
	loc, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, loc) }
	tests := []struct {
		name  string
		query string
		appts []time.Time // 15-minute appointments to create
		want  []string    // local spans shown
		never []string    // spans that belong to another day
		title string
	}{
		{"plain day", "?date=2026-04-08", []time.Time{at(2026, 4, 8, 9, 0), at(2026, 4, 9, 9, 0)},
			[]string{"09:00–09:15"}, nil, "Wednesday 8 April 2026"},
		{"default is today in the clinic zone", "", []time.Time{at(2026, 4, 7, 9, 0)},
			[]string{"09:00–09:15"}, nil, "Tuesday 7 April 2026"},
		{"DST ends: a 25-hour day", "?date=2026-04-05",
			[]time.Time{at(2026, 4, 5, 9, 0), at(2026, 4, 5, 23, 30), at(2026, 4, 6, 0, 30), at(2026, 4, 4, 23, 30)},
			[]string{"09:00–09:15", "23:30–23:45"}, []string{"00:30–00:45"}, "Sunday 5 April 2026"},
		{"DST starts: a 23-hour day", "?date=2026-10-04",
			[]time.Time{at(2026, 10, 4, 9, 0), at(2026, 10, 4, 0, 30), at(2026, 10, 5, 0, 45), at(2026, 10, 3, 23, 30)},
			[]string{"00:30–00:45", "09:00–09:15"}, []string{"00:45–01:00", "23:30–23:45"}, "Sunday 4 October 2026"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			err := e.db.Update(ctx, func(tx *store.Tx) error {
				for _, s := range tc.appts {
					if _, err := tx.Appointments().CreateAppointment(ctx, e.fx.Org.ID, clinic.Appointment{ClinicID: e.fx.Clinic.ID, AgendaID: e.fx.Agenda.ID,
						ReasonID: e.fx.Reason.ID, PatientID: e.fx.Patient.ID, Start: s, End: s.Add(15 * time.Minute),
						Status: clinic.StatusConfirmed, BookedBy: clinic.BookedByStaff}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			res := e.do(request{method: "GET", path: "/agenda" + tc.query, actor: actorOf(e.recep)})
			if res.status != http.StatusOK {
				t.Fatalf("status %d\n%s", res.status, res.body)
			}
			for _, w := range append([]string{`id="agenda"`, tc.title, "Dr Lovelace", "Confirmed", "Standard consult",
				fmt.Sprintf(`class="patient-link" href="/patients/%d">Grace Hopper</a>`, e.fx.Patient.ID)}, tc.want...) {
				if !strings.Contains(res.body, w) {
					t.Errorf("body lacks %q", w)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(res.body, n) {
					t.Errorf("body shows %q, from another day", n)
				}
			}
			if got, want := strings.Count(res.body, `class="patient-link"`), len(tc.want); got != want {
				t.Errorf("%d appointments shown, want %d", got, want)
			}
			checkNoPatientDataInURLs(t, res, e.fx.Patient)
			checkCSP(t, res.body)
			if diff := cmp.Diff([]string{fmt.Sprintf("appointment.list %d", e.fx.Patient.ID)}, e.auditRows(e.fx.Org.ID)); diff != "" {
				t.Errorf("audit (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAgendaInvalidDate(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{"2026-13-01", "2026-02-30", "tomorrow", "5/4/2026"} {
		res := e.do(request{method: "GET", path: "/agenda?date=" + url.QueryEscape(q), actor: actorOf(e.recep)})
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("date %q: status %d, want 422", q, res.status)
		}
		if !strings.Contains(res.body, `data-field="date"><strong>Day</strong>`) || !strings.Contains(res.body, `id="clinic-switch"`) {
			t.Errorf("date %q: the 422 page does not name the field in the layout", q)
		}
	}
}

func TestAgendaEmptyDayAuditsNothing(t *testing.T) {
	e := newEnv(t)
	res := e.do(request{method: "GET", path: "/agenda?date=2026-04-08", actor: actorOf(e.recep)})
	if res.status != http.StatusOK || !strings.Contains(res.body, "No appointments.") {
		t.Errorf("status %d, or no empty-column message", res.status)
	}
	if got := e.auditRows(e.fx.Org.ID); len(got) != 0 {
		t.Errorf("audit rows for an empty day: %v", got)
	}
}

func TestClinicSwitch(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	other := storetest.Seed(t, e.db, "other")
	var second clinic.Clinic
	err := e.db.Update(ctx, func(tx *store.Tx) (err error) {
		second, err = tx.Directory().CreateClinic(ctx, e.fx.Org.ID, clinic.Clinic{DatabaseID: e.fx.Database.ID, Slug: "harbour",
			Name: "Harbour Rd", Zone: "Australia/Perth", Region: "AU"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		form     url.Values
		status   int
		location string
		cookie   string
	}{
		{"own clinic, back to next", url.Values{"clinic_id": {fmt.Sprint(second.ID)}, "next": {"/agenda?date=2026-04-08"}},
			http.StatusSeeOther, "/agenda?date=2026-04-08", fmt.Sprint(second.ID)},
		{"off-site next", url.Values{"clinic_id": {fmt.Sprint(second.ID)}, "next": {"//evil.example/x"}},
			http.StatusSeeOther, "/agenda", fmt.Sprint(second.ID)},
		{"another organisation's clinic", url.Values{"clinic_id": {fmt.Sprint(other.Clinic.ID)}, "next": {"/agenda"}},
			http.StatusNotFound, "", ""},
		{"not a number", url.Values{"clinic_id": {"x"}}, http.StatusUnprocessableEntity, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(request{method: "POST", path: "/clinic", form: tc.form, actor: actorOf(e.recep)})
			if res.status != tc.status || res.header.Get("Location") != tc.location {
				t.Fatalf("got %d %q, want %d %q", res.status, res.header.Get("Location"), tc.status, tc.location)
			}
			var got *http.Cookie
			for _, c := range (&http.Response{Header: res.header}).Cookies() {
				if c.Name == clinicCookie {
					got = c
				}
			}
			if tc.cookie == "" {
				if got != nil {
					t.Errorf("cookie set: %v", got)
				}
				return
			}
			if got == nil || got.Value != tc.cookie || !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Path != "/" {
				t.Errorf("cookie %+v, want %s HttpOnly SameSite=Lax Path=/", got, tc.cookie)
			}
		})
	}

	// The cookie selects the clinic; another organisation's id in it is ignored.
	for _, tc := range []struct {
		value string
		want  string
	}{{fmt.Sprint(second.ID), "Harbour Rd"}, {fmt.Sprint(other.Clinic.ID), "Main St"}, {"junk", "Main St"}} {
		res := e.do(request{method: "GET", path: "/agenda?date=2026-04-08", actor: actorOf(e.recep),
			cookie: &http.Cookie{Name: clinicCookie, Value: tc.value}})
		if !strings.Contains(res.body, `<span class="sub">`+tc.want+`</span>`) {
			t.Errorf("cookie %q: agenda is not %s's", tc.value, tc.want)
		}
	}
}

func TestLogin(t *testing.T) {
	tests := []struct {
		name     string
		email    string
		password string
		next     string
		status   int
		location string
		message  string
	}{
		{"right credentials", "ADA@example.com", testPassword, "/patients/1", http.StatusSeeOther, "/patients/1", ""},
		{"no next", "ada@example.com", testPassword, "", http.StatusSeeOther, "/agenda", ""},
		{"off-site next", "ada@example.com", testPassword, "//evil.example/", http.StatusSeeOther, "/agenda", ""},
		{"backslash next", "ada@example.com", testPassword, "/\\evil.example/", http.StatusSeeOther, "/agenda", ""},
		{"absolute next", "ada@example.com", testPassword, "https://evil.example/", http.StatusSeeOther, "/agenda", ""},
		{"wrong password", "ada@example.com", "wrong", "", http.StatusUnauthorized, "", msgBadCredentials},
		{"unknown e-mail", "nobody@example.com", testPassword, "", http.StatusUnauthorized, "", msgBadCredentials},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			form := url.Values{"email": {tc.email}, "password": {tc.password}}
			if tc.next != "" {
				form.Set("next", tc.next)
			}
			res := e.do(request{method: "POST", path: "/login", form: form})
			if res.status != tc.status || res.header.Get("Location") != tc.location {
				t.Fatalf("got %d %q, want %d %q\n%s", res.status, res.header.Get("Location"), tc.status, tc.location, res.body)
			}
			setsSession := strings.Contains(res.header.Get("Set-Cookie"), session.CookieName+"=")
			if setsSession != (tc.status == http.StatusSeeOther) {
				t.Errorf("session cookie set = %v", setsSession)
			}
			if tc.message != "" {
				if !strings.Contains(res.body, tc.message) || !strings.Contains(res.body, `id="email"`) {
					t.Errorf("the form is not shown again with %q", tc.message)
				}
				if strings.Contains(res.body, tc.password) {
					t.Error("the password is echoed")
				}
			}
		})
	}
}

func TestLoginForm(t *testing.T) {
	e := newEnv(t)
	res := e.do(request{method: "GET", path: "/login?next=" + url.QueryEscape("/agenda?date=2026-04-05")})
	for _, w := range []string{`id="email"`, `id="password"`, `id="sign-in"`, `for="email"`, `for="password"`,
		`name="next" value="/agenda?date=2026-04-05"`} {
		if !strings.Contains(res.body, w) {
			t.Errorf("login form lacks %q", w)
		}
	}
	res = e.do(request{method: "GET", path: "/login?next=" + url.QueryEscape("https://evil.example/")})
	if strings.Contains(res.body, "evil") {
		t.Error("an off-site next is carried into the form")
	}
}

func TestLoginRateLimited(t *testing.T) {
	e := newEnv(t)
	var last response
	for range 6 {
		last = e.do(request{method: "POST", path: "/login", form: url.Values{"email": {"ada@example.com"}, "password": {"wrong"}}})
	}
	if last.status != http.StatusTooManyRequests || !strings.Contains(last.body, msgRateLimited) {
		t.Errorf("sixth attempt: status %d, want 429 with %q", last.status, msgRateLimited)
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	res := e.do(request{method: "POST", path: "/logout", actor: actorOf(e.admin), cookie: &http.Cookie{Name: session.CookieName, Value: "x"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/login" {
		t.Errorf("got %d %q, want 303 /login", res.status, res.header.Get("Location"))
	}
	if !strings.Contains(res.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("session cookie not cleared: %q", res.header.Get("Set-Cookie"))
	}
}

func TestRenderError(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name     string
		actor    clinic.Actor
		inLayout bool
	}{
		{"signed in", actorOf(e.admin), true},
		{"visitor", clinic.Actor{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/nowhere", nil)
			ctx := web.WithRequestID(r.Context(), "req-test")
			if tc.actor.OrgID != 0 {
				ctx = web.WithActor(ctx, tc.actor)
			}
			w := httptest.NewRecorder()
			e.d.RenderError(w, r.WithContext(ctx), http.StatusNotFound, "Not found.")
			body := w.Body.String()
			if w.Code != http.StatusNotFound || !strings.Contains(body, "Not found.") {
				t.Errorf("status %d, body lacks the message", w.Code)
			}
			if got := strings.Contains(body, `id="clinic-switch"`); got != tc.inLayout {
				t.Errorf("in layout = %v, want %v", got, tc.inLayout)
			}
			checkCSP(t, body)
		})
	}
}
