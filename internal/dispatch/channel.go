package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/email"
	"github.com/tidings-health/tidings/internal/sms/twilio"
	"github.com/tidings-health/tidings/internal/webpush"
)

// Outgoing is one message handed to a channel.
type Outgoing struct {
	// ID is the notification's id: the idempotency key of the message, in the SMS status
	// callback URL and the e-mail Message-ID.
	ID       int64
	OrgID    clinic.OrgID
	ClinicID clinic.ClinicID
	Channel  consent.Channel
	// To is the E.164 mobile, the e-mail address, or the push endpoint.
	To      string
	ToName  string
	Subject string
	Text    string
	HTML    string
	// Calendar is the .ics of a booking confirmation or reschedule notice (e-mail only).
	Calendar *email.Event
	// Push is the subscription of a push message.
	Push webpush.Subscription
}

// Receipt is a channel's answer to an accepted message.
type Receipt struct {
	Provider   string // "twilio:AC…", "smtp", "push", "outbox"
	ProviderID string // the provider's id for the message (SM…, the Message-ID, …)
}

// Sender sends on one channel. Errors are *SendError (or are treated as unknown, the safe
// reading of an error nobody classified).
type Sender interface {
	Send(ctx context.Context, m Outgoing) (Receipt, error)
}

// Kind says what the dispatcher does after a failed send.
type Kind uint8

// Kinds of failure.
const (
	// Unknown: the message may have reached the provider; reconcile before any resend.
	Unknown Kind = iota
	// Transient: it did not take effect; retry with back-off.
	Transient
	// Permanent: it never will (a refused number or address); record it failed.
	Permanent
	// Gone: the destination no longer exists (a push subscription expired): forget it.
	Gone
	// Unconfigured: the clinic has no provider for the channel.
	Unconfigured
)

// SendError is a classified send failure. Reason is safe to show staff and to store: it
// names codes and statuses, never the destination or the text.
type SendError struct {
	Kind       Kind
	Reason     string
	RetryAfter time.Duration
	// Bounce marks a permanent e-mail refusal of the address (flag it on the patient).
	Bounce bool
	// Provider names the account or server that failed, for the circuit breaker.
	Provider string
	// Circuit: not sent because the provider's circuit is open.
	Circuit bool
	Err     error
}

func (e *SendError) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *SendError) Unwrap() error { return e.Err }

// classify reads any channel's error as a SendError.
func classify(err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	var te *twilio.Error
	if errors.As(err, &te) {
		out := &SendError{Reason: twilioReason(te), RetryAfter: te.RetryAfter, Err: err}
		switch te.Kind {
		case twilio.Permanent:
			out.Kind = Permanent
		case twilio.Transient:
			out.Kind = Transient
		default:
			out.Kind = Unknown
		}
		return out
	}
	if errors.Is(err, email.ErrInvalidAddress) {
		return &SendError{Kind: Permanent, Bounce: true, Reason: "the e-mail address is not valid", Err: err}
	}
	if errors.Is(err, email.ErrInvalidMessage) {
		return &SendError{Kind: Permanent, Reason: "the e-mail could not be built", Err: err}
	}
	var ee *email.Error
	if errors.As(err, &ee) {
		out := &SendError{Reason: emailReason(ee), Err: err}
		switch {
		case errors.Is(err, email.ErrPermanent):
			// Only a refusal of the address flags it (5.1.x, 5.2.x); a spam or policy
			// refusal (5.7.x) says nothing against the patient's address.
			out.Kind, out.Bounce = Permanent, ee.AddressRefused()
		case errors.Is(err, email.ErrTransient):
			out.Kind = Transient
		default:
			out.Kind = Unknown
		}
		return out
	}
	var pe *webpush.Error
	if errors.As(err, &pe) {
		out := &SendError{Reason: fmt.Sprintf("push service answered HTTP %d", pe.Status), RetryAfter: pe.RetryAfter, Err: err}
		switch {
		case errors.Is(err, webpush.ErrGone):
			out.Kind, out.Reason = Gone, "the push subscription has expired"
		case errors.Is(err, webpush.ErrPermanent):
			out.Kind = Permanent
		case errors.Is(err, webpush.ErrTransient):
			out.Kind = Transient
		default:
			out.Kind = Unknown
		}
		return out
	}
	if errors.Is(err, context.Canceled) {
		// Our own shutdown before the request went out is caught by the channels; here the
		// request may have gone.
		return &SendError{Kind: Unknown, Reason: "interrupted while sending", Err: err}
	}
	return &SendError{Kind: Unknown, Reason: "unclassified error while sending", Err: err}
}

func twilioReason(e *twilio.Error) string {
	s := "SMS provider: " + e.Kind.String()
	if e.HTTPStatus != 0 {
		s += fmt.Sprintf(", HTTP %d", e.HTTPStatus)
	}
	if e.Code != 0 {
		s += fmt.Sprintf(", error %d", e.Code)
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

func emailReason(e *email.Error) string {
	s := "mail server: " + e.Kind.String()
	if e.Code != 0 {
		s += fmt.Sprintf(", %d", e.Code)
	}
	if e.Enhanced != "" {
		s += " " + e.Enhanced
	}
	return s
}
