package inbound_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/inbound"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/sms"
	"github.com/tidings-health/tidings/internal/store"
)

const mobile = "+61412345678" // the fixture patient's

// replies are the automatic answers planned, oldest first.
func (w *world) replies() []store.Notification {
	return where(w.all(), func(n store.Notification) bool { return n.Purpose == string(consent.PurposeReply) })
}

// lastSMS is the provider's last outbound message.
func (w *world) lastSMS() string {
	w.t.Helper()
	msgs := w.provider.Messages()
	if len(msgs) == 0 {
		w.t.Fatal("the provider has no messages")
	}
	return msgs[len(msgs)-1].Body
}

// TestReplyConfirms: C or Y confirms the appointment of the latest SMS that asked for a
// reply (NOT-10) and answers the number with a short confirmation.
func TestReplyConfirms(t *testing.T) {
	for _, body := range []string{"C", "Y", " y. "} {
		t.Run(body, func(t *testing.T) {
			w := newWorld(t, nil)
			a := w.remindAt(w.f.Patient.ID, "2026-03-06 10:00")
			reminder := where(w.all(), func(n store.Notification) bool {
				return n.Kind == notify.KindReminder && n.Channel == "sms" && n.AsksReply
			})
			if len(reminder) != 1 || reminder[0].State != store.NoteDelivered {
				t.Fatalf("reminders asking for a reply: %+v", reminder)
			}
			h := w.reply(mobile, body)
			want := inbound.Handled{Keyword: sms.KeywordConfirm, Patients: []clinic.PatientID{w.f.Patient.ID}, Confirmed: []clinic.AppointmentID{a.ID},
				Why: "handled: appointment confirmed"}
			if diff := cmp.Diff(want, h); diff != "" {
				t.Errorf("handled (-want +got):\n%s", diff)
			}
			if got := w.appointment(a.ID).Status; got != clinic.StatusConfirmed {
				t.Errorf("appointment %s, want confirmed", got)
			}
			inbox := w.inbox()
			if len(inbox) != 1 || inbox[0].ReadAt.IsZero() || inbox[0].AppointmentID != a.ID || inbox[0].NotificationID != reminder[0].ID {
				t.Errorf("inbox %+v, want the reply kept, read, linked to the reminder and its appointment", inbox)
			}
			rs := w.replies()
			if len(rs) != 1 || rs[0].Kind != string(compose.KindReplyConfirmed) || rs[0].Destination != mobile || rs[0].State != store.NotePlanned ||
				!rs[0].Due.Equal(w.clock.Now()) {
				t.Fatalf("replies %+v, want one reply_confirmed to the number, due now", rs)
			}
			w.drain()
			if got := w.notification(rs[0].ID).State; got != store.NoteSent && got != store.NoteDelivered {
				t.Fatalf("reply %s, want sent", got)
			}
			// The answer names the patient and the appointment it confirmed.
			if got := w.lastSMS(); !strings.Contains(got, "Grace") || !strings.Contains(got, "10:00") {
				t.Errorf("reply %q does not name the patient and the appointment's time", got)
			}
		})
	}
}

// TestReplyConfirmsGroup: a parent and a child sharing a mobile, same agenda, same day, get
// one reminder (NOT-4); C confirms both appointments.
func TestReplyConfirmsGroup(t *testing.T) {
	w := newWorld(t, nil)
	child := w.patient("Noah", mobile, "")
	a := w.book(w.f.Patient.ID, "2026-03-06 10:00")
	b := w.book(child.ID, "2026-03-06 10:15")
	w.clock.Set(a.Start.AddDate(0, 0, -3))
	w.drain()
	w.settle()
	var reminders []string
	for _, m := range w.provider.Messages() {
		if strings.HasPrefix(m.Body, "Reminder") {
			reminders = append(reminders, m.Body)
		}
	}
	if len(reminders) != 1 || !strings.Contains(reminders[0], "Grace") || !strings.Contains(reminders[0], "Noah") {
		t.Fatalf("reminders %q, want one naming Grace and Noah", reminders)
	}
	h := w.reply(mobile, "C")
	if diff := cmp.Diff([]clinic.AppointmentID{a.ID, b.ID}, h.Confirmed); diff != "" {
		t.Errorf("confirmed (-want +got):\n%s", diff)
	}
	for _, id := range []clinic.AppointmentID{a.ID, b.ID} {
		if got := w.appointment(id).Status; got != clinic.StatusConfirmed {
			t.Errorf("appointment %d %s, want confirmed", id, got)
		}
	}
	if rs := w.replies(); len(rs) != 1 {
		t.Errorf("%d replies, want one answer to the one message", len(rs))
	}
}

