package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
	"github.com/tidings-health/tidings/internal/web"
)

// routePerm is the permission Routes declares for "METHOD /pattern".
func routePerm(t *testing.T, d *Dashboard, route string) clinic.Permission {
	t.Helper()
	for _, r := range d.Routes() {
		if r.Method+" "+r.Pattern == route {
			if r.Auth != web.Session {
				t.Fatalf("%s is not a session route", route)
			}
			return r.Perm
		}
	}
	t.Fatalf("no route %s", route)
	return ""
}

// TestScheduleAccess: reception and practitioners cannot open or change schedules (the
// server refuses them from the route's permission); managers and administrators can.
func TestScheduleAccess(t *testing.T) {
	e := newEnv(t)
	for _, route := range []string{"GET /schedules", "POST /agendas/{id}/hours", "POST /agendas/{id}/exceptions", "POST /exceptions/{id}/delete",
		"GET /practitioners/{id}/absences", "POST /practitioners/{id}/absences", "POST /absences/{id}/delete"} {
		perm := routePerm(t, e.d, route)
		if perm != clinic.PermManageSchedule {
			t.Errorf("%s needs %s, want %s", route, perm, clinic.PermManageSchedule)
		}
		for role, want := range map[clinic.Role]bool{clinic.RoleAdministrator: true, clinic.RoleAppointmentManager: true,
			clinic.RoleReception: false, clinic.RolePractitioner: false} {
			if role.Can(perm) != want {
				t.Errorf("%s as %s: allowed = %v", route, role, !want)
			}
		}
	}
	res := e.do(request{method: "GET", path: "/schedules", actor: actorOf(e.recep)})
	if res.status != http.StatusForbidden {
		t.Errorf("reception opens /schedules: %d", res.status)
	}
	res = e.do(request{method: "GET", path: "/agenda", actor: actorOf(e.recep)})
	if strings.Contains(res.body, `href="/schedules"`) || strings.Contains(res.body, `href="/settings/booking"`) {
		t.Error("reception sees links to pages it cannot open")
	}
	manager := e.user(clinic.RoleAppointmentManager, "max@example.com")
	res = e.do(request{method: "GET", path: "/schedules", actor: actorOf(manager)})
	if res.status != http.StatusOK {
		t.Fatalf("manager: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, `href="/schedules"`, `aria-current="page"`, "Dr Lovelace", "Dr Ada Lovelace", `name="hours[Monday][0].start"`,
		fmt.Sprintf(`action="/agendas/%d/hours"`, e.fx.Agenda.ID), fmt.Sprintf(`action="/practitioners/%d/absences"`, e.fx.Practitioner.ID))
	if strings.Contains(res.body, `href="/settings/booking"`) {
		t.Error("the manager sees the booking rules link")
	}
	checkCSP(t, res.body)
}

func (e *env) hours() []clinic.WorkingHours {
	e.t.Helper()
	var hs map[clinic.AgendaID][]clinic.WorkingHours
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		hs, err = tx.Schedule().WorkingHours(ctx, e.fx.Org.ID, []clinic.AgendaID{e.fx.Agenda.ID})
		return err
	})
	return hs[e.fx.Agenda.ID]
}

