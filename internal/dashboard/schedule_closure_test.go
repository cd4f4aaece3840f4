package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// The consent engine's sentences the previews show for the fixture patient (mobile and
// e-mail, no push subscription) at a clinic that sends SMS and e-mail.
const (
	sentenceAllowed   = "Allowed: consent and every notification switch permit this message."
	sentenceOffAgenda = "Not sent: notifications by SMS are switched off for this agenda."
)

func (e *env) absences() []clinic.Absence {
	e.t.Helper()
	var abs []clinic.Absence
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		abs, err = tx.Schedule().Absences(ctx, e.fx.Org.ID, []clinic.PractitionerID{e.fx.Practitioner.ID}, testNow, farFuture())
		return err
	})
	return abs
}

func (e *env) exceptions() []clinic.ScheduleException {
	e.t.Helper()
	var es []clinic.ScheduleException
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		es, err = tx.Schedule().Exceptions(ctx, e.fx.Org.ID, []clinic.AgendaID{e.fx.Agenda.ID}, "2026-01-01", "2026-12-31")
		return err
	})
	return es
}

// wantNotice checks the "if you cancel it" cell of appointment id: whether a cancellation
// notice would go on each channel, and the sentences saying why.
func wantNotice(t *testing.T, res response, id clinic.AppointmentID, sms, email bool, sentences ...string) {
	t.Helper()
	i := strings.Index(res.body, fmt.Sprintf(`data-appointment-id="%d"`, id))
	if i < 0 {
		t.Fatalf("appointment %d is not listed", id)
	}
	row := res.body[i:]
	row = row[:strings.Index(row, "</tr>")]
	for _, w := range append([]string{
		fmt.Sprintf(`data-channel="sms" data-sent="%v"`, sms), fmt.Sprintf(`data-channel="email" data-sent="%v"`, email),
		`data-channel="push" data-sent="false"`, msgChannelOff}, sentences...) {
		if !strings.Contains(row, w) {
			t.Errorf("appointment %d: the notice cell lacks %q:\n%s", id, w, row)
		}
	}
}

// TestAbsencePreview (POR-4, NOT-1, CON-9): the absence form first shows the booked
// appointments an absence would fall on, with what each patient would be told if cancelled,
// recording nothing; the page's button records it; the absences page then shows the same
// beside Cancel, and cancelling is an ordinary, notified change. An absence over nothing is
// recorded at once.
func TestAbsencePreview(t *testing.T) {
	e := newEnv(t)
	a := e.appt(at(t, 2026, 4, 8, 9, 0), clinic.StatusBooked)
	path := fmt.Sprintf("/practitioners/%d/absences", e.fx.Practitioner.ID)
	form := url.Values{"start_date": {"2026-04-08"}, "note": {"Conference"}, "preview": {"1"}}
	res := e.do(request{method: "POST", path: path, actor: actorOf(e.admin), form: form})
	if res.status != http.StatusOK {
		t.Fatalf("preview: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "Absence not recorded yet", "Dr Ada Lovelace", "Conference", "1</strong> booked appointment falls in this absence:",
		"Grace Hopper", "09:00–09:15 AEST", "Recording it cancels no appointment and tells no patient.",
		fmt.Sprintf(`action="%s"`, path), `name="start_date" value="2026-04-08"`, `name="note" value="Conference"`, "Record the absence")
	wantNotice(t, res, a.ID, true, true, sentenceAllowed)
	wantNoBody(t, res, `name="preview"`, fmt.Sprintf(`/appointments/%d/cancel`, a.ID))
	checkCSP(t, res.body)
	checkNoPatientDataInURLs(t, res, e.fx.Patient)
	if len(e.absences()) != 0 {
		t.Fatal("the preview recorded the absence")
	}
	if !e.hasAudit(fmt.Sprintf("appointment.list %d", e.fx.Patient.ID)) {
		t.Error("the preview's patients are not audited")
	}

	// The preview's button: the same values without preview.
	form.Del("preview")
	res = e.do(request{method: "POST", path: path, actor: actorOf(e.admin), form: form})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), path+"?done=absence-added#absence-") {
		t.Fatalf("record: %d %q", res.status, res.header.Get("Location"))
	}
	res = e.do(request{method: "GET", path: path, actor: actorOf(e.admin)})
	wantBody(t, res, "An absence cancels no appointment and tells no patient.", fmt.Sprintf(`href="/appointments/%d/cancel?next=`, a.ID))
	wantNotice(t, res, a.ID, true, true, sentenceAllowed)

	// SMS switched off for the agenda (CON-5): the page says so.
	e.update(func(ctx context.Context, tx *store.Tx) error {
		return tx.Consent().SetAgendaChannelsOff(ctx, e.fx.Org.ID, e.fx.Agenda.ID, []string{"sms"})
	})
	res = e.do(request{method: "GET", path: path, actor: actorOf(e.admin)})
	wantNotice(t, res, a.ID, false, true, sentenceOffAgenda, sentenceAllowed)

	// An absence over no appointment is recorded at once.
	res = e.do(request{method: "POST", path: path, actor: actorOf(e.admin), form: url.Values{"start_date": {"2026-04-20"}, "preview": {"1"}}})
	if res.status != http.StatusSeeOther || !strings.Contains(res.header.Get("Location"), "done=absence-added") {
		t.Errorf("an absence over nothing: %d %q", res.status, res.header.Get("Location"))
	}
	if n := len(e.absences()); n != 2 {
		t.Errorf("%d absences, want 2", n)
	}

	// A refused preview is the form again, naming its fields in words.
	res = e.do(request{method: "POST", path: path, actor: actorOf(e.admin),
		form: url.Values{"start_date": {"2026-04-08"}, "start_time": {"12:00"}, "end_time": {"09:00"}, "preview": {"1"}}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("refused preview: %d", res.status)
	}
	wantBody(t, res, `data-field="end_time"`, "<strong>To time</strong>: must be after start", `name="end_time" value="09:00"`)

	other := storetest.Seed(t, e.db, "other")
	res = e.do(request{method: "POST", path: fmt.Sprintf("/practitioners/%d/absences", other.Practitioner.ID), actor: actorOf(e.admin),
		form: url.Values{"start_date": {"2026-04-08"}, "preview": {"1"}}})
	if res.status != http.StatusNotFound {
		t.Errorf("another organisation's practitioner: %d, want 404", res.status)
	}
}

