package server_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/api"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

func (h *harness) bookWithKey(key, body string) response {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.ts.URL+"/api/v1/appointments", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.tokens[clinic.RoleReception])
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func (h *harness) appointmentCount() int {
	var n int
	h.db.View(ctx, func(tx *store.Tx) error {
		as, err := tx.Appointments().ListAppointments(ctx, h.a.Org.ID, store.AppointmentFilter{}, store.Page{Limit: 500})
		n = len(as)
		return err
	})
	return n
}

// TestIdempotencyKey: a retried booking with the same key returns the first booking and
// books nothing more; the same key with another body is refused; concurrent retries
// converge on one booking.
func TestIdempotencyKey(t *testing.T) {
	h := newHarness(t)
	body := func(hour int) string {
		return `{"reason_id":` + itoa(int64(h.a.Reason.ID)) + `,"agenda_id":` + itoa(int64(h.a.Agenda.ID)) + `,"patient_id":` +
			itoa(int64(h.a.Patient.ID)) + `,"start":"2031-02-03T` + itoa(int64(hour)) + `:00:00+11:00","allow_outside_hours":true}`
	}
	first := h.bookWithKey("key-1", body(10))
	if first.status != 201 {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	again := h.bookWithKey("key-1", body(10))
	if again.status != 201 || string(again.body) != string(first.body) {
		t.Errorf("replay: %d %s, want the first answer %s", again.status, again.body, first.body)
	}
	other := h.bookWithKey("key-1", body(11))
	var p web.Problem
	other.json(t, &p)
	if other.status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "Idempotency-Key" {
		t.Errorf("same key, other body: %d %s", other.status, other.body)
	}
	if n := h.appointmentCount(); n != 1 {
		t.Errorf("%d appointments, want 1", n)
	}
	// Without a key, a second identical request is a new booking attempt: the slot is taken.
	if res := h.bookWithKey("", body(10)); res.status != 409 {
		t.Errorf("no key, same slot: %d", res.status)
	}
	// Eight concurrent retries of one request: one booking, eight identical answers.
	var wg sync.WaitGroup
	results := make([]response, 8)
	for i := range results {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = h.bookWithKey("key-2", body(12)) }()
	}
	wg.Wait()
	for i, r := range results {
		if r.status != 201 || string(r.body) != string(results[0].body) {
			t.Errorf("concurrent retry %d: %d %s", i, r.status, r.body)
		}
	}
	if n := h.appointmentCount(); n != 2 {
		t.Errorf("%d appointments, want 2", n)
	}
}

