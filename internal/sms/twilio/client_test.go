package twilio_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/sms/twilio"
	"github.com/tidings-health/tidings/internal/sms/twilio/twiliotest"
)

const (
	patient = "+61412345678"
	clinic  = "+61480000000"
	body    = "Reminder: Dr Lovelace, Tue 3 Dec 09:30. Reply C to confirm."
	public  = "https://tidings.example.org"
)

var sidPattern = regexp.MustCompile(`^SM[0-9a-f]{32}$`)

// start runs a fake provider for the test and a client pointed at it.
func start(t *testing.T, opts ...twiliotest.Option) (*twiliotest.Server, *twilio.Client) {
	t.Helper()
	srv := twiliotest.NewServer(opts...)
	t.Cleanup(srv.Close)
	t.Logf("twiliotest seed %d", srv.Seed())
	c := twilio.New(srv.AccountSID, srv.AuthToken)
	c.BaseURL = srv.URL
	return srv, c
}

func message(ref string) twilio.Message {
	return twilio.Message{Ref: ref, To: patient, From: clinic, Body: body}
}

// noPatientData fails when err's text carries a phone number or the body.
func noPatientData(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{patient, clinic, strings.TrimPrefix(patient, "+"), body, "Lovelace"} {
		if strings.Contains(err.Error(), s) {
			t.Fatalf("error %q contains patient data", err)
		}
	}
}

func TestSend(t *testing.T) {
	srv, c := start(t)
	before := time.Now().Add(-time.Second)
	sent, err := c.Send(t.Context(), message("n1"))
	if err != nil {
		t.Fatal(err)
	}
	if !sidPattern.MatchString(sent.SID) || sent.Status != twilio.StatusQueued {
		t.Fatalf("Sent = %+v", sent)
	}
	if sent.DateCreated.Before(before) || sent.DateCreated.After(time.Now()) {
		t.Fatalf("DateCreated %v not now", sent.DateCreated)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("provider has %d messages, want 1", len(got))
	}
	m := got[0]
	if diff := cmp.Diff([]string{sent.SID, patient, clinic, body, "outbound-api"},
		[]string{m.SID, m.To, m.From, m.Body, m.Direction}); diff != "" {
		t.Fatalf("recorded message (-want +got):\n%s", diff)
	}
}

