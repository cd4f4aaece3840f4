package webpush_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/webpush"
)

// deviceToken marks the device part of the endpoints in these tests: no error may quote it.
const deviceToken = "DEVICE-TOKEN-7f3a9c"

// payload is what these tests push: no error may quote it either.
const payload = `{"title":"Rappel","body":"Rendez-vous demain à 10:00 avec le Dr Martin"}`

// captured is a request the fake push service received.
type captured struct {
	header http.Header
	body   []byte
}

// pushService is an httptest push service that answers with respond and records requests.
type pushService struct {
	*httptest.Server
	mu       sync.Mutex
	requests []captured
}

func newPushService(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) *pushService {
	t.Helper()
	ps := &pushService{}
	ps.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ps.mu.Lock()
		ps.requests = append(ps.requests, captured{header: r.Header.Clone(), body: body})
		ps.mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/push/"+deviceToken {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
			return
		}
		respond(w, r)
	}))
	t.Cleanup(ps.Close)
	return ps
}

func (ps *pushService) endpoint() string { return ps.URL + "/push/" + deviceToken }

func (ps *pushService) received() []captured {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]captured(nil), ps.requests...)
}

func newSender(t *testing.T) *webpush.Sender {
	t.Helper()
	keys, err := webpush.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	return &webpush.Sender{Keys: keys, Subject: "mailto:ops@tidings.example"}
}

// checkRedacted fails if err's text quotes the device token or the payload.
func checkRedacted(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if s := err.Error(); strings.Contains(s, deviceToken) || strings.Contains(s, "Martin") {
		t.Errorf("error %q quotes the endpoint or the payload", s)
	}
}

func TestSendRequest(t *testing.T) {
	ps := newPushService(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://push.example/m/123")
		w.WriteHeader(http.StatusCreated)
	})
	b := newBrowser(t)
	tests := []struct {
		name        string
		subject     string
		sender      time.Duration
		push        webpush.Push
		wantHeaders map[string]string
		wantSub     string
	}{
		{
			name:    "all headers",
			subject: "mailto:ops@tidings.example",
			push:    webpush.Push{Payload: []byte(payload), Urgency: webpush.UrgencyHigh, Topic: "appt-42", TTL: time.Hour},
			wantHeaders: map[string]string{
				"Content-Encoding": "aes128gcm", "Content-Type": "application/octet-stream",
				"Ttl": "3600", "Urgency": "high", "Topic": "appt-42",
			},
			wantSub: "mailto:ops@tidings.example",
		},
		{
			name:    "https subject, sender's TTL, no urgency or topic",
			subject: "https://tidings.example/contact",
			sender:  2 * time.Hour,
			push:    webpush.Push{Payload: []byte(payload)},
			wantHeaders: map[string]string{
				"Content-Encoding": "aes128gcm", "Content-Type": "application/octet-stream",
				"Ttl": "7200", "Urgency": "", "Topic": "",
			},
			wantSub: "https://tidings.example/contact",
		},
		{
			name:        "default TTL, empty payload",
			subject:     "mailto:ops@tidings.example",
			push:        webpush.Push{},
			wantHeaders: map[string]string{"Ttl": "86400"},
			wantSub:     "mailto:ops@tidings.example",
		},
		{
			name:        "largest payload",
			subject:     "mailto:ops@tidings.example",
			push:        webpush.Push{Payload: []byte(strings.Repeat("é", webpush.MaxPayload/2))},
			wantHeaders: map[string]string{"Content-Encoding": "aes128gcm"},
			wantSub:     "mailto:ops@tidings.example",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSender(t)
			s.Subject, s.TTL = tc.subject, tc.sender
			before := len(ps.received())
			start := time.Now()
			res, err := s.Send(t.Context(), b.subscription(ps.endpoint()), tc.push)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if diff := cmp.Diff(webpush.Result{Status: 201, Location: "https://push.example/m/123"}, res); diff != "" {
				t.Errorf("Result (-want +got):\n%s", diff)
			}
			reqs := ps.received()[before:]
			if len(reqs) != 1 {
				t.Fatalf("push service got %d requests, want 1", len(reqs))
			}
			req := reqs[0]
			got := map[string]string{}
			for h := range tc.wantHeaders {
				got[h] = req.header.Get(h)
			}
			if diff := cmp.Diff(tc.wantHeaders, got); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}

			k, alg, claims, err := parseVAPID(req.header.Get("Authorization"))
			if err != nil {
				t.Fatalf("Authorization: %v", err)
			}
			if k != s.Keys.Public || alg != "ES256" {
				t.Errorf("VAPID k = %q, alg %q; want our public key and ES256", k, alg)
			}
			if claims.Aud != ps.URL || claims.Sub != tc.wantSub {
				t.Errorf("VAPID claims aud %q sub %q, want %q and %q", claims.Aud, claims.Sub, ps.URL, tc.wantSub)
			}
			if exp := time.Unix(claims.Exp, 0); exp.Before(start) || exp.After(start.Add(24*time.Hour)) {
				t.Errorf("VAPID exp %v: want within 24 hours after %v (RFC 8292 §2)", exp, start)
			}

			plain, err := b.decrypt(req.body)
			if err != nil {
				t.Fatalf("decrypt: %v", err)
			}
			if diff := cmp.Diff(string(tc.push.Payload), string(plain)); diff != "" {
				t.Errorf("decrypted payload (-want +got):\n%s", diff)
			}
		})
	}
}

