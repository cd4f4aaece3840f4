package inbound_test

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/email"
	"github.com/tidings-health/tidings/internal/inbound"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
)

// ourID matches the Message-IDs the recorded reports quote.
var ourID = regexp.MustCompile(`<n-\d+\.[0-9a-f]{8}@tidings\.example>`)

// dsn is a recorded report (internal/email/testdata/dsn) rewritten to be about notification
// id; edit, when set, changes it further.
func dsn(t *testing.T, file string, id int64, edit func(string) string) []byte {
	t.Helper()
	raw, err := os.ReadFile("../email/testdata/dsn/" + file)
	if err != nil {
		t.Fatal(err)
	}
	s := ourID.ReplaceAllString(string(raw), email.MessageID(id, "tidings.example"))
	if edit != nil {
		s = edit(s)
	}
	return []byte(s)
}

// patientOf reads a patient.
func (w *world) patientOf(id clinic.PatientID) clinic.Patient {
	w.t.Helper()
	var p clinic.Patient
	err := w.db.View(ctx, func(tx *store.Tx) error {
		var err error
		p, err = tx.Patients().Patient(ctx, w.f.Org.ID, id)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// TestBounce: a delivery status notification about one of our e-mails (NOT-6, NOT-7): a
// refused address fails the notification as bounced and flags the address, so the next
// e-mail to the patient is skipped as having no valid destination; a failure that says
// nothing against the address fails the notification only; a delay changes nothing.
func TestBounce(t *testing.T) {
	tests := []struct {
		file    string
		edit    func(string) string
		bounced bool   // Bounce's answer: the report recorded a failure
		state   string // of the notification afterwards
		status  string // provider status
		reason  string
		flagged bool // the patient's address flagged
	}{
		{file: "postfix_user_unknown.eml", bounced: true, state: store.NoteFailed, status: "bounced", reason: "bounced: 5.1.1", flagged: true},
		{file: "gmail_no_such_user.eml", bounced: true, state: store.NoteFailed, status: "bounced", reason: "bounced: 5.1.1", flagged: true},
		{file: "exchange_recipient_not_found.eml", bounced: true, state: store.NoteFailed, status: "bounced", reason: "bounced: 5.1.10", flagged: true},
		{file: "exim_mailbox_full.eml", bounced: true, state: store.NoteFailed, status: "bounced", reason: "bounced: 5.0.0", flagged: true},
		{file: "postfix_delayed.eml", bounced: false, state: store.NoteSent},
		// Given up after retrying a temporary failure: the message was not delivered, but
		// nothing is known against the address.
		{file: "postfix_expired.eml", bounced: true, state: store.NoteFailed, status: "failed", reason: "not delivered: the mail server gave up (4.4.1)"},
		// Refused as spam (5.7.1): permanent for this message, says nothing against the
		// address (the dispatcher's own refusals follow the same rule).
		{file: "postfix_user_unknown.eml (refused as spam)", edit: func(s string) string {
			return strings.NewReplacer("Status: 5.1.1", "Status: 5.7.1", "550 5.1.1", "550 5.7.1").Replace(s)
		}, bounced: true, state: store.NoteFailed, status: "bounced", reason: "bounced: 5.7.1"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			w := newWorld(t, nil)
			a := w.book(w.f.Patient.ID, "2026-03-06 10:00")
			w.clock.Advance(3 * time.Minute)
			w.drain()
			mail := where(w.all(), func(n store.Notification) bool {
				return n.AppointmentID == a.ID && n.Channel == "email" && n.State == store.NoteSent
			})
			if len(mail) != 1 || mail[0].Destination != "grace@example.com" {
				t.Fatalf("sent e-mails %+v, want the confirmation to Grace", mail)
			}
			file, _, _ := strings.Cut(tt.file, " ")
			bounced, err := w.svc.Bounce(ctx, "bounce-secret", dsn(t, file, mail[0].ID, tt.edit))
			if err != nil {
				t.Fatal(err)
			}
			if bounced != tt.bounced {
				t.Errorf("Bounce = %v, want %v", bounced, tt.bounced)
			}
			got := w.notification(mail[0].ID)
			type result struct{ State, Status, Reason string }
			want := result{tt.state, tt.status, tt.reason}
			if tt.state == store.NoteSent {
				want = result{mail[0].State, mail[0].ProviderStatus, mail[0].Reason}
			}
			if diff := cmp.Diff(want, result{got.State, got.ProviderStatus, got.Reason}); diff != "" {
				t.Errorf("notification after the report (-want +got):\n%s", diff)
			}
			p := w.patientOf(w.f.Patient.ID)
			if flagged := p.EmailBounce != ""; flagged != tt.flagged {
				t.Fatalf("address flagged %v (%q), want %v", flagged, p.EmailBounce, tt.flagged)
			}

			// The next e-mail decision: the 72 h reminder.
			w.clock.Set(a.Start.AddDate(0, 0, -3))
			w.drain()
			next := where(w.all(), func(n store.Notification) bool {
				return n.AppointmentID == a.ID && n.Kind == notify.KindReminder && n.Offset == "72h" && n.Channel == "email"
			})[0]
			wantNext := store.NoteSent + ": "
			if tt.flagged {
				wantNext = store.NoteSkipped + ": " + consent.MsgInvalidEmail
			}
			if got := next.State + ": " + next.Reason; got != wantNext {
				t.Errorf("the 72 h e-mail reminder: %q, want %q", got, wantNext)
			}
			if tt.flagged {
				var ds []store.Decision
				err := w.db.View(ctx, func(tx *store.Tx) error {
					var err error
					ds, err = tx.Consent().DecisionsOf(ctx, w.f.Org.ID, next.ID)
					return err
				})
				if err != nil || len(ds) != 1 || ds[0].Outcome != string(consent.OutcomeNoDestination) || ds[0].Rule != "NOT-5" {
					t.Errorf("decision of the e-mail reminder: %+v, %v", ds, err)
				}
			}
		})
	}
}

// TestBounceRefused: a report without the configured secret is refused before it is read;
// with no secret configured every report is.
func TestBounceRefused(t *testing.T) {
	w := newWorld(t, nil)
	a := w.book(w.f.Patient.ID, "2026-03-06 10:00")
	w.clock.Advance(3 * time.Minute)
	w.drain()
	mail := where(w.all(), func(n store.Notification) bool { return n.AppointmentID == a.ID && n.Channel == "email" })[0]
	raw := dsn(t, "postfix_user_unknown.eml", mail.ID, nil)
	for _, token := range []string{"", "wrong", "bounce-secre", "bounce-secret "} {
		if _, err := w.svc.Bounce(ctx, token, raw); !errors.Is(err, inbound.ErrSignature) {
			t.Errorf("Bounce with token %q = %v, want ErrSignature", token, err)
		}
	}
	unset := inbound.New(w.db, w.booking)
	unset.EmailDomain = "tidings.example"
	if _, err := unset.Bounce(ctx, "", raw); !errors.Is(err, inbound.ErrSignature) {
		t.Errorf("Bounce with no secret configured = %v, want ErrSignature", err)
	}
	if got := w.notification(mail.ID); got.State != store.NoteSent {
		t.Errorf("a refused report changed the notification: %s", got.State)
	}
	if p := w.patientOf(w.f.Patient.ID); p.EmailBounce != "" {
		t.Errorf("a refused report flagged the address: %q", p.EmailBounce)
	}
	// A report about a Message-ID that is not ours, and one about an SMS, are not found.
	other := ourID.ReplaceAllString(string(raw), "<n-1.00000000@tidings.example>")
	if _, err := w.svc.Bounce(ctx, "bounce-secret", []byte(other)); !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("Bounce of a foreign Message-ID = %v, want not found", err)
	}
	sms := where(w.all(), func(n store.Notification) bool { return n.AppointmentID == a.ID && n.Channel == "sms" })[0]
	if _, err := w.svc.Bounce(ctx, "bounce-secret", dsn(t, "postfix_user_unknown.eml", sms.ID, nil)); !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("Bounce about an SMS = %v, want not found", err)
	}
}
