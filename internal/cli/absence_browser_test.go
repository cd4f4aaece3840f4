package cli_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/demo"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// absenceTarget is a booked appointment of the demo, at its first clinic (the one a new
// session shows), on an agenda with a practitioner, a few days ahead.
type absenceTarget struct {
	appt         clinic.Appointment
	practitioner clinic.PractitionerID
	day          string // the appointment's date on the clinic's clock
}

func findAbsenceTarget(t *testing.T, dsn string) absenceTarget {
	t.Helper()
	ctx := context.Background()
	db := openStore(t, dsn)
	var out absenceTarget
	err := db.View(ctx, func(tx *store.Tx) error {
		org, err := tx.Directory().OrganisationBySlug(ctx, demo.Slug)
		if err != nil {
			return err
		}
		clinics, err := tx.Directory().Clinics(ctx, org.ID, store.Page{Limit: 50})
		if err != nil || len(clinics) == 0 {
			return fmt.Errorf("demo clinics: %v", err)
		}
		cl := clinics[0]
		loc, err := cl.Location()
		if err != nil {
			return err
		}
		agendas, err := tx.Directory().Agendas(ctx, org.ID, store.AgendaFilter{ClinicID: cl.ID}, store.Page{Limit: 100})
		if err != nil {
			return err
		}
		from := time.Now().Add(48 * time.Hour)
		appts, err := tx.Appointments().AppointmentsByTime(ctx, org.ID, store.AppointmentFilter{ClinicID: cl.ID, Status: clinic.StatusBooked,
			From: from, To: from.AddDate(0, 0, 21)})
		if err != nil {
			return err
		}
		for _, a := range appts {
			i := slices.IndexFunc(agendas, func(g clinic.Agenda) bool { return g.ID == a.AgendaID })
			if i < 0 || agendas[i].PractitionerID == nil {
				continue
			}
			p, err := tx.Patients().Patient(ctx, org.ID, a.PatientID)
			if err != nil {
				return err
			}
			if p.Mobile == "" || p.NotificationsOff {
				continue
			}
			// A reason whose notifications are off (CON-6) announces no notice.
			if on, err := tx.Consent().ReasonSwitches(ctx, org.ID, []clinic.ReasonID{a.ReasonID}); err != nil {
				return err
			} else if !on[a.ReasonID] {
				continue
			}
			out = absenceTarget{appt: a, practitioner: *agendas[i].PractitionerID, day: a.Start.In(loc).Format(time.DateOnly)}
			return nil
		}
		return fmt.Errorf("no booked appointment with a practitioner in the demo's next weeks")
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// cancellationChannels lists the channels of the cancellation notices planned for an
// appointment, and its status.
func cancellationChannels(t *testing.T, dsn string, id clinic.AppointmentID) ([]string, clinic.Status) {
	t.Helper()
	ctx := context.Background()
	db := openStore(t, dsn)
	var channels []string
	var status clinic.Status
	err := db.View(ctx, func(tx *store.Tx) error {
		org, err := tx.Directory().OrganisationBySlug(ctx, demo.Slug)
		if err != nil {
			return err
		}
		a, err := tx.Appointments().Appointment(ctx, org.ID, id)
		if err != nil {
			return err
		}
		status = a.Status
		ns, err := tx.Notifications().PlannedForAppointments(ctx, org.ID, []clinic.AppointmentID{id})
		for _, n := range ns {
			if n.Kind == "cancellation" {
				channels = append(channels, n.Channel)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(channels)
	return channels, status
}

// TestBrowserAbsenceOverAppointment (POR-4, NOT-1, CON-9): adding an absence over a booked
// appointment first shows the appointment and, channel by channel, what its patient would
// be told if it were cancelled, recording nothing; recording leads to the absences page with
// the same; cancelling from there plans exactly the notices the page announced.
func TestBrowserAbsenceOverAppointment(t *testing.T) {
	ctx := browser(t)
	dsn := storetest.DSN(t)
	url, _ := startDemo(t, dsn)
	target := findAbsenceTarget(t, dsn)
	signIn(t, ctx, url)

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	form := fmt.Sprintf("#absence-form-%d", target.practitioner)
	row := fmt.Sprintf(`tr[data-appointment-id="%d"]`, target.appt.ID)
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"schedules"),
		chromedp.WaitVisible(css(form)),
		chromedp.SetValue(css(fmt.Sprintf("#a%d-start-date", target.practitioner)), target.day),
		chromedp.SendKeys(css(fmt.Sprintf("#a%d-note", target.practitioner)), "Conference"),
		chromedp.Click(css(form+` button[type="submit"]`)),
		chromedp.WaitVisible(css("#closure-confirm")),
		chromedp.WaitVisible(css(row)),
	)
	if err != nil {
		t.Fatalf("absence form to its preview: %v", err)
	}
	screenshot(t, ctx, "absence-preview")
	announcedOn := func() []string {
		t.Helper()
		chs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('`+row+` li[data-sent="true"]')].map(e => e.dataset.channel).sort()`))
		if err != nil {
			t.Fatal(err)
		}
		return chs
	}
	preview, err := chromedp.Run(ctx, chromedp.Text(css(row)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"SMS", "E-mail", "Push notifications"} {
		if !strings.Contains(preview, want) {
			t.Errorf("the preview's row does not say what %s would carry: %q", want, preview)
		}
	}
	sent := announcedOn()
	if len(sent) == 0 || !strings.Contains(preview, "Allowed:") {
		t.Errorf("the preview announces no cancellation notice for a patient with a mobile: %q", preview)
	}
	if channels, status := cancellationChannels(t, dsn, target.appt.ID); status != clinic.StatusBooked || len(channels) != 0 {
		t.Fatalf("the preview changed the appointment: %s %v", status, channels)
	}

	// Record it: the absences page lists the appointment with the same notice and a Cancel
	// button.
	cancel := row + ` [data-action="cancel"]`
	err = chromedp.Do(ctx,
		chromedp.Click(css(`#closure-confirm button[type="submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="absence-effect"]`)),
		chromedp.WaitVisible(css(cancel)),
	)
	if err != nil {
		t.Fatalf("record the absence: %v", err)
	}
	if listed := announcedOn(); strings.Join(listed, ",") != strings.Join(sent, ",") {
		t.Errorf("the absences page announces notices on %v, the preview on %v", listed, sent)
	}
	screenshot(t, ctx, "absence-recorded")

	// Cancel from there: the button (or the confirmation it leads to, which may ask why)
	// cancels, and the page it returns to no longer lists the appointment.
	if err := chromedp.Do(ctx, chromedp.Click(css(cancel))); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	confirm := fmt.Sprintf(`form[action="/appointments/%d/cancel"] button[type="submit"]`, target.appt.ID)
	// The click navigates: ask the new page where it is until it answers.
	probe := fmt.Sprintf(`(document.querySelector('%s') && !document.querySelector('[data-testid="absence-effect"]')) ? "confirm" : `+
		`(document.querySelector('[data-testid="absence-effect"]') && !document.querySelector('%s')) ? "done" : ""`, confirm, row)
	var where string
	for i := 0; i < 100 && where == ""; i++ {
		time.Sleep(100 * time.Millisecond)
		where, _ = chromedp.Run(ctx, chromedp.Evaluate[string](probe))
	}
	if where == "" {
		screenshot(t, ctx, "absence-cancel-lost")
		t.Fatal("after Cancel: neither a confirmation nor the absences page without the appointment")
	}
	if where == "confirm" {
		screenshot(t, ctx, "absence-cancel-confirm")
		// It asks why, when it does: the practitioner is away.
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](
			`document.querySelector('input[name="reason"][value="practitioner_unavailable"]')?.click()`)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(css(confirm)), chromedp.WaitVisible(css(`[data-testid="absence-effect"]`)),
			chromedp.WaitNotPresent(css(row))); err != nil {
			t.Fatalf("confirm the cancellation: %v", err)
		}
	}
	channels, status := cancellationChannels(t, dsn, target.appt.ID)
	if status != clinic.StatusCancelled {
		t.Errorf("status %s, want cancelled", status)
	}
	if strings.Join(channels, ",") != strings.Join(sent, ",") {
		t.Errorf("cancellation notices planned on %v, the page announced %v", channels, sent)
	}
	screenshot(t, ctx, "absence-cancelled")
}
