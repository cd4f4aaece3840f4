package dispatch_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/sms/twilio/twiliotest"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

var ctx = context.Background()

// world is an organisation with a Twilio-compatible account on a loopback provider, the
// booking use cases and a dispatcher, on a clock the test moves.
type world struct {
	t        *testing.T
	clock    *storetest.Clock
	db       *store.DB
	f        storetest.Fixture
	booking  *booking.Service
	provider *twiliotest.Server
	d        *dispatch.Dispatcher
	staff    clinic.Actor
	sms      *dispatch.SMS
}

// start is Monday 2026-03-02 08:30 in Sydney (UTC+11): inside the SMS window.
var start = time.Date(2026, 3, 1, 21, 30, 0, 0, time.UTC)

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, clock: storetest.NewClock(start)}
	w.db = storetest.Open(t, w.clock.Now)
	w.f = storetest.Seed(t, w.db, "acme")
	w.booking = booking.New(w.db)
	w.provider = twiliotest.NewServer(twiliotest.WithClock(w.clock.Now), twiliotest.WithCallbackCopies(0, 0))
	t.Cleanup(w.provider.Close)
	w.staff = clinic.SystemActor(w.f.Org.ID, "test")
	err := w.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Notifications().PutSMSAccount(ctx, w.f.Org.ID, store.SMSAccount{BaseURL: w.provider.URL, AccountSID: w.provider.AccountSID,
			AuthToken: w.provider.AuthToken, Sender: "+61400000000"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	w.sms = &dispatch.SMS{PublicURL: "https://tidings.example", HTTP: &http.Client{Timeout: 5 * time.Second}, Breakers: dispatch.NewBreakers(w.clock.Now)}
	w.d = dispatch.New(w.db, dispatch.Config{PublicURL: "https://tidings.example"}, dispatch.Senders{SMS: w.sms, Email: dispatch.Outbox{}}, nil)
	if err := w.d.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

// book books the fixture's reason for patient at a local Sydney time.
func (w *world) book(patient clinic.PatientID, local string) clinic.Appointment {
	w.t.Helper()
	syd, _ := time.LoadLocation("Australia/Sydney")
	at, err := time.ParseInLocation("2006-01-02 15:04", local, syd)
	if err != nil {
		w.t.Fatal(err)
	}
	b, err := w.booking.Book(ctx, clinic.StaffActor(clinic.User{ID: 1, OrgID: w.f.Org.ID, Role: clinic.RoleAdministrator}), booking.Request{
		PatientID: patient, ReasonID: w.f.Reason.ID, AgendaID: w.f.Agenda.ID, Start: at, AllowOutsideHours: true, AllowSameDay: true}, nil) // no hours in the fixture
	if err != nil {
		w.t.Fatalf("book %s: %v", local, err)
	}
	return b.Appointment
}

// drain runs rounds until nothing is claimed.
func (w *world) drain() {
	w.t.Helper()
	for range 100 {
		n, err := w.d.Round(ctx)
		if err != nil {
			w.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	w.t.Fatal("the dispatcher never ran out of work")
}

// notes lists the notifications of an appointment, oldest first.
func (w *world) notes(a clinic.AppointmentID) []store.Notification {
	w.t.Helper()
	var out []store.Notification
	err := w.db.View(ctx, func(tx *store.Tx) error {
		all, err := tx.Notifications().ListNotifications(ctx, w.f.Org.ID, store.NotificationFilter{Page: store.Page{Limit: 500}})
		for i := len(all) - 1; i >= 0; i-- {
			if all[i].AppointmentID == a {
				out = append(out, all[i])
			}
		}
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// summary is "kind/channel/state" of each notification.
func summary(ns []store.Notification) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Kind + "/" + n.Channel + "/" + n.State
		if n.Offset != "" {
			out[i] = n.Kind + "@" + n.Offset + "/" + n.Channel + "/" + n.State
		}
	}
	return out
}

func TestConfirmationAndRemindersAreSent(t *testing.T) {
	w := newWorld(t)
	a := w.book(w.f.Patient.ID, "2026-03-06 10:00")
	got := summary(w.notes(a.ID))
	want := []string{"confirmation/sms/planned", "confirmation/email/planned", "reminder@72h/sms/planned", "reminder@72h/email/planned",
		"reminder@2h/sms/planned", "reminder@2h/email/planned"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("planned:\n got %v\nwant %v", got, want)
	}
	w.drain() // nothing due yet: the grace period
	if n := len(w.provider.Messages()); n != 0 {
		t.Fatalf("%d SMS before the grace period ended", n)
	}
	w.clock.Advance(3 * time.Minute)
	w.drain()
	msgs := w.provider.Messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Body, "Grace") || msgs[0].To != "+61412345678" {
		t.Fatalf("provider got %+v, want one confirmation to Grace", msgs)
	}
	if !strings.Contains(msgs[0].StatusCallback, "/hooks/sms/status?n=") {
		t.Errorf("status callback %q does not name the notification", msgs[0].StatusCallback)
	}
	ns := w.notes(a.ID)
	if ns[0].State != store.NoteSent || ns[0].ProviderID != msgs[0].SID || ns[0].Segments < 1 {
		t.Errorf("confirmation recorded as %+v", ns[0])
	}
	if ns[1].State != store.NoteSent || ns[1].Provider != dispatch.ProviderOutbox {
		t.Errorf("e-mail confirmation recorded as %s by %q", ns[1].State, ns[1].Provider)
	}
	// The 72 h reminder is due on Tuesday 10:00 local.
	w.clock.Set(time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC))
	w.drain()
	if n := len(w.provider.Messages()); n != 2 {
		t.Fatalf("%d SMS after the 72 h reminder was due, want 2", n)
	}
}
