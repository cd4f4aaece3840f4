package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
	"github.com/tidings-health/tidings/internal/web"
)

// book books the fixture patient through the booking use case as actor (so that the
// appointment has its events), with the hours open.
func (e *env) book(actor clinic.Actor, start time.Time, note string) clinic.Appointment {
	e.t.Helper()
	ctx := web.WithRequestID(context.Background(), "req-test")
	res, err := e.d.booking.Book(ctx, actor, booking.Request{ReasonID: e.fx.Reason.ID, AgendaID: e.fx.Agenda.ID, PatientID: e.fx.Patient.ID,
		Start: start, Note: note, AllowSameDay: true}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Appointment
}

// TestAppointmentPage: the appointment's own page shows its patient, agenda, practitioner,
// local time and length, reason, note, status, who booked it and how, its history with the
// person behind each change in words, its messages, and the buttons the user may use today;
// the read is audited; another organisation's appointment is not found (ADM-5, ADM-2).
func TestAppointmentPage(t *testing.T) {
	e := newEnv(t)
	e.openHours()
	ctx := web.WithRequestID(context.Background(), "req-test")
	a := e.book(actorOf(e.recep), at(t, 2026, 4, 8, 9, 0), "Bring the scans\nfasting")
	moved, err := e.d.booking.Reschedule(ctx, actorOf(e.admin), booking.Change{ID: a.ID, Version: a.Version}, 0, at(t, 2026, 4, 9, 10, 30))
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/appointments/%d", a.ID)
	res := e.do(request{method: "GET", path: path, actor: actorOf(e.recep)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, fmt.Sprintf(`class="patient-link" href="/patients/%d">Grace Hopper</a>`, e.fx.Patient.ID), "Thursday 9 April 2026",
		"10:30–10:45 AEST", "Australia/Sydney", "15 min", "Main St", "Dr Lovelace", "Dr Ada Lovelace", "Standard consult", "Bring the scans\nfasting",
		`data-testid="status">Booked`, "Rita Reception <span class=\"muted\">(Staff)</span>",
		`data-kind="booked"`, `data-kind="rescheduled"`, "Moved from Wed 8 Apr 09:00", "Ada Admin",
		`data-testid="appointment-notes"`, `href="/notifications/`,
		fmt.Sprintf(`action="/appointments/%d/status"`, a.ID), `data-status="confirmed"`,
		fmt.Sprintf(`href="/appointments/%d/move?next=%%2fappointments%%2f%d"`, a.ID, a.ID),
		fmt.Sprintf(`href="/appointments/%d/cancel?next=%%2fappointments%%2f%d"`, a.ID, a.ID), `id="not-yet"`)
	// Not its day yet: no attendance buttons.
	for _, s := range []string{`data-status="arrived"`, `data-status="seen"`, `data-status="no_show"`} {
		if strings.Contains(res.body, s) {
			t.Errorf("a future appointment offers %s", s)
		}
	}
	checkCSP(t, res.body)
	checkNoPatientDataInURLs(t, res, e.fx.Patient)
	if !e.hasAudit(fmt.Sprintf("appointment.read %d", e.fx.Patient.ID)) {
		t.Errorf("the read is not audited: %v", e.auditRows(e.fx.Org.ID))
	}
	if moved.Version != 2 || !strings.Contains(res.body, `name="version" value="2"`) {
		t.Error("the buttons do not carry the version shown")
	}

	// A practitioner: status buttons only. Another organisation's: not found.
	doc := e.user(clinic.RolePractitioner, "doc@example.com")
	res = e.do(request{method: "GET", path: path, actor: actorOf(doc)})
	if res.status != http.StatusOK || strings.Contains(res.body, "/cancel") || strings.Contains(res.body, "/move") {
		t.Errorf("practitioner: %d, or Move/Cancel offered", res.status)
	}
	other := storetest.Seed(t, e.db, "other")
	var theirs clinic.Appointment
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		s := at(t, 2026, 4, 8, 9, 0)
		theirs, err = tx.Appointments().CreateAppointment(ctx, other.Org.ID, clinic.Appointment{ClinicID: other.Clinic.ID, AgendaID: other.Agenda.ID,
			ReasonID: other.Reason.ID, PatientID: other.Patient.ID, Start: s, End: s.Add(15 * time.Minute), Status: clinic.StatusBooked, BookedBy: clinic.BookedByStaff})
		return err
	})
	for _, p := range []string{fmt.Sprintf("/appointments/%d", theirs.ID), fmt.Sprintf("/appointments/%d/cancel", theirs.ID), "/appointments/x", "/appointments/0"} {
		if res := e.do(request{method: "GET", path: p, actor: actorOf(e.admin)}); res.status != http.StatusNotFound || strings.Contains(res.body, "Hopper") {
			t.Errorf("GET %s: %d, want 404 without patient data", p, res.status)
		}
	}
}

