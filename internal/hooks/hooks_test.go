package hooks_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/app"
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/email"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/sms/twilio"
	"github.com/tidings-health/tidings/internal/sms/twilio/twiliotest"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

var ctx = context.Background()

// public is the URL providers are given: a TLS proxy in front of the server, which the
// tests reach directly at http://127.0.0.1:port.
const (
	public      = "https://tidings.example"
	bounceToken = "bounce-secret"
	sender      = "+61400000000"
)

// server is the whole application (app.New) over a fresh database, with an SMS account on
// a loopback provider whose own callbacks go nowhere (the tests post theirs).
type server struct {
	t        *testing.T
	clock    *storetest.Clock
	db       *store.DB
	f        storetest.Fixture
	svc      app.Services
	ts       *httptest.Server
	provider *twiliotest.Server
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{t: t, clock: storetest.NewClock(time.Date(2026, 3, 1, 21, 30, 0, 0, time.UTC))} // Monday 08:30 in Sydney
	s.db = storetest.Open(t, s.clock.Now)
	if err := jobs.Migrate(ctx, s.db); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(s.db, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv, svc, err := app.New(app.Config{DB: s.db, Sessions: session.New(s.db, q, session.Config{}), Version: "test",
		Notify: app.Notify{PublicURL: public, BounceToken: bounceToken, Outbox: true, HTTP: &http.Client{Timeout: 5 * time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	s.svc = svc
	s.ts = httptest.NewServer(srv)
	t.Cleanup(s.ts.Close)
	s.f = storetest.Seed(t, s.db, "acme")
	s.provider = twiliotest.NewServer(twiliotest.WithClock(s.clock.Now), twiliotest.WithCallbackCopies(1, 1),
		twiliotest.WithProxy(public, "http://127.0.0.1:1"))
	t.Cleanup(s.provider.Close)
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Notifications().PutSMSAccount(ctx, s.f.Org.ID, store.SMSAccount{BaseURL: s.provider.URL, AccountSID: s.provider.AccountSID,
			AuthToken: s.provider.AuthToken, Sender: sender})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Dispatcher.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// sent books the fixture patient and sends the booking confirmations; it returns the SMS
// and the e-mail notification.
func (s *server) sent() (sms, mail store.Notification) {
	s.t.Helper()
	syd, _ := time.LoadLocation("Australia/Sydney")
	admin := clinic.StaffActor(clinic.User{ID: 1, OrgID: s.f.Org.ID, Role: clinic.RoleAdministrator})
	if _, err := s.svc.Booking.Book(ctx, admin, booking.Request{PatientID: s.f.Patient.ID, ReasonID: s.f.Reason.ID, AgendaID: s.f.Agenda.ID,
		Start: time.Date(2026, 3, 6, 10, 0, 0, 0, syd), AllowOutsideHours: true}, nil); err != nil { // the fixture has no hours
		s.t.Fatal(err)
	}
	s.clock.Advance(3 * time.Minute)
	for range 5 {
		if n, err := s.svc.Dispatcher.Round(ctx); err != nil {
			s.t.Fatal(err)
		} else if n == 0 {
			break
		}
	}
	for _, n := range s.all() {
		if n.State != store.NoteSent {
			continue
		}
		switch n.Channel {
		case "sms":
			sms = n
		case "email":
			mail = n
		}
	}
	if sms.ID == 0 || mail.ID == 0 {
		s.t.Fatalf("confirmations not sent: %+v", s.all())
	}
	return sms, mail
}

func (s *server) all() []store.Notification {
	s.t.Helper()
	var out []store.Notification
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.Notifications().ListNotifications(ctx, s.f.Org.ID, store.NotificationFilter{Page: store.Page{Limit: 100}})
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

func (s *server) notification(id int64) store.Notification {
	s.t.Helper()
	var n store.Notification
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.Notifications().Notification(ctx, s.f.Org.ID, id)
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

type answer struct {
	status int
	header http.Header
	body   string
}

// post sends a form to path on the local server, signed over signedURL with token (no
// signature header when token is empty).
func (s *server) post(path string, form url.Values, token, signedURL string) answer {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	if token != "" {
		req.Header.Set(twilio.SignatureHeader, twilio.Signature(token, signedURL, form))
	}
	return s.do(req)
}

func (s *server) do(req *http.Request) answer {
	s.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func (s *server) statusForm(sid, status string) url.Values {
	return url.Values{"AccountSid": {s.provider.AccountSID}, "ApiVersion": {"2010-04-01"}, "MessageSid": {sid}, "SmsSid": {sid},
		"MessageStatus": {status}, "SmsStatus": {status}, "To": {"+61412345678"}, "From": {sender}}
}

// TestStatusHook: the SMS status callback route, through the whole application.
func TestStatusHook(t *testing.T) {
	s := newServer(t)
	sms, _ := s.sent()
	path := fmt.Sprintf("/hooks/sms/status?n=%d", sms.ID)
	token := s.provider.AuthToken
	delivered := s.statusForm(sms.ProviderID, "delivered")
	tests := []struct {
		name   string
		path   string
		form   url.Values
		token  string
		signed string
		want   int
	}{
		// The request reaches http://127.0.0.1:port: the signature is checked on the
		// configured public URL, which the provider signed, not on the request's host.
		{"signed on the request's host, not the public URL", path, delivered, token, s.ts.URL + path, http.StatusForbidden},
		{"signed with another token", path, delivered, "00000000000000000000000000000000", public + path, http.StatusForbidden},
		{"not signed", path, delivered, "", "", http.StatusForbidden},
		{"no notification id", "/hooks/sms/status", delivered, token, public + "/hooks/sms/status", http.StatusBadRequest},
		{"a notification id that is not a number", "/hooks/sms/status?n=abc", delivered, token, public + "/hooks/sms/status?n=abc", http.StatusBadRequest},
		{"a malformed form, correctly signed", path, url.Values{"AccountSid": {s.provider.AccountSID}, "MessageSid": {sms.ProviderID}}, token, public + path, http.StatusBadRequest},
		{"signed on the public URL behind the proxy", path, delivered, token, public + path, http.StatusNoContent},
		{"the same callback again", path, delivered, token, public + path, http.StatusNoContent},
		{"a stale callback", path, s.statusForm(sms.ProviderID, "sent"), token, public + path, http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.post(tt.path, tt.form, tt.token, tt.signed)
			if got.status != tt.want {
				t.Fatalf("HTTP %d %q, want %d", got.status, got.body, tt.want)
			}
			if got.status == http.StatusNoContent && got.body != "" {
				t.Errorf("204 with a body %q", got.body)
			}
			if strings.Contains(got.body, "+614") || strings.Contains(got.body, "Grace") {
				t.Errorf("the answer %q carries patient data", got.body)
			}
			want := ""
			if tt.want == http.StatusNoContent {
				want = "delivered"
			}
			if n := s.notification(sms.ID); n.ProviderStatus != want {
				t.Errorf("provider status %q, want %q", n.ProviderStatus, want)
			}
		})
	}
	if n := s.notification(sms.ID); n.State != store.NoteDelivered {
		t.Errorf("notification %s, want delivered", n.State)
	}
}

// TestInboundHook: the inbound SMS route answers an empty TwiML document (our reply, if any,
// is its own notification), refuses a bad signature and a malformed form.
func TestInboundHook(t *testing.T) {
	s := newServer(t)
	form := url.Values{"AccountSid": {s.provider.AccountSID}, "MessageSid": {"SM" + strings.Repeat("0a", 16)}, "From": {"+61412345678"},
		"To": {sender}, "Body": {"HELP"}, "NumSegments": {"1"}}
	path := "/hooks/sms/inbound"
	if got := s.post(path, form, s.provider.AuthToken, s.ts.URL+path); got.status != http.StatusForbidden {
		t.Errorf("signed on the request's host: HTTP %d, want 403", got.status)
	}
	malformed := url.Values{"AccountSid": {s.provider.AccountSID}, "MessageSid": {"SM" + strings.Repeat("0b", 16)}, "To": {sender}, "Body": {"HELP"}}
	if got := s.post(path, malformed, s.provider.AuthToken, public+path); got.status != http.StatusBadRequest {
		t.Errorf("no From: HTTP %d %q, want 400", got.status, got.body)
	}
	for range 2 { // the second is the provider retrying: handled once, answered the same
		got := s.post(path, form, s.provider.AuthToken, public+path)
		if got.status != http.StatusOK || !strings.HasPrefix(got.header.Get("Content-Type"), "text/xml") ||
			got.body != `<?xml version="1.0" encoding="UTF-8"?><Response></Response>` {
			t.Fatalf("HTTP %d %s %q, want 200 with an empty TwiML response", got.status, got.header.Get("Content-Type"), got.body)
		}
	}
	var replies int
	for _, n := range s.all() {
		if n.Purpose == "reply" {
			replies++
		}
	}
	if replies != 1 {
		t.Errorf("%d replies planned to HELP sent twice, want 1", replies)
	}
	// The provider's own signed post, through the proxy rewrite, is accepted too.
	p := twiliotest.NewServer(twiliotest.WithAccount(s.provider.AccountSID, s.provider.AuthToken), twiliotest.WithProxy(public, s.ts.URL))
	t.Cleanup(p.Close)
	if _, status, err := p.SendInbound(ctx, public+path, "+61412345678", sender, "Thanks!"); err != nil || status != http.StatusOK {
		t.Errorf("provider's inbound post: HTTP %d, %v", status, err)
	}
}

// TestBounceHook: the bounce route takes the raw report with the secret as a Bearer token.
func TestBounceHook(t *testing.T) {
	s := newServer(t)
	_, mail := s.sent()
	raw, err := os.ReadFile("../email/testdata/dsn/postfix_user_unknown.eml")
	if err != nil {
		t.Fatal(err)
	}
	report := regexp.MustCompile(`<n-\d+\.[0-9a-f]{8}@tidings\.example>`).ReplaceAll(raw, []byte(email.MessageID(mail.ID, "tidings.example")))
	bounce := func(auth string, body []byte) answer {
		req, err := http.NewRequest(http.MethodPost, s.ts.URL+"/hooks/email/bounce", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "message/rfc822")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		return s.do(req)
	}
	big := append(bytes.Repeat([]byte("X-Padding: "+strings.Repeat("x", 1000)+"\r\n"), 1100), report...)
	tests := []struct {
		name string
		auth string
		body []byte
		want int
	}{
		{"no token", "", report, http.StatusForbidden},
		{"the secret not as a Bearer token", bounceToken, report, http.StatusForbidden},
		{"a wrong token", "Bearer nope", report, http.StatusForbidden},
		{"over 1 MiB", "Bearer " + bounceToken, big, http.StatusRequestEntityTooLarge},
		{"not a report (an autoreply)", "Bearer " + bounceToken, []byte("From: a@example.org\r\nSubject: Out of office\r\n\r\nAway.\r\n"), http.StatusNoContent},
		{"a report", "Bearer " + bounceToken, report, http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bounce(tt.auth, tt.body)
			if got.status != tt.want {
				t.Fatalf("HTTP %d %q, want %d", got.status, got.body, tt.want)
			}
			want := store.NoteSent
			if tt.want == http.StatusNoContent && tt.name == "a report" {
				want = store.NoteFailed
			}
			if n := s.notification(mail.ID); n.State != want {
				t.Errorf("e-mail notification %s, want %s", n.State, want)
			}
		})
	}
}