// outcome is what a test compares of Send's answer.
type outcome struct {
	Result     webpush.Result
	Kind       string // the sentinel that matches, "" for success
	Status     int
	RetryAfter time.Duration
}

// outcomeOf reads Send's answer; it fails the test for an error that is not an *Error.
func outcomeOf(t *testing.T, res webpush.Result, err error) outcome {
	t.Helper()
	o := outcome{Result: res}
	if err == nil {
		return o
	}
	var e *webpush.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *webpush.Error", err, err)
	}
	o.Status, o.RetryAfter = e.Status, e.RetryAfter
	for name, sentinel := range map[string]error{
		"gone": webpush.ErrGone, "transient": webpush.ErrTransient,
		"permanent": webpush.ErrPermanent, "unknown": webpush.ErrUnknown,
	} {
		if errors.Is(err, sentinel) {
			if o.Kind != "" {
				t.Errorf("error matches both %s and %s", o.Kind, name)
			}
			o.Kind = name
		}
	}
	return o
}

func TestSendClassifiesAnswers(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		status int
		header map[string]string
		want   outcome
	}{
		{name: "201 created", status: 201, header: map[string]string{"Location": "https://push.example/m/1"},
			want: outcome{Result: webpush.Result{Status: 201, Location: "https://push.example/m/1"}}},
		{name: "202 accepted, no location", status: 202, want: outcome{Result: webpush.Result{Status: 202}}},
		{name: "404 not found", status: 404, want: outcome{Kind: "gone", Status: 404}},
		{name: "410 gone", status: 410, want: outcome{Kind: "gone", Status: 410}},
		{name: "429 Retry-After seconds", status: 429, header: map[string]string{"Retry-After": "30"},
			want: outcome{Kind: "transient", Status: 429, RetryAfter: 30 * time.Second}},
		{name: "429 Retry-After date", status: 429, header: map[string]string{"Retry-After": "Wed, 02 Dec 2026 09:02:00 GMT"},
			want: outcome{Kind: "transient", Status: 429, RetryAfter: 2 * time.Minute}},
		{name: "429 without Retry-After", status: 429, want: outcome{Kind: "transient", Status: 429}},
		{name: "500", status: 500, want: outcome{Kind: "transient", Status: 500}},
		{name: "503 Retry-After", status: 503, header: map[string]string{"Retry-After": "120"},
			want: outcome{Kind: "transient", Status: 503, RetryAfter: 2 * time.Minute}},
		{name: "400 bad request", status: 400, want: outcome{Kind: "permanent", Status: 400}},
		{name: "401 VAPID refused", status: 401, want: outcome{Kind: "permanent", Status: 401}},
		{name: "403 VAPID key mismatch", status: 403, want: outcome{Kind: "permanent", Status: 403}},
		{name: "413 payload too large", status: 413, want: outcome{Kind: "permanent", Status: 413}},
		{name: "413 ignores Retry-After", status: 413, header: map[string]string{"Retry-After": "30"},
			want: outcome{Kind: "permanent", Status: 413}},
		{name: "redirect not followed", status: 307, header: map[string]string{"Location": "https://elsewhere.example/"},
			want: outcome{Kind: "permanent", Status: 307}},
	}
	b := newBrowser(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := newPushService(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, `{"reason":"push to `+deviceToken+` refused"}`)
			})
			s := newSender(t)
			s.Now = func() time.Time { return now }
			res, err := s.Send(t.Context(), b.subscription(ps.endpoint()), webpush.Push{Payload: []byte(payload)})
			if diff := cmp.Diff(tc.want, outcomeOf(t, res, err)); diff != "" {
				t.Errorf("Send = %v, %v (-want +got):\n%s", res, err, diff)
			}
			checkRedacted(t, err)
			if n := len(ps.received()); n != 1 {
				t.Errorf("push service got %d requests, want 1", n)
			}
		})
	}
}

