package api

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// weekdayHours opens the agenda of org a Monday to Friday, 09:00–17:00.
func (e *apiEnv) weekdayHours() {
	e.t.Helper()
	var hs []clinic.WorkingHours
	for wd := time.Monday; wd <= time.Friday; wd++ {
		hs = append(hs, clinic.WorkingHours{Weekday: wd, Start: 9 * 60, End: 17 * 60})
	}
	ctx := context.Background()
	if err := e.db.Update(ctx, func(tx *store.Tx) error { return tx.Schedule().SetWorkingHours(ctx, e.a.Org.ID, e.a.Agenda.ID, hs) }); err != nil {
		e.t.Fatal(err)
	}
}

// problem decodes a problem document.
func (r apiResponse) problem(t *testing.T) web.Problem {
	t.Helper()
	var p web.Problem
	r.decode(t, &p)
	return p
}

// TestBookOutsideHoursAPI: a token's booking or move outside the agenda's working hours (or
// off the clinic's grid) is refused, 409 naming start with the reason in words, unless
// allow_outside_hours is true; a second appointment the same day is booked with a same_day
// warning rather than refused (POR-4). The clock is Tuesday 7 April 2026, 10:00 in Sydney.
func TestBookOutsideHoursAPI(t *testing.T) {
	e := newAPIEnv(t)
	e.weekdayHours()
	syd, _ := time.LoadLocation("Australia/Sydney")
	body := func(start time.Time, allow *bool) map[string]any {
		b := map[string]any{"reason_id": e.a.Reason.ID, "agenda_id": e.a.Agenda.ID, "patient_id": e.a.Patient.ID,
			"start": start.Format(time.RFC3339)}
		if allow != nil {
			b["allow_outside_hours"] = *allow
		}
		return b
	}
	yes, no := true, false
	early := time.Date(2026, 4, 8, 8, 0, 0, 0, syd)
	tests := []struct {
		name   string
		start  time.Time
		allow  *bool
		reason string
	}{
		{"before opening", early, nil, "is outside Dr Lovelace's working hours (allow_outside_hours: true books it anyway)"},
		{"explicitly not allowed", early, &no, "is outside Dr Lovelace's working hours (allow_outside_hours: true books it anyway)"},
		{"a Saturday", time.Date(2026, 4, 11, 10, 0, 0, 0, syd), nil, "is outside Dr Lovelace's working hours (allow_outside_hours: true books it anyway)"},
		{"off the grid", time.Date(2026, 4, 8, 9, 10, 0, 0, syd), nil, "is not on the 15-minute grid of start times of Dr Lovelace (allow_outside_hours: true books it anyway)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.admin("POST", Prefix+"/appointments", body(tc.start, tc.allow))
			wantStatus(t, "book", res, http.StatusConflict)
			if d := cmp.Diff([]clinic.FieldError{{Field: "start", Reason: tc.reason}}, res.problem(t).Errors); d != "" {
				t.Errorf("problem (-want +got):\n%s", d)
			}
		})
	}
	res := e.admin("POST", Prefix+"/appointments", body(early, &yes))
	wantStatus(t, "book confirmed", res, http.StatusCreated)
	var first Appointment
	res.decode(t, &first)
	if !first.Start.Equal(early) || len(first.Warnings) != 0 {
		t.Errorf("booked %+v", first)
	}

	// The same patient again that day, in hours: booked, with the warning.
	res = e.admin("POST", Prefix+"/appointments", body(time.Date(2026, 4, 8, 14, 0, 0, 0, syd), nil))
	wantStatus(t, "second that day", res, http.StatusCreated)
	var second Appointment
	res.decode(t, &second)
	want := []Warning{{Code: "same_day", Message: "the patient already has an appointment at this clinic that day", AppointmentIDs: []int64{first.ID}}}
	if d := cmp.Diff(want, second.Warnings); d != "" {
		t.Errorf("warnings (-want +got):\n%s", d)
	}

	// A move: refused outside the hours, made with allow_outside_hours.
	move := func(allow bool) apiResponse {
		return e.admin("POST", fmt.Sprintf("%s/appointments/%d/reschedule", Prefix, second.ID),
			map[string]any{"start": time.Date(2026, 4, 8, 18, 0, 0, 0, syd).Format(time.RFC3339), "version": second.Version, "allow_outside_hours": allow})
	}
	res = move(false)
	wantStatus(t, "move outside hours", res, http.StatusConflict)
	if p := res.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "start" {
		t.Errorf("move problem %+v, want start named", p)
	}
	wantStatus(t, "move confirmed", move(true), http.StatusOK)
}

