package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
	"github.com/tidings-health/tidings/internal/web"
)

// apiClock is the settable clock of an apiEnv: Tuesday 7 April 2026, 10:00 in Sydney.
type apiClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *apiClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *apiClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// apiEnv is the API over a fresh database with two organisations and an API token of every
// role in each, its routes mounted as the server mounts them: the route's permission is
// checked before the handler, with the server's problem answer.
type apiEnv struct {
	t      *testing.T
	db     *store.DB
	clock  *apiClock
	mux    *http.ServeMux
	a, b   storetest.Fixture
	tokens map[clinic.OrgID]map[clinic.Role]clinic.Token
	book   *booking.Service
}

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	e := &apiEnv{t: t, clock: &apiClock{t: time.Date(2026, 4, 7, 0, 0, 0, 0, time.UTC)}, tokens: map[clinic.OrgID]map[clinic.Role]clinic.Token{}}
	e.db = storetest.Open(t, e.clock.Now)
	e.a, e.b = storetest.Seed(t, e.db, "a"), storetest.Seed(t, e.db, "b")
	ctx := context.Background()
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		for _, org := range []clinic.OrgID{e.a.Org.ID, e.b.Org.ID} {
			e.tokens[org] = map[clinic.Role]clinic.Token{}
			for _, role := range clinic.Roles() {
				tok, err := tx.Staff().CreateToken(ctx, org, clinic.Token{Name: string(role), Role: role}, []byte(fmt.Sprint(org, role)))
				if err != nil {
					return err
				}
				e.tokens[org][role] = tok
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.book = booking.New(e.db)
	e.route(e.deps())
	return e
}

// deps are the use cases e's API is built on.
func (e *apiEnv) deps() Deps {
	return Deps{DB: e.db, Booking: e.book, Directory: directory.New(e.db), Patients: patient.New(e.db), Notify: notify.New(e.db)}
}

// route routes e's requests to the API built on d, the permission of each route checked
// before the handler, with the server's problem answer.
func (e *apiEnv) route(d Deps) {
	a := New(d)
	e.mux = http.NewServeMux()
	log := slog.New(slog.DiscardHandler)
	for _, rt := range a.Routes() {
		e.mux.HandleFunc(rt.Method+" "+rt.Pattern, func(w http.ResponseWriter, r *http.Request) {
			if rt.Auth == web.Bearer && !web.MustActor(r.Context()).Can(rt.Perm) {
				web.WriteProblem(w, r, log, fmt.Errorf("route %s: %w", rt.Pattern, clinic.ErrForbidden))
				return
			}
			rt.Handler(w, r)
		})
	}
}

type apiResponse struct {
	status int
	body   []byte
}

// problem is a problem document's field names.
func (r apiResponse) fields(t *testing.T) []string {
	t.Helper()
	var p web.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("not a problem document: %s", r.body)
	}
	var out []string
	for _, f := range p.Errors {
		out = append(out, f.Field)
	}
	return out
}

func (r apiResponse) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// jsonRequest is a request to the API; body is JSON (a string is sent as is; nil: no body).
func jsonRequest(method, path string, body any) *http.Request {
	var b []byte
	switch x := body.(type) {
	case nil:
	case string:
		b = []byte(x)
	default:
		b, _ = json.Marshal(x)
	}
	r := httptest.NewRequest(method, path, bytes.NewReader(b))
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

// do calls the API with the token of role in org; body is JSON (a string is sent as is).
func (e *apiEnv) do(org clinic.OrgID, role clinic.Role, method, path string, body any) apiResponse {
	e.t.Helper()
	r := jsonRequest(method, path, body)
	ctx := web.WithActor(web.WithRequestID(r.Context(), "req-api"), clinic.TokenActor(e.tokens[org][role]))
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r.WithContext(ctx))
	return apiResponse{w.Code, w.Body.Bytes()}
}

