package server_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/api"
	"github.com/tidings-health/tidings/internal/web"
)

// TestAPIMethodNotAllowed (ADM-5): a known API path asked with a method it does not take is a
// 405 problem document with an Allow header listing the methods it takes (HEAD with GET),
// not a 404; an unknown path stays a 404. The answer comes before authentication: it says
// nothing about any record, only about the route table, which the OpenAPI document
// publishes anyway.
func TestAPIMethodNotAllowed(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		method, path, authz string
		status              int
		allow               string
	}{
		{"DELETE", "/api/v1/clinics", "token:administrator", 405, "GET, HEAD, POST"},
		{"PUT", "/api/v1/appointments/1", "token:administrator", 405, "GET, HEAD, PATCH"},
		{"GET", "/api/v1/appointments/1/cancel", "token:reception", 405, "POST"},
		{"PATCH", "/api/v1/agendas/9/hours", "", 405, "GET, HEAD, PUT"},
		{"POST", "/api/v1/openapi.json", "", 405, "GET, HEAD"},
		{"DELETE", "/api/v1/exceptions/3", "token:appointment_manager", 404, ""}, // allowed: the exception does not exist
		{"GET", "/api/v1/nowhere", "token:administrator", 404, ""},
		{"POST", "/api/v1/clinics/1/nothing", "token:administrator", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			res := h.do(tt.method, tt.path, tt.authz, nil)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			if got := res.header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
			if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			var p web.Problem
			res.json(t, &p)
			if p.Status != tt.status || p.Title != http.StatusText(tt.status) || p.RequestID == "" {
				t.Errorf("problem = %+v", p)
			}
		})
	}
}

