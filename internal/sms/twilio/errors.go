package twilio

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Kind classifies a failed request by what the caller may safely do next.
type Kind int

const (
	// Permanent: the provider refused the request and will refuse it again.
	Permanent Kind = iota + 1
	// Transient: the provider did not act on the request; it may be retried.
	Transient
	// Unknown: the provider may or may not have acted on the request; reconcile before
	// retrying a send.
	Unknown
)

func (k Kind) String() string {
	switch k {
	case Permanent:
		return "permanent"
	case Transient:
		return "transient"
	case Unknown:
		return "outcome unknown"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Sentinels for errors.Is: errors.Is(err, ErrUnknown) is true for any *Error of that kind.
var (
	ErrPermanent = errors.New("twilio: permanent failure")
	ErrTransient = errors.New("twilio: transient failure")
	ErrUnknown   = errors.New("twilio: outcome unknown")
)

// Twilio error codes the callers act on. https://www.twilio.com/docs/api/errors
const (
	CodeAuthentication   = 20003 // 401: wrong account SID or auth token
	CodeNotFound         = 20404 // 404: no such resource
	CodeTooManyRequests  = 20429 // 429: too many concurrent requests
	CodeServiceUnavail   = 20503 // 503: temporarily unavailable
	CodeInvalidTo        = 21211 // 400: the 'To' number is not a valid phone number
	CodeBodyRequired     = 21602 // 400: message body is required
	CodeFromRequired     = 21603 // 400: a 'From' number is required
	CodeToRequired       = 21604 // 400: a 'To' number is required
	CodeInvalidFrom      = 21212 // 400: the 'From' number is not valid
	CodeFromNotCapable   = 21606 // 400: the 'From' number cannot send to this destination
	CodeInvalidCallback  = 21609 // 400: invalid StatusCallback URL
	CodeUnsubscribed     = 21610 // 400: the recipient replied STOP
	CodeQueueFull        = 21611 // 400: the 'From' number's queue is full: try later
	CodeNotMobile        = 21614 // 400: the 'To' number is not a mobile number
	CodeBodyTooLong      = 21617 // 400: the body exceeds 1600 characters
	CodeRegionNotAllowed = 21408 // 400: the account may not send to this region
)

// Error is a failed request to the provider. Its text names the operation, the caller's
// reference or the message SID, the HTTP status and Twilio's code, and nothing a patient
// typed or is identified by.
type Error struct {
	// Op is the operation: "send", "list", "reconcile".
	Op string
	// Ref is the caller's reference for the message (Message.Ref) or, when the provider
	// named one, its SID; empty when there is no single message (a list).
	Ref string
	// Kind says whether to give up, retry, or reconcile.
	Kind Kind
	// HTTPStatus is the response's status code, 0 when no response was read.
	HTTPStatus int
	// Code is Twilio's error code from the response body, 0 when there was none.
	Code int
	// MoreInfo is the documentation link the provider gave for Code.
	MoreInfo string
	// RetryAfter is how long the provider asked us to wait (Retry-After), 0 if it did not.
	RetryAfter time.Duration
	// Reason is our own explanation when the provider gave none, such as "no To number".
	Reason string
	// Err is the underlying cause (a network or context error), stripped of URLs; nil when
	// the provider answered.
	Err error
}

func (e *Error) Error() string {
	s := "twilio: " + e.Op
	if e.Ref != "" {
		s += " " + e.Ref
	}
	s += ": " + e.Kind.String()
	if e.HTTPStatus != 0 {
		s += fmt.Sprintf(": HTTP %d", e.HTTPStatus)
	}
	if e.Code != 0 {
		s += fmt.Sprintf(", error %d", e.Code)
	}
	if e.RetryAfter > 0 {
		s += ", retry after " + e.RetryAfter.String()
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause, so errors.Is(err, context.DeadlineExceeded) works.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the Kind sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrPermanent:
		return e.Kind == Permanent
	case ErrTransient:
		return e.Kind == Transient
	case ErrUnknown:
		return e.Kind == Unknown
	}
	return false
}

// RetryAfter returns how long the provider asked the caller to wait before retrying, and
// whether it said so at all.
func RetryAfter(err error) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter, true
	}
	return 0, false
}

// ErrorCode returns Twilio's error code carried by err, or 0.
func ErrorCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// classify decides the Kind of an answered request from its HTTP status and Twilio code.
//
// 429 and 503 say the request was not processed. Other 5xx are Unknown: a 500 may come after
// the message was created, and 502/504 come from a gateway that may have passed the request
// on. 408 means the server gave up reading the request, so it was not processed. A few 4xx
// codes mean "not now" rather than "never" (a full sending queue). Everything else in 4xx is
// a refusal that will repeat.
func classify(status, code int) Kind {
	switch {
	case code == CodeTooManyRequests, code == CodeQueueFull, code == CodeServiceUnavail:
		return Transient
	case status == 429, status == 503, status == 408:
		return Transient
	case status >= 500:
		return Unknown
	case status >= 400:
		return Permanent
	}
	return Unknown // a status we do not expect: treat it as an answer we cannot read
}
