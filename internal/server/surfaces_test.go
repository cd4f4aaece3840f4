package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// form posts a dashboard form as role (a signed-in staff user of org a).
func (h *harness) form(path string, role clinic.Role, v url.Values) response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.ts.URL+path, strings.NewReader(v.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: "tidings_session", Value: h.cookie[role]})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	return response{status: resp.StatusCode, header: resp.Header}
}

// outcome is what a surface's answer means, so the API's and the dashboard's can be
// compared: the API answers 200, the dashboard redirects (303) after a change.
type outcome string

const (
	done      outcome = "done"
	forbidden outcome = "forbidden" // 403
	conflict  outcome = "conflict"  // 409: the appointment's state stands in the way
	invalid   outcome = "invalid"   // 422
)

func outcomeOf(status int) outcome {
	switch status {
	case http.StatusOK, http.StatusSeeOther:
		return done
	case http.StatusForbidden:
		return forbidden
	case http.StatusConflict:
		return conflict
	case http.StatusUnprocessableEntity:
		return invalid
	}
	return outcome(fmt.Sprint(status))
}

// TestSameOutcomeOnEverySurface runs one table of (role × action × appointment state)
// through the JSON API and the dashboard and asserts the same outcome from both (ADM-1,
// POR-4). Its first row is the bug that made the use-case layer: a practitioner's token
// could reinstate a cancelled appointment through the API that the dashboard refused.
func TestSameOutcomeOnEverySurface(t *testing.T) {
	h := newHarness(t)
	h.newSessions()
	type row struct {
		role   clinic.Role
		from   clinic.Status
		action string // "status:<to>" or "cancel"
		want   outcome
		later  bool // on a later day (else today when attendance is involved, the status table's day)
	}
	var rows []row
	add := func(from clinic.Status, action string, want map[clinic.Role]outcome) {
		for _, role := range clinic.Roles() {
			rows = append(rows, row{role, from, action, want[role], false})
		}
	}
	all := func(o outcome) map[clinic.Role]outcome {
		return map[clinic.Role]outcome{clinic.RoleAdministrator: o, clinic.RoleAppointmentManager: o, clinic.RoleReception: o, clinic.RolePractitioner: o}
	}
	booker := func(o outcome) map[clinic.Role]outcome { // roles that may book; practitioners may not
		m := all(o)
		m[clinic.RolePractitioner] = forbidden
		return m
	}
	add(clinic.StatusCancelled, "status:booked", booker(done))      // reinstate: the permission to book
	add(clinic.StatusBooked, "status:arrived", all(done))           // attendance: every role
	add(clinic.StatusArrived, "status:seen", all(done))             //
	add(clinic.StatusSeen, "status:booked", all(conflict))          // not a move a clinic makes
	add(clinic.StatusBooked, "status:cancelled", all(invalid))      // one way to cancel: Cancel
	add(clinic.StatusBooked, "cancel", booker(done))                //
	add(clinic.StatusCancelled, "cancel", booker(conflict))         // already cancelled
	add(clinic.StatusCancelled, "status:arrived", booker(conflict)) // reinstate only to booked
	add(clinic.StatusNoShow, "status:excused_absence", all(done))   //
	add(clinic.StatusExcusedAbsence, "status:no_show", all(done))   //
	add(clinic.StatusBooked, "status:nonsense", all(invalid))       //
	add(clinic.StatusConfirmed, "status:booked", all(done))         // the undo of a confirmation
	add(clinic.StatusSeen, "status:arrived", all(conflict))         // seen is final (the status table)
	add(clinic.StatusArrived, "cancel", booker(conflict))           // no cancelling once arrived
	for _, role := range clinic.Roles() {                           // attendance only from the day on
		rows = append(rows, row{role, clinic.StatusBooked, "status:arrived", conflict, true})
	}
	attendance := func(s string) bool {
		return slices.Contains([]string{"arrived", "seen", "no_show", "excused_absence"}, strings.TrimPrefix(s, "status:"))
	}

	// Attendance is recorded from the appointment's day on: those rows use today, 15-minute
	// appointments from local midnight (they fill its first 14 hours); the others a later day.
	now := time.Now().In(mustLoc(t, h.a.Clinic.Zone))
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	later := today.AddDate(0, 0, 3)
	n := map[bool]int{}
	// prepare books a fresh appointment (as an administrator, confirming it is outside the
	// agenda's hours) and brings it to from.
	prepare := func(from clinic.Status, onToday bool) (int64, int64) {
		day := later
		if onToday {
			day = today
		}
		start := day.Add(time.Duration(n[onToday]) * 15 * time.Minute).UTC().Format(time.RFC3339)
		n[onToday]++
		res := h.do("POST", "/api/v1/appointments", "token:administrator", fmt.Sprintf(`{"reason_id":%d,"agenda_id":%d,"patient_id":%d,"start":%q,"allow_outside_hours":true}`,
			h.a.Reason.ID, h.a.Agenda.ID, h.a.Patient.ID, start))
		if res.status != http.StatusCreated {
			t.Fatalf("book: %d %s", res.status, res.body)
		}
		var a struct{ ID, Version int64 }
		res.json(t, &a)
		path := []clinic.Status{}
		switch from {
		case clinic.StatusArrived:
			path = []clinic.Status{clinic.StatusArrived}
		case clinic.StatusSeen:
			path = []clinic.Status{clinic.StatusArrived, clinic.StatusSeen}
		case clinic.StatusNoShow, clinic.StatusConfirmed:
			path = []clinic.Status{from}
		case clinic.StatusExcusedAbsence:
			path = []clinic.Status{clinic.StatusNoShow, clinic.StatusExcusedAbsence}
		}
		for _, to := range path {
			res = h.do("POST", fmt.Sprintf("/api/v1/appointments/%d/status", a.ID), "token:administrator", fmt.Sprintf(`{"status":%q,"version":%d}`, to, a.Version))
			if res.status != 200 {
				t.Fatalf("prepare %s: %d %s", to, res.status, res.body)
			}
			res.json(t, &a)
		}
		if from == clinic.StatusCancelled {
			res = h.do("POST", fmt.Sprintf("/api/v1/appointments/%d/cancel", a.ID), "token:administrator", fmt.Sprintf(`{"version":%d}`, a.Version))
			if res.status != 200 {
				t.Fatalf("prepare cancel: %d %s", res.status, res.body)
			}
			res.json(t, &a)
		}
		return a.ID, a.Version
	}
	for _, r := range rows {
		t.Run(fmt.Sprintf("%s/%s/%s", r.role, r.from, r.action), func(t *testing.T) {
			got := map[string]outcome{}
			for _, surface := range []string{"api", "dashboard"} {
				id, version := prepare(r.from, !r.later && (attendance(string(r.from)) || attendance(r.action)))
				verb, to, _ := strings.Cut(r.action, ":")
				var status int
				if surface == "api" {
					body := fmt.Sprintf(`{"version":%d}`, version)
					if verb == "status" {
						body = fmt.Sprintf(`{"status":%q,"version":%d}`, to, version)
					}
					res := h.do("POST", fmt.Sprintf("/api/v1/appointments/%d/%s", id, verb), "token:"+string(r.role), body)
					status = res.status
				} else {
					v := url.Values{"version": {fmt.Sprint(version)}}
					if verb == "status" {
						v.Set("status", to)
					} else {
						v.Set("reason", "booked_in_error") // the dashboard asks for one
					}
					status = h.form(fmt.Sprintf("/appointments/%d/%s", id, verb), r.role, v).status
				}
				got[surface] = outcomeOf(status)
			}
			if got["api"] != r.want || got["dashboard"] != r.want {
				t.Errorf("api %s, dashboard %s; want %s from both", got["api"], got["dashboard"], r.want)
			}
		})
	}
}

func mustLoc(t *testing.T, zone string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