func TestSendThroughMessagingService(t *testing.T) {
	srv, c := start(t)
	m := twilio.Message{Ref: "n2", To: patient, MessagingServiceSID: "MG0123456789abcdef0123456789abcdef", Body: body}
	sent, err := c.Send(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	if sent.Status != twilio.StatusAccepted {
		t.Fatalf("status %s, want accepted", sent.Status)
	}
	if rec := srv.Messages()[0]; rec.From != twiliotest.ServiceNumber || rec.MessagingServiceSID != m.MessagingServiceSID {
		t.Fatalf("recorded %+v", rec)
	}
}

func TestSendErrors(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		opts       []twiliotest.Option
		msg        func(twilio.Message) twilio.Message
		kind       error
		status     int
		code       int
		retryAfter time.Duration
	}{
		{name: "invalid To (21211)", opts: []twiliotest.Option{twiliotest.WithRecipient(patient, twiliotest.Fail(21211))},
			kind: twilio.ErrPermanent, status: 400, code: twilio.CodeInvalidTo},
		{name: "malformed To refused by the provider", msg: func(m twilio.Message) twilio.Message { m.To = "0412 345 678"; return m },
			kind: twilio.ErrPermanent, status: 400, code: twilio.CodeInvalidTo},
		{name: "unsubscribed recipient (21610)", opts: []twiliotest.Option{twiliotest.WithRecipient(patient, twiliotest.Fail(21610))},
			kind: twilio.ErrPermanent, status: 400, code: twilio.CodeUnsubscribed},
		{name: "not a mobile (21614)", opts: []twiliotest.Option{twiliotest.WithRecipient(patient, twiliotest.Fail(21614))},
			kind: twilio.ErrPermanent, status: 400, code: twilio.CodeNotMobile},
		{name: "too many requests, Retry-After seconds", opts: []twiliotest.Option{twiliotest.WithScript(twiliotest.TooManyRequests("7"))},
			kind: twilio.ErrTransient, status: 429, code: twilio.CodeTooManyRequests, retryAfter: 7 * time.Second},
		{name: "too many requests, Retry-After date", opts: []twiliotest.Option{twiliotest.WithScript(twiliotest.TooManyRequests("Wed, 02 Dec 2026 09:01:00 GMT"))},
			kind: twilio.ErrTransient, status: 429, code: twilio.CodeTooManyRequests, retryAfter: time.Minute},
		{name: "too many requests, no Retry-After", opts: []twiliotest.Option{twiliotest.WithScript(twiliotest.TooManyRequests(""))},
			kind: twilio.ErrTransient, status: 429, code: twilio.CodeTooManyRequests},
		{name: "503 from a gateway, not JSON", opts: []twiliotest.Option{twiliotest.WithScript(twiliotest.Unavailable())},
			kind: twilio.ErrTransient, status: 503},
		{name: "503 from the API (20503)", opts: []twiliotest.Option{twiliotest.WithScript(twiliotest.Fail(20503))},
			kind: twilio.ErrTransient, status: 503, code: twilio.CodeServiceUnavail},
		{name: "500 may have created the message", opts: []twiliotest.Option{twiliotest.WithScript(twiliotest.Fail(20500))},
			kind: twilio.ErrUnknown, status: 500, code: 20500},
		{name: "wrong auth token", opts: []twiliotest.Option{twiliotest.WithAccount(twiliotest.DefaultAccountSID, "other-token")},
			kind: twilio.ErrPermanent, status: 401, code: twilio.CodeAuthentication},
		{name: "no body: refused before sending", msg: func(m twilio.Message) twilio.Message { m.Body = ""; return m },
			kind: twilio.ErrPermanent},
		{name: "no sender: refused before sending", msg: func(m twilio.Message) twilio.Message { m.From = ""; return m },
			kind: twilio.ErrPermanent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := start(t, tc.opts...)
			c.Now = func() time.Time { return now }
			if tc.name == "wrong auth token" {
				c = twilio.New(twiliotest.DefaultAccountSID, twiliotest.DefaultAuthToken)
				c.BaseURL = srv.URL
			}
			m := message("n3")
			if tc.msg != nil {
				m = tc.msg(m)
			}
			_, err := c.Send(t.Context(), m)
			if !errors.Is(err, tc.kind) {
				t.Fatalf("Send = %v, want %v", err, tc.kind)
			}
			var e *twilio.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T, want *twilio.Error", err)
			}
			got := []any{e.HTTPStatus, e.Code, e.RetryAfter, e.Ref}
			if diff := cmp.Diff([]any{tc.status, tc.code, tc.retryAfter, "n3"}, got); diff != "" {
				t.Fatalf("status, code, retry after, ref (-want +got):\n%s", diff)
			}
			noPatientData(t, err)
			if n := len(srv.Messages()); n != 0 && tc.kind != twilio.ErrUnknown {
				t.Fatalf("provider accepted %d messages on a refusal", n)
			}
		})
	}
}

// TestRetryTransientUntilAccepted plays the job queue: 503 twice, then 429 asking for a
// moment, then success; one message at the provider.
func TestRetryTransientUntilAccepted(t *testing.T) {
	srv, c := start(t, twiliotest.WithScript(twiliotest.Unavailable(), twiliotest.Fail(20503), twiliotest.TooManyRequests("1")))
	var waited time.Duration
	var sent twilio.Sent
	var err error
	for attempt := 1; ; attempt++ {
		sent, err = c.Send(t.Context(), message("n4"))
		if err == nil {
			break
		}
		if !errors.Is(err, twilio.ErrTransient) || attempt > 5 {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
		if d, ok := twilio.RetryAfter(err); ok {
			waited += d // a job would snooze this long; the test does not sleep
		}
	}
	if srv.Attempts() != 4 || len(srv.Messages()) != 1 || srv.Messages()[0].SID != sent.SID {
		t.Fatalf("attempts %d, messages %+v", srv.Attempts(), srv.Messages())
	}
	if waited != time.Second {
		t.Fatalf("honoured %v of Retry-After, want 1s", waited)
	}
}

// TestUnknownThenReconcile: the provider accepts the message and the answer is lost (a
// dropped connection, a client timeout). The client reports Unknown, not failed, and
// reconciliation finds the message, so it is not sent twice.
func TestUnknownThenReconcile(t *testing.T) {
	tests := []struct {
		name    string
		outcome twiliotest.Outcome
		timeout time.Duration
	}{
		{"response dropped", twiliotest.Outcome{Drop: true}, 0},
		{"client times out", twiliotest.Outcome{Delay: 5 * time.Second}, 300 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Another message to the same patient, and the same body to someone else,
			// must not be mistaken for ours.
			srv, c := start(t, twiliotest.WithScript(twiliotest.Outcome{}, twiliotest.Outcome{}, tc.outcome))
			if _, err := c.Send(t.Context(), twilio.Message{To: patient, From: clinic, Body: "Another message"}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Send(t.Context(), twilio.Message{To: "+61412000111", From: clinic, Body: body}); err != nil {
				t.Fatal(err)
			}
			since := time.Now() // the first attempt starts now, sub-second precision
			ctx := t.Context()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			_, err := c.Send(ctx, message("n5"))
			if !errors.Is(err, twilio.ErrUnknown) {
				t.Fatalf("Send = %v, want outcome unknown", err)
			}
			if tc.timeout > 0 && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Send = %v, want the deadline as cause", err)
			}
			noPatientData(t, err)
			t.Logf("Send: %v", err)

			got, found, err := c.Reconcile(t.Context(), message("n5"), since)
			if err != nil || !found {
				t.Fatalf("Reconcile = %+v, %v, %v", got, found, err)
			}
			msgs := srv.Messages()
			if len(msgs) != 3 || got.SID != msgs[2].SID {
				t.Fatalf("reconciled %s; provider has %+v", got.SID, msgs)
			}
		})
	}
}