func (e *apiEnv) admin(method, path string, body any) apiResponse {
	e.t.Helper()
	return e.do(e.a.Org.ID, clinic.RoleAdministrator, method, path, body)
}

// sent books org a's patient on Friday 10 April 2026 at 09:00 in Sydney and lets the booking
// confirmations (SMS, e-mail) go out to the outbox; the 2 h reminders stay planned.
func (e *apiEnv) sent() []store.Notification {
	e.t.Helper()
	ctx := context.Background()
	var hs []clinic.WorkingHours
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		hs = append(hs, clinic.WorkingHours{Weekday: wd, Start: 8 * 60, End: 18 * 60})
	}
	syd, _ := time.LoadLocation("Australia/Sydney")
	err := e.db.Update(ctx, func(tx *store.Tx) error { return tx.Schedule().SetWorkingHours(ctx, e.a.Org.ID, e.a.Agenda.ID, hs) })
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = e.book.Book(ctx, clinic.TokenActor(e.tokens[e.a.Org.ID][clinic.RoleAdministrator]), booking.Request{PatientID: e.a.Patient.ID,
		ReasonID: e.a.Reason.ID, AgendaID: e.a.Agenda.ID, Start: time.Date(2026, 4, 10, 9, 0, 0, 0, syd)}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.clock.Advance(3 * time.Minute)
	d := dispatch.New(e.db, dispatch.Config{}, dispatch.Senders{SMS: &dispatch.SMS{Fallback: dispatch.Outbox{}}, Email: dispatch.Outbox{}}, nil)
	if _, err := d.Round(ctx); err != nil {
		e.t.Fatal(err)
	}
	var ns []store.Notification
	err = e.db.View(ctx, func(tx *store.Tx) (err error) {
		ns, err = tx.Notifications().ListNotifications(ctx, e.a.Org.ID, store.NotificationFilter{})
		return err
	})
	if err != nil || len(ns) != 4 {
		e.t.Fatalf("notifications %v %v, want 4", ns, err)
	}
	return ns
}

func (e *apiEnv) audited(org clinic.OrgID, action string) bool {
	e.t.Helper()
	ctx := context.Background()
	var rows []store.AuditEntry
	if err := e.db.View(ctx, func(tx *store.Tx) (err error) {
		rows, err = tx.AuditTrail().AuditLog(ctx, org, store.AuditFilter{}, store.Page{Limit: 500})
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return slices.ContainsFunc(rows, func(r store.AuditEntry) bool { return r.Action == action })
}

func ids(items []Notification) []int64 {
	var out []int64
	for _, n := range items {
		out = append(out, n.ID)
	}
	slices.Sort(out)
	return out
}

func wantStatus(t *testing.T, what string, r apiResponse, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.body)
	}
}

func wantFields(t *testing.T, what string, r apiResponse, fields ...string) {
	t.Helper()
	wantStatus(t, what, r, http.StatusUnprocessableEntity)
	got := r.fields(t)
	for _, f := range fields {
		if !slices.Contains(got, f) {
			t.Errorf("%s: the problem names %v, not %q", what, got, f)
		}
	}
}

