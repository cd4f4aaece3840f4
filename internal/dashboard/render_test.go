package dashboard

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/tidings-health/tidings/internal/clinic"
)

// testPages parses the embedded templates the way New does, without a database.
func testPages(t *testing.T) *Dashboard {
	t.Helper()
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	pages, err := parsePages(a)
	if err != nil {
		t.Fatal(err)
	}
	return &Dashboard{pages: pages, assets: a}
}

func sampleHeader(nav string) *header {
	return &header{
		OrgName: "Harbour Health", UserName: "Ada Admin", UserEmail: "ada@example.com", Next: "/agenda?date=2026-04-05",
		Nav: nav, CanAgenda: true, CanPatient: true, CanAudit: true,
		Clinics: []clinicOption{{ID: 1, Name: "Main St", Selected: true}, {ID: 2, Name: "Harbour Rd"}},
	}
}

// TestTemplatesRender executes every page template, in each layout it can appear in, with
// data that reaches every branch that matters; any template error fails it.
func TestTemplatesRender(t *testing.T) {
	d := testPages(t)
	rows := []patientRow{{ID: 7, Name: "Grace Hopper", BirthDate: "9 Dec 1980", Mobile: "+61412345678", ExternalID: "P1"}}
	appt := appointmentRow{ID: 3, Date: "Sun 5 Apr 2026", Time: "09:00–09:15 AEST", Clinic: "Main St", Agenda: "Dr Lovelace",
		Reason: "Standard consult", Status: clinic.StatusBooked, StatusLabel: "Booked", BookedBy: "Staff"}
	tests := []struct {
		name  string
		page  string
		block string
		view  view
		want  []string
	}{
		{"login", "login", "", view{Title: "Sign in", Data: loginPage{}},
			[]string{`id="email"`, `id="password"`, `id="sign-in"`, `name="viewport"`, `htmx.min.js?v=`}},
		{"login failed", "login", "", view{Title: "Sign in", Data: loginPage{Email: "a@example.com", Next: "/patients/7", Error: msgBadCredentials}},
			[]string{msgBadCredentials, `value="/patients/7"`, `value="a@example.com"`}},
		{"patient list", "patients", "", view{Title: "Patients", Header: sampleHeader("patients"), Data: patientsPage{Rows: rows, NextAfter: 7}},
			[]string{`id="q"`, `class="patient-link" href="/patients/7"`, `href="/patients?after=7"`, `id="clinic-switch"`, `aria-current="page"`, `href="/audit"`}},
		{"patient list empty", "patients", "", view{Title: "Patients", Header: sampleHeader("patients"), Data: patientsPage{}},
			[]string{"No patients yet."}},
		{"search results", "patients", "", view{Title: "Patient search", Header: sampleHeader("patients"), Data: patientsPage{Searched: true, Query: "gra", Rows: rows, NextAfter: 7}},
			[]string{`name="after" value="7"`, `value="gra"`, "Matching patients"}},
		{"search fragment", "patients", "results", view{Data: patientsPage{Searched: true, Query: "gra", Rows: rows}},
			[]string{`id="results"`, "Grace Hopper"}},
		{"search error fragment", "patients", "results", view{Data: patientsPage{Searched: true, Error: "Search text is not a valid e-mail address."}},
			[]string{`id="q-error"`, "not a valid e-mail"}},
		{"patient file", "patient", "", view{Title: "Patient file", Header: sampleHeader("patients"), Data: patientFile{
			ID: 7, Name: "Grace Hopper", GivenName: "Grace", FamilyName: "Hopper", BirthDate: "9 Dec 1980", Mobile: "+61412345678",
			Email: "grace@example.com", Language: "English", PMSOptOut: true, Database: "PMS", ExternalID: "P1",
			Relatives: []relativeRow{{ID: 8, Name: "Walter Hopper", Relationship: "child"}},
			Upcoming:  []appointmentRow{appt}, Past: []appointmentRow{appt}, PastHidden: 3, ShowClinic: true, CanAudit: true}},
			[]string{`<h1 id="patient-name">Grace Hopper</h1>`, `href="/patients/8"`, "09:00–09:15 AEST", "3 older appointments", `href="/audit?patient=7"`}},
		{"patient file bare", "patient", "", view{Title: "Patient file", Header: sampleHeader("patients"), Data: patientFile{ID: 7, Name: "A B"}},
			[]string{"No relatives recorded.", "None."}},
		{"agenda", "agenda", "", view{Title: "Agenda", Header: sampleHeader("agenda"), Data: agendaPage{
			Clinic: "Main St", Zone: "Australia/Sydney", Date: "2026-04-05", DateLabel: "Sunday 5 April 2026", Prev: "2026-04-04",
			Next: "2026-04-06", Today: "2026-04-07",
			Columns: []agendaColumn{
				{ID: 1, Name: "Dr Lovelace", Appointments: []agendaAppointment{{ID: 3, Time: "09:00–09:15", PatientID: 7, Patient: "Grace Hopper",
					Reason: "Standard consult", Status: clinic.StatusCancelled, StatusLabel: "Cancelled"}}},
				{ID: 2, Name: "Room 2", Inactive: true},
			}}},
			[]string{`id="agenda"`, `href="/agenda?date=2026-04-04"`, `href="/agenda?date=2026-04-07"`, "status-cancelled", "appt-freed", "not active here"}},
		{"agenda no clinic", "agenda", "", view{Title: "Agenda", Header: sampleHeader("agenda"), Data: agendaPage{NoClinic: true}},
			[]string{"no clinic yet"}},
		{"agenda no agenda", "agenda", "", view{Title: "Agenda", Header: sampleHeader("agenda"), Data: agendaPage{Clinic: "Main St", Date: "2026-04-05", IsToday: true}},
			[]string{"no active agenda", "Today"}},
		{"audit", "audit", "", view{Title: "Audit log", Header: sampleHeader("audit"), Data: auditPage{Zone: "Australia/Sydney", Patient: 7, Older: 40,
			Rows: []auditRow{{ID: 41, At: "2026-04-05 09:00:00 AEST", Actor: "Ada Admin", ActorID: "user:1", Action: "patient.read", PatientID: 7, RequestID: "req-1"},
				{ID: 40, At: "2026-04-05 09:00:00 AEST", ActorID: "token:2", Action: "patient.list"}}}},
			[]string{`href="/audit?before=40&amp;patient=7"`, "patient.read", "req-1", "token:2"}},
		{"audit empty", "audit", "", view{Title: "Audit log", Header: sampleHeader("audit"), Data: auditPage{Zone: "UTC"}},
			[]string{"No entries."}},
		{"error signed in", "error", "", view{Title: "Please check your request", Header: sampleHeader(""), RequestID: "req-2", Data: errorPage{
			Status: 422, Title: "Please check your request", Message: "Some fields are not valid.",
			Fields: []clinic.FieldError{{Field: "date", Reason: "must be a date"}}}},
			[]string{"<code>date</code> must be a date", "req-2", `id="clinic-switch"`}},
		{"error signed out", "error", "", view{Title: "Not Found", Data: errorPage{Status: 404, Title: "Not found", Message: "Not found."}},
			[]string{"Not found.", `href="/login"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := d.execute(tc.page, tc.block, tc.view)
			if err != nil {
				t.Fatal(err)
			}
			body := string(b)
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("output lacks %q\n%s", w, body)
				}
			}
			if tc.block == "" && !strings.HasPrefix(body, "<!doctype html>") {
				t.Errorf("page does not start with a doctype: %.40q", body)
			}
			if tc.block != "" && strings.Contains(body, "<html") {
				t.Errorf("fragment %s renders a whole page", tc.block)
			}
			if tc.view.Header == nil && strings.Contains(body, "clinic-switch") {
				t.Error("a visitor's page shows the clinic switcher")
			}
			checkCSP(t, body)
		})
	}
}

// TestEveryPageTemplateRenders guards against a page added to pageNames without a case above.
func TestEveryPageTemplateRenders(t *testing.T) {
	d := testPages(t)
	for _, name := range pageNames() {
		for _, h := range []*header{nil, sampleHeader("")} {
			if _, err := d.execute(name, "", view{Header: h, Data: zeroData(name)}); err != nil {
				t.Errorf("%s (header %v): %v", name, h != nil, err)
			}
		}
	}
}

func zeroData(page string) any {
	switch page {
	case "login":
		return loginPage{}
	case "patients":
		return patientsPage{}
	case "patient":
		return patientFile{}
	case "agenda":
		return agendaPage{}
	case "audit":
		return auditPage{}
	}
	return errorPage{}
}

func TestStatic(t *testing.T) {
	d := testPages(t)
	tests := []struct {
		name        string
		path        string
		status      int
		contentType string
	}{
		{"css", "/static/app.css", http.StatusOK, "text/css; charset=utf-8"},
		{"htmx", "/static/htmx.min.js", http.StatusOK, "text/javascript; charset=utf-8"},
		{"app js", "/static/app.js", http.StatusOK, "text/javascript; charset=utf-8"},
		{"licence", "/static/htmx.LICENSE.txt", http.StatusOK, "text/plain; charset=utf-8"},
		{"directory", "/static/", http.StatusNotFound, ""},
		{"unknown", "/static/nope.js", http.StatusNotFound, ""},
		{"traversal", "/static/../render.go", http.StatusNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			d.Static().ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if tc.status != http.StatusOK {
				return
			}
			if got := w.Header().Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if got := w.Header().Get("Cache-Control"); !strings.Contains(got, "max-age=31536000") {
				t.Errorf("Cache-Control %q, want a long max-age", got)
			}
		})
	}
}

var (
	scriptTag   = regexp.MustCompile(`<script[^>]*>`)
	inlineStyle = regexp.MustCompile(`<style|\sstyle=`)
	inlineEvent = regexp.MustCompile(`\son[a-z]+=`)
)

// checkCSP fails on markup the Content-Security-Policy (default-src 'self') would block:
// inline scripts, inline styles and event-handler attributes.
func checkCSP(t *testing.T, body string) {
	t.Helper()
	for _, tag := range scriptTag.FindAllString(body, -1) {
		if !strings.Contains(tag, " src=") || !strings.Contains(tag, " defer") {
			t.Errorf("script without src or defer: %s", tag)
		}
	}
	if m := inlineStyle.FindString(body); m != "" {
		t.Errorf("inline style %q", m)
	}
	if m := inlineEvent.FindString(body); m != "" {
		t.Errorf("inline event handler %q", m)
	}
}
