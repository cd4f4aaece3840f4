package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

var ctx = context.Background()

// env is the fixture organisation with the booking use cases and a dispatcher that sends
// everything to the outbox, on a clock the test moves.
type env struct {
	t       *testing.T
	clock   *storetest.Clock
	db      *store.DB
	f       storetest.Fixture
	booking *booking.Service
	d       *dispatch.Dispatcher
	staff   clinic.Actor
	syd     *time.Location
}

// t0 is Monday 2026-03-02 08:30 in Sydney (UTC+11).
var t0 = time.Date(2026, 3, 1, 21, 30, 0, 0, time.UTC)

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, clock: storetest.NewClock(t0)}
	e.db = storetest.Open(t, e.clock.Now)
	e.f = storetest.Seed(t, e.db, "acme")
	e.booking = booking.New(e.db)
	e.staff = clinic.StaffActor(clinic.User{ID: 1, OrgID: e.f.Org.ID, Role: clinic.RoleAdministrator})
	sms := &dispatch.SMS{Fallback: dispatch.Outbox{}, Breakers: dispatch.NewBreakers(e.clock.Now)}
	e.d = dispatch.New(e.db, dispatch.Config{PublicURL: "https://tidings.example"}, dispatch.Senders{SMS: sms, Email: dispatch.Outbox{}}, nil)
	e.syd, _ = time.LoadLocation("Australia/Sydney")
	return e
}

// at is a local Sydney time in March 2026.
func (e *env) at(day, hour, min int) time.Time {
	return time.Date(2026, 3, day, hour, min, 0, 0, e.syd)
}

func (e *env) book(start time.Time) clinic.Appointment {
	e.t.Helper()
	// The fixture's agenda has no working hours: staff confirm the time (and a second
	// appointment that day).
	b, err := e.booking.Book(ctx, e.staff, booking.Request{PatientID: e.f.Patient.ID, ReasonID: e.f.Reason.ID, AgendaID: e.f.Agenda.ID, Start: start,
		AllowOutsideHours: true, AllowSameDay: true}, nil)
	if err != nil {
		e.t.Fatalf("book: %v", err)
	}
	return b.Appointment
}

func (e *env) move(a clinic.Appointment, start time.Time) clinic.Appointment {
	e.t.Helper()
	m, err := e.booking.Reschedule(ctx, e.staff, booking.Change{ID: a.ID, Version: a.Version, AllowOutsideHours: true}, 0, start)
	if err != nil {
		e.t.Fatalf("reschedule: %v", err)
	}
	return m
}

func (e *env) cancel(a clinic.Appointment) clinic.Appointment {
	e.t.Helper()
	c, err := e.booking.Cancel(ctx, e.staff, booking.Change{ID: a.ID, Version: a.Version})
	if err != nil {
		e.t.Fatalf("cancel: %v", err)
	}
	return c
}

func (e *env) reinstate(a clinic.Appointment) clinic.Appointment {
	e.t.Helper()
	r, err := e.booking.SetStatus(ctx, e.staff, booking.Change{ID: a.ID, Version: a.Version}, clinic.StatusBooked)
	if err != nil {
		e.t.Fatalf("reinstate: %v", err)
	}
	return r
}