func TestNotificationsAPI(t *testing.T) {
	e := newAPIEnv(t)
	ns := e.sent()
	byKind := map[string]store.Notification{}
	for _, n := range ns {
		byKind[n.Kind+"/"+n.Channel] = n
	}
	list := func(role clinic.Role, query string) ListOf[Notification] {
		t.Helper()
		r := e.do(e.a.Org.ID, role, http.MethodGet, "/api/v1/notifications"+query, nil)
		wantStatus(t, query, r, http.StatusOK)
		var out ListOf[Notification]
		r.decode(t, &out)
		return out
	}
	all := list(clinic.RoleReception, "?clinic_id="+fmt.Sprint(e.a.Clinic.ID))
	if len(all.Items) != 4 || all.NextCursor != "" {
		t.Fatalf("list %+v, want the 4 notifications on one page", all)
	}
	sms := all.Items[slices.IndexFunc(all.Items, func(n Notification) bool { return n.ID == byKind["confirmation/sms"].ID })]
	if sms.State != "sent" || sms.Provider != "outbox" || sms.ProviderID == "" || sms.Segments != 1 || sms.Destination != "+61412345678" ||
		!strings.HasPrefix(sms.Body, "Grace, you're booked") || sms.SentAt == nil || *sms.PatientID != int64(e.a.Patient.ID) {
		t.Errorf("sms confirmation %+v", sms)
	}
	if !e.audited(e.a.Org.ID, notify.ActionLogList) {
		t.Error("the list is not audited")
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"?state=sent", []string{"confirmation/sms", "confirmation/email"}},
		{"?state=planned&channel=sms", []string{"reminder/sms"}},
		{"?patient_id=" + fmt.Sprint(e.a.Patient.ID) + "&channel=email", []string{"confirmation/email", "reminder/email"}},
		{"?from=2026-04-09T00:00:00Z&to=2026-04-10T00:00:00Z", []string{"reminder/sms", "reminder/email"}},
		{"?to=2026-04-09T00:00:00Z", []string{"confirmation/sms", "confirmation/email"}},
		{"?patient_id=" + fmt.Sprint(e.b.Patient.ID), nil},
		{"?clinic_id=" + fmt.Sprint(e.b.Clinic.ID), nil},
	} {
		var want []int64
		for _, k := range tc.want {
			want = append(want, byKind[k].ID)
		}
		slices.Sort(want)
		if got := ids(list(clinic.RolePractitioner, tc.query).Items); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", tc.query, got, want)
		}
	}
	// Pages: newest first, the cursor continuing below.
	first := list(clinic.RoleAdministrator, "?limit=3")
	if len(first.Items) != 3 || first.NextCursor == "" {
		t.Fatalf("first page %d items, cursor %q", len(first.Items), first.NextCursor)
	}
	second := list(clinic.RoleAdministrator, "?limit=3&cursor="+first.NextCursor)
	if len(second.Items) != 1 || second.Items[0].ID >= first.Items[2].ID {
		t.Errorf("second page %+v", second.Items)
	}
	// Another organisation sees none of them.
	if other := e.do(e.b.Org.ID, clinic.RoleAdministrator, http.MethodGet, "/api/v1/notifications", nil); !strings.Contains(string(other.body), `"items":[]`) {
		t.Errorf("org b lists %s", other.body)
	}
	wantFields(t, "bad filters", e.admin(http.MethodGet, "/api/v1/notifications?state=lost&channel=fax&from=yesterday&to=2026-04-09&limit=0&clinic_id=x", nil),
		"state", "channel", "from", "to", "limit", "clinic_id")

	// One notification, with its history and the consent decision.
	path := fmt.Sprintf("/api/v1/notifications/%d", byKind["confirmation/sms"].ID)
	r := e.do(e.a.Org.ID, clinic.RoleReception, http.MethodGet, path, nil)
	wantStatus(t, "detail", r, http.StatusOK)
	var d NotificationDetail
	r.decode(t, &d)
	if d.Notification.ID != byKind["confirmation/sms"].ID || len(d.Events) == 0 || d.Events[len(d.Events)-1].State != "sent" ||
		len(d.Decisions) != 1 || !d.Decisions[0].Allowed || d.Decisions[0].Purpose != "booking_notice" || len(d.Decisions[0].Trace) < 3 || d.Members == nil {
		t.Errorf("detail %s", r.body)
	}
	if !e.audited(e.a.Org.ID, notify.ActionLogRead) {
		t.Error("the detail is not audited")
	}
	wantStatus(t, "another organisation's", e.do(e.b.Org.ID, clinic.RoleAdministrator, http.MethodGet, path, nil), http.StatusNotFound)
	wantStatus(t, "unknown", e.admin(http.MethodGet, "/api/v1/notifications/999999", nil), http.StatusNotFound)
	wantStatus(t, "not a number", e.admin(http.MethodGet, "/api/v1/notifications/x", nil), http.StatusNotFound)
}

