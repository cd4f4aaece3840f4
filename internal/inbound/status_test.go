package inbound_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/inbound"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/sms/twilio"
	"github.com/tidings-health/tidings/internal/sms/twilio/twiliotest"
	"github.com/tidings-health/tidings/internal/store"
)

// delivery is what a test compares of an SMS notification after its callbacks.
type delivery struct {
	To, State, ProviderID, ProviderStatus, Provider string
}

// TestStatusCallbacks: status callbacks arrive out of order and more than once (NOT-7);
// the stored status is the final one and never goes backwards, and the final status sets
// the notification's state.
func TestStatusCallbacks(t *testing.T) {
	undelivered := "+61400000102"
	failed := "+61400000103"
	w := newWorld(t, nil, twiliotest.WithCallbackCopies(1, 5),
		twiliotest.WithRecipient(undelivered, twiliotest.Outcome{Final: "undelivered", ErrorCode: 30005}),
		twiliotest.WithRecipient(failed, twiliotest.Outcome{Final: "failed", ErrorCode: 30007}))
	for i := range 8 {
		p := w.patient(fmt.Sprintf("P%d", i), fmt.Sprintf("+614000001%02d", i), "")
		w.book(p.ID, fmt.Sprintf("2026-03-06 %02d:00", 9+i))
	}
	w.clock.Advance(3 * time.Minute)
	w.drain()
	w.settle()

	msgs := w.provider.Messages()
	if len(msgs) != 8 {
		t.Fatalf("provider got %d messages, want the 8 confirmations", len(msgs))
	}
	sms := where(w.all(), func(n store.Notification) bool {
		return n.Channel == "sms" && n.Kind == notify.KindConfirmation
	})
	account := dispatch.ProviderName(store.SMSAccount{AccountSID: w.provider.AccountSID})
	var want, got []delivery
	for _, m := range msgs {
		state := store.NoteDelivered
		if m.Final != "delivered" {
			state = store.NoteFailed
		}
		want = append(want, delivery{To: m.To, State: state, ProviderID: m.SID, ProviderStatus: m.Final, Provider: account})
	}
	for _, n := range sms {
		got = append(got, delivery{To: n.Destination, State: n.State, ProviderID: n.ProviderID, ProviderStatus: n.ProviderStatus, Provider: n.Provider})
	}
	byTo := func(a, b delivery) int { return strings.Compare(a.To, b.To) }
	slices.SortFunc(want, byTo)
	slices.SortFunc(got, byTo)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after the provider's callbacks (-want +got):\n%s", diff)
	}
	for _, n := range sms {
		switch n.Destination {
		case undelivered:
			if n.Reason != "the provider reported it undelivered (error 30005)" {
				t.Errorf("undelivered: reason %q", n.Reason)
			}
		case failed:
			if n.Reason != "the provider reported it failed (error 30007)" {
				t.Errorf("failed: reason %q", n.Reason)
			}
		}
	}

	// Stale, duplicate and contradictory callbacks, shuffled, change nothing: the first final
	// word stands.
	before := where(w.all(), func(n store.Notification) bool { return n.Channel == "sms" && n.ProviderID != "" })
	type post struct {
		id   int64
		form url.Values
	}
	var posts []post
	for _, n := range before {
		for _, s := range []string{"accepted", "queued", "sending", "sent", "delivered", "undelivered", "failed", n.ProviderStatus} {
			posts = append(posts, post{n.ID, w.statusForm(n.ProviderID, s, n.Destination)})
		}
	}
	rand.Shuffle(len(posts), func(i, j int) { posts[i], posts[j] = posts[j], posts[i] })
	w.clock.Advance(time.Minute)
	for _, p := range posts {
		if err := w.status(p.id, p.form); err != nil {
			t.Fatalf("stale callback: %v", err)
		}
	}
	after := where(w.all(), func(n store.Notification) bool { return n.Channel == "sms" && n.ProviderID != "" })
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("stale callbacks changed the notifications (-before +after):\n%s", diff)
	}

	// read follows delivered: the one status after a final one.
	for _, n := range before {
		if n.ProviderStatus != "delivered" {
			continue
		}
		if err := w.status(n.ID, w.statusForm(n.ProviderID, "read", n.Destination)); err != nil {
			t.Fatal(err)
		}
		if got := w.notification(n.ID); got.ProviderStatus != "read" || got.State != store.NoteDelivered {
			t.Errorf("after read: %s/%s, want read/delivered", got.ProviderStatus, got.State)
		}
		break
	}
}

