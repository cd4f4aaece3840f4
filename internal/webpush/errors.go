package webpush

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Kind classifies a failed send by what the caller may safely do next.
type Kind int

const (
	// Gone: the subscription no longer exists (404, 410); delete it.
	Gone Kind = iota + 1
	// Transient: the push service did not take the push; it may be retried.
	Transient
	// Permanent: the push service refused the push, or Send refused it before sending,
	// and would again.
	Permanent
	// Unknown: the push was sent and no answer came; it may have been delivered.
	Unknown
)

// String names the kind in error messages and logs.
func (k Kind) String() string {
	switch k {
	case Gone:
		return "subscription gone"
	case Transient:
		return "transient failure"
	case Permanent:
		return "permanent failure"
	case Unknown:
		return "outcome unknown"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Sentinels for errors.Is: errors.Is(err, ErrGone) is true for any *Error of Kind Gone.
var (
	ErrGone      = errors.New("webpush: subscription gone")
	ErrTransient = errors.New("webpush: transient failure")
	ErrPermanent = errors.New("webpush: permanent failure")
	ErrUnknown   = errors.New("webpush: outcome unknown")
)

// ErrInvalid is matched by every *FieldError: a subscription, a key pair, a sender or a
// push failed validation.
var ErrInvalid = errors.New("webpush: invalid")

// Error is a failed send. Its text has the kind, the HTTP status and the cause, and never
// the endpoint, the keys or the payload.
type Error struct {
	// Kind says whether to delete the subscription, retry, give up, or reconcile.
	Kind Kind
	// Status is the push service's HTTP status, 0 when no answer was read.
	Status int
	// RetryAfter is how long the push service asked us to wait (Retry-After on a 429 or
	// 5xx), 0 when it did not say.
	RetryAfter time.Duration
	// Err is the cause: a *FieldError for a refused input, a network or context error
	// (stripped of the URL); nil when the push service answered.
	Err error
}

// Error reads "webpush: send: <kind>: HTTP <status>, retry after <d>: <cause>", each part
// present only when known.
func (e *Error) Error() string {
	s := "webpush: send: " + e.Kind.String()
	if e.Status != 0 {
		s += ": HTTP " + strconv.Itoa(e.Status)
		if t := http.StatusText(e.Status); t != "" {
			s += " " + t
		}
	}
	if e.RetryAfter > 0 {
		s += ", retry after " + e.RetryAfter.String()
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause, so errors.Is(err, context.DeadlineExceeded) and
// errors.As(err, &fieldErr) work.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the Kind sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrGone:
		return e.Kind == Gone
	case ErrTransient:
		return e.Kind == Transient
	case ErrPermanent:
		return e.Kind == Permanent
	case ErrUnknown:
		return e.Kind == Unknown
	}
	return false
}

// FieldError names the field of a subscription ("endpoint", "keys.p256dh", "keys.auth"),
// of a key pair ("public", "private"), of a sender ("subject") or of a push ("payload",
// "urgency", "topic", "ttl") that was refused, and why. The reason never quotes the
// value, so it is safe to log and to show.
type FieldError struct {
	Field  string
	Reason string
}

// Error reads "<field>: <reason>".
func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// classify decides the Kind of an answer that is not a success. RFC 8030 §5 and the big
// push services (FCM, Mozilla autopush, Apple) use 404 and 410 for a subscription that is
// gone; 413 for a payload over 4 KiB; 400 for a malformed request; 401 and 403 for a VAPID
// token that is refused or signed with another key than the subscription's. 408, 425 and
// 429 say the request was not processed; a 5xx from a push service means it did not store
// the message. Anything else (a redirect we do not follow, an unexpected 1xx or 3xx) will
// not change on retry.
func classify(status int) Kind {
	switch {
	case status == http.StatusNotFound, status == http.StatusGone:
		return Gone
	case status == http.StatusTooManyRequests, status == http.StatusRequestTimeout, status == http.StatusTooEarly:
		return Transient
	case status >= 500:
		return Transient
	}
	return Permanent
}

// maxRetryAfter caps what a push service may ask for: a push that waits longer is stale.
const maxRetryAfter = 24 * time.Hour

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date (RFC 9110 §10.2.3)
// relative to now. A date in the past, a negative or an unreadable value count as no advice.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if d := t.Sub(now); d > 0 {
		return min(d, maxRetryAfter)
	}
	return 0
}

// stripURL removes the request URL from a transport error (the endpoint identifies a
// patient's device) and keeps the cause, so errors.Is still finds context.DeadlineExceeded.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request: %w", strings.ToUpper(ue.Op), ue.Err)
	}
	return err
}