func TestNotificationSettingsAPI(t *testing.T) {
	e := newAPIEnv(t)
	path := fmt.Sprintf("/api/v1/clinics/%d/notification-settings", e.a.Clinic.ID)
	r := e.do(e.a.Org.ID, clinic.RoleReception, http.MethodGet, path, nil)
	wantStatus(t, "get", r, http.StatusOK)
	want := `{"channels":["sms","email"],"reminder_offsets":["72h","2h"],"grace_seconds":120,"window_from":"08:00","window_to":"20:00",` +
		`"sms_budget":0,"remind_confirmed":true,"ask_reply":true,"phone":""}`
	if got := strings.TrimSpace(string(r.body)); got != want {
		t.Errorf("defaults:\n got %s\nwant %s", got, want)
	}
	// What GET answers, PUT takes back unchanged.
	wantStatus(t, "round trip", e.admin(http.MethodPut, path, string(r.body)), http.StatusOK)

	in := map[string]any{"channels": []string{"sms", "push"}, "reminder_offsets": []string{"48h", "1d@18:30", "90m"}, "grace_seconds": 60,
		"window_from": "00:00", "window_to": "24:00", "sms_budget": 500, "remind_confirmed": false, "ask_reply": true, "phone": "02 9999 0000"}
	r = e.admin(http.MethodPut, path, in)
	wantStatus(t, "put", r, http.StatusOK)
	var got NotificationSettings
	r.decode(t, &got)
	phone := "+61299990000"
	if diff := cmp.Diff(NotificationSettings{Channels: []string{"sms", "push"}, ReminderOffsets: []string{"48h", "1d@18:30", "1h30m"}, GraceSeconds: 60,
		WindowFrom: "00:00", WindowTo: "24:00", SMSBudget: 500, AskReply: true, Phone: &phone}, got); diff != "" {
		t.Errorf("saved (-want +got):\n%s", diff)
	}
	r = e.do(e.a.Org.ID, clinic.RolePractitioner, http.MethodGet, path, nil)
	var again NotificationSettings
	r.decode(t, &again)
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("read back (-put +get):\n%s", diff)
	}
	if !e.audited(e.a.Org.ID, "clinic.notify_settings") {
		t.Error("the change is not audited")
	}

	wantFields(t, "bad settings", e.admin(http.MethodPut, path, map[string]any{"channels": []string{"fax"}, "reminder_offsets": []string{"3 days"},
		"grace_seconds": -1, "window_from": "8", "window_to": "20:00", "sms_budget": -1, "phone": "123"}),
		"channels[0]", "reminder_offsets[0]", "grace_seconds", "window_from", "sms_budget")
	wantFields(t, "bad phone", e.admin(http.MethodPut, path, map[string]any{"channels": []string{"sms"}, "reminder_offsets": []string{}, "grace_seconds": 0,
		"window_from": "08:00", "window_to": "20:00", "phone": "123"}), "phone")
	wantStatus(t, "unknown field", e.admin(http.MethodPut, path, `{"channel":["sms"]}`), http.StatusBadRequest)
	for _, role := range []clinic.Role{clinic.RoleReception, clinic.RolePractitioner, clinic.RoleAppointmentManager} {
		wantStatus(t, "put as "+string(role), e.do(e.a.Org.ID, role, http.MethodPut, path, in), http.StatusForbidden)
	}
	theirs := fmt.Sprintf("/api/v1/clinics/%d/notification-settings", e.b.Clinic.ID)
	wantStatus(t, "get another organisation's", e.admin(http.MethodGet, theirs, nil), http.StatusNotFound)
	wantStatus(t, "put another organisation's", e.admin(http.MethodPut, theirs, in), http.StatusNotFound)
	wantStatus(t, "put another organisation's, invalid", e.admin(http.MethodPut, theirs, `{}`), http.StatusNotFound)
}