func TestSendNetworkFailures(t *testing.T) {
	b := newBrowser(t)

	// A port nothing listens on: the connection is refused before anything is sent.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String() + "/push/" + deviceToken
	l.Close()

	// A push service that reads the push, then never answers.
	silent := newPushService(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	// A push service that reads the push, then drops the connection.
	hangUp := newPushService(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	canceled, cancel := context.WithCancel(t.Context())
	cancel()

	tests := []struct {
		name     string
		ctx      context.Context
		endpoint string
		timeout  time.Duration
		want     outcome
		wantIs   error
	}{
		{name: "connection refused", ctx: t.Context(), endpoint: refused, want: outcome{Kind: "transient"}},
		{name: "canceled before sending", ctx: canceled, endpoint: silent.endpoint(), want: outcome{Kind: "transient"}, wantIs: context.Canceled},
		{name: "timeout after the push was written", ctx: t.Context(), endpoint: silent.endpoint(), timeout: 300 * time.Millisecond,
			want: outcome{Kind: "unknown"}, wantIs: context.DeadlineExceeded},
		{name: "connection dropped after the push was written", ctx: t.Context(), endpoint: hangUp.endpoint(), want: outcome{Kind: "unknown"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			s := newSender(t)
			res, err := s.Send(ctx, b.subscription(tc.endpoint), webpush.Push{Payload: []byte(payload)})
			if diff := cmp.Diff(tc.want, outcomeOf(t, res, err)); diff != "" {
				t.Errorf("Send = %v, %v (-want +got):\n%s", res, err, diff)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("Send error %v does not match %v", err, tc.wantIs)
			}
			checkRedacted(t, err)
		})
	}
}

func TestSendRefusesBadInput(t *testing.T) {
	ps := newPushService(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
	b := newBrowser(t)
	other, err := webpush.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	ok := webpush.Push{Payload: []byte(payload)}
	tests := []struct {
		name      string
		change    func(*webpush.Sender, *webpush.Subscription, *webpush.Push)
		wantField string
	}{
		{name: "payload over 3000 bytes", change: func(_ *webpush.Sender, _ *webpush.Subscription, p *webpush.Push) {
			p.Payload = make([]byte, webpush.MaxPayload+1)
		}, wantField: "payload"},
		{name: "unknown urgency", change: func(_ *webpush.Sender, _ *webpush.Subscription, p *webpush.Push) { p.Urgency = "urgent" }, wantField: "urgency"},
		{name: "urgency in capitals", change: func(_ *webpush.Sender, _ *webpush.Subscription, p *webpush.Push) { p.Urgency = "HIGH" }, wantField: "urgency"},
		{name: "topic too long", change: func(_ *webpush.Sender, _ *webpush.Subscription, p *webpush.Push) {
			p.Topic = strings.Repeat("a", 33)
		}, wantField: "topic"},
		{name: "topic with a space", change: func(_ *webpush.Sender, _ *webpush.Subscription, p *webpush.Push) { p.Topic = "appt 42" }, wantField: "topic"},
		{name: "negative TTL", change: func(_ *webpush.Sender, _ *webpush.Subscription, p *webpush.Push) { p.TTL = -time.Second }, wantField: "ttl"},
		{name: "no subject", change: func(s *webpush.Sender, _ *webpush.Subscription, _ *webpush.Push) { s.Subject = "" }, wantField: "subject"},
		{name: "subject without scheme", change: func(s *webpush.Sender, _ *webpush.Subscription, _ *webpush.Push) { s.Subject = "ops@tidings.example" }, wantField: "subject"},
		{name: "mailto: without address", change: func(s *webpush.Sender, _ *webpush.Subscription, _ *webpush.Push) { s.Subject = "mailto:" }, wantField: "subject"},
		{name: "mailto: with a name", change: func(s *webpush.Sender, _ *webpush.Subscription, _ *webpush.Push) {
			s.Subject = "mailto:Ops <ops@tidings.example>"
		}, wantField: "subject"},
		{name: "https: without host", change: func(s *webpush.Sender, _ *webpush.Subscription, _ *webpush.Push) { s.Subject = "https:contact" }, wantField: "subject"},
		{name: "mismatched keys", change: func(s *webpush.Sender, _ *webpush.Subscription, _ *webpush.Push) { s.Keys.Public = other.Public }, wantField: "public"},
		{name: "no keys", change: func(s *webpush.Sender, _ *webpush.Subscription, _ *webpush.Push) { s.Keys = webpush.Keys{} }, wantField: "private"},
		{name: "http endpoint to a remote host", change: func(_ *webpush.Sender, sub *webpush.Subscription, _ *webpush.Push) {
			sub.Endpoint = "http://push.example/push/" + deviceToken
		}, wantField: "endpoint"},
		{name: "bad auth", change: func(_ *webpush.Sender, sub *webpush.Subscription, _ *webpush.Push) { sub.Auth = "AAAA" }, wantField: "keys.auth"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, sub, p := newSender(t), b.subscription(ps.endpoint()), ok
			tc.change(s, &sub, &p)
			before := len(ps.received())
			res, err := s.Send(t.Context(), sub, p)
			if diff := cmp.Diff(outcome{Kind: "permanent"}, outcomeOf(t, res, err)); diff != "" {
				t.Errorf("Send = %v, %v (-want +got):\n%s", res, err, diff)
			}
			if diff := cmp.Diff(tc.wantField, fieldOf(t, err)); diff != "" {
				t.Errorf("Send error %v: field (-want +got):\n%s", err, diff)
			}
			if n := len(ps.received()) - before; n != 0 {
				t.Errorf("push service got %d requests, want none", n)
			}
			checkRedacted(t, err)
		})
	}
}