func TestReconcileFindsNothingAfterARefusal(t *testing.T) {
	srv, c := start(t, twiliotest.WithScript(twiliotest.Fail(20500)))
	since := time.Now()
	if _, err := c.Send(t.Context(), message("n6")); !errors.Is(err, twilio.ErrUnknown) {
		t.Fatalf("Send = %v, want unknown", err)
	}
	_, found, err := c.Reconcile(t.Context(), message("n6"), since)
	if err != nil || found {
		t.Fatalf("Reconcile found %v, %v: the provider has %d messages", found, err, len(srv.Messages()))
	}
	// Not found: safe to send again, and then exactly one message exists.
	if _, err := c.Send(t.Context(), message("n6")); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("provider has %d messages, want 1", n)
	}
}

func TestUnreachableProviderIsTransient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: the connection is refused before any byte is written
	c := twilio.New(twiliotest.DefaultAccountSID, twiliotest.DefaultAuthToken)
	c.BaseURL = "http://" + addr
	_, err = c.Send(t.Context(), message("n7"))
	if !errors.Is(err, twilio.ErrTransient) {
		t.Fatalf("Send = %v, want transient", err)
	}
	_, err = c.ListMessages(t.Context(), patient, time.Now())
	if !errors.Is(err, twilio.ErrTransient) {
		t.Fatalf("ListMessages = %v, want transient", err)
	}
	noPatientData(t, err) // the list URL's query names the patient
}

func TestCanceledBeforeSendingIsTransient(t *testing.T) {
	srv, c := start(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.Send(ctx, message("n8"))
	if !errors.Is(err, twilio.ErrTransient) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v, want transient and canceled", err)
	}
	if srv.Attempts() != 0 {
		t.Fatal("request reached the provider")
	}
}

// receiver is the application side of callbacks: it verifies, parses and stores statuses
// the way the notification log will, keeping every stored status to check the history.
type receiver struct {
	token string
	mu    sync.Mutex
	// history[sid] is every status stored for the message, in order.
	history map[string][]twilio.Status
	codes   map[string]int
	inbound []twilio.Inbound
	refused int
}

func newReceiver(token string) (*receiver, http.Handler) {
	rc := &receiver{token: token, history: map[string][]twilio.Status{}, codes: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/twilio/status", func(w http.ResponseWriter, r *http.Request) {
		if err := twilio.Verify(rc.token, public, r); err != nil {
			rc.mu.Lock()
			rc.refused++
			rc.mu.Unlock()
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		cb, err := twilio.ParseStatus(r.PostForm)
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		h := rc.history[cb.MessageSID]
		stored := twilio.Status("")
		if len(h) > 0 {
			stored = h[len(h)-1]
		}
		if cb.Status.Replaces(stored) {
			rc.history[cb.MessageSID] = append(h, cb.Status)
			rc.codes[cb.MessageSID] = cb.ErrorCode
		}
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /hooks/twilio/inbound", func(w http.ResponseWriter, r *http.Request) {
		if err := twilio.Verify(rc.token, public, r); err != nil {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		in, err := twilio.ParseInbound(r.PostForm)
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.inbound = append(rc.inbound, in)
		rc.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte("<Response/>"))
	})
	return rc, mux
}

// lifecycle is the documented order, written out independently of the package's ranks.
var lifecycle = map[twilio.Status]int{"accepted": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "undelivered": 4, "failed": 4}

