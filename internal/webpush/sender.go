package webpush

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	webpushgo "github.com/SherClockHolmes/webpush-go"
)

// MaxPayload is the largest payload Send accepts. RFC 8291 leaves 3,993 bytes of plaintext
// in a 4,096-byte record; 3,000 keeps room for the JSON a service worker expects and is
// what the portal's notification templates are written to.
const MaxPayload = 3000

// DefaultTTL is how long the push service keeps an undelivered push when neither the Push
// nor the Sender says: long enough for a phone that is off overnight.
const DefaultTTL = 24 * time.Hour

// maxTTL is the longest any major push service keeps a message (FCM: 28 days); a longer
// TTL is sent as this.
const maxTTL = 28 * 24 * time.Hour

// maxTopic is RFC 8030 §5.4's limit on the Topic header.
const maxTopic = 32

// Urgency values (RFC 8030 §5.3): how far the push service may wake a device on battery.
const (
	UrgencyVeryLow = "very-low"
	UrgencyLow     = "low"
	UrgencyNormal  = "normal"
	UrgencyHigh    = "high"
)

// Sender sends pushes with one VAPID identity. It is safe for concurrent use; set its
// fields before the first Send.
type Sender struct {
	// Keys is the VAPID key pair whose public key the browsers subscribed with.
	Keys Keys
	// Subject is the contact that push services use to reach the operator, required by
	// RFC 8292: "mailto:ops@clinic.example" or an https URL.
	Subject string
	// Client makes the requests. Default: a client with a 30-second timeout that does not
	// follow redirects (a push is never redirected; following one would re-send it to a
	// place we did not choose). A request's context deadline applies too.
	Client *http.Client
	// TTL is how long the push service keeps a push it cannot deliver yet, when the Push
	// does not say. Default DefaultTTL.
	TTL time.Duration
	// Now is the clock used to read a Retry-After date. Default time.Now.
	Now func() time.Time
}

// Push is one message to one subscription.
type Push struct {
	// Payload is what the service worker receives in the push event, usually JSON; at
	// most MaxPayload bytes. It is a message to a patient: never logged.
	Payload []byte
	// Urgency is "", UrgencyVeryLow, UrgencyLow, UrgencyNormal or UrgencyHigh; empty
	// leaves it to the push service (normal).
	Urgency string
	// Topic, when set, replaces a push with the same topic still waiting at the push
	// service (a rescheduled appointment's reminder replaces the old one): up to 32
	// characters of base64url's alphabet. It is sent in clear, so it must not say anything
	// about the patient: use an ID.
	Topic string
	// TTL overrides the Sender's TTL for this push; 0 keeps the Sender's. A reminder's TTL
	// should end when the reminder stops being useful.
	TTL time.Duration
}

// String shows the size of the payload, never its content.
func (p Push) String() string {
	return "webpush.Push{" + strconv.Itoa(len(p.Payload)) + " bytes, urgency " + p.Urgency + ", topic " + p.Topic + "}"
}

// GoString redacts %#v the same way.
func (p Push) GoString() string { return p.String() }

// LogValue redacts slog output the same way.
func (p Push) LogValue() slog.Value { return slog.StringValue(p.String()) }

// Result is the push service's acceptance of a push.
type Result struct {
	// Status is the HTTP status, 201 Created from a conforming push service.
	Status int
	// Location is the push message resource the push service created (RFC 8030 §5), empty
	// if it gave none.
	Location string
}