// TestAPICreatedHasLocation (ADM-5): every 201 of the API says where the new resource is:
// its own URL, which answers (GET, or DELETE where the resource has no GET), or for a
// consent record and a relative the list it joined. The table must cover every route that
// answers 201, so a new one cannot go without.
func TestAPICreatedHasLocation(t *testing.T) {
	h := newHarness(t)
	a := h.a
	id := func(v any) string { return fmt.Sprint(v) }
	weekdays(t, h)
	pat := "/api/v1/patients/" + id(a.Patient.ID)
	var other api.Patient
	tests := []struct {
		pattern string // the route, as the route table names it
		path    string
		body    string
		want    string // a regexp of the Location
		check   string // the method that must answer 2xx at the Location
		keep    any    // decode the answer here
	}{
		{"/api/v1/databases", "/api/v1/databases", `{"name":"Second","kind":"builtin","software_profile":"generic"}`, `^/api/v1/databases/\d+$`, "GET", nil},
		{"/api/v1/clinics", "/api/v1/clinics", `{"database_id":` + id(a.Database.ID) + `,"slug":"second","name":"Second","zone":"Australia/Sydney","region":"AU"}`, `^/api/v1/clinics/\d+$`, "GET", nil},
		{"/api/v1/practitioners", "/api/v1/practitioners", `{"name":"Dr Mary Somerville"}`, `^/api/v1/practitioners/\d+$`, "GET", nil},
		{"/api/v1/agendas", "/api/v1/agendas", `{"clinic_id":` + id(a.Clinic.ID) + `,"name":"Room 2"}`, `^/api/v1/agendas/\d+$`, "GET", nil},
		{"/api/v1/reasons", "/api/v1/reasons", `{"clinic_id":` + id(a.Clinic.ID) + `,"name":"Check-up","duration_minutes":15,"agenda_ids":[` + id(a.Agenda.ID) + `]}`, `^/api/v1/reasons/\d+$`, "GET", nil},
		{"/api/v1/patients", "/api/v1/patients", `{"database_id":` + id(a.Database.ID) + `,"given_name":"Ada","family_name":"Byron"}`, `^/api/v1/patients/\d+$`, "GET", &other},
		{"/api/v1/appointments", "/api/v1/appointments", `{"reason_id":` + id(a.Reason.ID) + `,"agenda_id":` + id(a.Agenda.ID) + `,"patient_id":` + id(a.Patient.ID) + `,"start":"2031-02-03T10:00:00+11:00"}`, `^/api/v1/appointments/\d+$`, "GET", nil},
		{"/api/v1/agendas/{id}/exceptions", "/api/v1/agendas/" + id(a.Agenda.ID) + "/exceptions", `{"day":"2031-02-04","closed":true}`, `^/api/v1/exceptions/\d+$`, "DELETE", nil},
		{"/api/v1/absences", "/api/v1/absences", `{"practitioner_id":` + id(a.Practitioner.ID) + `,"start":"2031-03-03T00:00:00+11:00","end":"2031-03-04T00:00:00+11:00"}`, `^/api/v1/absences/\d+$`, "DELETE", nil},
		{"/api/v1/patients/{id}/consents", pat + "/consents", `{"channel":"sms","purpose":"reminder","opt_in":false}`, "^" + pat + "/consents$", "GET", nil},
		{"/api/v1/sms-accounts", "/api/v1/sms-accounts", `{"account_sid":"AC` + strings.Repeat("0a", 16) + `","auth_token":"secret-token","sender":"+61400000000"}`, `^/api/v1/sms-accounts/\d+$`, "DELETE", nil},
		// After the patient above exists: it becomes the relative.
		{"/api/v1/patients/{id}/relatives", pat + "/relatives", "", "^" + pat + "/relatives$", "GET", nil},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.pattern] = true
		t.Run(tt.pattern, func(t *testing.T) {
			body := tt.body
			if body == "" {
				body = `{"relative_id":` + id(other.ID) + `,"relationship":"child"}`
			}
			res := h.do("POST", tt.path, "token:administrator", body)
			if res.status != 201 {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			loc := res.header.Get("Location")
			if !regexp.MustCompile(tt.want).MatchString(loc) {
				t.Fatalf("Location %q, want %s", loc, tt.want)
			}
			if tt.keep != nil {
				res.json(t, tt.keep)
			}
			if got := h.do(tt.check, loc, "token:administrator", nil); got.status/100 != 2 {
				t.Errorf("%s %s: %d %s", tt.check, loc, got.status, got.body)
			}
		})
	}
	// A token is never a healthcare professional, so it starts no conversation and writes no
	// message (MSG-1, MSG-2): those two 201s are checked with a professional's actor in
	// internal/api (TestMessagingCreatedHasLocation), and here only refused to a token.
	for _, p := range []string{"/api/v1/conversations", "/api/v1/conversations/{id}/messages"} {
		covered[p] = true
	}
	on := map[string]bool{"staff_start": true, "staff_start_all": true, "incoming": true, "incoming_all": true, "portal_button": true,
		"reception_triage": true, "staff_digest": false}
	if res := h.do("PUT", "/api/v1/clinics/"+id(a.Clinic.ID)+"/messaging", "token:administrator", on); res.status != http.StatusOK {
		t.Errorf("messaging settings: %d %s", res.status, res.body)
	}
	if res := h.do("POST", "/api/v1/conversations", "token:practitioner", map[string]any{"clinic_id": a.Clinic.ID, "patient_id": a.Patient.ID,
		"subject": "Results", "body": "Hello"}); res.status != http.StatusForbidden {
		t.Errorf("a token starts a conversation: %d %s", res.status, res.body)
	}
	for _, r := range h.srv.Routes() {
		if r.Doc != nil && r.Doc.Status == http.StatusCreated && !covered[r.Pattern] {
			t.Errorf("%s %s answers 201 and is not in this test's table", r.Method, r.Pattern)
		}
	}

	// A booking retried with an Idempotency-Key answers with the kept body, and the same
	// Location.
	body := `{"reason_id":` + id(a.Reason.ID) + `,"agenda_id":` + id(a.Agenda.ID) + `,"patient_id":` + id(a.Patient.ID) + `,"start":"2031-02-03T11:00:00+11:00"}`
	first, again := h.bookWithKey("loc-1", body), h.bookWithKey("loc-1", body)
	var booked api.Appointment
	first.json(t, &booked)
	want := "/api/v1/appointments/" + id(booked.ID)
	if first.header.Get("Location") != want || again.header.Get("Location") != want || again.status != 201 {
		t.Errorf("Location %q then %q (status %d), want %q both times", first.header.Get("Location"), again.header.Get("Location"), again.status, want)
	}
}