// TestCallbacksNeverMoveBackwards sends messages with each final status and lets the fake
// post 1–5 shuffled, duplicated callbacks for each, through a TLS proxy (signed on the
// public URL, delivered to 127.0.0.1): every message ends on its final status, the stored
// status never went backwards, and every callback verified.
func TestCallbacksNeverMoveBackwards(t *testing.T) {
	ignored := 0 // callbacks that arrived late or twice, across all runs
	for _, seed := range []uint64{1, 2, 3} {
		rc, h := newReceiver(twiliotest.DefaultAuthToken)
		app := newLocal(t, h)
		finals := map[string]twiliotest.Outcome{
			"+61412000001": {},
			"+61412000002": {Final: "undelivered", ErrorCode: 30005},
			"+61412000003": {Final: "failed"},
		}
		opts := []twiliotest.Option{twiliotest.WithSeed(seed), twiliotest.WithProxy(public, app)}
		for to, o := range finals {
			opts = append(opts, twiliotest.WithRecipient(to, o))
		}
		srv, c := start(t, opts...)
		for i := range 30 {
			to := []string{"+61412000001", "+61412000002", "+61412000003"}[i%3]
			m := twilio.Message{To: to, From: clinic, Body: body, StatusCallback: public + "/hooks/twilio/status"}
			if i%4 == 0 {
				m.From, m.MessagingServiceSID = "", "MG0123456789abcdef0123456789abcdef"
			}
			if _, err := c.Send(t.Context(), m); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		if err := srv.WaitCallbacks(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		for _, d := range srv.Deliveries() {
			if d.Err != nil || d.HTTPStatus != http.StatusNoContent {
				t.Fatalf("seed %d: callback %s %s: %d %v", seed, d.MessageSID, d.Status, d.HTTPStatus, d.Err)
			}
		}
		rc.mu.Lock()
		for _, m := range srv.Messages() {
			h := rc.history[m.SID]
			if len(h) == 0 || string(h[len(h)-1]) != m.Final || m.Status != m.Final {
				t.Errorf("seed %d: %s stored %v, provider %s, final %s", seed, m.SID, h, m.Status, m.Final)
			}
			for i := 1; i < len(h); i++ {
				if lifecycle[h[i]] <= lifecycle[h[i-1]] {
					t.Errorf("seed %d: %s went from %s to %s", seed, m.SID, h[i-1], h[i])
				}
			}
			if m.Final != "delivered" && rc.codes[m.SID] != m.ErrorCode {
				t.Errorf("seed %d: %s error code %d, want %d", seed, m.SID, rc.codes[m.SID], m.ErrorCode)
			}
		}
		if rc.refused != 0 {
			t.Errorf("seed %d: %d callbacks refused", seed, rc.refused)
		}
		copies := map[string]int{}
		for _, d := range srv.Deliveries() {
			copies[d.MessageSID]++
		}
		stored := 0
		for sid, n := range copies {
			if n < 1 || n > 5 {
				t.Errorf("seed %d: %s got %d callbacks, want 1 to 5", seed, sid, n)
			}
			stored += len(rc.history[sid])
		}
		ignored += len(srv.Deliveries()) - stored
		rc.mu.Unlock()
	}
	if ignored == 0 {
		t.Fatal("no callback arrived out of order or twice: the test proves nothing")
	}
	t.Logf("%d stale or duplicate callbacks ignored", ignored)
}

func TestForgedCallbackRefused(t *testing.T) {
	rc, h := newReceiver("the-application-token")
	app := newLocal(t, h)
	srv, c := start(t, twiliotest.WithProxy(public, app)) // signs with another token
	m := message("n9")
	m.StatusCallback = public + "/hooks/twilio/status"
	if _, err := c.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitCallbacks(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, d := range srv.Deliveries() {
		if d.HTTPStatus != http.StatusForbidden {
			t.Fatalf("forged callback answered %d", d.HTTPStatus)
		}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.history) != 0 {
		t.Fatalf("forged callbacks stored: %v", rc.history)
	}
}

func TestInbound(t *testing.T) {
	rc, h := newReceiver(twiliotest.DefaultAuthToken)
	app := newLocal(t, h)
	srv, _ := start(t, twiliotest.WithProxy(public, app))
	sid, status, err := srv.SendInbound(t.Context(), public+"/hooks/twilio/inbound", patient, clinic, "Oui, je confirme ✔")
	if err != nil || status != http.StatusOK {
		t.Fatalf("SendInbound = %d, %v", status, err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	want := []twilio.Inbound{{MessageSID: sid, AccountSID: srv.AccountSID, From: patient, To: clinic, Body: "Oui, je confirme ✔", NumSegments: 1}}
	if diff := cmp.Diff(want, rc.inbound); diff != "" {
		t.Fatalf("inbound (-want +got):\n%s", diff)
	}
}
