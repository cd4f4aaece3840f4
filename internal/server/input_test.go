package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/api"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

func (h *harness) patientCount() int {
	var n int
	h.db.View(ctx, func(tx *store.Tx) error {
		ps, err := tx.Patients().ListPatients(ctx, h.a.Org.ID, store.PatientFilter{}, store.Page{Limit: 500})
		n = len(ps)
		return err
	})
	return n
}

// TestBadInput: malformed and invalid bodies get a 4xx problem document naming the field
// and the reason, and nothing is written.
func TestBadInput(t *testing.T) {
	h := newHarness(t)
	appt := h.fixture("a")
	db := h.a.Database.ID
	valid := func(extra string) string {
		return `{"database_id":` + itoa(int64(db)) + `,"given_name":"Ada","family_name":"King"` + extra + `}`
	}
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		fields []string
	}{
		{"malformed json", "POST", "/api/v1/patients", `{"given_name": "Ada",`, 400, []string{"body"}},
		{"not json", "POST", "/api/v1/patients", `hello`, 400, []string{"body"}},
		{"empty body", "POST", "/api/v1/patients", ``, 400, []string{"body"}},
		{"two objects", "POST", "/api/v1/patients", valid("") + `{}`, 400, []string{"body"}},
		{"unknown field", "POST", "/api/v1/patients", valid(`,"shoe_size":42`), 400, []string{"shoe_size"}},
		{"wrong type", "POST", "/api/v1/patients", `{"database_id":"one","given_name":"Ada","family_name":"King"}`, 400, []string{"database_id"}},
		{"wrong type bool", "POST", "/api/v1/patients", valid(`,"pms_opt_out":"yes"`), 400, []string{"pms_opt_out"}},
		{"array for object", "POST", "/api/v1/patients", `[1,2]`, 400, []string{"body"}},
		{"missing required", "POST", "/api/v1/patients", `{"database_id":` + itoa(int64(db)) + `}`, 422, []string{"given_name", "family_name"}},
		{"invalid mobile", "POST", "/api/v1/patients", valid(`,"mobile":"12345"`), 422, []string{"mobile"}},
		{"landline as mobile", "POST", "/api/v1/patients", valid(`,"mobile":"02 9374 4000"`), 422, []string{"mobile"}},
		{"invalid email", "POST", "/api/v1/patients", valid(`,"email":"ada@"`), 422, []string{"email"}},
		{"email with name", "POST", "/api/v1/patients", valid(`,"email":"Ada <ada@example.com>"`), 422, []string{"email"}},
		{"future birth date", "POST", "/api/v1/patients", valid(`,"birth_date":"2999-01-01"`), 422, []string{"birth_date"}},
		{"bad birth date", "POST", "/api/v1/patients", valid(`,"birth_date":"09/12/1980"`), 422, []string{"birth_date"}},
		{"several problems at once", "POST", "/api/v1/patients", valid(`,"email":"x","mobile":"y","language":"english"`), 422, []string{"language", "mobile", "email"}},
		{"unknown database", "POST", "/api/v1/patients", `{"database_id":99999,"given_name":"A","family_name":"B"}`, 422, []string{"database_id"}},
		{"control characters", "POST", "/api/v1/patients", valid(`,"external_id":"a\u0000b"`), 422, []string{"external_id"}},
		{"bad zone", "POST", "/api/v1/clinics", `{"database_id":` + itoa(int64(db)) + `,"slug":"x1","name":"X","zone":"Mars/Olympus","region":"AU"}`, 422, []string{"zone"}},
		{"bad slug", "POST", "/api/v1/clinics", `{"database_id":` + itoa(int64(db)) + `,"slug":"Not A Slug","name":"X","zone":"UTC","region":"AU"}`, 422, []string{"slug"}},
		{"duration out of range", "POST", "/api/v1/reasons", `{"clinic_id":` + itoa(int64(h.a.Clinic.ID)) + `,"name":"X","duration_minutes":1}`, 422, []string{"duration_minutes"}},
		{"bad appointment time", "POST", "/api/v1/appointments", `{"agenda_id":` + itoa(int64(h.a.Agenda.ID)) + `,"reason_id":` + itoa(int64(h.a.Reason.ID)) + `,"patient_id":` + itoa(int64(h.a.Patient.ID)) + `,"start":"tomorrow"}`, 422, []string{"start"}},
		// Bounds (issue 6): each a 422 naming the field, never a 500 or a stored row no query can read.
		{"year 0 booking", "POST", "/api/v1/appointments", `{"agenda_id":` + itoa(int64(h.a.Agenda.ID)) + `,"reason_id":` + itoa(int64(h.a.Reason.ID)) + `,"patient_id":` + itoa(int64(h.a.Patient.ID)) + `,"start":"0000-01-01T00:00:00+01:00"}`, 422, []string{"start"}},
		{"booking 20 years ahead", "POST", "/api/v1/appointments", `{"agenda_id":` + itoa(int64(h.a.Agenda.ID)) + `,"reason_id":` + itoa(int64(h.a.Reason.ID)) + `,"patient_id":` + itoa(int64(h.a.Patient.ID)) + `,"start":"2047-01-01T09:00:00Z"}`, 422, []string{"start"}},
		{"booking 3 years ago", "POST", "/api/v1/appointments", `{"agenda_id":` + itoa(int64(h.a.Agenda.ID)) + `,"reason_id":` + itoa(int64(h.a.Reason.ID)) + `,"patient_id":` + itoa(int64(h.a.Patient.ID)) + `,"start":"2023-06-01T09:00:00Z"}`, 422, []string{"start"}},
		{"token claims a synced booking", "POST", "/api/v1/appointments", `{"agenda_id":` + itoa(int64(h.a.Agenda.ID)) + `,"reason_id":` + itoa(int64(h.a.Reason.ID)) + `,"patient_id":` + itoa(int64(h.a.Patient.ID)) + `,"start":"2030-01-07T09:00:00Z","booked_by":"sync"}`, 422, []string{"booked_by"}},
		{"direction override in a name", "POST", "/api/v1/patients", `{"database_id":` + itoa(int64(db)) + `,"given_name":"Ada\u202eevil","family_name":"King"}`, 422, []string{"given_name"}},
		{"bytes that are not UTF-8", "POST", "/api/v1/patients", "{\"database_id\":" + itoa(int64(db)) + ",\"given_name\":\"Ad\xffa\",\"family_name\":\"King\"}", 422, []string{"given_name"}},
		{"note with a bell", "POST", "/api/v1/appointments", `{"agenda_id":` + itoa(int64(h.a.Agenda.ID)) + `,"reason_id":` + itoa(int64(h.a.Reason.ID)) + `,"patient_id":` + itoa(int64(h.a.Patient.ID)) + `,"start":"2030-01-07T09:00:00Z","note":"a\u0007b"}`, 422, []string{"note"}},
		{"agenda channels without off", "PUT", "/api/v1/clinics/" + itoa(int64(h.a.Clinic.ID)) + "/agenda-channels", `{"rows":[{"agenda_id":` + itoa(int64(h.a.Agenda.ID)) + `}]}`, 422, []string{"rows[0].off"}},
		{"agenda channels without rows", "PUT", "/api/v1/clinics/" + itoa(int64(h.a.Clinic.ID)) + "/agenda-channels", `{}`, 422, []string{"rows"}},
		{"agenda channels twice", "PUT", "/api/v1/clinics/" + itoa(int64(h.a.Clinic.ID)) + "/agenda-channels", `{"rows":[{"agenda_id":` + itoa(int64(h.a.Agenda.ID)) + `,"off":[]},{"agenda_id":` + itoa(int64(h.a.Agenda.ID)) + `,"off":["sms"]}]}`, 422, []string{"rows[1].agenda_id"}},
		{"explain an agenda not offering the reason", "POST", "/api/v1/patients/" + itoa(int64(h.a.Patient.ID)) + "/consent/explain", `{"purpose":"reminder","channel":"sms","agenda_id":` + itoa(int64(h.b.Agenda.ID)) + `}`, 422, []string{"agenda_id"}},
		{"year 0 absence", "POST", "/api/v1/absences", `{"practitioner_id":` + itoa(int64(h.a.Practitioner.ID)) + `,"start":"0000-01-01T00:00:00+01:00","end":"2030-01-01T00:00:00Z"}`, 422, []string{"start"}},
		{"year 9999 absence", "POST", "/api/v1/absences", `{"practitioner_id":` + itoa(int64(h.a.Practitioner.ID)) + `,"start":"2030-01-01T00:00:00Z","end":"9999-01-01T00:00:00Z"}`, 422, []string{"end"}},
		{"year 0 list filter", "GET", "/api/v1/appointments?from=0000-01-01T00:00:00%2B01:00", ``, 422, []string{"from"}},
		{"year 0 availability", "GET", "/api/v1/availability?reason_id=" + itoa(int64(h.a.Reason.ID)) + "&from=0000-01-01T00:00:00Z&to=0000-01-05T00:00:00Z", ``, 422, []string{"from", "to"}},
		{"birth date before 1900", "POST", "/api/v1/patients", valid(`,"birth_date":"1899-12-31"`), 422, []string{"birth_date"}},
		{"search of a thousand words", "POST", "/api/v1/patients/search", `{"name":"` + strings.Repeat("ab ", 1000) + `"}`, 422, []string{"name"}},
		{"search of nine words", "POST", "/api/v1/patients/search", `{"name":"a b c d e f g h i"}`, 422, []string{"name"}},
		{"bad status", "POST", "/api/v1/appointments/" + itoa(int64(appt.appointment)) + "/status", `{"status":"maybe","version":1}`, 422, []string{"status"}},
		{"status without version", "POST", "/api/v1/appointments/" + itoa(int64(appt.appointment)) + "/status", `{"status":"arrived"}`, 422, []string{"version"}},
		{"booking without start", "POST", "/api/v1/appointments", `{"reason_id":1,"patient_id":1}`, 422, []string{"start"}},
		{"hours overlap", "PUT", "/api/v1/agendas/" + itoa(int64(h.a.Agenda.ID)) + "/hours", `{"hours":[{"weekday":1,"start":"09:00","end":"12:00"},{"weekday":1,"start":"11:00","end":"13:00"},{"weekday":7,"start":"9am","end":"10:00"}]}`, 422, []string{"hours[1]", "hours[2].start", "hours[2].weekday"}},
		{"absence backwards", "POST", "/api/v1/absences", `{"practitioner_id":` + itoa(int64(h.a.Practitioner.ID)) + `,"start":"2030-01-02T00:00:00Z","end":"2030-01-01T00:00:00Z"}`, 422, []string{"end"}},
		{"availability without window", "GET", "/api/v1/availability?reason_id=" + itoa(int64(h.a.Reason.ID)), ``, 422, []string{"from", "to"}},
		{"bad query limit", "GET", "/api/v1/patients?limit=0", ``, 422, []string{"limit"}},
		{"bad cursor", "GET", "/api/v1/patients?cursor=zzz", ``, 422, []string{"cursor"}},
		{"bad filter", "GET", "/api/v1/appointments?from=yesterday&agenda_id=-3", ``, 422, []string{"agenda_id", "from"}},
		{"wrong content type", "POST", "/api/v1/patients", valid(""), 400, []string{"Content-Type"}},
	}
	before := h.patientCount()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res response
			if tt.name == "wrong content type" {
				req, _ := http.NewRequest(tt.method, h.ts.URL+tt.path, strings.NewReader(tt.body))
				req.Header.Set("Content-Type", "text/plain")
				req.Header.Set("Authorization", "Bearer "+h.tokens[clinic.RoleAdministrator])
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				res = response{resp.StatusCode, resp.Header, b}
			} else {
				var body any
				if tt.body != "" || tt.method != "GET" {
					body = tt.body
				}
				res = h.do(tt.method, tt.path, "token:administrator", body)
			}
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			var p web.Problem
			res.json(t, &p)
			var got []string
			for _, f := range p.Errors {
				got = append(got, f.Field)
				if f.Reason == "" {
					t.Errorf("field %s without a reason", f.Field)
				}
			}
			if d := cmp.Diff(tt.fields, got); d != "" {
				t.Errorf("fields (-want +got):\n%s\nproblem: %s", d, res.body)
			}
			if p.Status != tt.status || p.Title == "" {
				t.Errorf("problem status/title: %+v", p)
			}
			// Patient data must not be echoed back in the problem.
			// The request id is random hex and may hold "9374" by chance,
			// so it is left out of the look.
			var fields map[string]any
			res.json(t, &fields)
			delete(fields, "request_id")
			echoed, _ := json.Marshal(fields)
			if strings.Contains(string(echoed), "ada@") || strings.Contains(string(echoed), "9374") {
				t.Errorf("problem echoes the input: %s", res.body)
			}
		})
	}
	if after := h.patientCount(); after != before {
		t.Errorf("patients %d → %d: bad input wrote something", before, after)
	}
}

