package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
	"github.com/tidings-health/tidings/internal/zonetest"
)

// at is a wall time in Sydney, the fixture clinic's zone.
func at(t testing.TB, y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, zonetest.Load(t, "Australia/Sydney"))
}

// openHours gives the fixture agenda 08:00–18:00 every day of the week.
func (e *env) openHours() {
	e.t.Helper()
	var hs []clinic.WorkingHours
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		hs = append(hs, clinic.WorkingHours{Weekday: wd, Start: 8 * 60, End: 18 * 60})
	}
	e.update(func(ctx context.Context, tx *store.Tx) error {
		return tx.Schedule().SetWorkingHours(ctx, e.fx.Org.ID, e.fx.Agenda.ID, hs)
	})
}

func (e *env) update(f func(ctx context.Context, tx *store.Tx) error) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.db.Update(ctx, func(tx *store.Tx) error { return f(ctx, tx) }); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) view(f func(ctx context.Context, tx *store.Tx) error) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.db.View(ctx, func(tx *store.Tx) error { return f(ctx, tx) }); err != nil {
		e.t.Fatal(err)
	}
}

// appt creates a 15-minute appointment of the fixture patient on the fixture agenda.
func (e *env) appt(start time.Time, status clinic.Status) clinic.Appointment {
	e.t.Helper()
	var a clinic.Appointment
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		a, err = tx.Appointments().CreateAppointment(ctx, e.fx.Org.ID, clinic.Appointment{ClinicID: e.fx.Clinic.ID, AgendaID: e.fx.Agenda.ID,
			ReasonID: e.fx.Reason.ID, PatientID: e.fx.Patient.ID, Start: start, End: start.Add(15 * time.Minute),
			Status: status, BookedBy: clinic.BookedByStaff})
		return err
	})
	return a
}

func (e *env) reload(id clinic.AppointmentID) clinic.Appointment {
	e.t.Helper()
	var a clinic.Appointment
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		a, err = tx.Appointments().Appointment(ctx, e.fx.Org.ID, id)
		return err
	})
	return a
}

// active lists the active appointments of the fixture agenda in [from, to).
func (e *env) active(from, to time.Time) []clinic.Appointment {
	e.t.Helper()
	var out []clinic.Appointment
	e.view(func(ctx context.Context, tx *store.Tx) error {
		as, err := tx.Appointments().AppointmentsByTime(ctx, e.fx.Org.ID, store.AppointmentFilter{AgendaID: e.fx.Agenda.ID, From: from, To: to})
		for _, a := range as {
			if a.Status.Active() {
				out = append(out, a)
			}
		}
		return err
	})
	return out
}

// user adds a staff member with role.
func (e *env) user(role clinic.Role, email string) clinic.User {
	e.t.Helper()
	hash, err := auth.HashPassword(testPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	var u clinic.User
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		u, err = tx.Staff().CreateUser(ctx, e.fx.Org.ID, clinic.User{Email: email, Name: string(role), Role: role, PasswordHash: hash})
		return err
	})
	return u
}

// hasAudit reports whether the audit log holds the row "action patient".
func (e *env) hasAudit(row string) bool {
	for _, r := range e.auditRows(e.fx.Org.ID) {
		if r == row {
			return true
		}
	}
	return false
}

func wantBody(t *testing.T, res response, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(res.body, w) {
			t.Errorf("body lacks %q", w)
		}
	}
}

func wantRedirect(t *testing.T, res response, location string) {
	t.Helper()
	if res.status != http.StatusSeeOther || res.header.Get("Location") != location {
		t.Fatalf("got %d %q, want 303 %q\n%s", res.status, res.header.Get("Location"), location, res.body)
	}
}

