package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// bookOnline books the fixture patient at start as the patient themselves, in the portal.
func (e *env) bookOnline(start time.Time) clinic.Appointment {
	e.t.Helper()
	ctx := web.WithRequestID(context.Background(), "req-test")
	res, err := e.d.booking.Book(ctx, clinic.PatientActor(e.fx.Org.ID, e.fx.Patient.ID), booking.Request{ReasonID: e.fx.Reason.ID,
		AgendaID: e.fx.Agenda.ID, PatientID: e.fx.Patient.ID, Start: start}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if res.Appointment.BookedBy != clinic.BookedByPatient {
		e.t.Fatalf("booked by %s, want %s", res.Appointment.BookedBy, clinic.BookedByPatient)
	}
	return res.Appointment
}

// setStaffAlert switches the fixture clinic's portal staff alert.
func (e *env) setStaffAlert(on bool) {
	e.t.Helper()
	e.update(func(ctx context.Context, tx *store.Tx) error {
		s, _, err := tx.Portal().PortalSettingsOf(ctx, e.fx.Org.ID, e.fx.Clinic.ID)
		if err != nil {
			return err
		}
		s.StaffAlert = on
		return tx.Portal().SavePortalSettings(ctx, s)
	})
}

// TestOnlineBookingsAlert (POR-1, the portal's staff alert): with the clinic's staff alert
// on, staff who book see how many appointments patients booked online since they last
// opened the list, on every page, linking to it; a practitioner, who does not book, sees
// no alert. The list shows each booking, audited per patient, and opening it clears that
// user's alert only; a later online booking is new again, a staff booking never counts.
// With the alert off nothing is counted.
func TestOnlineBookingsAlert(t *testing.T) {
	e := newEnv(t)
	e.openHours()
	mgr := actorOf(e.user(clinic.RoleAppointmentManager, "mia@example.com"))
	prac := actorOf(e.user(clinic.RolePractitioner, "pat@example.com"))
	recep := actorOf(e.recep)
	noAlert := func(who string, res response) {
		t.Helper()
		if res.status != http.StatusOK {
			t.Fatalf("%s: status %d\n%s", who, res.status, res.body)
		}
		if strings.Contains(res.body, `id="online-alert"`) {
			t.Errorf("%s sees the alert of appointments booked online", who)
		}
	}

	a := e.bookOnline(at(t, 2026, 4, 8, 9, 0))

	// The fixture's portal does not alert staff: nothing is counted, and the list says why.
	noAlert("alert off", e.do(request{method: http.MethodGet, path: "/agenda", actor: mgr}))
	res := e.do(request{method: http.MethodGet, path: "/appointments/online", actor: prac})
	wantBody(t, res, `id="online-alert-off"`, fmt.Sprintf(`href="/appointments/%d"`, a.ID))

	e.setStaffAlert(true)
	res = e.do(request{method: http.MethodGet, path: "/agenda", actor: mgr})
	wantBody(t, res, `id="online-alert"`, `<a href="/appointments/online">1 new appointment booked online</a>`)
	noAlert("a practitioner", e.do(request{method: http.MethodGet, path: "/agenda", actor: prac}))

	res = e.do(request{method: http.MethodGet, path: "/appointments/online", actor: mgr})
	wantBody(t, res, `data-testid="online-bookings"`, fmt.Sprintf(`<tr data-appointment-id="%d">`, a.ID), fmt.Sprintf(`href="/appointments/%d"`, a.ID),
		fmt.Sprintf(`href="/patients/%d">Grace Hopper</a>`, e.fx.Patient.ID), e.fx.Agenda.Name, e.fx.Reason.Name, `data-testid="new"`,
		"Wed 8 Apr 2026 09:00 AEST", // the appointment, in the clinic's zone
		"Tue 7 Apr 2026 10:00 AEST") // when it was booked
	if strings.Contains(res.body, `id="online-alert"`) || strings.Contains(res.body, `id="online-alert-off"`) {
		t.Error("the list shows the alert, or says the alert is off")
	}
	checkNoPatientDataInURLs(t, res, e.fx.Patient)
	if !e.hasAudit(fmt.Sprintf("appointment.online_list %d", e.fx.Patient.ID)) {
		t.Error("no audit row for the list")
	}
	noAlert("after opening the list", e.do(request{method: http.MethodGet, path: "/agenda", actor: mgr}))
	res = e.do(request{method: http.MethodGet, path: "/appointments/online", actor: mgr})
	if !strings.Contains(res.body, fmt.Sprintf(`<tr data-appointment-id="%d">`, a.ID)) || strings.Contains(res.body, `data-testid="new"`) {
		t.Error("opened again: the booking is not listed, or still marked new")
	}
	// Another user has not looked yet.
	wantBody(t, e.do(request{method: http.MethodGet, path: "/agenda", actor: recep}), "1 new appointment booked online")

	// An hour later the patient books again, and reception books for them: only the online
	// booking is new.
	e.clock.Advance(time.Hour)
	e.bookOnline(at(t, 2026, 4, 9, 9, 0))
	e.book(recep, at(t, 2026, 4, 10, 9, 0), "")
	wantBody(t, e.do(request{method: http.MethodGet, path: "/agenda", actor: mgr}), "1 new appointment booked online")
	wantBody(t, e.do(request{method: http.MethodGet, path: "/patients", actor: recep}), "2 new appointments booked online")

	// Switched off, the alert goes though the bookings stay new.
	e.setStaffAlert(false)
	noAlert("alert switched off", e.do(request{method: http.MethodGet, path: "/agenda", actor: recep}))
}

// TestOnlineBookingsEmpty: without an online booking in the window the page says so and
// audits nothing.
func TestOnlineBookingsEmpty(t *testing.T) {
	e := newEnv(t)
	e.setStaffAlert(true)
	res := e.do(request{method: http.MethodGet, path: "/appointments/online", actor: actorOf(e.recep)})
	wantBody(t, res, `id="no-online-bookings"`, "No appointment was booked online in the last 14 days.")
	for _, row := range e.auditRows(e.fx.Org.ID) {
		if strings.HasPrefix(row, "appointment.online_list") {
			t.Errorf("audited %q for an empty list", row)
		}
	}
}

// TestOnlineAlertInFrench: the header's alert is a plural in French too, and is not shown on
// the list it links to.
func TestOnlineAlertInFrench(t *testing.T) {
	d := frenchPages(t)
	for n, want := range map[int]string{1: "1 nouveau rendez-vous pris en ligne", 2: "2 nouveaux rendez-vous pris en ligne"} {
		h := sampleHeader("agenda")
		h.Locale, h.OnlineNew = i18n.French, n
		b, err := d.execute("myday", "", view{Title: "My day", Header: h, Data: myDayPage{}, Locale: i18n.French})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `<a href="/appointments/online">`+want+`</a>`) {
			t.Errorf("%d: the page lacks the alert %q", n, want)
		}
		h.Nav = "online"
		if b, err = d.execute("online", "", view{Title: "Appointments booked online", Header: h, Data: onlinePage{}, Locale: i18n.French}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), `id="online-alert"`) {
			t.Errorf("%d: the list shows the alert that links to it", n)
		}
	}
}