func TestOversizedBody(t *testing.T) {
	h := newHarness(t)
	big := `{"given_name":"` + strings.Repeat("a", web.MaxBody+10) + `"}`
	res := h.do("POST", "/api/v1/patients", "token:administrator", big)
	if res.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", res.status)
	}
	var p web.Problem
	res.json(t, &p)
	if len(p.Errors) != 1 || p.Errors[0].Field != "body" {
		t.Errorf("problem %+v", p)
	}
}

// TestAPIRoundTrip creates, reads, updates and lists through the API, and checks the
// compare-and-swap on appointments and the CON-2 confirmation for shared databases.
func TestAPIRoundTrip(t *testing.T) {
	h := newHarness(t)
	res := h.do("POST", "/api/v1/patients", "token:reception", map[string]any{"database_id": h.a.Database.ID, "given_name": " Ada ",
		"family_name": "King", "mobile": "0412 345 679", "email": "Ada@Example.COM", "birth_date": "1815-12-10"})
	if res.status != 422 {
		t.Fatalf("birth before 1900 accepted: %d %s", res.status, res.body)
	}
	res = h.do("POST", "/api/v1/patients", "token:reception", map[string]any{"database_id": h.a.Database.ID, "given_name": " Ada ",
		"family_name": "King", "mobile": "0412 345 679", "email": "Ada@Example.COM", "birth_date": "1980-12-10", "language": "FR"})
	if res.status != 201 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	var p api.Patient
	res.json(t, &p)
	want := api.Patient{ID: p.ID, DatabaseID: int64(h.a.Database.ID), GivenName: "Ada", FamilyName: "King", Mobile: "+61412345679",
		Email: "Ada@example.com", BirthDate: "1980-12-10", Language: "fr", Notifications: true, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	if d := cmp.Diff(want, p); d != "" {
		t.Errorf("created (-want +got):\n%s", d)
	}
	res = h.do("PATCH", "/api/v1/patients/"+itoa(p.ID), "token:reception", `{"mobile":""}`)
	res.json(t, &p)
	if res.status != 200 || p.Mobile != "" || p.GivenName != "Ada" {
		t.Errorf("patch: %d %+v", res.status, p)
	}
	// Appointments: create (today, for attendance to be recorded; outside the agenda's hours,
	// confirmed), then two updates from the same version: the second gets 409.
	now := time.Now().In(mustLoc(t, h.a.Clinic.Zone))
	nine := time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, now.Location())
	res = h.do("POST", "/api/v1/appointments", "token:reception", map[string]any{"agenda_id": h.a.Agenda.ID, "reason_id": h.a.Reason.ID,
		"patient_id": p.ID, "start": nine.Format(time.RFC3339), "allow_outside_hours": true})
	if res.status != 201 {
		t.Fatalf("book: %d %s", res.status, res.body)
	}
	var a api.Appointment
	res.json(t, &a)
	if a.End.Sub(a.Start).Minutes() != 15 || a.Status != "booked" || a.BookedBy != "staff" || a.Version != 1 {
		t.Errorf("booked %+v", a)
	}
	res = h.do("POST", "/api/v1/appointments", "token:reception", map[string]any{"agenda_id": h.a.Agenda.ID, "reason_id": h.a.Reason.ID,
		"patient_id": h.a.Patient.ID, "start": nine.Add(5 * time.Minute).Format(time.RFC3339), "allow_outside_hours": true})
	if res.status != 409 {
		t.Errorf("overlapping booking: %d %s", res.status, res.body)
	}
	res = h.do("POST", "/api/v1/appointments/"+itoa(a.ID)+"/status", "token:practitioner", `{"status":"arrived","version":1}`)
	if res.status != 200 {
		t.Fatalf("status: %d %s", res.status, res.body)
	}
	res = h.do("POST", "/api/v1/appointments/"+itoa(a.ID)+"/status", "token:practitioner", `{"status":"seen","version":1}`)
	if res.status != 409 {
		t.Errorf("stale version: %d %s", res.status, res.body)
	}
	// CON-2: a database shared by two clinics needs confirm_shared to change the opt-out setting.
	res = h.do("POST", "/api/v1/clinics", "token:administrator", map[string]any{"database_id": h.a.Database.ID, "slug": "second", "name": "Second Site",
		"zone": "Australia/Sydney", "region": "au"})
	if res.status != 201 {
		t.Fatalf("clinic: %d %s", res.status, res.body)
	}
	res = h.do("PATCH", "/api/v1/databases/"+itoa(int64(h.a.Database.ID)), "token:administrator", `{"respect_opt_out":false}`)
	if res.status != 409 || !strings.Contains(string(res.body), "Second Site") || !strings.Contains(string(res.body), "Main St") {
		t.Errorf("shared database without confirmation: %d %s", res.status, res.body)
	}
	res = h.do("PATCH", "/api/v1/databases/"+itoa(int64(h.a.Database.ID)), "token:administrator", `{"respect_opt_out":false,"confirm_shared":true}`)
	var d api.Database
	res.json(t, &d)
	if res.status != 200 || d.RespectOptOut {
		t.Errorf("confirmed: %d %s", res.status, res.body)
	}
	// Paging walks every patient once.
	seen := map[int64]bool{}
	next := "/api/v1/patients?limit=1"
	for next != "" {
		var page api.ListOf[api.Patient]
		h.do("GET", next, "token:reception", nil).json(t, &page)
		for _, it := range page.Items {
			if seen[it.ID] {
				t.Fatalf("patient %d twice", it.ID)
			}
			seen[it.ID] = true
		}
		next = ""
		if page.NextCursor != "" {
			next = "/api/v1/patients?limit=1&cursor=" + page.NextCursor
		}
	}
	if len(seen) != 2 {
		t.Errorf("paged %d patients, want 2", len(seen))
	}
	// Every access above was audited with the patient's id.
	var entries []store.AuditEntry
	h.db.View(ctx, func(tx *store.Tx) (err error) {
		entries, err = tx.AuditTrail().AuditLog(ctx, h.a.Org.ID, store.AuditFilter{PatientID: clinic.PatientID(p.ID)}, store.Page{Limit: 100})
		return err
	})
	actions := map[string]bool{}
	for _, e := range entries {
		actions[e.Action] = true
		if e.RequestID == "" || e.Actor == "" {
			t.Errorf("audit entry without request id or actor: %+v", e)
		}
	}
	for _, a := range []string{"patient.create", "patient.update", "appointment.create", "appointment.status", "patient.list"} {
		if !actions[a] {
			t.Errorf("no %s audit entry; got %v", a, actions)
		}
	}
}