// TestAppointmentPageOnTheDay: on the appointment's day the attendance buttons are offered,
// and after arrival no Cancel; an API token and a patient online are named in the history.
func TestAppointmentPageOnTheDay(t *testing.T) {
	e := newEnv(t)
	e.openHours()
	ctx := web.WithRequestID(context.Background(), "req-test")
	var tok clinic.Token
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		tok, err = tx.Staff().CreateToken(ctx, e.fx.Org.ID, clinic.Token{Name: "Front desk kiosk", Role: clinic.RoleReception}, []byte("h"))
		return err
	})
	a := e.book(clinic.TokenActor(tok), at(t, 2026, 4, 7, 15, 0), "")
	path := fmt.Sprintf("/appointments/%d", a.ID)
	res := e.do(request{method: "GET", path: path, actor: actorOf(e.recep)})
	wantBody(t, res, `data-status="arrived"`, `data-status="no_show"`, `data-action="cancel"`, "API token Front desk kiosk")
	if strings.Contains(res.body, `id="not-yet"`) {
		t.Error("today's appointment says attendance is not yet recorded")
	}
	if _, err := e.d.booking.SetStatus(ctx, actorOf(e.recep), booking.Change{ID: a.ID, Version: a.Version}, clinic.StatusArrived); err != nil {
		t.Fatal(err)
	}
	res = e.do(request{method: "GET", path: path, actor: actorOf(e.recep)})
	wantBody(t, res, `data-status="seen"`, "Status set to Arrived", `data-kind="status"`)
	if strings.Contains(res.body, `data-action="cancel"`) || strings.Contains(res.body, `data-status="arrived"`) {
		t.Error("an arrived appointment offers Cancel or Arrived")
	}
	// The patient booking online is named as such.
	p := e.book(clinic.PatientActor(e.fx.Org.ID, e.fx.Patient.ID), at(t, 2026, 4, 10, 9, 0), "")
	res = e.do(request{method: "GET", path: fmt.Sprintf("/appointments/%d", p.ID), actor: actorOf(e.recep)})
	wantBody(t, res, "The patient, online <span class=\"muted\">(Patient (online))</span>")
}