// TestSchedulingAPI walks the scheduling routes: hours, exceptions, availability, first
// available, booking, reschedule, absence with affected appointments, cancel.
func TestSchedulingAPI(t *testing.T) {
	h := newHarness(t)
	agenda := "/api/v1/agendas/" + itoa(int64(h.a.Agenda.ID))
	res := h.do("PUT", agenda+"/hours", "token:appointment_manager",
		`{"hours":[{"weekday":1,"start":"09:00","end":"12:30"},{"weekday":1,"start":"13:30","end":"17:00"},{"weekday":2,"start":"09:00","end":"17:00"}]}`)
	if res.status != 200 {
		t.Fatalf("hours: %d %s", res.status, res.body)
	}
	var hours api.WorkingHours
	h.do("GET", agenda+"/hours", "token:practitioner", nil).json(t, &hours)
	if len(hours.Hours) != 3 || hours.Hours[1].Start != "13:30" {
		t.Errorf("hours = %+v", hours)
	}
	// Tuesday 2031-02-04 closed.
	if res := h.do("POST", agenda+"/exceptions", "token:appointment_manager", `{"day":"2031-02-04","closed":true,"note":"training"}`); res.status != 201 {
		t.Fatalf("exception: %d %s", res.status, res.body)
	}
	q := "?reason_id=" + itoa(int64(h.a.Reason.ID)) + "&from=2031-02-03T00:00:00%2B11:00&to=2031-02-05T00:00:00%2B11:00"
	var av api.AvailabilityResult
	res = h.do("GET", "/api/v1/availability"+q, "token:reception", nil)
	res.json(t, &av)
	if res.status != 200 || len(av.Agendas) != 1 || av.Zone != "Australia/Sydney" {
		t.Fatalf("availability: %d %s", res.status, res.body)
	}
	// Monday 09:00–12:30 and 13:30–17:00 with 15-minute slots: 14 + 14; Tuesday closed.
	if n := len(av.Agendas[0].Slots); n != 28 {
		t.Errorf("%d slots, want 28", n)
	}
	var first api.FirstAvailable
	h.do("GET", "/api/v1/availability/first"+q, "token:reception", nil).json(t, &first)
	syd, _ := time.LoadLocation("Australia/Sydney")
	if !first.Found || first.Start.In(syd).Format("2006-01-02 15:04") != "2031-02-03 09:00" {
		t.Errorf("first = %+v", first)
	}
	// Book Monday 09:00, then it is no longer offered.
	res = h.do("POST", "/api/v1/appointments", "token:reception", map[string]any{"reason_id": h.a.Reason.ID, "patient_id": h.a.Patient.ID,
		"start": "2031-02-03T09:00:00+11:00"})
	if res.status != 201 {
		t.Fatalf("no-preference booking: %d %s", res.status, res.body)
	}
	var appt api.Appointment
	res.json(t, &appt)
	h.do("GET", "/api/v1/availability/first"+q, "token:reception", nil).json(t, &first)
	if first.Start.In(syd).Format("15:04") != "09:15" {
		t.Errorf("first after booking = %v", first.Start.In(syd))
	}
	// Reschedule to 14:00, then an absence 13:30–15:00 lists it as affected.
	res = h.do("POST", "/api/v1/appointments/"+itoa(appt.ID)+"/reschedule", "token:reception", `{"start":"2031-02-03T14:00:00+11:00","version":1}`)
	if res.status != 200 {
		t.Fatalf("reschedule: %d %s", res.status, res.body)
	}
	res.json(t, &appt)
	res = h.do("POST", "/api/v1/absences", "token:appointment_manager", map[string]any{"practitioner_id": h.a.Practitioner.ID,
		"start": "2031-02-03T13:30:00+11:00", "end": "2031-02-03T15:00:00+11:00", "note": "dentist"})
	var created api.AbsenceCreated
	res.json(t, &created)
	if res.status != 201 || len(created.Affected) != 1 || created.Affected[0].ID != appt.ID {
		t.Fatalf("absence: %d %s", res.status, res.body)
	}
	// Staff cannot book into the absence; cancelling the affected appointment works.
	res = h.do("POST", "/api/v1/appointments", "token:reception", map[string]any{"reason_id": h.a.Reason.ID, "agenda_id": h.a.Agenda.ID,
		"patient_id": h.a.Patient.ID, "start": "2031-02-03T14:30:00+11:00"})
	if res.status != 409 {
		t.Errorf("booking into an absence: %d %s", res.status, res.body)
	}
	res = h.do("POST", "/api/v1/appointments/"+itoa(appt.ID)+"/cancel", "token:reception", `{"version":`+itoa(appt.Version)+`}`)
	res.json(t, &appt)
	if res.status != 200 || appt.Status != "cancelled" {
		t.Errorf("cancel: %d %s", res.status, res.body)
	}
	// Undoing a cancellation the slot of which is inside the absence is still allowed for
	// staff (the slot is free), and a transition a clinic would not make is refused.
	res = h.do("POST", "/api/v1/appointments/"+itoa(appt.ID)+"/status", "token:reception", `{"status":"seen","version":`+itoa(appt.Version)+`}`)
	if res.status != 409 || !strings.Contains(string(res.body), "status") {
		t.Errorf("cancelled → seen: %d %s", res.status, res.body)
	}
	// PATCH edits details only.
	res = h.do("PATCH", "/api/v1/appointments/"+itoa(appt.ID), "token:reception", `{"note":"called, will rebook","version":`+itoa(appt.Version)+`}`)
	if res.status != 200 {
		t.Errorf("patch note: %d %s", res.status, res.body)
	}
	// Booking rules through the clinic.
	res = h.do("PATCH", "/api/v1/clinics/"+itoa(int64(h.a.Clinic.ID)), "token:administrator", `{"booking":{"grid_minutes":20}}`)
	if res.status != 422 || !strings.Contains(string(res.body), "booking.grid_minutes") {
		t.Errorf("bad grid: %d %s", res.status, res.body)
	}
	res = h.do("PATCH", "/api/v1/clinics/"+itoa(int64(h.a.Clinic.ID)), "token:administrator", `{"booking":{"grid_minutes":30,"min_notice_hours":4}}`)
	var cl api.Clinic
	res.json(t, &cl)
	if res.status != 200 || cl.Booking.GridMinutes != 30 || cl.Booking.MinNoticeHours != 4 || cl.Booking.HorizonDays != 90 {
		t.Errorf("rules: %d %s", res.status, res.body)
	}
}