// TestOpenAPIDescribesEveryRoute keeps /api/v1/openapi.json true: every API route is in
// it, with its method, and nothing else is.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	h := newHarness(t)
	res := h.do("GET", "/api/v1/openapi.json", "", nil)
	if res.status != 200 {
		t.Fatalf("status %d", res.status)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
		Comp    struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	res.json(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	described := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			described[strings.ToUpper(m)+" "+p] = true
		}
	}
	routes := map[string]bool{}
	for _, r := range h.srv.Routes() {
		if r.Auth != web.Bearer {
			continue
		}
		routes[key(r)] = true
		if !described[key(r)] {
			t.Errorf("route %s is not in the OpenAPI document", key(r))
		}
	}
	for k := range described {
		if !routes[k] {
			t.Errorf("the document describes %s, which is not a route", k)
		}
	}
	for _, s := range []string{"Patient", "PatientInput", "Appointment", "Problem"} {
		if _, ok := doc.Comp.Schemas[s]; !ok {
			t.Errorf("schema %s missing", s)
		}
	}
}

func TestHealthAndMetrics(t *testing.T) {
	h := newHarness(t)
	if res := h.do("GET", "/healthz", "", nil); res.status != 200 {
		t.Errorf("healthz %d", res.status)
	}
	res := h.do("GET", "/readyz", "", nil)
	if res.status != 200 || !strings.Contains(string(res.body), "ready") {
		t.Errorf("readyz %d %s", res.status, res.body)
	}
	h.do("GET", "/api/v1/patients", "token:administrator", nil)
	res = h.do("GET", "/metrics", "", nil)
	if res.status != 200 || !strings.Contains(string(res.body), `tidings_http_requests_total{code="200",route="GET /api/v1/patients"}`) {
		t.Errorf("metrics: %d %.500s", res.status, res.body)
	}
	if res := h.do("GET", "/api/v1/nothing", "token:administrator", nil); res.status != 404 || res.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown API path: %d %s", res.status, res.header.Get("Content-Type"))
	}
	if res.header.Get("X-Request-ID") == "" {
		t.Error("no request id header")
	}
}

func TestCrossOriginFormRefused(t *testing.T) {
	h := newHarness(t)
	req, _ := http.NewRequest("POST", h.ts.URL+"/logout", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", resp.StatusCode)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