// TestCancelWithReason: Cancel asks for a confirmation with a reason (required, named
// "Reason" in words when missing; details required with "Another reason"), keeps it on the
// cancellation event and shows it in the appointment's history; a refused cancellation
// (the patient has arrived) says why instead of offering the form.
func TestCancelWithReason(t *testing.T) {
	e := newEnv(t)
	e.openHours()
	a := e.book(actorOf(e.recep), at(t, 2026, 4, 8, 9, 0), "")
	path := fmt.Sprintf("/appointments/%d/cancel", a.ID)
	res := e.do(request{method: "GET", path: path + "?next=%2Fagenda%3Fdate%3D2026-04-08", actor: actorOf(e.recep)})
	if res.status != http.StatusOK {
		t.Fatalf("confirmation: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, `id="cancel-form"`, `name="reason" value="patient_unwell"`, `id="cancel-detail"`, `name="version" value="1"`,
		`name="next" value="/agenda?date=2026-04-08"`, "Wednesday 8 April 2026, 09:00–09:15 AEST", "Grace Hopper")
	checkCSP(t, res.body)
	checkNoPatientDataInURLs(t, res, e.fx.Patient)

	post := func(f url.Values) response {
		f.Set("version", "1")
		return e.do(request{method: "POST", path: path, actor: actorOf(e.recep), form: f})
	}
	tests := []struct {
		name string
		form url.Values
		want []string
	}{
		{"no reason", url.Values{}, []string{`<a href="#cancel-reason-patient_request">Reason</a>`, "is required: choose why the appointment is cancelled"}},
		{"another reason without details", url.Values{"reason": {"other"}}, []string{`<a href="#cancel-detail">Details</a>`, "is required with another reason"}},
		{"not a reason", url.Values{"reason": {"boredom"}}, []string{"must be one of the reasons listed"}},
		{"details too long", url.Values{"reason": {"other"}, "reason_detail": {strings.Repeat("x", 251)}}, []string{"must be at most 250 characters"}},
		{"control characters", url.Values{"reason": {"other"}, "reason_detail": {"a\x07b"}}, []string{`<a href="#cancel-detail">Details</a>`, "must not contain control characters"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := post(tc.form)
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", res.status, res.body)
			}
			wantBody(t, res, append(tc.want, `id="cancel-form"`)...)
			if got := e.reload(a.ID); got.Status != clinic.StatusBooked {
				t.Errorf("a refused cancellation cancelled it: %s", got.Status)
			}
		})
	}
	wantRedirect(t, post(url.Values{"reason": {"patient_unwell"}, "reason_detail": {" fever "}, "next": {"/agenda?date=2026-04-08"}}),
		"/agenda?date=2026-04-08&done=cancelled")
	if got := e.reload(a.ID); got.Status != clinic.StatusCancelled {
		t.Fatalf("status %s, want cancelled", got.Status)
	}
	var events []store.AppointmentEvent
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		events, err = tx.Appointments().AppointmentEvents(ctx, e.fx.Org.ID, a.ID)
		return err
	})
	if last := events[len(events)-1]; last.Kind != store.EventCancelled || last.Reason != "The patient is unwell: fever" || last.Actor != actorOf(e.recep).Label {
		t.Errorf("cancellation event %+v", last)
	}
	if !e.hasAudit(fmt.Sprintf("appointment.cancel %d", e.fx.Patient.ID)) {
		t.Error("cancellation not audited")
	}
	res = e.do(request{method: "GET", path: fmt.Sprintf("/appointments/%d", a.ID), actor: actorOf(e.recep)})
	wantBody(t, res, `data-testid="cancel-reason">The patient is unwell: fever</span>`, `data-status="booked"`) // Reinstate
	res = e.do(request{method: "GET", path: fmt.Sprintf("/appointments/%d", a.ID), actor: actorOf(e.recep), header: map[string]string{"Accept-Language": "fr"}})
	wantBody(t, res, "Le patient est souffrant\u00a0: fever")

	// Arrived today: no cancelling, said in words, on the page and on a forced post.
	b := e.book(actorOf(e.recep), at(t, 2026, 4, 7, 16, 0), "")
	ctx := web.WithRequestID(context.Background(), "req-test")
	if _, err := e.d.booking.SetStatus(ctx, actorOf(e.recep), booking.Change{ID: b.ID, Version: b.Version}, clinic.StatusArrived); err != nil {
		t.Fatal(err)
	}
	refused := "The patient has arrived: this appointment can no longer be cancelled."
	res = e.do(request{method: "GET", path: fmt.Sprintf("/appointments/%d/cancel", b.ID), actor: actorOf(e.recep)})
	wantBody(t, res, `id="cancel-refused"`, refused)
	if strings.Contains(res.body, `id="cancel-form"`) {
		t.Error("the form is offered for an arrived appointment")
	}
	res = e.do(request{method: "POST", path: fmt.Sprintf("/appointments/%d/cancel", b.ID), actor: actorOf(e.recep),
		form: url.Values{"version": {"2"}, "reason": {"booked_in_error"}}})
	if res.status != http.StatusConflict || !strings.Contains(res.body, refused) {
		t.Errorf("forced cancellation of an arrived appointment: %d\n%s", res.status, res.body)
	}
}