// TestAppointmentsListedByStart (ADM-5): GET /appointments lists by start time, then id,
// whatever order they were booked in, and its cursor pages walk that order without repeat
// or gap, also when an appointment is booked between two pages; a cursor of another list is
// refused.
func TestAppointmentsListedByStart(t *testing.T) {
	h := newHarness(t)
	a := h.a
	weekdays(t, h)
	book := func(start string) api.Appointment {
		t.Helper()
		res := h.do("POST", "/api/v1/appointments", "token:reception", map[string]any{"reason_id": a.Reason.ID, "agenda_id": a.Agenda.ID,
			"patient_id": a.Patient.ID, "start": start})
		if res.status != 201 {
			t.Fatalf("book %s: %d %s", start, res.status, res.body)
		}
		var ap api.Appointment
		res.json(t, &ap)
		return ap
	}
	// Booked in an order that is neither the start order nor the reverse (Monday 3 to
	// Friday 7 February 2031, Sydney time).
	for _, s := range []string{"2031-02-05T10:00:00+11:00", "2031-02-03T10:00:00+11:00", "2031-02-07T10:00:00+11:00",
		"2031-02-04T10:00:00+11:00", "2031-02-06T10:00:00+11:00", "2031-02-03T09:00:00+11:00"} {
		book(s)
	}
	var starts []string
	cursor := ""
	for page := 0; ; page++ {
		path := "/api/v1/appointments?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		res := h.do("GET", path, "token:reception", nil)
		if res.status != 200 {
			t.Fatalf("page %d: %d %s", page, res.status, res.body)
		}
		var list api.ListOf[api.Appointment]
		res.json(t, &list)
		for _, ap := range list.Items {
			starts = append(starts, ap.Start.UTC().Format(time.RFC3339))
		}
		if page == 0 {
			// Booked between pages, before the cursor: not shown, and nothing skipped.
			book("2031-02-03T08:00:00+11:00")
		}
		if cursor = list.NextCursor; cursor == "" {
			break
		}
	}
	want := []string{"2031-02-02T22:00:00Z", "2031-02-02T23:00:00Z", "2031-02-03T23:00:00Z", "2031-02-04T23:00:00Z",
		"2031-02-05T23:00:00Z", "2031-02-06T23:00:00Z"}
	if d := cmp.Diff(want, starts); d != "" {
		t.Errorf("appointments by page (-want +got):\n%s", d)
	}
	if !slices.IsSorted(starts) {
		t.Errorf("not by start: %v", starts)
	}
	// A cursor of a list by id does not page the appointments.
	var clinics api.ListOf[api.Clinic]
	h.do("POST", "/api/v1/clinics", "token:administrator", `{"database_id":`+fmt.Sprint(a.Database.ID)+`,"slug":"two","name":"Two","zone":"Australia/Sydney","region":"AU"}`)
	h.do("GET", "/api/v1/clinics?limit=1", "token:administrator", nil).json(t, &clinics)
	res := h.do("GET", "/api/v1/appointments?cursor="+clinics.NextCursor, "token:reception", nil)
	var p web.Problem
	res.json(t, &p)
	if res.status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "cursor" {
		t.Errorf("a clinics cursor on appointments: %d %s", res.status, res.body)
	}
}

