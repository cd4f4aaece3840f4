package fhir

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Error is every failure of a Client call to the FHIR server: an HTTP status that is not a
// success (Status), or no usable answer at all (Status 0, or a success whose body could not be
// read; Err says why). Its message names only the operation, resource type and id, the status
// and the OperationOutcome's issue codes, never the server's diagnostics or any URL query,
// which may carry patient data; Outcome keeps the whole outcome for staff to see.
type Error struct {
	Op           string            // "search", "read", "create" or "update"
	ResourceType string            // the type the call was about
	ID           string            // the resource id, for read and update
	Status       int               // the HTTP status, or 0 when no response came
	Outcome      *OperationOutcome // the server's OperationOutcome, when it sent one
	RetryAfter   time.Duration     // from Retry-After on 429 and 503; 0 when absent
	Err          error             // the underlying cause when there is no status to tell it
}

// Error names the call and the status and issue codes, never patient data.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("fhir: ")
	b.WriteString(e.Op)
	if e.ResourceType != "" {
		b.WriteString(" ")
		b.WriteString(e.ResourceType)
		if e.ID != "" {
			b.WriteString("/")
			b.WriteString(e.ID)
		}
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
		if t := http.StatusText(e.Status); t != "" {
			b.WriteString(" ")
			b.WriteString(t)
		}
	}
	if codes := e.Outcome.codes(); len(codes) > 0 {
		b.WriteString(" (issues: ")
		b.WriteString(strings.Join(codes, ", "))
		b.WriteString(")")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry after %v", e.RetryAfter)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause, for errors.Is(err, context.DeadlineExceeded) and the like.
func (e *Error) Unwrap() error { return e.Err }

// codes returns the distinct issue codes of o, the only part of it that is safe to log.
func (o *OperationOutcome) codes() []string {
	if o == nil {
		return nil
	}
	var codes []string
	for _, is := range o.Issue {
		if is.Code != "" && !slices.Contains(codes, is.Code) {
			codes = append(codes, is.Code)
		}
	}
	return codes
}

// TokenError is a failure to get an access token from the OAuth 2.0 token endpoint, so that a
// caller can tell bad credentials (Status 400 or 401, Code invalid_client: permanent, tell the
// clinic) from an authorization server that is down (retry).
type TokenError struct {
	Status      int           // HTTP status of the token endpoint, 0 when no response came
	Code        string        // the OAuth error code, such as "invalid_client"
	Description string        // the OAuth error_description (about the client, not a patient)
	RetryAfter  time.Duration // from Retry-After on 429 and 503
	Err         error         // the underlying cause when there is no status to tell it
}

// Error names the status and OAuth error code; it never includes the client secret.
func (e *TokenError) Error() string {
	var b strings.Builder
	b.WriteString("fhir: token")
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Description != "" {
		fmt.Fprintf(&b, " (%s)", e.Description)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *TokenError) Unwrap() error { return e.Err }

// UnsafeLinkError is why a search stopped at a Bundle "next" link that leaves the server's
// scheme and host: following it would let a server (or whoever tampered with its answer) make
// Tidings send its credentials and requests anywhere (SSRF). It is permanent.
type UnsafeLinkError struct {
	Scheme, Host string // of the refused link; its path and query are not kept
}

// Error names the refused origin only: the link's query may carry search parameters.
func (e *UnsafeLinkError) Error() string {
	return fmt.Sprintf("next link to %s://%s leaves the server's origin", e.Scheme, e.Host)
}

// PageLimitError is why a search stopped after the Client's page cap: a server that keeps
// sending "next" links (a loop, or far more data than expected) must not keep a sync busy
// forever. It is permanent; raise Config.MaxPages or narrow the search.
type PageLimitError struct {
	Pages int
}

// Error says how many pages the cap allowed.
func (e *PageLimitError) Error() string {
	return fmt.Sprintf("more than %d pages", e.Pages)
}

// TooLargeError is why a response body was refused: larger than Config.MaxResponseBytes. It
// is permanent; a smaller _count makes the pages smaller.
type TooLargeError struct {
	Limit int64
}

// Error says what the limit was.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("response body larger than %d bytes", e.Limit)
}

// DecodeError is why a response body or a resource could not be decoded. Its message never
// quotes the JSON (encoding/json's messages can quote values, and a value may be a patient's
// birth date); Err keeps the original error for a debugger, not for logs.
type DecodeError struct {
	What string // what was being decoded, such as "Bundle" or "Patient"
	Err  error
}

// Error says what could not be decoded and where, without quoting any value.
func (e *DecodeError) Error() string {
	msg := "invalid JSON value"
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(e.Err, &se):
		msg = fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(e.Err, &te):
		msg = fmt.Sprintf("JSON field %q is not a %s", te.Field, te.Type)
	case errors.Is(e.Err, io.ErrUnexpectedEOF):
		msg = "truncated JSON"
	}
	return fmt.Sprintf("decode %s: %s", e.What, msg)
}