func TestHoursSave(t *testing.T) {
	e := newEnv(t)
	path := fmt.Sprintf("/agendas/%d/hours", e.fx.Agenda.ID)
	form := url.Values{
		"hours[Monday][0].start": {"08:00"}, "hours[Monday][0].end": {"12:30"},
		"hours[Monday][1].start": {"13:30"}, "hours[Monday][1].end": {"18:00"},
		"hours[Monday][2].start": {""}, "hours[Monday][2].end": {""},
		"hours[Saturday][0].start": {"09:00"}, "hours[Saturday][0].end": {"24:00"},
		"hours[Sunday][0].start": {""}, "hours[Sunday][0].end": {""},
	}
	res := e.do(request{method: "POST", path: path, form: form, actor: actorOf(e.admin)})
	wantRedirect(t, res, fmt.Sprintf("/schedules?done=hours#agenda-%d", e.fx.Agenda.ID))
	want := []clinic.WorkingHours{{Weekday: time.Monday, Start: 480, End: 750}, {Weekday: time.Monday, Start: 810, End: 1080},
		{Weekday: time.Saturday, Start: 540, End: 1440}}
	if diff := cmp.Diff(want, e.hours()); diff != "" {
		t.Errorf("hours (-want +got):\n%s", diff)
	}
	res = e.do(request{method: "GET", path: "/schedules?done=hours", actor: actorOf(e.admin)})
	wantBody(t, res, "Working hours saved.", `name="hours[Monday][1].start" value="13:30"`, `name="hours[Monday][1].end" value="18:00"`,
		`name="hours[Monday][2].start" value=""`, `name="hours[Saturday][0].end" value="24:00"`, `name="hours[Tuesday][0].start" value=""`)

	tests := []struct {
		name   string
		form   url.Values
		fields []string
	}{
		{"end before start", url.Values{"hours[Monday][0].start": {"08:00"}, "hours[Monday][0].end": {"12:30"},
			"hours[Monday][1].start": {"13:30"}, "hours[Monday][1].end": {"12:00"}}, []string{"hours[Monday][1].end"}},
		{"overlap", url.Values{"hours[Monday][0].start": {"08:00"}, "hours[Monday][0].end": {"12:30"},
			"hours[Monday][1].start": {"12:00"}, "hours[Monday][1].end": {"14:00"}}, []string{"hours[Monday][1].start"}},
		{"overlap inside a long interval", url.Values{"hours[Friday][0].start": {"08:00"}, "hours[Friday][0].end": {"18:00"},
			"hours[Friday][1].start": {"09:00"}, "hours[Friday][1].end": {"10:00"}, "hours[Friday][2].start": {"11:00"}, "hours[Friday][2].end": {"12:00"}},
			[]string{"hours[Friday][1].start", "hours[Friday][2].start"}},
		{"not a time", url.Values{"hours[Tuesday][0].start": {"8am"}, "hours[Tuesday][0].end": {""}},
			[]string{"hours[Tuesday][0].start", "hours[Tuesday][0].end"}},
		{"unknown day", url.Values{"hours[Funday][0].start": {"08:00"}}, []string{"hours[Funday][0].start"}},
		{"no form", url.Values{}, []string{"hours"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(request{method: "POST", path: path, form: tc.form, actor: actorOf(e.admin)})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", res.status, res.body)
			}
			for _, f := range tc.fields {
				wantBody(t, res, `data-field="`+f+`"`)
			}
			for name, v := range tc.form {
				if strings.HasPrefix(name, "hours[Funday]") {
					continue
				}
				wantBody(t, res, fmt.Sprintf(`name="%s" value="%s"`, name, v[0]))
			}
			if tc.name != "no form" && tc.name != "unknown day" {
				wantBody(t, res, `aria-invalid="true"`)
			}
			if diff := cmp.Diff(want, e.hours()); diff != "" {
				t.Errorf("a refused form changed the hours (-want +got):\n%s", diff)
			}
		})
	}
	other := storetest.Seed(t, e.db, "other")
	res = e.do(request{method: "POST", path: fmt.Sprintf("/agendas/%d/hours", other.Agenda.ID), form: form, actor: actorOf(e.admin)})
	if res.status != http.StatusNotFound {
		t.Errorf("another organisation's agenda: %d, want 404", res.status)
	}
}