func TestTemplatesAPI(t *testing.T) {
	e := newAPIEnv(t)
	path := fmt.Sprintf("/api/v1/clinics/%d/templates", e.a.Clinic.ID)
	var list ListOf[Template]
	r := e.do(e.a.Org.ID, clinic.RoleReception, http.MethodGet, path, nil)
	wantStatus(t, "list", r, http.StatusOK)
	r.decode(t, &list)
	find := func(ts []Template, kind, channel, lang string) Template {
		t.Helper()
		i := slices.IndexFunc(ts, func(x Template) bool { return x.Kind == kind && x.Channel == channel && x.Lang == lang })
		if i < 0 {
			t.Fatalf("no template %s/%s/%s", kind, channel, lang)
		}
		return ts[i]
	}
	rem := find(list.Items, "reminder", "sms", "en")
	if rem.Custom || rem.UpdatedAt != nil || rem.Body == "" || !slices.Contains(rem.Variables, "reply_hint") {
		t.Errorf("default reminder %+v", rem)
	}
	if slices.Contains(find(list.Items, "reminder", "email", "fr").Variables, "reply_hint") {
		t.Error("an e-mail offers reply_hint")
	}
	if slices.ContainsFunc(list.Items, func(x Template) bool { return x.Kind == "reply_stop" && x.Channel != "sms" }) {
		t.Error("a reply is listed outside SMS")
	}

	r = e.admin(http.MethodPut, path, TemplateInput{Kind: "reminder", Channel: "sms", Lang: "en", Body: "Hi {first_name}, {date} at {time}. {reply_hint}"})
	wantStatus(t, "put", r, http.StatusOK)
	var saved Template
	r.decode(t, &saved)
	if !saved.Custom || saved.UpdatedAt == nil || saved.Body != "Hi {first_name}, {date} at {time}. {reply_hint}" {
		t.Errorf("saved %+v", saved)
	}
	wantFields(t, "unknown variable", e.admin(http.MethodPut, path, TemplateInput{Kind: "reminder", Channel: "sms", Lang: "en", Body: "Hi {nope}"}), "body")
	wantFields(t, "e-mail without subject", e.admin(http.MethodPut, path, TemplateInput{Kind: "reminder", Channel: "email", Lang: "en", Body: "Hi"}), "subject")
	wantFields(t, "unknown kind", e.admin(http.MethodPut, path, TemplateInput{Kind: "nope", Channel: "sms", Lang: "en", Body: "Hi"}), "kind")
	wantFields(t, "unknown language", e.admin(http.MethodPut, path, TemplateInput{Kind: "reminder", Channel: "sms", Lang: "de", Body: "Hi"}), "lang")
	wantFields(t, "reply by e-mail", e.admin(http.MethodPut, path, TemplateInput{Kind: "reply_stop", Channel: "email", Lang: "en", Body: "Hi"}), "channel")
	// An empty body resets to the shipped text.
	r = e.admin(http.MethodPut, path, TemplateInput{Kind: "reminder", Channel: "sms", Lang: "en"})
	wantStatus(t, "reset", r, http.StatusOK)
	var reset Template
	r.decode(t, &reset)
	if reset.Custom || reset.Body != rem.Body {
		t.Errorf("after reset %+v", reset)
	}
	for _, role := range []clinic.Role{clinic.RoleReception, clinic.RoleAppointmentManager} {
		wantStatus(t, "put as "+string(role), e.do(e.a.Org.ID, role, http.MethodPut, path, TemplateInput{Kind: "reminder", Channel: "sms", Lang: "en", Body: "x"}),
			http.StatusForbidden)
	}
	theirs := fmt.Sprintf("/api/v1/clinics/%d/templates", e.b.Clinic.ID)
	wantStatus(t, "list another organisation's", e.admin(http.MethodGet, theirs, nil), http.StatusNotFound)
	wantStatus(t, "put another organisation's", e.admin(http.MethodPut, theirs, TemplateInput{Kind: "reminder", Channel: "sms", Lang: "en", Body: "x"}), http.StatusNotFound)

	// Preview: anyone who reads the directory.
	r = e.do(e.a.Org.ID, clinic.RoleReception, http.MethodPost, "/api/v1/templates/preview", TemplateInput{Kind: "reminder", Channel: "sms", Lang: "fr",
		Body: "Bonjour {first_name}, à {time} – {clinic}"})
	wantStatus(t, "preview", r, http.StatusOK)
	var p TemplatePreview
	r.decode(t, &p)
	if p.Text != "Bonjour Camille, à 10h30 – Cabinet médical du Parc" || p.Segments != 1 || p.Encoding != "UCS-2" {
		t.Errorf("preview %+v", p)
	}
	r = e.admin(http.MethodPost, "/api/v1/templates/preview", TemplateInput{Kind: "reminder", Channel: "email", Lang: "en", Subject: "On {date}", Body: "Hi {first_name}\n\n{portal_link}"})
	r.decode(t, &p)
	if p.Subject != "On Wednesday 14 October" || !strings.Contains(p.HTML, "<p>Hi Olivia</p>") || p.Segments != 0 {
		t.Errorf("e-mail preview %+v", p)
	}
	wantFields(t, "bad preview", e.admin(http.MethodPost, "/api/v1/templates/preview", TemplateInput{Kind: "reminder", Channel: "sms", Lang: "en", Body: "{{first_name}}"}), "body")
}

