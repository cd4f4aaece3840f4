package twilio

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		status, code int
		want         Kind
	}{
		{400, CodeInvalidTo, Permanent},
		{400, CodeUnsubscribed, Permanent},
		{400, CodeNotMobile, Permanent},
		{400, CodeQueueFull, Transient},
		{401, CodeAuthentication, Permanent},
		{404, CodeNotFound, Permanent},
		{408, 0, Transient},
		{429, CodeTooManyRequests, Transient},
		{429, 0, Transient},
		{500, 20500, Unknown},
		{502, 0, Unknown},
		{503, 0, Transient},
		{503, CodeServiceUnavail, Transient},
		{504, 0, Unknown},
		{302, 0, Unknown},
	}
	for _, tc := range tests {
		if got := classify(tc.status, tc.code); got != tc.want {
			t.Errorf("classify(%d, %d) = %v, want %v", tc.status, tc.code, got, tc.want)
		}
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	c := &Client{Now: func() time.Time { return now }}
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"999999999", 24 * time.Hour},
		{"Wed, 02 Dec 2026 09:00:30 GMT", 30 * time.Second},
		{"Wed, 02 Dec 2026 08:59:00 GMT", 0},
		{"soon", 0},
	}
	for _, tc := range tests {
		if got := c.retryAfter(tc.header); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestErrorMatchesKindAndCause(t *testing.T) {
	err := fmt.Errorf("deliver notification 42 via sms: %w",
		&Error{Op: "send", Ref: "notification-42", Kind: Unknown, Err: context.DeadlineExceeded})
	if !errors.Is(err, ErrUnknown) || errors.Is(err, ErrTransient) || errors.Is(err, ErrPermanent) {
		t.Fatalf("kind sentinels wrong for %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cause lost: %v", err)
	}
	want := "deliver notification 42 via sms: twilio: send notification-42: outcome unknown: context deadline exceeded"
	if err.Error() != want {
		t.Fatalf("text %q, want %q", err, want)
	}
	e := &Error{Op: "send", Ref: "n1", Kind: Transient, HTTPStatus: 429, Code: 20429, RetryAfter: 7 * time.Second}
	if got, want := e.Error(), "twilio: send n1: transient: HTTP 429, error 20429, retry after 7s"; got != want {
		t.Fatalf("text %q, want %q", got, want)
	}
	if d, ok := RetryAfter(fmt.Errorf("wrapped: %w", e)); !ok || d != 7*time.Second {
		t.Fatalf("RetryAfter = %v, %v", d, ok)
	}
	if ErrorCode(e) != 20429 || ErrorCode(errors.New("other")) != 0 {
		t.Fatal("ErrorCode")
	}
}