func TestExceptions(t *testing.T) {
	e := newEnv(t)
	path := fmt.Sprintf("/agendas/%d/exceptions", e.fx.Agenda.ID)
	res := e.do(request{method: "POST", path: path, actor: actorOf(e.admin), form: url.Values{"day": {"2026-12-25"}, "kind": {"closed"}, "note": {"Christmas"}}})
	wantRedirect(t, res, fmt.Sprintf("/schedules?done=exception-added#agenda-%d", e.fx.Agenda.ID))
	res = e.do(request{method: "POST", path: path, actor: actorOf(e.admin), form: url.Values{"day": {"2026-12-27"}, "kind": {"hours"}, "start": {"09:00"}, "end": {"12:00"}}})
	wantRedirect(t, res, fmt.Sprintf("/schedules?done=exception-added#agenda-%d", e.fx.Agenda.ID))
	var es []clinic.ScheduleException
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		es, err = tx.Schedule().Exceptions(ctx, e.fx.Org.ID, []clinic.AgendaID{e.fx.Agenda.ID}, "2026-01-01", "2026-12-31")
		return err
	})
	if len(es) != 2 || !es[0].Closed || es[0].Note != "Christmas" || es[1].Closed || es[1].Start != 540 || es[1].End != 720 {
		t.Fatalf("exceptions: %+v", es)
	}
	res = e.do(request{method: "GET", path: "/schedules", actor: actorOf(e.admin)})
	wantBody(t, res, "Fri 25 Dec 2026", "Christmas", "Closed", "Sun 27 Dec 2026", "Extra hours 09:00–12:00",
		fmt.Sprintf(`action="/exceptions/%d/delete"`, es[0].ID))

	res = e.do(request{method: "POST", path: fmt.Sprintf("/exceptions/%d/delete", es[0].ID), actor: actorOf(e.admin), form: url.Values{}})
	wantRedirect(t, res, "/schedules?done=exception-deleted")
	res = e.do(request{method: "GET", path: "/schedules", actor: actorOf(e.admin)})
	if strings.Contains(res.body, "Christmas") {
		t.Error("the deleted exception is still listed")
	}
	res = e.do(request{method: "POST", path: fmt.Sprintf("/exceptions/%d/delete", es[0].ID), actor: actorOf(e.admin), form: url.Values{}})
	if res.status != http.StatusNotFound {
		t.Errorf("deleting twice: %d, want 404", res.status)
	}

	for _, tc := range []struct {
		name   string
		form   url.Values
		fields []string
	}{
		{"hours backwards", url.Values{"day": {"2026-12-28"}, "kind": {"hours"}, "start": {"12:00"}, "end": {"09:00"}}, []string{"end"}},
		{"no day, no kind", url.Values{"note": {"x"}}, []string{"day", "kind"}},
		{"hours missing", url.Values{"day": {"2026-12-28"}, "kind": {"replace"}}, []string{"start", "end"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(request{method: "POST", path: path, actor: actorOf(e.admin), form: tc.form})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.status)
			}
			for _, f := range tc.fields {
				wantBody(t, res, `data-field="`+f+`"`)
			}
		})
	}
}