func TestSMSAccountsAPI(t *testing.T) {
	e := newAPIEnv(t)
	const token = "secret-token-5678"
	r := e.admin(http.MethodGet, "/api/v1/sms-accounts", nil)
	wantStatus(t, "empty list", r, http.StatusOK)
	if !strings.Contains(string(r.body), `"items":[]`) {
		t.Errorf("list %s", r.body)
	}
	r = e.admin(http.MethodPost, "/api/v1/sms-accounts", SMSAccountInput{ClinicID: int64(e.a.Clinic.ID), AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: token, Sender: "+61400000000"})
	wantStatus(t, "create", r, http.StatusCreated)
	var acct SMSAccount
	r.decode(t, &acct)
	if acct.ID == 0 || acct.TokenHint != "…5678" || acct.BaseURL != "https://api.twilio.com" || acct.ClinicID != int64(e.a.Clinic.ID) || acct.Failover {
		t.Errorf("created %+v", acct)
	}
	if strings.Contains(string(r.body), token) {
		t.Error("the token is sent back")
	}
	r = e.admin(http.MethodGet, "/api/v1/sms-accounts", nil)
	if strings.Contains(string(r.body), token) || !strings.Contains(string(r.body), `"token_hint":"…5678"`) {
		t.Errorf("list %s", r.body)
	}
	wantFields(t, "bad account", e.admin(http.MethodPost, "/api/v1/sms-accounts", SMSAccountInput{ClinicID: int64(e.b.Clinic.ID), BaseURL: "http://sms.example",
		AccountSID: "a b", AuthToken: "short"}), "clinic_id", "base_url", "account_sid", "auth_token", "sender")
	for _, role := range []clinic.Role{clinic.RoleReception, clinic.RolePractitioner, clinic.RoleAppointmentManager} {
		wantStatus(t, "list as "+string(role), e.do(e.a.Org.ID, role, http.MethodGet, "/api/v1/sms-accounts", nil), http.StatusForbidden)
		wantStatus(t, "create as "+string(role), e.do(e.a.Org.ID, role, http.MethodPost, "/api/v1/sms-accounts", `{}`), http.StatusForbidden)
		wantStatus(t, "delete as "+string(role), e.do(e.a.Org.ID, role, http.MethodDelete, fmt.Sprintf("/api/v1/sms-accounts/%d", acct.ID), nil),
			http.StatusForbidden)
	}
	wantStatus(t, "delete from another organisation", e.do(e.b.Org.ID, clinic.RoleAdministrator, http.MethodDelete, fmt.Sprintf("/api/v1/sms-accounts/%d", acct.ID), nil),
		http.StatusNotFound)
	wantStatus(t, "delete", e.admin(http.MethodDelete, fmt.Sprintf("/api/v1/sms-accounts/%d", acct.ID), nil), http.StatusNoContent)
	wantStatus(t, "delete again", e.admin(http.MethodDelete, fmt.Sprintf("/api/v1/sms-accounts/%d", acct.ID), nil), http.StatusNotFound)
}