// TestStatusSignature: a callback not signed with the account's token over the public URL
// is refused with ErrSignature and changes nothing.
func TestStatusSignature(t *testing.T) {
	w := newWorld(t, []option{holdCallbacks})
	a := w.book(w.f.Patient.ID, "2026-03-06 10:00")
	w.clock.Advance(3 * time.Minute)
	w.drain()
	n := where(w.all(), func(n store.Notification) bool { return n.AppointmentID == a.ID && n.Channel == "sms" })[0]
	if n.State != store.NoteSent {
		t.Fatalf("confirmation %s, want sent", n.State)
	}
	path := fmt.Sprintf("/hooks/sms/status?n=%d", n.ID)
	form := w.statusForm(n.ProviderID, "delivered", n.Destination)
	tests := []struct {
		name string
		req  func() *http.Request
		form url.Values
	}{
		{"another token", func() *http.Request { return signed("00000000000000000000000000000000", path, form) }, form},
		{"signed over the request's own host, not the public URL", func() *http.Request {
			r := signed(w.provider.AuthToken, path, form)
			r.Header.Set(twilio.SignatureHeader, twilio.Signature(w.provider.AuthToken, "http://127.0.0.1:8080"+path, form))
			return r
		}, form},
		{"no signature", func() *http.Request {
			r := signed(w.provider.AuthToken, path, form)
			r.Header.Del(twilio.SignatureHeader)
			return r
		}, form},
		{"a form changed after signing", func() *http.Request {
			r := signed(w.provider.AuthToken, path, form)
			changed := w.statusForm(n.ProviderID, "failed", n.Destination)
			r.Body = http.NoBody
			r.Form, r.PostForm = nil, changed
			return r
		}, w.statusForm(n.ProviderID, "failed", n.Destination)},
		{"an account the organisation does not have", func() *http.Request {
			f := w.statusForm(n.ProviderID, "delivered", n.Destination)
			f.Set("AccountSid", "AC99999999999999999999999999999999")
			return signed(w.provider.AuthToken, path, f)
		}, func() url.Values {
			f := w.statusForm(n.ProviderID, "delivered", n.Destination)
			f.Set("AccountSid", "AC99999999999999999999999999999999")
			return f
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req()
			err := w.svc.Status(ctx, n.ID, verifier(r), tt.form)
			if !errors.Is(err, inbound.ErrSignature) {
				t.Fatalf("Status = %v, want ErrSignature", err)
			}
			if got := w.notification(n.ID); got.State != store.NoteSent || got.ProviderStatus != "" {
				t.Errorf("a refused callback changed the notification: %s/%q", got.State, got.ProviderStatus)
			}
		})
	}
	t.Run("an id no notification has", func(t *testing.T) {
		if err := w.status(n.ID+1000, form); !errors.Is(err, clinic.ErrNotFound) {
			t.Fatalf("Status = %v, want not found", err)
		}
	})
	t.Run("a malformed form, correctly signed", func(t *testing.T) {
		f := w.statusForm(n.ProviderID, "delivered", n.Destination)
		f.Del("MessageStatus")
		f.Del("SmsStatus")
		var pe *twilio.ParseError
		if err := w.status(n.ID, f); !errors.As(err, &pe) {
			t.Fatalf("Status = %v, want a *twilio.ParseError", err)
		}
	})
}

// TestStatusLinksUnknown: the answer to a send was lost (the provider took the message and
// the connection dropped), so the notification's outcome is unknown; its status callback
// names it in the URL and links it to its provider id: sent, and never sent again.
func TestStatusLinksUnknown(t *testing.T) {
	w := newWorld(t, []option{holdCallbacks}, twiliotest.WithScript(twiliotest.Outcome{Drop: true}))
	a := w.book(w.f.Patient.ID, "2026-03-06 10:00")
	w.clock.Advance(3 * time.Minute)
	w.drain()
	n := where(w.all(), func(n store.Notification) bool { return n.AppointmentID == a.ID && n.Channel == "sms" })[0]
	if n.State != store.NoteUnknown || n.ProviderID != "" {
		t.Fatalf("confirmation %s with provider id %q, want unknown without one", n.State, n.ProviderID)
	}
	msgs := w.provider.Messages()
	if len(msgs) != 1 {
		t.Fatalf("provider has %d messages, want 1", len(msgs))
	}
	if err := w.status(n.ID, w.statusForm(msgs[0].SID, "sent", msgs[0].To)); err != nil {
		t.Fatal(err)
	}
	got := w.notification(n.ID)
	want := delivery{To: msgs[0].To, State: store.NoteSent, ProviderID: msgs[0].SID, ProviderStatus: "sent", Provider: n.Provider}
	if diff := cmp.Diff(want, delivery{To: got.Destination, State: got.State, ProviderID: got.ProviderID, ProviderStatus: got.ProviderStatus, Provider: got.Provider}); diff != "" {
		t.Errorf("after the callback (-want +got):\n%s", diff)
	}
	if !strings.Contains(got.Reason, "status callback") {
		t.Errorf("reason %q does not say the callback linked it", got.Reason)
	}
	// The provider's own callbacks follow; reconciliation later finds nothing to resend.
	w.release()
	w.settle()
	w.clock.Advance(10 * time.Minute)
	if err := w.d.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	w.drain()
	if got := w.notification(n.ID); got.State != store.NoteDelivered || got.ProviderID != msgs[0].SID {
		t.Errorf("after the provider's callbacks: %s, %q", got.State, got.ProviderID)
	}
	if n := len(w.provider.Messages()); n != 1 {
		t.Errorf("provider has %d messages: the linked SMS was sent again", n)
	}
}

// TestStatusOfAnotherAttempt: a callback for a message other than the one stored (a late
// callback of an earlier attempt) leaves the notification alone.
func TestStatusOfAnotherAttempt(t *testing.T) {
	w := newWorld(t, []option{holdCallbacks})
	a := w.book(w.f.Patient.ID, "2026-03-06 10:00")
	w.clock.Advance(3 * time.Minute)
	w.drain()
	n := where(w.all(), func(n store.Notification) bool { return n.AppointmentID == a.ID && n.Channel == "sms" })[0]
	if err := w.status(n.ID, w.statusForm("SM"+strings.Repeat("ab", 16), "undelivered", n.Destination)); err != nil {
		t.Fatal(err)
	}
	if got := w.notification(n.ID); got.State != store.NoteSent || got.ProviderID != n.ProviderID || got.ProviderStatus != "" {
		t.Errorf("another message's callback changed the notification: %s %q %q", got.State, got.ProviderID, got.ProviderStatus)
	}
}