// TestReplyStopStart: STOP opts every patient with the mobile out of SMS (CON-3, source
// sms), withdraws their planned SMS and answers; START opts them back in.
func TestReplyStopStart(t *testing.T) {
	w := newWorld(t, nil)
	child := w.patient("Noah", mobile, "noah@example.com")
	other := w.patient("Other", "+61400000999", "")
	a := w.book(w.f.Patient.ID, "2026-03-06 10:00")
	b := w.book(child.ID, "2026-03-06 10:15")
	c := w.book(other.ID, "2026-03-06 10:30")
	w.clock.Advance(time.Minute) // within the grace period: the confirmations are still planned

	h := w.reply(mobile, "STOP")
	if h.Keyword != sms.KeywordStop || h.Inbox || h.Why != "handled: opted out of SMS" {
		t.Errorf("handled %+v", h)
	}
	if diff := cmp.Diff([]clinic.PatientID{w.f.Patient.ID, child.ID}, h.Patients); diff != "" {
		t.Errorf("patients (-want +got):\n%s", diff)
	}
	type rec struct {
		Patient          clinic.PatientID
		Channel, Purpose string
		OptIn            bool
		Source, Actor    string
	}
	records := func() []rec {
		var out []rec
		err := w.db.View(ctx, func(tx *store.Tx) error {
			rs, err := tx.Consent().ConsentRecords(ctx, w.f.Org.ID, []clinic.PatientID{w.f.Patient.ID, child.ID, other.ID})
			for _, r := range rs {
				out = append(out, rec{r.PatientID, r.Channel, r.Purpose, r.OptIn, r.Source, r.Actor})
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := []rec{
		{w.f.Patient.ID, "sms", "all", false, "sms", "system:sms"},
		{child.ID, "sms", "all", false, "sms", "system:sms"},
	}
	if diff := cmp.Diff(want, records()); diff != "" {
		t.Errorf("consent records (-want +got):\n%s", diff)
	}
	for _, n := range w.all() {
		mine := n.AppointmentID == a.ID || n.AppointmentID == b.ID
		switch {
		case mine && n.Channel == "sms":
			if n.State != store.NoteCancelled || n.Reason != "the patient replied STOP: opted out of SMS" {
				t.Errorf("%s %s of appointment %d: %s %q, want withdrawn", n.Kind, n.Channel, n.AppointmentID, n.State, n.Reason)
			}
		case n.AppointmentID == c.ID || mine && n.Channel == "email":
			if n.State != store.NotePlanned {
				t.Errorf("%s %s of appointment %d: %s, want still planned", n.Kind, n.Channel, n.AppointmentID, n.State)
			}
		}
	}
	rs := w.replies()
	if len(rs) != 1 || rs[0].Kind != string(compose.KindReplyStop) || rs[0].Destination != mobile {
		t.Fatalf("replies %+v, want one reply_stop", rs)
	}
	w.drain()
	msgs := w.provider.Messages()
	if len(msgs) != 1 || msgs[0].To != mobile || !strings.Contains(msgs[0].Body, "no longer") {
		t.Fatalf("provider got %+v, want only the answer to STOP", msgs)
	}

	// Later SMS to them are skipped by consent; e-mail still goes.
	w.clock.Advance(3 * time.Minute)
	w.drain()
	if n := len(w.provider.Messages()); n != 2 { // the other patient's confirmation
		t.Errorf("%d SMS after STOP, want 2", n)
	}

	h = w.reply(mobile, "START")
	if h.Keyword != sms.KeywordStart || h.Why != "handled: opted back in to SMS" {
		t.Errorf("handled %+v", h)
	}
	want = append(want, rec{w.f.Patient.ID, "sms", "all", true, "sms", "system:sms"}, rec{child.ID, "sms", "all", true, "sms", "system:sms"})
	byOptInThenPatient := cmpopts.SortSlices(func(a, b rec) bool {
		if a.OptIn != b.OptIn {
			return !a.OptIn
		}
		return a.Patient < b.Patient
	})
	if diff := cmp.Diff(want, records(), byOptInThenPatient); diff != "" {
		t.Errorf("consent records after START (-want +got):\n%s", diff)
	}
	rs = w.replies()
	if len(rs) != 2 || rs[1].Kind != string(compose.KindReplyStart) {
		t.Fatalf("replies %+v, want reply_stop then reply_start", rs)
	}
	w.drain()
	if got := w.lastSMS(); !strings.Contains(got, "get our texts again") {
		t.Errorf("answer to START %q", got)
	}
}

// TestReplyHelp: HELP answers with the clinic's phone number.
func TestReplyHelp(t *testing.T) {
	w := newWorld(t, nil)
	phone := "02 9999 0000"
	svc := notify.New(w.db)
	set := notify.DefaultSettings(w.f.Clinic.ID)
	in := notify.SettingsInput{Channels: []string{"sms", "email"}, ReminderOffsets: []string{"72h", "2h"}, GraceSeconds: int(set.Grace / time.Second),
		WindowFrom: "08:00", WindowTo: "20:00", RemindConfirmed: true, AskReply: true, Phone: &phone}
	if _, err := svc.SetSettings(ctx, w.admin, w.f.Clinic.ID, in); err != nil {
		t.Fatal(err)
	}
	_, stored, err := svc.Settings(ctx, w.admin, w.f.Clinic.ID)
	if err != nil || stored == "" {
		t.Fatalf("clinic phone %q, %v", stored, err)
	}
	h := w.reply(mobile, "help")
	if h.Keyword != sms.KeywordHelp || h.Inbox || h.Why != "handled: help sent" {
		t.Errorf("handled %+v", h)
	}
	w.drain()
	if got := w.lastSMS(); !strings.Contains(got, stored) {
		t.Errorf("answer to HELP %q does not give the clinic's phone %s", got, stored)
	}
}

// TestReplyInbox: anything that is not a keyword, and a confirmation nothing asked for, go
// to the staff inbox with the patient and the appointment when known; nothing is answered.
func TestReplyInbox(t *testing.T) {
	t.Run("free text after a reminder", func(t *testing.T) {
		w := newWorld(t, nil)
		a := w.remindAt(w.f.Patient.ID, "2026-03-06 10:00")
		reminder := where(w.all(), func(n store.Notification) bool {
			return n.Kind == notify.KindReminder && n.Channel == "sms" && n.AsksReply
		})[0]
		h := w.reply(mobile, "Can I come at 3pm instead?")
		if !h.Inbox || h.Why != "a reply for staff" || len(h.Confirmed) != 0 {
			t.Errorf("handled %+v", h)
		}
		got := w.inbox()
		if len(got) != 1 {
			t.Fatalf("inbox %+v", got)
		}
		want := store.InboxMessage{ID: got[0].ID, ClinicID: w.f.Clinic.ID, PatientID: w.f.Patient.ID, AppointmentID: a.ID, NotificationID: reminder.ID,
			ProviderID: got[0].ProviderID, From: mobile, Body: "Can I come at 3pm instead?", Why: "a reply for staff", ReceivedAt: got[0].ReceivedAt}
		if diff := cmp.Diff(want, got[0]); diff != "" {
			t.Errorf("inbox (-want +got):\n%s", diff)
		}
		if st := w.appointment(a.ID).Status; st != clinic.StatusBooked {
			t.Errorf("appointment %s", st)
		}
		if rs := w.replies(); len(rs) != 0 {
			t.Errorf("answered free text: %+v", rs)
		}
	})
	t.Run("C when no message asked for a reply", func(t *testing.T) {
		w := newWorld(t, nil)
		a := w.book(w.f.Patient.ID, "2026-03-06 10:00")
		w.clock.Advance(3 * time.Minute)
		w.drain() // the confirmation, which does not ask for a reply
		w.settle()
		h := w.reply(mobile, "C")
		if !h.Inbox || h.Why != "a confirmation, but no recent message to this number asked for one" || len(h.Confirmed) != 0 {
			t.Errorf("handled %+v", h)
		}
		got := w.inbox()
		if len(got) != 1 || got[0].PatientID != w.f.Patient.ID || got[0].AppointmentID != 0 || !got[0].ReadAt.IsZero() {
			t.Errorf("inbox %+v, want the patient linked, unread", got)
		}
		if st := w.appointment(a.ID).Status; st != clinic.StatusBooked {
			t.Errorf("appointment %s, want booked", st)
		}
		if rs := w.replies(); len(rs) != 0 {
			t.Errorf("answered: %+v", rs)
		}
	})
	t.Run("C after the reply window", func(t *testing.T) {
		w := newWorld(t, nil)
		a := w.remindAt(w.f.Patient.ID, "2026-03-20 10:00")
		w.clock.Advance(inbound.ReplyWindow + time.Minute)
		h := w.reply(mobile, "C")
		if !h.Inbox || len(h.Confirmed) != 0 {
			t.Errorf("handled %+v: a reply a week late confirmed", h)
		}
		if st := w.appointment(a.ID).Status; st != clinic.StatusBooked {
			t.Errorf("appointment %s, want booked", st)
		}
	})
}

// TestReplyDuplicate: the provider delivers a webhook twice; the second is recognised by
// its message id and acts not at all.
func TestReplyDuplicate(t *testing.T) {
	w := newWorld(t, nil)
	a := w.remindAt(w.f.Patient.ID, "2026-03-06 10:00")
	form := w.inboundForm("SM"+strings.Repeat("0123456789abcdef", 2), mobile, "C")
	first, err := w.inbound(form)
	if err != nil || len(first.Confirmed) != 1 || first.Duplicate {
		t.Fatalf("first: %+v, %v", first, err)
	}
	second, err := w.inbound(form)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inbound.Handled{Keyword: sms.KeywordConfirm, Duplicate: true}, second); diff != "" {
		t.Errorf("second (-want +got):\n%s", diff)
	}
	if n := len(w.inbox()); n != 1 {
		t.Errorf("%d inbox entries, want 1", n)
	}
	if n := len(w.replies()); n != 1 {
		t.Errorf("%d replies, want 1", n)
	}
	var events int
	err = w.db.View(ctx, func(tx *store.Tx) error {
		evs, err := tx.Appointments().AppointmentEvents(ctx, w.f.Org.ID, a.ID)
		for _, e := range evs {
			if e.Status == clinic.StatusConfirmed {
				events++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if events != 1 {
		t.Errorf("%d confirmation events, want 1", events)
	}
}

// TestInboundSignature: an inbound SMS not signed with the account's token over the public
// URL is refused and nothing is stored; a number no account sends from is not found.
func TestInboundSignature(t *testing.T) {
	w := newWorld(t, nil)
	form := w.inboundForm("SM"+strings.Repeat("ab", 16), mobile, "STOP")
	r := signed("00000000000000000000000000000000", "/hooks/sms/inbound", form)
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Inbound(ctx, verifier(r), r.PostForm); !errors.Is(err, inbound.ErrSignature) {
		t.Fatalf("Inbound = %v, want ErrSignature", err)
	}
	if n := len(w.inbox()); n != 0 {
		t.Errorf("%d inbox entries after a forged STOP", n)
	}
	form.Set("To", "+61499999999")
	if _, err := w.inbound(form); !errors.Is(err, clinic.ErrNotFound) {
		t.Fatalf("Inbound to another number = %v, want not found", err)
	}
}