func utc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func TestBookFreeSlot(t *testing.T) {
	e := newEnv(t)
	e.openHours()
	a := actorOf(e.recep)
	p := e.fx.Patient
	nine := at(t, 2026, 4, 8, 9, 0)

	// The day view lists the reason's free times as "Book" links.
	res := e.do(request{method: "GET", path: fmt.Sprintf("/agenda?date=2026-04-08&reason_id=%d", e.fx.Reason.ID), actor: a})
	if res.status != http.StatusOK {
		t.Fatalf("day view: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "Free for Standard consult", fmt.Sprintf(`href="/appointments/new?reason_id=%d&amp;agenda_id=%d&amp;start=%s"`,
		e.fx.Reason.ID, e.fx.Agenda.ID, strings.ReplaceAll(url.QueryEscape(utc(nine)), "%3A", "%3a")), ">08:00</a>", ">17:45</a>")
	if strings.Contains(res.body, ">18:00</a>") || strings.Contains(res.body, ">07:45</a>") {
		t.Error("slots outside working hours")
	}
	checkCSP(t, res.body)

	// The link opens the form with that time chosen and no patient.
	res = e.do(request{method: "GET", path: fmt.Sprintf("/appointments/new?reason_id=%d&agenda_id=%d&start=%s", e.fx.Reason.ID,
		e.fx.Agenda.ID, url.QueryEscape(utc(nine))), actor: a})
	if res.status != http.StatusOK {
		t.Fatalf("form: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, fmt.Sprintf(`value="%s" checked`, utc(nine)), `value="2026-04-08"`, `id="q"`, `action="/appointments"`)
	if strings.Contains(res.body, "Hopper") {
		t.Error("the form shows a patient before any search")
	}
	checkCSP(t, res.body)

	// The search is a POST; the patient is offered and the search audited.
	form := url.Values{"reason_id": {fmt.Sprint(e.fx.Reason.ID)}, "agenda_id": {fmt.Sprint(e.fx.Agenda.ID)}, "date": {"2026-04-08"},
		"start": {utc(nine)}, "q": {"hopper"}}
	res = e.do(request{method: "POST", path: "/appointments/new", form: form, actor: a})
	if res.status != http.StatusOK {
		t.Fatalf("search: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, fmt.Sprintf(`name="patient_id" value="%d"`, p.ID), "Grace Hopper", `value="hopper"`, fmt.Sprintf(`value="%s" checked`, utc(nine)))
	checkNoPatientDataInURLs(t, res, p)
	if !e.hasAudit(fmt.Sprintf("patient.search %d", p.ID)) {
		t.Error("search not audited")
	}
	res = e.do(request{method: "POST", path: "/appointments/new", form: form, actor: a, header: map[string]string{"HX-Request": "true"}})
	if strings.Contains(res.body, "<html") || !strings.Contains(res.body, `id="patient-results"`) || !strings.Contains(res.body, "Grace Hopper") {
		t.Errorf("htmx search: not the results fragment\n%s", res.body)
	}

	// Booking redirects to the day with a confirmation; the appointment and its audit row exist.
	form.Set("patient_id", fmt.Sprint(p.ID))
	form.Del("q")
	res = e.do(request{method: "POST", path: "/appointments", form: form, actor: a})
	wantRedirect(t, res, fmt.Sprintf("/agenda?date=2026-04-08&done=booked&reason_id=%d", e.fx.Reason.ID))
	got := e.active(nine, nine.Add(time.Minute))
	if len(got) != 1 || got[0].PatientID != p.ID || got[0].BookedBy != clinic.BookedByStaff || got[0].Status != clinic.StatusBooked {
		t.Fatalf("appointments at 09:00: %+v", got)
	}
	if !e.hasAudit(fmt.Sprintf("appointment.create %d", p.ID)) {
		t.Errorf("no appointment.create audit row: %v", e.auditRows(e.fx.Org.ID))
	}
	res = e.do(request{method: "GET", path: fmt.Sprintf("/agenda?date=2026-04-08&done=booked&reason_id=%d", e.fx.Reason.ID), actor: a})
	wantBody(t, res, `id="flash"`, "Appointment booked.", fmt.Sprintf(`data-appointment-id="%d"`, got[0].ID))
	if strings.Contains(res.body, `name="next" value="/agenda?date=2026-04-08&amp;done`) {
		t.Error("the confirmation is carried into the forms' return path")
	}

	// No preference: the first agenda free at that time (the patient's second appointment
	// that day, confirmed).
	form.Set("agenda_id", "0")
	form.Set("start", utc(nine.Add(30*time.Minute)))
	form.Set("confirm", "same_day")
	res = e.do(request{method: "POST", path: "/appointments", form: form, actor: a})
	wantRedirect(t, res, fmt.Sprintf("/agenda?date=2026-04-08&done=booked&reason_id=%d", e.fx.Reason.ID))
	if got := e.active(nine.Add(30*time.Minute), nine.Add(31*time.Minute)); len(got) != 1 || got[0].AgendaID != e.fx.Agenda.ID {
		t.Errorf("no-preference booking: %+v", got)
	}
}

func TestBookTakenTime(t *testing.T) {
	e := newEnv(t)
	e.openHours()
	nine := at(t, 2026, 4, 8, 9, 0)
	e.appt(nine, clinic.StatusBooked)
	form := url.Values{"reason_id": {fmt.Sprint(e.fx.Reason.ID)}, "agenda_id": {fmt.Sprint(e.fx.Agenda.ID)}, "date": {"2026-04-08"},
		"start": {utc(nine)}, "patient_id": {fmt.Sprint(e.fx.Patient.ID)}}
	for _, agenda := range []string{fmt.Sprint(e.fx.Agenda.ID), "0"} {
		form.Set("agenda_id", agenda)
		res := e.do(request{method: "POST", path: "/appointments", form: form, actor: actorOf(e.recep)})
		if res.status != http.StatusConflict {
			t.Fatalf("agenda %s: status %d, want 409\n%s", agenda, res.status, res.body)
		}
		// The form again, with the message and the fresh free times (09:00 no longer among them).
		wantBody(t, res, `id="book-conflict"`, msgTaken, `id="book-form"`, fmt.Sprintf(`value="%s"`, utc(nine.Add(15*time.Minute))),
			fmt.Sprintf(`name="patient_id" value="%d" checked`, e.fx.Patient.ID))
		if strings.Contains(res.body, fmt.Sprintf(`value="%s"`, utc(nine))) {
			t.Error("the taken time is still offered")
		}
		checkCSP(t, res.body)
	}
	if got := e.active(nine, nine.Add(time.Minute)); len(got) != 1 {
		t.Errorf("%d appointments at 09:00, want 1", len(got))
	}
	if e.hasAudit(fmt.Sprintf("appointment.create %d", e.fx.Patient.ID)) {
		t.Error("a refused booking is audited as created")
	}
}

func TestBookInvalid(t *testing.T) {
	e := newEnv(t)
	other := storetest.Seed(t, e.db, "other")
	tests := []struct {
		name   string
		form   url.Values
		fields []string
	}{
		{"empty", url.Values{}, []string{"reason_id", "start", "patient_id"}},
		{"malformed", url.Values{"reason_id": {"x"}, "start": {"tomorrow"}, "patient_id": {"-1"}}, []string{"reason_id", "start", "patient_id"}},
		{"another organisation's patient", url.Values{"reason_id": {fmt.Sprint(e.fx.Reason.ID)}, "start": {utc(at(t, 2026, 4, 8, 9, 0))},
			"patient_id": {fmt.Sprint(other.Patient.ID)}}, []string{"patient_id"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(request{method: "POST", path: "/appointments", form: tc.form, actor: actorOf(e.recep)})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", res.status, res.body)
			}
			for _, f := range tc.fields {
				wantBody(t, res, `data-field="`+f+`"`)
			}
			if strings.Contains(res.body, "Hopper") {
				t.Error("another organisation's patient is shown")
			}
		})
	}
}

func TestStatusButtons(t *testing.T) {
	e := newEnv(t)
	doc := e.user(clinic.RolePractitioner, "pat@example.com")
	a := e.appt(at(t, 2026, 4, 7, 9, 0), clinic.StatusBooked) // today: attendance may be marked
	status := fmt.Sprintf("/appointments/%d/status", a.ID)

	// The practitioner sees status buttons only; reception also Move and Cancel.
	// The agenda shows them for the appointment opened (?open=ID).
	day := fmt.Sprintf("/agenda?date=2026-04-07&open=%d", a.ID)
	res := e.do(request{method: "GET", path: day, actor: actorOf(doc)})
	wantBody(t, res, `action="`+status+`"`, `value="arrived"`, `value="confirmed"`, `name="version" value="1"`)
	for _, s := range []string{"/cancel", "/move", `id="reason-picker"`, `value="cancelled"`, "nav-schedules", "nav-rules"} {
		if strings.Contains(res.body, s) {
			t.Errorf("the practitioner sees %q", s)
		}
	}
	checkCSP(t, res.body)
	res = e.do(request{method: "GET", path: day, actor: actorOf(e.recep)})
	wantBody(t, res, fmt.Sprintf(`href="/appointments/%d/cancel?next=`, a.ID), fmt.Sprintf(`href="/appointments/%d/move"`, a.ID), `id="reason-picker"`, "nav-week", "nav-reasons")

	post := func(actor clinic.Actor, to string, version int64) response {
		return e.do(request{method: "POST", path: status, actor: actor,
			form: url.Values{"status": {to}, "version": {fmt.Sprint(version)}, "next": {"/agenda?date=2026-04-07"}}})
	}
	wantRedirect(t, post(actorOf(doc), "arrived", 1), "/agenda?date=2026-04-07&done=status")
	if got := e.reload(a.ID); got.Status != clinic.StatusArrived || got.Version != 2 {
		t.Errorf("after the button: %s v%d", got.Status, got.Version)
	}
	if !e.hasAudit(fmt.Sprintf("appointment.status %d", e.fx.Patient.ID)) {
		t.Error("status change not audited")
	}

	tests := []struct {
		name    string
		actor   clinic.Actor
		to      string
		version int64
		status  int
		want    string
	}{
		{"stale version", actorOf(e.recep), "seen", 1, http.StatusConflict, "changed by someone else"},
		{"not a transition", actorOf(e.recep), "excused_absence", 2, http.StatusConflict, "now Arrived: it cannot be set to Excused absence"},
		{"cancel is its own button", actorOf(doc), "cancelled", 2, http.StatusUnprocessableEntity, `data-field="status"`},
		{"unknown status", actorOf(doc), "maybe", 2, http.StatusUnprocessableEntity, `data-field="status"`},
		{"no version", actorOf(doc), "seen", 0, http.StatusUnprocessableEntity, `data-field="version"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := post(tc.actor, tc.to, tc.version)
			if res.status != tc.status || !strings.Contains(res.body, tc.want) {
				t.Errorf("status %d, want %d with %q\n%s", res.status, tc.status, tc.want, res.body)
			}
			if got := e.reload(a.ID); got.Status != clinic.StatusArrived || got.Version != 2 {
				t.Errorf("a refused change changed the appointment: %s v%d", got.Status, got.Version)
			}
		})
	}

	// Reinstating a cancelled appointment books its slot again: not for a practitioner.
	c := e.appt(at(t, 2026, 4, 7, 11, 0), clinic.StatusCancelled)
	res = e.do(request{method: "POST", path: fmt.Sprintf("/appointments/%d/status", c.ID), actor: actorOf(doc),
		form: url.Values{"status": {"booked"}, "version": {"1"}}})
	if res.status != http.StatusForbidden {
		t.Errorf("practitioner reinstating: %d, want 403", res.status)
	}

	other := storetest.Seed(t, e.db, "other")
	var theirs clinic.Appointment
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		s := at(t, 2026, 4, 8, 9, 0)
		theirs, err = tx.Appointments().CreateAppointment(ctx, other.Org.ID, clinic.Appointment{ClinicID: other.Clinic.ID, AgendaID: other.Agenda.ID,
			ReasonID: other.Reason.ID, PatientID: other.Patient.ID, Start: s, End: s.Add(15 * time.Minute), Status: clinic.StatusBooked, BookedBy: clinic.BookedByStaff})
		return err
	})
	for _, p := range []string{"/status", "/cancel", "/move"} {
		res := e.do(request{method: "POST", path: fmt.Sprintf("/appointments/%d%s", theirs.ID, p), actor: actorOf(e.admin), form: url.Values{}})
		if res.status != http.StatusNotFound {
			t.Errorf("%s of another organisation's appointment: %d, want 404", p, res.status)
		}
	}
}

func TestCancel(t *testing.T) {
	e := newEnv(t)
	a := e.appt(at(t, 2026, 4, 8, 9, 0), clinic.StatusConfirmed)
	path := fmt.Sprintf("/appointments/%d/cancel", a.ID)
	res := e.do(request{method: "POST", path: path, actor: actorOf(e.recep), form: url.Values{"reason": {"booked_in_error"}}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "This form") {
		t.Errorf("without a version: %d", res.status)
	}
	res = e.do(request{method: "POST", path: path, actor: actorOf(e.recep), form: url.Values{"version": {"1"}, "reason": {"booked_in_error"}}})
	wantRedirect(t, res, "/agenda?date=2026-04-08&done=cancelled")
	if got := e.reload(a.ID); got.Status != clinic.StatusCancelled {
		t.Errorf("status %s, want cancelled", got.Status)
	}
	if !e.hasAudit(fmt.Sprintf("appointment.cancel %d", e.fx.Patient.ID)) {
		t.Error("cancellation not audited")
	}
	res = e.do(request{method: "POST", path: path, actor: actorOf(e.recep), form: url.Values{"version": {"2"}, "reason": {"booked_in_error"}}})
	if res.status != http.StatusConflict {
		t.Errorf("cancelling twice: %d, want 409", res.status)
	}
	// The freed appointment offers Reinstate to reception, and no Cancel.
	res = e.do(request{method: "GET", path: fmt.Sprintf("/agenda?date=2026-04-08&open=%d", a.ID), actor: actorOf(e.recep)})
	wantBody(t, res, "Reinstate", "appt-freed")
	if strings.Contains(res.body, path) {
		t.Error("a cancelled appointment offers Cancel")
	}
}

func TestMove(t *testing.T) {
	e := newEnv(t)
	e.openHours()
	nine := at(t, 2026, 4, 8, 9, 0)
	a := e.appt(nine, clinic.StatusBooked)
	e.appt(at(t, 2026, 4, 8, 11, 0), clinic.StatusBooked) // a taken time
	path := fmt.Sprintf("/appointments/%d/move", a.ID)

	res := e.do(request{method: "GET", path: path, actor: actorOf(e.recep)})
	if res.status != http.StatusOK {
		t.Fatalf("form: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, `value="2026-04-08"`, `value="09:00"`, "Wednesday 8 April 2026, 09:00–09:15 AEST", "Grace Hopper",
		fmt.Sprintf(`name="slot" value="%s"`, utc(at(t, 2026, 4, 8, 10, 0))))
	checkCSP(t, res.body)
	checkNoPatientDataInURLs(t, res, e.fx.Patient)
	if !e.hasAudit(fmt.Sprintf("appointment.read %d", e.fx.Patient.ID)) {
		t.Error("the move form's patient is not audited")
	}

	move := func(version int64, f url.Values) response {
		f.Set("version", fmt.Sprint(version))
		return e.do(request{method: "POST", path: path, actor: actorOf(e.recep), form: f})
	}
	// To a free time, typed.
	wantRedirect(t, move(1, url.Values{"date": {"2026-04-09"}, "time": {"10:00"}}), "/agenda?date=2026-04-09&done=moved")
	if got := e.reload(a.ID); !got.Start.Equal(at(t, 2026, 4, 9, 10, 0)) || got.AgendaID != e.fx.Agenda.ID {
		t.Errorf("moved to %v", got.Start)
	}
	if !e.hasAudit(fmt.Sprintf("appointment.reschedule %d", e.fx.Patient.ID)) {
		t.Error("move not audited")
	}
	// To a free time, picked, returning where the form came from.
	wantRedirect(t, move(2, url.Values{"slot": {utc(at(t, 2026, 4, 8, 10, 0))}, "agenda_id": {fmt.Sprint(e.fx.Agenda.ID)}, "next": {"/agenda/week?date=2026-04-08"}}),
		"/agenda/week?date=2026-04-08&done=moved")
	// To a taken time: 409 with the form, the message and the day's free times.
	res = move(3, url.Values{"date": {"2026-04-08"}, "time": {"11:00"}})
	if res.status != http.StatusConflict {
		t.Fatalf("taken time: %d, want 409\n%s", res.status, res.body)
	}
	wantBody(t, res, `id="move-conflict"`, msgTaken, `id="move-form"`, `value="11:00"`, fmt.Sprintf(`name="slot" value="%s"`, utc(at(t, 2026, 4, 8, 11, 15))))
	if got := e.reload(a.ID); !got.Start.Equal(at(t, 2026, 4, 8, 10, 0)) || got.Version != 3 {
		t.Errorf("a refused move moved it: %v v%d", got.Start, got.Version)
	}
	// A stale version.
	if res := move(1, url.Values{"date": {"2026-04-08"}, "time": {"12:00"}}); res.status != http.StatusConflict || !strings.Contains(res.body, "changed by someone else") {
		t.Errorf("stale version: %d", res.status)
	}
	// Malformed fields are named.
	res = move(3, url.Values{"date": {"8/4/2026"}, "time": {"noon"}, "agenda_id": {"x"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("malformed: %d", res.status)
	}
	wantBody(t, res, `data-field="date"`, `data-field="time"`, `data-field="agenda_id"`)
}

// TestMoveAcrossDST: a typed time in the spring-forward gap is refused naming "time"; one
// in the repeated hour of the fall-back change is the earlier instant, and the confirmation
// says so.
func TestMoveAcrossDST(t *testing.T) {
	e := newEnv(t)
	a := e.appt(at(t, 2026, 10, 3, 9, 0), clinic.StatusBooked)
	path := fmt.Sprintf("/appointments/%d/move", a.ID)
	res := e.do(request{method: "POST", path: path, actor: actorOf(e.recep), form: url.Values{"version": {"1"}, "date": {"2026-10-04"}, "time": {"02:30"}}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("gap: %d, want 422\n%s", res.status, res.body)
	}
	wantBody(t, res, "<strong>Time</strong>: does not exist on that day", `id="move-form"`, `value="2026-10-04"`, `value="02:30"`,
		`id="move-time" aria-invalid="true"`)
	if got := e.reload(a.ID); got.Version != 1 {
		t.Error("the appointment moved")
	}

	// The agenda has no working hours: the move outside them is confirmed.
	res = e.do(request{method: "POST", path: path, actor: actorOf(e.recep), form: url.Values{"version": {"1"}, "date": {"2026-04-05"}, "time": {"02:30"},
		"confirm": {"outside_hours"}}})
	wantRedirect(t, res, "/agenda?date=2026-04-05&done=moved-earlier")
	if got := e.reload(a.ID); !got.Start.Equal(time.Date(2026, 4, 4, 15, 30, 0, 0, time.UTC)) {
		t.Errorf("moved to %v, want 02:30 AEDT (15:30 UTC)", got.Start.UTC())
	}
	res = e.do(request{method: "GET", path: "/agenda?date=2026-04-05&done=moved-earlier", actor: actorOf(e.recep)})
	wantBody(t, res, "the earlier one", "02:30–02:45")
}

func TestAgendaWeek(t *testing.T) {
	tests := []struct {
		name   string
		date   string
		appts  []time.Time
		cells  map[string][]string // data-date → spans shown that day
		never  []string
		label  string
		prev   string
		next   string
		nAppts int
	}{
		{"DST ends on the Sunday: a 25-hour day", "2026-04-01",
			[]time.Time{at(t, 2026, 3, 30, 9, 0), at(t, 2026, 4, 5, 23, 30), at(t, 2026, 4, 6, 0, 30), at(t, 2026, 3, 29, 23, 30)},
			map[string][]string{"2026-03-30": {"09:00–09:15"}, "2026-04-05": {"23:30–23:45"}}, []string{"00:30–00:45"},
			"30 March – 5 April 2026", "2026-03-23", "2026-04-06", 2},
		{"DST starts on the Sunday: a 23-hour day", "2026-10-04",
			[]time.Time{at(t, 2026, 10, 4, 0, 30), at(t, 2026, 10, 4, 23, 30), at(t, 2026, 10, 5, 0, 15), at(t, 2026, 9, 27, 23, 45)},
			map[string][]string{"2026-10-04": {"00:30–00:45", "23:30–23:45"}}, []string{"00:15–00:30", "23:45–00:00"},
			"28 September – 4 October 2026", "2026-09-21", "2026-10-05", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			for _, s := range tc.appts {
				e.appt(s, clinic.StatusConfirmed)
			}
			res := e.do(request{method: "GET", path: "/agenda/week?date=" + tc.date, actor: actorOf(e.recep)})
			if res.status != http.StatusOK {
				t.Fatalf("status %d\n%s", res.status, res.body)
			}
			wantBody(t, res, tc.label, `href="/agenda/week?date=`+tc.prev+`"`, `href="/agenda/week?date=`+tc.next+`"`, "Dr Lovelace",
				"Standard consult", "Confirmed", `aria-current="page"`)
			for date, spans := range tc.cells {
				m := regexp.MustCompile(`(?s)<section class="ag-col[^"]*"[^>]*data-date="` + date + `">(.*?)</section>`).FindStringSubmatch(res.body)
				if m == nil {
					t.Fatalf("no cell for %s", date)
				}
				for _, s := range spans {
					if !strings.Contains(m[1], s) {
						t.Errorf("%s does not show %s", date, s)
					}
				}
			}
			for _, s := range tc.never {
				if strings.Contains(res.body, s) {
					t.Errorf("the week shows %s, of another week", s)
				}
			}
			if n := strings.Count(res.body, `class="patient-link"`); n != tc.nAppts {
				t.Errorf("%d appointments shown, want %d", n, tc.nAppts)
			}
			checkCSP(t, res.body)
			checkNoPatientDataInURLs(t, res, e.fx.Patient)
			if diff := cmp.Diff([]string{fmt.Sprintf("appointment.list %d", e.fx.Patient.ID)}, e.auditRows(e.fx.Org.ID)); diff != "" {
				t.Errorf("audit (-want +got):\n%s", diff)
			}
		})
	}
	e := newEnv(t)
	if res := e.do(request{method: "GET", path: "/agenda/week?date=soon", actor: actorOf(e.recep)}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("bad date: %d", res.status)
	}
	res := e.do(request{method: "GET", path: "/agenda/week", actor: actorOf(e.recep)})
	wantBody(t, res, "6 – 12 April 2026", "This week")
}