// TestAvailabilityConventions: with online=true a reason that cannot be booked online is
// refused with a 422 naming reason_id, by /availability and /availability/first alike, as
// booking it online would be (no "found": true for a booking that would be refused); staff
// still see its slots. Instants are UTC with Z, the zone is named, the first slot's local
// wall time is labelled local_start, and an agenda without a free slot has "slots": [].
func TestAvailabilityConventions(t *testing.T) {
	h := newHarness(t)
	a := h.a
	agenda := "/api/v1/agendas/" + fmt.Sprint(a.Agenda.ID)
	if res := h.do("PUT", agenda+"/hours", "token:appointment_manager", `{"hours":[{"weekday":1,"start":"09:00","end":"10:00"}]}`); res.status != 200 {
		t.Fatalf("hours: %d %s", res.status, res.body)
	}
	if res := h.do("PATCH", "/api/v1/reasons/"+fmt.Sprint(a.Reason.ID), "token:administrator", `{"online_bookable":false}`); res.status != 200 {
		t.Fatalf("reason: %d %s", res.status, res.body)
	}
	monday := "?reason_id=" + fmt.Sprint(a.Reason.ID) + "&from=2031-02-03T00:00:00%2B11:00&to=2031-02-04T00:00:00%2B11:00"
	for _, path := range []string{"/api/v1/availability", "/api/v1/availability/first"} {
		res := h.do("GET", path+monday+"&online=true", "token:reception", nil)
		var p web.Problem
		res.json(t, &p)
		if res.status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "reason_id" || !strings.Contains(p.Errors[0].Reason, "online") {
			t.Errorf("%s online, reason not bookable online: %d %s", path, res.status, res.body)
		}
		if res := h.do("GET", path+monday, "token:reception", nil); res.status != 200 {
			t.Errorf("%s for staff: %d %s", path, res.status, res.body)
		}
	}

	res := h.do("GET", "/api/v1/availability/first"+monday, "token:reception", nil)
	var raw map[string]any
	res.json(t, &raw)
	want := map[string]any{"found": true, "agenda_id": float64(a.Agenda.ID), "start": "2031-02-02T22:00:00Z",
		"zone": "Australia/Sydney", "local_start": "2031-02-03T09:00:00"}
	if d := cmp.Diff(want, raw); d != "" {
		t.Errorf("first available (-want +got):\n%s", d)
	}
	res = h.do("GET", "/api/v1/availability"+monday, "token:reception", nil)
	res.json(t, &raw)
	slots := raw["agendas"].([]any)[0].(map[string]any)["slots"].([]any)
	if len(slots) != 4 || slots[0] != "2031-02-02T22:00:00Z" {
		t.Errorf("slots = %v, want the four quarter hours of 09:00 Sydney, in UTC", slots)
	}
	// Tuesday has no hours: the agenda is listed with "slots": [] (and "offsets": [] in
	// the compact form).
	tuesday := "?reason_id=" + fmt.Sprint(a.Reason.ID) + "&from=2031-02-04T00:00:00%2B11:00&to=2031-02-05T00:00:00%2B11:00"
	for format, key := range map[string]string{"times": "slots", "offsets": "offsets"} {
		res := h.do("GET", "/api/v1/availability"+tuesday+"&format="+format, "token:reception", nil)
		if !strings.Contains(string(res.body), `"`+key+`":[]`) {
			t.Errorf("format %s, no slot: %s, want %q: []", format, res.body, key)
		}
	}
	res = h.do("GET", "/api/v1/availability/first"+tuesday, "token:reception", nil)
	if string(res.body) != `{"found":false}`+"\n" {
		t.Errorf("first available on a closed day: %s", res.body)
	}
}

// weekdays gives org a's agenda hours from 08:00 to 17:00, Monday to Friday, so that the
// bookings of these tests are ordinary ones.
func weekdays(t *testing.T, h *harness) {
	t.Helper()
	var hours []string
	for d := 1; d <= 5; d++ {
		hours = append(hours, fmt.Sprintf(`{"weekday":%d,"start":"08:00","end":"17:00"}`, d))
	}
	res := h.do("PUT", "/api/v1/agendas/"+fmt.Sprint(h.a.Agenda.ID)+"/hours", "token:appointment_manager", `{"hours":[`+strings.Join(hours, ",")+`]}`)
	if res.status != 200 {
		t.Fatalf("hours: %d %s", res.status, res.body)
	}
}