// Unwrap returns the original error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Decode unmarshals raw (a resource from Search or Read) into v with an error that does not
// quote the data: a *DecodeError. It exists because encoding/json's errors, such as those of a
// malformed instant, include the offending value.
func Decode(raw json.RawMessage, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		what := "resource"
		if r, ok := v.(Resource); ok {
			what = r.ResourceType()
		}
		return &DecodeError{What: what, Err: err}
	}
	return nil
}

// IsRetryable reports whether err is worth trying again later: a network failure, a timeout,
// HTTP 408, 429 or a 5xx other than 501 Not Implemented, from the FHIR server or the token
// endpoint. Every other error is permanent: a 4xx is the same request refused again, and an
// unknown error is not guessed to be transient. Cancellation by the caller is not retryable.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var te *TokenError
	if errors.As(err, &te) {
		if te.Status != 0 {
			return retryableStatus(te.Status)
		}
		return transient(te.Err)
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Err == nil {
			return retryableStatus(e.Status)
		}
		return transient(e.Err)
	}
	return false
}

// RetryAfter returns how long the server asked the caller to wait (Retry-After on 429 or
// 503), so that the job queue schedules its retry no sooner.
func RetryAfter(err error) (time.Duration, bool) {
	var te *TokenError
	if errors.As(err, &te) && te.RetryAfter > 0 {
		return te.RetryAfter, true
	}
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter, true
	}
	return 0, false
}

// IsNotFound reports whether the server says the resource does not exist (404) or no longer
// does (410): the sync deletes its copy rather than retrying.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Err == nil && (e.Status == http.StatusNotFound || e.Status == http.StatusGone)
}

// IsConflict reports whether a write lost a race (409, or 412 from If-Match): the caller
// reads the resource again and decides, rather than retrying the same write.
func IsConflict(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Err == nil && (e.Status == http.StatusConflict || e.Status == http.StatusPreconditionFailed)
}

// retryableStatus is the status half of IsRetryable.
func retryableStatus(status int) bool {
	switch {
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return true
	case status >= 500 && status != http.StatusNotImplemented:
		return true
	}
	return false
}

// transient reports whether a cause without a status is a network failure or a timeout.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var (
		ce  x509.CertificateInvalidError
		ue  x509.UnknownAuthorityError
		he  x509.HostnameError
		tle *TooLargeError
		de  *DecodeError
	)
	switch {
	case errors.As(err, &ce), errors.As(err, &ue), errors.As(err, &he):
		return false // the server's certificate is wrong: the same next time
	case errors.As(err, &tle):
		return false
	case errors.As(err, &de):
		return false // the server sent what it meant to: the same next time
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	}
	var ne net.Error
	var uerr *url.Error
	return errors.As(err, &ne) || errors.As(err, &uerr)
}

// retryAfter parses a Retry-After header, delta-seconds or an HTTP date, relative to now.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d.Round(time.Second)
		}
	}
	return 0
}

// redactURLError rewrites a transport error's URL to scheme, host and path: the query of a
// search can name a patient (identifier=…, name=…).
func redactURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	return &url.Error{Op: ue.Op, URL: redactURL(ue.URL), Err: ue.Err}
}

// redactURL keeps scheme, host and path of raw.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(url)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}