// Send encrypts p for sub and posts it to the subscription's push service. It returns an
// *Error, which matches one of ErrGone, ErrTransient, ErrPermanent or ErrUnknown (see the
// package documentation); a refused input is ErrPermanent with a *FieldError as its cause,
// and nothing is sent.
func (s *Sender) Send(ctx context.Context, sub Subscription, p Push) (Result, error) {
	refuse := func(err error) (Result, error) { return Result{}, &Error{Kind: Permanent, Err: err} }
	if err := s.Keys.Valid(); err != nil {
		return refuse(err)
	}
	subscriber, err := vapidSubscriber(s.Subject)
	if err != nil {
		return refuse(err)
	}
	if err := sub.Check(); err != nil {
		return refuse(err)
	}
	if err := p.check(); err != nil {
		return refuse(err)
	}

	// sent turns true once the whole request is on the wire: from then on the push service
	// may have stored the push even if we never read its answer. A failure before that
	// (DNS, connect, TLS, a write error) means it has not, since it needs the whole body.
	var sent atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(info httptrace.WroteRequestInfo) {
		if info.Err == nil {
			sent.Store(true)
		}
	}}
	resp, err := webpushgo.SendNotificationWithContext(httptrace.WithClientTrace(ctx, trace), p.Payload,
		&webpushgo.Subscription{Endpoint: sub.Endpoint, Keys: webpushgo.Keys{P256dh: sub.P256dh, Auth: sub.Auth}},
		&webpushgo.Options{
			HTTPClient:      s.client(),
			Subscriber:      subscriber,
			Topic:           p.Topic,
			TTL:             ttlSeconds(p.TTL, s.TTL),
			Urgency:         webpushgo.Urgency(p.Urgency),
			VAPIDPublicKey:  s.Keys.Public,
			VAPIDPrivateKey: s.Keys.Private,
		})
	if err != nil {
		kind := Transient
		if sent.Load() {
			kind = Unknown
		}
		return Result{}, &Error{Kind: kind, Err: stripURL(err)}
	}
	defer resp.Body.Close()
	// Read a little of the answer so the connection can be reused; its text is not kept:
	// push services may quote the endpoint in it.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))

	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return Result{Status: resp.StatusCode, Location: resp.Header.Get("Location")}, nil
	}
	e := &Error{Kind: classify(resp.StatusCode), Status: resp.StatusCode}
	if e.Kind == Transient {
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), s.now())
	}
	return Result{}, e
}

// check validates a push before anything is encrypted.
func (p Push) check() error {
	if len(p.Payload) > MaxPayload {
		return &FieldError{Field: "payload", Reason: "larger than " + strconv.Itoa(MaxPayload) + " bytes"}
	}
	switch p.Urgency {
	case "", UrgencyVeryLow, UrgencyLow, UrgencyNormal, UrgencyHigh:
	default:
		return &FieldError{Field: "urgency", Reason: "not one of very-low, low, normal, high"}
	}
	if len(p.Topic) > maxTopic {
		return &FieldError{Field: "topic", Reason: "longer than 32 characters"}
	}
	for _, c := range p.Topic {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return &FieldError{Field: "topic", Reason: "not in the base64url alphabet (A-Z a-z 0-9 - _)"}
		}
	}
	if p.TTL < 0 {
		return &FieldError{Field: "ttl", Reason: "negative"}
	}
	return nil
}

// vapidSubscriber checks the VAPID subject and returns it in the form webpush-go v1.4.0
// wants: an https URL as is, an e-mail address without "mailto:" (it adds the prefix to
// anything that does not start with "https:", so "mailto:a@b" would become
// "mailto:mailto:a@b", which push services may refuse).
func vapidSubscriber(subject string) (string, error) {
	fail := func(reason string) error { return &FieldError{Field: "subject", Reason: reason} }
	switch {
	case subject == "":
		return "", fail("missing: RFC 8292 wants a mailto: or https: contact")
	case strings.HasPrefix(subject, "mailto:"):
		addr := strings.TrimPrefix(subject, "mailto:")
		if a, err := mail.ParseAddress(addr); err != nil || a.Address != addr {
			return "", fail("not a mailto: URI with one plain e-mail address")
		}
		return addr, nil
	case strings.HasPrefix(subject, "https:"):
		if u, err := url.Parse(subject); err != nil || u.Host == "" {
			return "", fail("not an https URL with a host")
		}
		return subject, nil
	}
	return "", fail("must start with mailto: or https:")
}

// ttlSeconds picks the push's TTL, else the sender's, else DefaultTTL, in whole seconds
// rounded up (a TTL of 0 would mean "deliver now or drop"), at most 28 days.
func ttlSeconds(push, sender time.Duration) int {
	d := DefaultTTL
	switch {
	case push > 0:
		d = push
	case sender > 0:
		d = sender
	}
	d = min(d, maxTTL)
	return int((d + time.Second - 1) / time.Second)
}

// client returns the configured HTTP client or the default one.
func (s *Sender) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return &http.Client{ // shares http.DefaultTransport, so connections are reused
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// now reads the sender's clock.
func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