func TestSMSInboxAPI(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		for _, x := range []struct {
			org clinic.OrgID
			m   store.InboxMessage
		}{
			{e.a.Org.ID, store.InboxMessage{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID, ProviderID: "SM1", From: "+61412345678", Body: "late", Why: "a reply for staff"}},
			{e.a.Org.ID, store.InboxMessage{ProviderID: "SM2", From: "+61499999999", Body: "who?", Why: "a reply for staff"}},
			{e.b.Org.ID, store.InboxMessage{ClinicID: e.b.Clinic.ID, ProviderID: "SM3", From: "+61412345678", Body: "theirs", Why: "a reply for staff"}},
		} {
			if _, err := tx.Notifications().AddInbox(ctx, x.org, x.m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	inbox := func(org clinic.OrgID, query string) []InboxMessage {
		t.Helper()
		r := e.do(org, clinic.RoleReception, http.MethodGet, "/api/v1/sms-inbox"+query, nil)
		wantStatus(t, "inbox"+query, r, http.StatusOK)
		var out ListOf[InboxMessage]
		r.decode(t, &out)
		return out.Items
	}
	ms := inbox(e.a.Org.ID, "")
	if len(ms) != 2 || ms[0].Body != "who?" || ms[1].Body != "late" || *ms[1].PatientID != int64(e.a.Patient.ID) || ms[1].ReadAt != nil || ms[0].PatientID != nil {
		t.Fatalf("inbox %+v", ms)
	}
	if got := inbox(e.a.Org.ID, "?clinic_id="+fmt.Sprint(e.a.Clinic.ID)); len(got) != 2 {
		t.Errorf("clinic filter: %d, want the clinic's and the unassigned one", len(got))
	}
	if !e.audited(e.a.Org.ID, notify.ActionInboxRead) {
		t.Error("the inbox is not audited")
	}
	theirs := inbox(e.b.Org.ID, "")
	wantStatus(t, "mark read", e.do(e.a.Org.ID, clinic.RolePractitioner, http.MethodPost, "/api/v1/sms-inbox/read",
		MarkReadInput{IDs: []int64{ms[1].ID, theirs[0].ID}}), http.StatusNoContent)
	if ms := inbox(e.a.Org.ID, ""); ms[1].ReadAt == nil || ms[0].ReadAt != nil {
		t.Errorf("after marking: %+v", ms)
	}
	if theirs := inbox(e.b.Org.ID, ""); theirs[0].ReadAt != nil {
		t.Error("another organisation's message was marked read")
	}
	wantFields(t, "no ids", e.admin(http.MethodPost, "/api/v1/sms-inbox/read", `{"ids":[]}`), "ids")
	wantFields(t, "bad id", e.admin(http.MethodPost, "/api/v1/sms-inbox/read", `{"ids":[0]}`), "ids[0]")
	wantFields(t, "bad clinic", e.admin(http.MethodGet, "/api/v1/sms-inbox?clinic_id=x&limit=9999", nil), "clinic_id", "limit")
}