// TestExceptionOverAppointments (POR-4, NOT-1): closing a day over a booked appointment
// shows it before anything is recorded; recorded, the day is listed on the agenda's
// exceptions page with the appointment, what its patient would be told and Cancel and Move
// buttons that return there.
func TestExceptionOverAppointments(t *testing.T) {
	e := newEnv(t)
	a := e.appt(at(t, 2026, 4, 8, 9, 0), clinic.StatusBooked)
	e.appt(at(t, 2026, 4, 9, 9, 0), clinic.StatusBooked) // another day
	path := fmt.Sprintf("/agendas/%d/exceptions", e.fx.Agenda.ID)
	form := url.Values{"day": {"2026-04-08"}, "kind": {"closed"}, "note": {"Training"}, "preview": {"1"}}
	res := e.do(request{method: "POST", path: path, actor: actorOf(e.admin), form: form})
	if res.status != http.StatusOK {
		t.Fatalf("preview: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "Exception not recorded yet", "Dr Lovelace", "Wed 8 Apr 2026", "Closed", "Training",
		"1</strong> booked appointment would be left without hours:", "Grace Hopper", "Record the exception",
		`name="kind" value="closed"`, `name="day" value="2026-04-08"`)
	wantNotice(t, res, a.ID, true, true, sentenceAllowed)
	checkNoPatientDataInURLs(t, res, e.fx.Patient)
	if len(e.exceptions()) != 0 {
		t.Fatal("the preview recorded the exception")
	}
	// Extra hours close nothing: recorded at once, back to the schedules page.
	res = e.do(request{method: "POST", path: path, actor: actorOf(e.admin),
		form: url.Values{"day": {"2026-04-08"}, "kind": {"hours"}, "start": {"18:00"}, "end": {"20:00"}, "preview": {"1"}}})
	wantRedirect(t, res, fmt.Sprintf("/schedules?done=exception-added#agenda-%d", e.fx.Agenda.ID))

	form.Del("preview")
	res = e.do(request{method: "POST", path: path, actor: actorOf(e.admin), form: form})
	wantRedirect(t, res, path+"?done=exception-added#day-2026-04-08")
	res = e.do(request{method: "GET", path: path + "?done=exception-added", actor: actorOf(e.admin)})
	if res.status != http.StatusOK {
		t.Fatalf("exceptions page: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "Exception added.", "Closing a day cancels no appointment and tells no patient.", `id="day-2026-04-08"`,
		"Extra hours 18:00–20:00", "1</strong> booked appointment is left without hours this day:",
		fmt.Sprintf(`href="/appointments/%d/cancel?next=%%2fagendas%%2f%d%%2fexceptions"`, a.ID, e.fx.Agenda.ID),
		fmt.Sprintf(`href="/appointments/%d/move?next=%%2fagendas%%2f%d%%2fexceptions"`, a.ID, e.fx.Agenda.ID))
	wantNotice(t, res, a.ID, true, true, sentenceAllowed)
	if n := strings.Count(res.body, `class="patient-link"`); n != 1 {
		t.Errorf("%d affected appointments listed, want 1", n)
	}
	checkCSP(t, res.body)
	checkNoPatientDataInURLs(t, res, e.fx.Patient)

	res = e.do(request{method: "POST", path: fmt.Sprintf("/appointments/%d/cancel", a.ID), actor: actorOf(e.admin),
		form: url.Values{"version": {"1"}, "next": {path}, "reason": {"clinic_closed"}}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), path) {
		t.Fatalf("cancel: %d %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	res = e.do(request{method: "GET", path: path, actor: actorOf(e.admin)})
	wantBody(t, res, "No booked appointment is left without hours this day.")

	es := e.exceptions()
	res = e.do(request{method: "POST", path: fmt.Sprintf("/exceptions/%d/delete", es[0].ID), actor: actorOf(e.admin), form: url.Values{"next": {path}}})
	wantRedirect(t, res, path+"?done=exception-deleted")

	other := storetest.Seed(t, e.db, "other")
	for _, rq := range []request{
		{method: "GET", path: fmt.Sprintf("/agendas/%d/exceptions", other.Agenda.ID)},
		{method: "POST", path: fmt.Sprintf("/agendas/%d/exceptions", other.Agenda.ID), form: url.Values{"day": {"2026-04-08"}, "kind": {"closed"}, "preview": {"1"}}},
	} {
		rq.actor = actorOf(e.admin)
		if res := e.do(rq); res.status != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", rq.method, rq.path, res.status)
		}
	}
	if res := e.do(request{method: "GET", path: path, actor: actorOf(e.recep)}); res.status != http.StatusForbidden {
		t.Errorf("reception: %d, want 403", res.status)
	}
}

// TestFieldErrorsInWords: a refused form names each field as the form shows it, in the
// page's language, never by its wire name (which only the data-field attribute keeps).
func TestFieldErrorsInWords(t *testing.T) {
	e := newEnv(t)
	hours := fmt.Sprintf("/agendas/%d/hours", e.fx.Agenda.ID)
	exc := fmt.Sprintf("/agendas/%d/exceptions", e.fx.Agenda.ID)
	tests := []struct {
		name, path, lang string
		form             url.Values
		want             []string
	}{
		{"hours, English", hours, "en", url.Values{"hours[Tuesday][0].start": {"12:00"}, "hours[Tuesday][0].end": {"09:00"}},
			[]string{`data-field="hours[Tuesday][0].end"`, "<strong>Tuesday, first interval, end</strong>: must be after start"}},
		{"hours, French", hours, "fr", url.Values{"hours[Monday][0].start": {"08:00"}, "hours[Monday][0].end": {"12:30"},
			"hours[Monday][1].start": {"8h"}, "hours[Monday][1].end": {"18:00"}},
			[]string{`data-field="hours[Monday][1].start"`, "<strong>Lundi, deuxième plage, début</strong>\u00a0:"}},
		{"a forged field keeps its name", hours, "en", url.Values{"hours[Funday][0].start": {"08:00"}},
			[]string{"<code>hours[Funday][0].start</code>:"}},
		{"exception, French", exc, "fr", url.Values{"day": {"2026-12-28"}, "kind": {"hours"}, "start": {"12:00"}, "end": {"09:00"}},
			[]string{`data-field="end"`, "<strong>Heure de fin</strong>\u00a0:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(request{method: "POST", path: tc.path, form: tc.form, actor: actorOf(e.admin), header: map[string]string{"Accept-Language": tc.lang}})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.status)
			}
			wantBody(t, res, tc.want...)
			for name := range tc.form {
				if !strings.Contains(name, "Funday") && strings.Contains(res.body, "<code>"+name+"</code>") {
					t.Errorf("the page names %s by its wire name", name)
				}
			}
		})
	}
}

// TestFieldLabels: the words of the dashboard's field names, and a French text for each.
func TestFieldLabels(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	words := func(name string, loc i18n.Locale) string {
		l, ok := formFieldLabel(name)
		if !ok {
			return ""
		}
		var args []any
		for _, a := range l.Args {
			args = append(args, cat.T(loc, a))
		}
		return cat.T(loc, l.Key, args...)
	}
	tests := []struct{ name, en, fr string }{
		{"hours[Tuesday][0].end", "Tuesday, first interval, end", "Mardi, première plage, fin"},
		{"hours[Sunday][11].start", "Sunday, twelfth interval, start", "Dimanche, douzième plage, début"},
		{"hours[Sunday][12].start", "", ""}, // beyond the form's rows
		{"hours[Funday][0].start", "", ""},
		{"start_date", "From day", ""},
		{"date", "Day", "Jour"},
		{"agenda_ids[2]", "Offered by", ""},
		{"on[0]", "Notification channels", ""},
		{"grace_seconds", "", ""}, // the sending form labels its own (form-errors)
	}
	for _, tc := range tests {
		got := [2]string{words(tc.name, i18n.English), words(tc.name, i18n.French)}
		want := [2]string{tc.en, tc.fr}
		if tc.fr == "" && tc.en != "" {
			want[1] = got[1] // checked below for every label
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	keys := append([]string{labelHoursStart, labelHoursEnd}, ordinals...)
	for _, w := range fieldWords {
		keys = append(keys, w)
	}
	for _, k := range keys {
		if !cat.Has(i18n.French, k) {
			t.Errorf("no French text for the field label %q", k)
		}
	}
	if len(ordinals) != maxHoursRows {
		t.Errorf("%d ordinals for %d rows a weekday", len(ordinals), maxHoursRows)
	}
}

// TestClinicSwitchDropsOtherClinicParams: switching clinic returns to the same page without
// what belonged to the clinic left (its reason, agenda, practitioner, cursor), which the
// new clinic's page would refuse.
func TestClinicSwitchDropsOtherClinicParams(t *testing.T) {
	e := newEnv(t)
	var second clinic.Clinic
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		second, err = tx.Directory().CreateClinic(ctx, e.fx.Org.ID, clinic.Clinic{DatabaseID: e.fx.Database.ID, Slug: "harbour",
			Name: "Harbour Rd", Zone: "Australia/Perth", Region: "AU"})
		return err
	})
	tests := []struct{ next, want string }{
		{fmt.Sprintf("/agenda?date=2026-04-08&reason_id=%d", e.fx.Reason.ID), "/agenda?date=2026-04-08"},
		{"/agenda/week?agenda_id=3&date=2026-04-08&practitioner=2", "/agenda/week?date=2026-04-08"},
		{"/patients?after=40", "/patients"},
		{"/agenda?date=2026-04-08", "/agenda?date=2026-04-08"},
		{"/schedules", "/schedules"},
	}
	for _, tc := range tests {
		res := e.do(request{method: "POST", path: "/clinic", actor: actorOf(e.recep), form: url.Values{"clinic_id": {fmt.Sprint(second.ID)}, "next": {tc.next}}})
		if res.status != http.StatusSeeOther || res.header.Get("Location") != tc.want {
			t.Errorf("next %s: %d %q, want %q", tc.next, res.status, res.header.Get("Location"), tc.want)
		}
	}
	// The page it leads to answers (the reason of the clinic left would be a 422 there).
	res := e.do(request{method: "GET", path: "/agenda?date=2026-04-08", actor: actorOf(e.recep),
		cookie: &http.Cookie{Name: clinicCookie, Value: fmt.Sprint(second.ID)}})
	if res.status != http.StatusOK {
		t.Errorf("the page after switching: %d", res.status)
	}
	res = e.do(request{method: "GET", path: fmt.Sprintf("/agenda?date=2026-04-08&reason_id=%d", e.fx.Reason.ID), actor: actorOf(e.recep),
		cookie: &http.Cookie{Name: clinicCookie, Value: fmt.Sprint(second.ID)}})
	if res.status != http.StatusUnprocessableEntity {
		t.Errorf("the other clinic's reason: %d, want 422 (what the switch avoids)", res.status)
	}
}