// TestAbsenceOverAppointments: an absence over a booked appointment leads to a page that
// lists it with Cancel and Move, each an ordinary change that returns there.
func TestAbsenceOverAppointments(t *testing.T) {
	e := newEnv(t)
	a := e.appt(at(t, 2026, 4, 8, 9, 0), clinic.StatusBooked)
	e.appt(at(t, 2026, 4, 9, 9, 0), clinic.StatusBooked) // the next day: not affected
	path := fmt.Sprintf("/practitioners/%d/absences", e.fx.Practitioner.ID)
	res := e.do(request{method: "POST", path: path, actor: actorOf(e.admin), form: url.Values{"start_date": {"2026-04-08"}, "note": {"Conference"}}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), path+"?done=absence-added#absence-") {
		t.Fatalf("got %d %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	var abs []clinic.Absence
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		abs, err = tx.Schedule().Absences(ctx, e.fx.Org.ID, []clinic.PractitionerID{e.fx.Practitioner.ID}, testNow, farFuture())
		return err
	})
	if len(abs) != 1 || !abs[0].Start.Equal(at(t, 2026, 4, 8, 0, 0)) || !abs[0].End.Equal(at(t, 2026, 4, 9, 0, 0)) {
		t.Fatalf("absences: %+v", abs)
	}

	res = e.do(request{method: "GET", path: path + "?done=absence-added", actor: actorOf(e.admin)})
	if res.status != http.StatusOK {
		t.Fatalf("absences page: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "Absence recorded.", "Conference", "1</strong> booked appointment falls", "Grace Hopper", "09:00–09:15 AEST",
		fmt.Sprintf(`href="/appointments/%d/cancel?next=%%2fpractitioners%%2f%d%%2fabsences"`, a.ID, e.fx.Practitioner.ID),
		fmt.Sprintf(`href="/appointments/%d/move?next=%%2fpractitioners%%2f%d%%2fabsences"`, a.ID, e.fx.Practitioner.ID))
	if n := strings.Count(res.body, `class="patient-link"`); n != 1 {
		t.Errorf("%d affected appointments listed, want 1", n)
	}
	checkCSP(t, res.body)
	checkNoPatientDataInURLs(t, res, e.fx.Patient)
	if !e.hasAudit(fmt.Sprintf("appointment.list %d", e.fx.Patient.ID)) {
		t.Error("the affected appointments' patients are not audited")
	}

	res = e.do(request{method: "POST", path: fmt.Sprintf("/appointments/%d/cancel", a.ID), actor: actorOf(e.admin),
		form: url.Values{"version": {"1"}, "next": {path}, "reason": {"practitioner_unavailable"}}})
	wantRedirect(t, res, path+"?done=cancelled")
	res = e.do(request{method: "GET", path: path, actor: actorOf(e.admin)})
	wantBody(t, res, "No booked appointment falls in this absence.")

	res = e.do(request{method: "POST", path: fmt.Sprintf("/absences/%d/delete", abs[0].ID), actor: actorOf(e.admin), form: url.Values{"next": {path}}})
	wantRedirect(t, res, path+"?done=absence-deleted")
	res = e.do(request{method: "GET", path: path, actor: actorOf(e.admin)})
	wantBody(t, res, "No absence from today on.")

	other := storetest.Seed(t, e.db, "other")
	for _, rq := range []request{
		{method: "GET", path: fmt.Sprintf("/practitioners/%d/absences", other.Practitioner.ID)},
		{method: "POST", path: fmt.Sprintf("/practitioners/%d/absences", other.Practitioner.ID), form: url.Values{"start_date": {"2026-04-08"}}},
		{method: "POST", path: fmt.Sprintf("/absences/%d/delete", abs[0].ID), form: url.Values{}},
	} {
		rq.actor = actorOf(e.admin)
		if res := e.do(rq); res.status != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", rq.method, rq.path, res.status)
		}
	}
}

func TestAbsenceInvalid(t *testing.T) {
	e := newEnv(t)
	path := fmt.Sprintf("/practitioners/%d/absences", e.fx.Practitioner.ID)
	tests := []struct {
		name   string
		form   url.Values
		fields []string
	}{
		{"start in the spring-forward gap", url.Values{"start_date": {"2026-10-04"}, "start_time": {"02:30"}}, []string{"start_time"}},
		{"end before start", url.Values{"start_date": {"2026-04-08"}, "start_time": {"12:00"}, "end_time": {"09:00"}}, []string{"end_time"}},
		{"end day before start day", url.Values{"start_date": {"2026-04-08"}, "end_date": {"2026-04-07"}}, []string{"end_date"}},
		{"no day", url.Values{"start_time": {"25:00"}}, []string{"start_date", "start_time"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(request{method: "POST", path: path, actor: actorOf(e.admin), form: tc.form})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", res.status, res.body)
			}
			for _, f := range tc.fields {
				wantBody(t, res, `data-field="`+f+`"`)
			}
			for name, v := range tc.form {
				wantBody(t, res, fmt.Sprintf(`name="%s" value="%s"`, name, v[0]))
			}
		})
	}
	// The repeated hour of the fall-back change is the earlier one, and the page says so.
	res := e.do(request{method: "POST", path: path, actor: actorOf(e.admin),
		form: url.Values{"start_date": {"2026-04-05"}, "start_time": {"02:30"}, "end_time": {"04:00"}}})
	if res.status != http.StatusSeeOther || !strings.Contains(res.header.Get("Location"), "done=absence-added-earlier") {
		t.Errorf("repeated hour: %d %q", res.status, res.header.Get("Location"))
	}
}
