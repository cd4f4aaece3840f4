package cli_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// TestBrowserAppointmentPage drives the appointment's own page and what it leads to, in the
// demo (issue 9; POR-4, ADM-5):
//   - the booking form does not take a time outside the agenda's working hours silently: it
//     asks "Outside … hours — book anyway?", and "Book anyway" books it;
//   - that appointment, days ahead, offers no "Arrived" (attendance is recorded from its day
//     on), and says so; one of today's does, and once arrived it can no longer be cancelled;
//   - Cancel asks for the reason, and the appointment's history shows it.
func TestBrowserAppointmentPage(t *testing.T) {
	ctx := browser(t)
	d := startAgendaDemo(t)
	signIn(t, ctx, d.url)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	// An agenda of the first clinic offering the demo's 15-minute reason.
	var agenda clinic.Agenda
	d.view(t, func(ctx context.Context, tx *store.Tx) error {
		as, err := tx.Schedule().AgendasOffering(ctx, d.org, d.reason.ID)
		if err != nil || len(as) == 0 {
			return fmt.Errorf("agendas offering %d: %d, %v", d.reason.ID, len(as), err)
		}
		agenda = as[0]
		return nil
	})

	// 1. Book 06:30, before the demo's 08:30 opening: asked, then booked once confirmed.
	early := time.Date(d.day.Year(), d.day.Month(), d.day.Day(), 6, 30, 0, 0, d.loc)
	err := chromedp.Do(ctx,
		chromedp.Navigate(fmt.Sprintf("%sappointments/new?date=%s&reason_id=%d&agenda_id=%d", d.url, d.day.Format(time.DateOnly), d.reason.ID, agenda.ID)),
		chromedp.WaitVisible(css("#book-form")),
		chromedp.Click(css("#start-other")),
		chromedp.SetValue(css("#book-time"), "06:30"),
		chromedp.SendKeys(css("#q"), "smith"),
		chromedp.Click(css("#search")),
		chromedp.WaitVisible(css(`#patient-results input[name="patient_id"]`)),
		chromedp.Click(css(`#patient-results input[name="patient_id"]`)),
		chromedp.Click(css("#book")),
		chromedp.WaitVisible(css("#confirm-hours")),
	)
	if err != nil {
		t.Fatalf("book outside hours: %v", err)
	}
	screenshot(t, ctx, "book-outside-hours")
	if q := text("#confirm-hours"); !strings.Contains(q, "Outside "+agenda.Name+"'s hours — book anyway?") {
		t.Errorf("the question %q does not name the agenda's hours", q)
	}
	if a := d.appointmentAt(t, agenda.ID, early.Format(time.RFC3339)); a.ID != 0 {
		t.Fatal("booked before the confirmation")
	}
	if err := chromedp.Do(ctx, chromedp.Click(css("#book-anyway")), chromedp.WaitVisible(css("#flash"))); err != nil {
		t.Fatalf("book anyway: %v", err)
	}
	a := d.appointmentAt(t, agenda.ID, early.Format(time.RFC3339))
	if a.ID == 0 || a.BookedBy != clinic.BookedByStaff {
		t.Fatalf("not booked once confirmed: %+v", a)
	}

	// 2. Its page, days ahead: no attendance buttons, and why.
	page := fmt.Sprintf("%sappointments/%d", d.url, a.ID)
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(css("#appointment-title"))); err != nil {
		t.Fatal(err)
	}
	if n := count(`[data-status="arrived"]`); n != 0 {
		t.Errorf("an appointment days ahead offers Arrived (%d buttons)", n)
	}
	if count("#not-yet") != 1 || count(`[data-status="confirmed"]`) != 1 {
		t.Error("no explanation, or no Confirm button, on an appointment to come")
	}
	var admin clinic.User
	d.view(t, func(ctx context.Context, tx *store.Tx) (err error) {
		admin, err = tx.Staff().UserByEmail(ctx, "admin@demo.tidings.test")
		return err
	})
	if h := text(`[data-testid="appointment-history"]`); !strings.Contains(h, "Booked") || !strings.Contains(h, admin.Name) {
		t.Errorf("history %q does not say who booked (%s)", h, admin.Name)
	}

	// 3. Cancel from the page, with a reason: back on the page, the reason in the history.
	err = chromedp.Do(ctx,
		chromedp.Click(css(`[data-testid="appointment-actions"] [data-action="cancel"]`)),
		chromedp.WaitVisible(css("#cancel-form")),
		chromedp.Click(css("#cancel-reason-patient_unwell")),
		chromedp.SendKeys(css("#cancel-detail"), "fever"),
		chromedp.Click(css("#cancel-confirm")),
		chromedp.WaitVisible(css("#flash")),
		chromedp.WaitVisible(css(`[data-testid="cancel-reason"]`)),
	)
	if err != nil {
		t.Fatalf("cancel with a reason: %v", err)
	}
	screenshot(t, ctx, "appointment-cancelled")
	if r := text(`[data-testid="cancel-reason"]`); r != "The patient is unwell: fever" {
		t.Errorf("reason shown %q", r)
	}
	if got := d.reload(t, a.ID); got.Status != clinic.StatusCancelled {
		t.Errorf("status %s, want cancelled", got.Status)
	}
	var events []store.AppointmentEvent
	d.view(t, func(ctx context.Context, tx *store.Tx) (err error) {
		events, err = tx.Appointments().AppointmentEvents(ctx, d.org, a.ID)
		return err
	})
	if last := events[len(events)-1]; last.Kind != store.EventCancelled || last.Reason != "The patient is unwell: fever" || !strings.HasPrefix(last.Actor, "user:") {
		t.Errorf("cancellation event %+v", last)
	}

	// 4. One of today's appointments (booked here by the system at 05:00, before opening):
	// Arrived is offered; once arrived, Cancel is not.
	now := time.Now().In(d.loc)
	five := time.Date(now.Year(), now.Month(), now.Day(), 5, 0, 0, 0, d.loc)
	if !five.Before(now) {
		// Before 05:00 at the clinic, 05:00 is ahead and outside the agenda's hours: book
		// earlier today, still before now (the system books past times as they happened).
		five = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, d.loc)
	}
	var patient clinic.PatientID
	d.view(t, func(ctx context.Context, tx *store.Tx) error {
		c, err := tx.Directory().Clinic(ctx, d.org, agenda.ClinicID)
		if err != nil {
			return err
		}
		ps, err := tx.Patients().ListPatients(ctx, d.org, store.PatientFilter{DatabaseID: c.DatabaseID}, store.Page{Limit: 1})
		if err == nil && len(ps) == 1 {
			patient = ps[0].ID
		}
		return err
	})
	db, err := store.Open(context.Background(), store.Config{DSN: d.dsn})
	if err != nil {
		t.Fatal(err)
	}
	res, err := booking.New(db).Book(context.Background(), clinic.SystemActor(d.org, "test"), booking.Request{ReasonID: d.reason.ID,
		AgendaID: agenda.ID, PatientID: patient, Start: five}, nil)
	db.Close()
	if err != nil {
		t.Fatalf("today's appointment: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(fmt.Sprintf("%sappointments/%d", d.url, res.Appointment.ID)),
		chromedp.WaitVisible(css(`[data-testid="appointment-actions"] [data-status="arrived"]`)),
		chromedp.Click(css(`[data-testid="appointment-actions"] [data-status="arrived"]`)),
		chromedp.WaitVisible(css("#flash")),
		chromedp.WaitVisible(css(`[data-testid="appointment-actions"] [data-status="seen"]`)),
	)
	if err != nil {
		t.Fatalf("arrived today: %v", err)
	}
	if s := text(`[data-testid="status"]`); s != "Arrived" {
		t.Errorf("status shown %q, want Arrived", s)
	}
	if n := count(`[data-action="cancel"]`); n != 0 {
		t.Error("an arrived appointment offers Cancel")
	}
}