// TestCancelReasonAPI: the API's cancel takes an optional reason, bounded, kept in the
// appointment's history; without one it works as before. A refused status change or
// cancellation is a 409 naming status, with the reason in words.
func TestCancelReasonAPI(t *testing.T) {
	e := newAPIEnv(t)
	e.weekdayHours()
	syd, _ := time.LoadLocation("Australia/Sydney")
	book := func(start time.Time) Appointment {
		res := e.admin("POST", Prefix+"/appointments", map[string]any{"reason_id": e.a.Reason.ID, "agenda_id": e.a.Agenda.ID,
			"patient_id": e.a.Patient.ID, "start": start.Format(time.RFC3339)})
		wantStatus(t, "book", res, http.StatusCreated)
		var a Appointment
		res.decode(t, &a)
		return a
	}
	cancel := func(a Appointment, body map[string]any) apiResponse {
		body["version"] = a.Version
		return e.do(e.a.Org.ID, clinic.RoleReception, "POST", fmt.Sprintf("%s/appointments/%d/cancel", Prefix, a.ID), body)
	}
	a := book(time.Date(2026, 4, 9, 9, 0, 0, 0, syd))
	wantFields(t, "reason too long", cancel(a, map[string]any{"reason": string(make([]byte, 301))}), "reason")
	wantStatus(t, "cancel with a reason", cancel(a, map[string]any{"reason": " Patient moved away "}), http.StatusOK)
	b := book(time.Date(2026, 4, 10, 9, 0, 0, 0, syd))
	wantStatus(t, "cancel without a reason", cancel(b, map[string]any{}), http.StatusOK)
	ctx := context.Background()
	var events []store.AppointmentEvent
	if err := e.db.View(ctx, func(tx *store.Tx) (err error) {
		events, err = tx.Appointments().AppointmentEvents(ctx, e.a.Org.ID, clinic.AppointmentID(a.ID))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if last := events[len(events)-1]; last.Kind != store.EventCancelled || last.Reason != "Patient moved away" {
		t.Errorf("cancellation event %+v", last)
	}

	// Tomorrow's appointment: not "arrived" yet; today's: arrived, then no cancelling.
	c := book(time.Date(2026, 4, 8, 9, 0, 0, 0, syd))
	res := e.admin("POST", fmt.Sprintf("%s/appointments/%d/status", Prefix, c.ID), map[string]any{"status": "arrived", "version": c.Version})
	wantStatus(t, "arrived before the day", res, http.StatusConflict)
	if d := cmp.Diff([]clinic.FieldError{{Field: "status", Reason: "arrived can be recorded only from the day of the appointment"}}, res.problem(t).Errors); d != "" {
		t.Errorf("problem (-want +got):\n%s", d)
	}
	d := book(time.Date(2026, 4, 7, 15, 0, 0, 0, syd))
	res = e.admin("POST", fmt.Sprintf("%s/appointments/%d/status", Prefix, d.ID), map[string]any{"status": "arrived", "version": d.Version})
	wantStatus(t, "arrived on the day", res, http.StatusOK)
	res.decode(t, &d)
	res = cancel(d, map[string]any{"reason": "changed their mind"})
	wantStatus(t, "cancel after arrival", res, http.StatusConflict)
	if p := res.problem(t); p.Detail != "the patient has arrived: the appointment can no longer be cancelled" {
		t.Errorf("detail %q", p.Detail)
	}
}