// TestBookOutsideHoursConfirmed: a time typed outside the agenda's hours is not booked
// silently: the form comes back (409) as sent, asking "Outside Dr Lovelace's hours — book
// anyway?", and its button books it; the same for the patient's second appointment that
// day, and for a move (POR-4).
func TestBookOutsideHoursConfirmed(t *testing.T) {
	e := newEnv(t)
	e.openHours() // 08:00–18:00
	form := url.Values{"reason_id": {fmt.Sprint(e.fx.Reason.ID)}, "agenda_id": {fmt.Sprint(e.fx.Agenda.ID)}, "date": {"2026-04-08"},
		"start": {"other"}, "time": {"07:30"}, "patient_id": {fmt.Sprint(e.fx.Patient.ID)}, "note": {"early"}}
	res := e.do(request{method: "POST", path: "/appointments", form: form, actor: actorOf(e.recep)})
	if res.status != http.StatusConflict {
		t.Fatalf("outside hours: %d, want 409\n%s", res.status, res.body)
	}
	wantBody(t, res, `id="confirm-hours">Outside Dr Lovelace&#39;s hours — book anyway?`, `name="confirm" value="outside_hours"`,
		`value="other" id="start-other" checked`, `value="07:30"`, `value="early"`, fmt.Sprintf(`name="patient_id" value="%d" checked`, e.fx.Patient.ID))
	if strings.Contains(res.body, `id="book-conflict"`) {
		t.Error("the confirmation is also shown as a refusal")
	}
	if got := e.active(at(t, 2026, 4, 8, 0, 0), at(t, 2026, 4, 9, 0, 0)); len(got) != 0 {
		t.Fatalf("booked before confirming: %+v", got)
	}
	form.Set("confirm", "outside_hours")
	wantRedirect(t, e.do(request{method: "POST", path: "/appointments", form: form, actor: actorOf(e.recep)}),
		fmt.Sprintf("/agenda?date=2026-04-08&done=booked&reason_id=%d", e.fx.Reason.ID))
	if got := e.active(at(t, 2026, 4, 8, 7, 30), at(t, 2026, 4, 8, 7, 31)); len(got) != 1 {
		t.Fatalf("not booked once confirmed: %+v", got)
	}

	// The same patient again that day, in hours: asked, with the other appointment named.
	form.Set("time", "11:00")
	form.Del("confirm")
	res = e.do(request{method: "POST", path: "/appointments", form: form, actor: actorOf(e.recep)})
	if res.status != http.StatusConflict {
		t.Fatalf("same day: %d, want 409\n%s", res.status, res.body)
	}
	wantBody(t, res, "Grace Hopper already has an appointment that day at 07:30 with Dr Lovelace — book anyway?", `name="confirm" value="same_day"`)
	if strings.Contains(res.body, `id="confirm-hours"`) {
		t.Error("an in-hours time is asked about the hours")
	}
	// Both at once: one question, one button.
	form.Set("time", "19:00")
	res = e.do(request{method: "POST", path: "/appointments", form: form, actor: actorOf(e.recep)})
	wantBody(t, res, `id="confirm-hours"`, "already has an appointment that day", `name="confirm" value="outside_hours same_day"`)
	form.Set("confirm", "outside_hours same_day")
	wantRedirect(t, e.do(request{method: "POST", path: "/appointments", form: form, actor: actorOf(e.recep)}),
		fmt.Sprintf("/agenda?date=2026-04-08&done=booked&reason_id=%d", e.fx.Reason.ID))

	// A typed time needs an agenda; one that is taken is said to be not free, not asked.
	form.Set("agenda_id", "0")
	res = e.do(request{method: "POST", path: "/appointments", form: form, actor: actorOf(e.recep)})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `data-field="agenda_id"`) && !strings.Contains(res.body, "<code>agenda_id</code>") {
		t.Errorf("typed time, no agenda: %d\n%s", res.status, res.body)
	}
	form.Set("agenda_id", fmt.Sprint(e.fx.Agenda.ID))
	form.Set("time", "07:30")
	res = e.do(request{method: "POST", path: "/appointments", form: form, actor: actorOf(e.recep)})
	if res.status != http.StatusConflict {
		t.Fatalf("typed time taken: %d, want 409\n%s", res.status, res.body)
	}
	wantBody(t, res, `id="book-conflict"`, msgNotFree)
	if strings.Contains(res.body, `id="confirm-prompt"`) {
		t.Error("a taken time is asked to be confirmed")
	}

	// A move to a typed time outside the hours: asked, then moved.
	a := e.appt(at(t, 2026, 4, 10, 9, 0), clinic.StatusBooked)
	path := fmt.Sprintf("/appointments/%d/move", a.ID)
	move := url.Values{"version": {"1"}, "date": {"2026-04-10"}, "time": {"18:30"}}
	res = e.do(request{method: "POST", path: path, actor: actorOf(e.recep), form: move})
	if res.status != http.StatusConflict {
		t.Fatalf("move outside hours: %d, want 409\n%s", res.status, res.body)
	}
	wantBody(t, res, "Outside Dr Lovelace&#39;s hours — move anyway?", `id="move-anyway"`, `value="18:30"`)
	move.Set("confirm", "outside_hours")
	wantRedirect(t, e.do(request{method: "POST", path: path, actor: actorOf(e.recep), form: move}), "/agenda?date=2026-04-10&done=moved")
	if got := e.reload(a.ID); !got.Start.Equal(at(t, 2026, 4, 10, 18, 30)) {
		t.Errorf("moved to %v", got.Start)
	}
}

// TestAppointmentTextsTranslated: every refusal of the status table, in staff's words, and
// the names of who changed an appointment have their French text (ADM-6).
func TestAppointmentTextsTranslated(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, from := range clinic.Statuses() {
		for _, to := range clinic.Statuses() {
			for _, day := range booking.Days() {
				var te *booking.TransitionError
				if err := booking.CheckStatus(from, to, day); errors.As(err, &te) {
					texts = append(texts, conflictMessage(err))
				}
			}
		}
	}
	for _, r := range cancelReasons() {
		texts = append(texts, r.Label)
	}
	texts = append(texts, msgNotFree)
	texts = append(texts, "The patient, online", "A relative, online", "The clinical software")
	for _, text := range texts {
		miss := false
		if got := cat.OnMissing(func(string) { miss = true }).T(i18n.French, text); miss || got == text {
			t.Errorf("no French text for %q", text)
		}
	}
	if d := cmp.Diff(cancelReasonText{Preset: "Booked in error", Detail: "twice"}, splitCancelReason("Booked in error: twice")); d != "" {
		t.Errorf("split (-want +got):\n%s", d)
	}
	if d := cmp.Diff(cancelReasonText{Detail: "API: moved to the hospital"}, splitCancelReason("API: moved to the hospital")); d != "" {
		t.Errorf("split of a reason given through the API (-want +got):\n%s", d)
	}
}
