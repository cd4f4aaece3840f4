package messaging

import (
	"slices"
	"strings"
	"testing"

	"github.com/tidings-health/tidings/internal/email"
	"github.com/tidings-health/tidings/internal/email/mailpittest"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/store"
)

// TestDigests (MSG-5): with a clinic's digest switch on, each staff member who follows its
// conversations (professionals; other staff only where they triage) gets one e-mail, through
// a real SMTP server, naming the clinic and the count of unread messages with the inbox's
// link and nothing of the patient; the same unread messages are never told twice; a new
// one is; the staff member's language is used; a clinic whose switch is off sends none.
func TestDigests(t *testing.T) {
	e := newEnv(t)
	mp := mailpittest.Start(t)
	sender, err := email.New(email.Config{Host: mp.SMTPHost, Port: mp.SMTPPort, TLS: email.TLSNone, From: "tidings@clinic.test"})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	d := Digest{Send: sender.Send, PublicURL: "https://tidings.example/", Domain: "tidings.example", Catalog: cat, Now: e.clock.Now}
	run := func(want int) []mailpittest.Summary {
		t.Helper()
		before := len(mp.Messages(t))
		n, err := e.svc.Digests(ctx, d)
		if err != nil || n != want {
			t.Fatalf("Digests = %d, %v; want %d sent", n, err, want)
		}
		got := mp.Messages(t)
		if len(got)-before != want {
			t.Fatalf("the mail server holds %d new messages, want %d", len(got)-before, want)
		}
		return got[:len(got)-before] // newest first
	}
	recipients := func(ms []mailpittest.Summary) []string {
		var to []string
		for _, m := range ms {
			to = append(to, m.To...)
		}
		slices.Sort(to)
		return to
	}

	e.open()
	c := e.start(e.as("practitioner"), "Your results are in.")
	e.send(e.patient(), c.ID, "Thank you, doctor. Grace")
	last := e.send(e.patient(), c.ID, "Can I call you tomorrow?")
	run(0) // the switch is off

	set, err := e.svc.Settings(ctx, e.as("administrator"), e.a.Clinic.ID)
	if err != nil {
		t.Fatal(err)
	}
	set.StaffDigest = true
	e.set(e.a.Org.ID, set)
	if err := e.db.Update(ctx, func(tx *store.Tx) error {
		return tx.Staff().SetUserLocale(ctx, e.a.Org.ID, e.staff["linked_admin"].ID, "fr")
	}); err != nil {
		t.Fatal(err)
	}
	ms := run(3)
	// Professionals follow every clinic; the administrator, the appointment manager and
	// reception do not triage here (the clinic does not allow it); b's practitioner is of
	// another organisation.
	if g, w := recipients(ms), []string{"colleague@a.test", "linked_admin@a.test", "practitioner@a.test"}; !slices.Equal(g, w) {
		t.Errorf("digests went to %v, want %v", g, w)
	}
	for _, s := range ms {
		m := mp.Message(t, s.ID)
		fr := s.To[0] == "linked_admin@a.test"
		wantSubject, wantCount := "Unread secure messages", "You have 2 unread secure messages:"
		if fr {
			wantSubject, wantCount = "Messages sécurisés non lus", "Vous avez 2 messages sécurisés non lus\u00a0:"
		}
		if m.Subject != wantSubject || !strings.Contains(m.Text, wantCount) || !strings.Contains(m.Text, "- "+e.a.Clinic.Name+": 2") ||
			!strings.Contains(m.Text, "https://tidings.example/messages") {
			t.Errorf("digest to %s: %q\n%s", s.To[0], m.Subject, m.Text)
		}
		for _, secret := range []string{"Grace", "Hopper", "Results", "Thank you", "tomorrow"} {
			if strings.Contains(m.Subject+m.Text, secret) {
				t.Errorf("the digest to %s tells %q", s.To[0], secret)
			}
		}
	}
	run(0) // nothing new since

	// The practitioner reads the conversation: a new message is the only one they have
	// unread; the others still have three.
	if err := e.svc.MarkRead(ctx, e.as("practitioner"), c.ID, last.ID); err != nil {
		t.Fatal(err)
	}
	e.send(e.patient(), c.ID, "One more question.")
	ms = run(3)
	for _, s := range ms {
		m := mp.Message(t, s.ID)
		want := "- " + e.a.Clinic.Name + ": 3"
		if s.To[0] == "practitioner@a.test" {
			want = "- " + e.a.Clinic.Name + ": 1"
		}
		if !strings.Contains(m.Text, want) {
			t.Errorf("digest to %s lacks %q:\n%s", s.To[0], want, m.Text)
		}
	}

	// Staff who are not professionals triage when the clinic allows it: from then on they
	// follow the clinic.
	set.ReceptionTriage = true
	e.set(e.a.Org.ID, set)
	ms = run(3)
	if g, w := recipients(ms), []string{"administrator@a.test", "appointment_manager@a.test", "reception@a.test"}; !slices.Equal(g, w) {
		t.Errorf("after triage was allowed, digests went to %v, want %v", g, w)
	}

	// A disabled account gets none; the switch off sends none.
	if err := e.db.Update(ctx, func(tx *store.Tx) error {
		now := e.clock.Now()
		return tx.Staff().SetUserDisabled(ctx, e.a.Org.ID, e.staff["colleague"].ID, &now)
	}); err != nil {
		t.Fatal(err)
	}
	e.send(e.patient(), c.ID, "Still there?")
	if g := recipients(run(5)); slices.Contains(g, "colleague@a.test") {
		t.Errorf("a disabled account got a digest: %v", g)
	}
	set.StaffDigest = false
	e.set(e.a.Org.ID, set)
	e.send(e.patient(), c.ID, "Hello?")
	run(0)
}