// drain runs dispatcher rounds until nothing is claimed.
func (e *env) drain() {
	e.t.Helper()
	for range 50 {
		n, err := e.d.Round(ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	e.t.Fatal("the dispatcher never ran out of work")
}

// notes lists the notifications of an appointment, oldest first.
func (e *env) notes(a clinic.AppointmentID) []store.Notification {
	e.t.Helper()
	var out []store.Notification
	err := e.db.View(ctx, func(tx *store.Tx) error {
		all, err := tx.Notifications().ListNotifications(ctx, e.f.Org.ID, store.NotificationFilter{Page: store.Page{Limit: 500}})
		for i := len(all) - 1; i >= 0; i-- {
			if all[i].AppointmentID == a {
				out = append(out, all[i])
			}
		}
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// note is what a test compares of a notification.
type note struct {
	Kind, Offset, Channel, State string
	Due                          time.Time
	Reason                       string
}

// notesOf keeps the notifications in state (all when empty), as notes; due times are
// compared in UTC, reasons only when withReason.
func notesOf(ns []store.Notification, state string, withReason bool) []note {
	var out []note
	for _, n := range ns {
		if state != "" && n.State != state {
			continue
		}
		x := note{Kind: n.Kind, Offset: n.Offset, Channel: n.Channel, State: n.State, Due: n.Due.UTC()}
		if withReason {
			x.Reason = n.Reason
		}
		out = append(out, x)
	}
	return out
}

// reminders are the planned reminders of an appointment starting at start with the
// default offsets (72 h and 2 h) on both channels.
func reminders(start time.Time) []note {
	var out []note
	for _, o := range []struct {
		off string
		due time.Time
	}{{"72h", start.AddDate(0, 0, -3)}, {"2h", start.Add(-2 * time.Hour)}} {
		for _, ch := range []string{"sms", "email"} {
			out = append(out, note{Kind: notify.KindReminder, Offset: o.off, Channel: ch, State: store.NotePlanned, Due: o.due.UTC()})
		}
	}
	return out
}

// TestPlanDebounce checks the planner through the booking use cases (NOT-1): booking
// notices wait the grace period and merge with a later change; reminders follow the
// appointment.
func TestPlanDebounce(t *testing.T) {
	const grace = 2 * time.Minute
	t.Run("book then move twice within the grace period: one confirmation with the final time", func(t *testing.T) {
		e := newEnv(t)
		a := e.book(e.at(6, 10, 0))
		e.clock.Advance(30 * time.Second)
		a = e.move(a, e.at(6, 11, 0))
		e.clock.Advance(30 * time.Second)
		a = e.move(a, e.at(6, 11, 30))
		lastChange := e.clock.Now()

		want := []note{
			{Kind: notify.KindConfirmation, Channel: "sms", State: store.NotePlanned, Due: lastChange.Add(grace).UTC()},
			{Kind: notify.KindConfirmation, Channel: "email", State: store.NotePlanned, Due: lastChange.Add(grace).UTC()},
		}
		want = append(want, reminders(e.at(6, 11, 30))...)
		if diff := cmp.Diff(want, notesOf(e.notes(a.ID), store.NotePlanned, false)); diff != "" {
			t.Errorf("planned after two moves (-want +got):\n%s", diff)
		}
		// The confirmation kept waiting may not go out after the new time: its deadline
		// moved with the appointment.
		for _, n := range e.notes(a.ID) {
			if n.State == store.NotePlanned && !n.Deadline.Equal(a.Start) {
				t.Errorf("%s by %s: deadline %s, want the appointment's new start %s", n.Kind, n.Channel, n.Deadline, a.Start)
			}
		}
		// Two sets of reminders were withdrawn, with the reason; no reschedule notice exists.
		var withdrawn []note
		for _, at := range []time.Time{e.at(6, 10, 0), e.at(6, 11, 0)} {
			for _, r := range reminders(at) {
				r.State, r.Reason = store.NoteCancelled, "the appointment changed: reminders planned again"
				withdrawn = append(withdrawn, r)
			}
		}
		if diff := cmp.Diff(withdrawn, notesOf(e.notes(a.ID), store.NoteCancelled, true)); diff != "" {
			t.Errorf("withdrawn (-want +got):\n%s", diff)
		}

		// The first change's grace period is over, the last one's is not: nothing goes.
		e.clock.Set(t0.Add(grace + 10*time.Second))
		e.drain()
		if got := notesOf(e.notes(a.ID), store.NoteSent, false); len(got) != 0 {
			t.Fatalf("sent before the last change's grace period ended: %v", got)
		}
		e.clock.Set(lastChange.Add(grace))
		e.drain()
		var sent []store.Notification
		for _, n := range e.notes(a.ID) {
			if n.State == store.NoteSent {
				sent = append(sent, n)
			}
		}
		if len(sent) != 2 || sent[0].Kind != notify.KindConfirmation || sent[1].Kind != notify.KindConfirmation {
			t.Fatalf("sent %v, want the SMS and e-mail confirmations", notesOf(sent, "", true))
		}
		for _, n := range sent {
			if !strings.Contains(n.Body, "11:30") {
				t.Errorf("%s confirmation %q does not give the final time 11:30", n.Channel, n.Body)
			}
		}
	})

	t.Run("book then cancel within the grace period: no notice at all", func(t *testing.T) {
		e := newEnv(t)
		a := e.book(e.at(6, 10, 0))
		e.clock.Advance(time.Minute)
		a = e.cancel(a)
		ns := e.notes(a.ID)
		if got := notesOf(ns, store.NotePlanned, false); len(got) != 0 {
			t.Errorf("still planned after cancelling: %v", got)
		}
		for _, n := range ns {
			if n.Kind == notify.KindCancellation {
				t.Errorf("a cancellation notice was planned for an appointment the patient never heard of: %+v", n)
			}
		}
		want := []note{
			{Kind: notify.KindConfirmation, Channel: "sms", State: store.NoteCancelled, Due: t0.Add(grace).UTC(), Reason: "merged with a later change of the appointment"},
			{Kind: notify.KindConfirmation, Channel: "email", State: store.NoteCancelled, Due: t0.Add(grace).UTC(), Reason: "merged with a later change of the appointment"},
		}
		for _, r := range reminders(e.at(6, 10, 0)) {
			r.State, r.Reason = store.NoteCancelled, "the appointment was cancelled"
			want = append(want, r)
		}
		if diff := cmp.Diff(want, notesOf(ns, store.NoteCancelled, true)); diff != "" {
			t.Errorf("withdrawn (-want +got): the log must not say the reminders were planned again\n%s", diff)
		}
		e.clock.Advance(time.Hour)
		e.drain()
		if got := notesOf(e.notes(a.ID), store.NoteSent, false); len(got) != 0 {
			t.Errorf("sent %v for a booking cancelled within the grace period", got)
		}
	})

	t.Run("a sent confirmation then cancel: a cancellation notice", func(t *testing.T) {
		e := newEnv(t)
		a := e.book(e.at(6, 10, 0))
		e.clock.Advance(grace)
		e.drain()
		if got := notesOf(e.notes(a.ID), store.NoteSent, false); len(got) != 2 {
			t.Fatalf("confirmations sent: %v, want 2", got)
		}
		e.clock.Advance(time.Hour)
		cancelledAt := e.clock.Now()
		a = e.cancel(a)
		want := []note{
			{Kind: notify.KindCancellation, Channel: "sms", State: store.NotePlanned, Due: cancelledAt.Add(grace).UTC()},
			{Kind: notify.KindCancellation, Channel: "email", State: store.NotePlanned, Due: cancelledAt.Add(grace).UTC()},
		}
		if diff := cmp.Diff(want, notesOf(e.notes(a.ID), store.NotePlanned, false)); diff != "" {
			t.Errorf("planned after cancelling (-want +got):\n%s", diff)
		}
		e.clock.Advance(grace)
		e.drain()
		var kinds []string
		for _, n := range e.notes(a.ID) {
			if n.State == store.NoteSent {
				kinds = append(kinds, n.Kind+"/"+n.Channel)
			}
		}
		if diff := cmp.Diff([]string{"confirmation/sms", "confirmation/email", "cancellation/sms", "cancellation/email"}, kinds); diff != "" {
			t.Errorf("sent (-want +got):\n%s", diff)
		}
	})

	t.Run("cancel then reinstate within the grace period: nothing said", func(t *testing.T) {
		e := newEnv(t)
		a := e.book(e.at(6, 10, 0))
		e.clock.Advance(grace)
		e.drain() // the confirmations go: the patient heard of the appointment
		e.clock.Advance(time.Hour)
		a = e.cancel(a)
		e.clock.Advance(30 * time.Second)
		a = e.reinstate(a)
		if diff := cmp.Diff(reminders(e.at(6, 10, 0)), notesOf(e.notes(a.ID), store.NotePlanned, false)); diff != "" {
			t.Errorf("planned after reinstating (-want +got): only the reminders, planned again\n%s", diff)
		}
		e.clock.Advance(grace)
		e.drain()
		for _, n := range e.notes(a.ID) {
			if n.State == store.NoteSent && n.Kind != notify.KindConfirmation {
				t.Errorf("sent a %s about a cancellation the patient never learnt of", n.Kind)
			}
			if n.Kind == notify.KindCancellation && n.State != store.NoteCancelled {
				t.Errorf("cancellation notice %s: %s", n.Channel, n.State)
			}
		}
	})

	t.Run("reschedule: old reminders withdrawn with a reason, a reschedule notice", func(t *testing.T) {
		e := newEnv(t)
		a := e.book(e.at(6, 10, 0))
		e.clock.Advance(grace)
		e.drain()
		e.clock.Advance(time.Hour)
		movedAt := e.clock.Now()
		a = e.move(a, e.at(9, 9, 0))
		ns := e.notes(a.ID)
		var withdrawn []note
		for _, r := range reminders(e.at(6, 10, 0)) {
			r.State, r.Reason = store.NoteCancelled, "the appointment changed: reminders planned again"
			withdrawn = append(withdrawn, r)
		}
		if diff := cmp.Diff(withdrawn, notesOf(ns, store.NoteCancelled, true)); diff != "" {
			t.Errorf("withdrawn (-want +got):\n%s", diff)
		}
		want := []note{
			{Kind: notify.KindReschedule, Channel: "sms", State: store.NotePlanned, Due: movedAt.Add(grace).UTC()},
			{Kind: notify.KindReschedule, Channel: "email", State: store.NotePlanned, Due: movedAt.Add(grace).UTC()},
		}
		want = append(want, reminders(e.at(9, 9, 0))...)
		if diff := cmp.Diff(want, notesOf(ns, store.NotePlanned, false)); diff != "" {
			t.Errorf("planned after the move (-want +got):\n%s", diff)
		}
	})
}

// TestPlanDST is the hand-computed fixtures (NOT-9): whole-day offsets keep the
// wall-clock time across a daylight-saving change, elapsed ones do not, "1d@10:00" is 10:00
// on the clinic's clock the day before.
func TestPlanDST(t *testing.T) {
	tests := []struct {
		name  string
		zone  string
		start string // local
		want  map[string]string
	}{
		{"Sydney, the day the clocks go forward", "Australia/Sydney", "2025-10-05 09:00",
			map[string]string{"24h": "2025-10-03T23:00:00Z", "2h": "2025-10-04T20:00:00Z", "1d@10:00": "2025-10-04T00:00:00Z"}},
		{"Lord Howe, half an hour forward", "Australia/Lord_Howe", "2025-10-05 09:00",
			map[string]string{"24h": "2025-10-03T22:30:00Z", "2h": "2025-10-04T20:00:00Z", "1d@10:00": "2025-10-03T23:30:00Z"}},
		{"Sydney, the day the clocks go back", "Australia/Sydney", "2026-04-05 09:00",
			map[string]string{"24h": "2026-04-03T22:00:00Z", "2h": "2026-04-04T21:00:00Z", "1d@10:00": "2026-04-03T23:00:00Z"}},
		{"Paris, the day the clocks go forward", "Europe/Paris", "2026-03-29 09:00",
			map[string]string{"24h": "2026-03-28T08:00:00Z", "2h": "2026-03-29T05:00:00Z", "1d@10:00": "2026-03-28T09:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Planned in August 2025: nothing is dropped as in the past.
			db := storetest.Open(t, func() time.Time { return time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC) })
			f := storetest.Seed(t, db, "acme")
			org := f.Org.ID
			zone, err := time.LoadLocation(tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			start, err := time.ParseInLocation("2006-01-02 15:04", tt.start, zone)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			err = db.Update(ctx, func(tx *store.Tx) error {
				c := f.Clinic
				c.Zone = tt.zone
				if _, err := tx.Directory().UpdateClinic(ctx, org, c); err != nil {
					return err
				}
				if err := tx.Notifications().PutNotifySettings(ctx, org, store.NotifySettings{ClinicID: c.ID, Channels: "sms",
					ReminderOffsets: "24h,2h,1d@10:00", GraceSeconds: 120, QuietFrom: "08:00", QuietTo: "20:00", RemindConfirmed: true}); err != nil {
					return err
				}
				a, err := tx.Appointments().CreateAppointment(ctx, org, clinic.Appointment{ClinicID: c.ID, AgendaID: f.Agenda.ID, ReasonID: f.Reason.ID,
					PatientID: f.Patient.ID, Start: start, End: start.Add(15 * time.Minute), Status: clinic.StatusBooked, BookedBy: clinic.BookedByStaff})
				if err != nil {
					return err
				}
				if err := notify.Plan(ctx, tx, org, notify.Change{Kind: notify.Booked, Appointment: a}); err != nil {
					return err
				}
				ns, err := tx.Notifications().PlannedForAppointments(ctx, org, []clinic.AppointmentID{a.ID})
				for _, n := range ns {
					if n.Kind == notify.KindReminder {
						if got[n.Offset] != "" {
							t.Errorf("reminder %s planned twice", n.Offset)
						}
						got[n.Offset] = n.Due.UTC().Format(time.RFC3339)
					}
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reminders of %s %s (-want +got):\n%s", tt.start, tt.zone, diff)
			}
		})
	}
}
