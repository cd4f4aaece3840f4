package webpush

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
	}{
		{name: "absent", header: "", want: 0},
		{name: "seconds", header: "120", want: 2 * time.Minute},
		{name: "seconds with spaces", header: " 7 ", want: 7 * time.Second},
		{name: "zero", header: "0", want: 0},
		{name: "negative", header: "-5", want: 0},
		{name: "huge seconds capped", header: "99999999999999999", want: 24 * time.Hour},
		{name: "overflowing seconds", header: "999999999999999999999999", want: 0},
		{name: "IMF date", header: "Wed, 02 Dec 2026 09:01:30 GMT", want: 90 * time.Second},
		{name: "RFC 850 date", header: "Wednesday, 02-Dec-26 09:05:00 GMT", want: 5 * time.Minute},
		{name: "asctime date", header: "Wed Dec  2 09:00:10 2026", want: 10 * time.Second},
		{name: "date in the past", header: "Wed, 02 Dec 2026 08:59:00 GMT", want: 0},
		{name: "date far away capped", header: "Fri, 01 Jan 2027 00:00:00 GMT", want: 24 * time.Hour},
		{name: "garbage", header: "soon", want: 0},
		{name: "fraction", header: "1.5", want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, retryAfter(tc.header, now)); diff != "" {
				t.Errorf("retryAfter(%q) (-want +got):\n%s", tc.header, diff)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		status int
		want   Kind
	}{
		{400, Permanent}, {401, Permanent}, {403, Permanent}, {404, Gone}, {408, Transient},
		{410, Gone}, {413, Permanent}, {425, Transient}, {429, Transient}, {500, Transient},
		{502, Transient}, {503, Transient}, {504, Transient}, {302, Permanent}, {418, Permanent},
	}
	for _, tc := range tests {
		if got := classify(tc.status); got != tc.want {
			t.Errorf("classify(%d) = %v, want %v", tc.status, got, tc.want)
		}
	}
}

func TestErrorMatchesItsKindOnly(t *testing.T) {
	sentinels := map[Kind]error{Gone: ErrGone, Transient: ErrTransient, Permanent: ErrPermanent, Unknown: ErrUnknown}
	for kind := range sentinels {
		err := fmt.Errorf("deliver notification 42 via push: %w", &Error{Kind: kind, Err: context.DeadlineExceeded})
		for other, sentinel := range sentinels {
			if got := errors.Is(err, sentinel); got != (other == kind) {
				t.Errorf("errors.Is(%v error, %v) = %v", kind, sentinel, got)
			}
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%v error does not unwrap to its cause", kind)
		}
	}
	var fe *FieldError
	if err := (&Error{Kind: Permanent, Err: &FieldError{"payload", "too large"}}); !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
		t.Errorf("an input error does not expose its *FieldError")
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Kind: Gone, Status: 410}, "webpush: send: subscription gone: HTTP 410 Gone"},
		{&Error{Kind: Transient, Status: 429, RetryAfter: 7 * time.Second}, "webpush: send: transient failure: HTTP 429 Too Many Requests, retry after 7s"},
		{&Error{Kind: Unknown, Err: context.DeadlineExceeded}, "webpush: send: outcome unknown: context deadline exceeded"},
		{&Error{Kind: Permanent, Err: &FieldError{"urgency", "not one of very-low, low, normal, high"}}, "webpush: send: permanent failure: urgency: not one of very-low, low, normal, high"},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, tc.err.Error()); diff != "" {
			t.Errorf("Error() (-want +got):\n%s", diff)
		}
	}
}

func TestStripURL(t *testing.T) {
	err := stripURL(&url.Error{Op: "Post", URL: "https://fcm.googleapis.com/fcm/send/DEVICE", Err: context.Canceled})
	if diff := cmp.Diff("POST request: context canceled", err.Error()); diff != "" {
		t.Errorf("stripURL (-want +got):\n%s", diff)
	}
	if !errors.Is(err, context.Canceled) {
		t.Error("stripURL lost the cause")
	}
}

func TestTTLSeconds(t *testing.T) {
	tests := []struct {
		name         string
		push, sender time.Duration
		want         int
	}{
		{name: "default", want: 86400},
		{name: "sender's", sender: 2 * time.Hour, want: 7200},
		{name: "push's wins", push: 90 * time.Second, sender: 2 * time.Hour, want: 90},
		{name: "rounded up", push: 1500 * time.Millisecond, want: 2},
		{name: "a nanosecond is a second, not zero", push: 1, want: 1},
		{name: "capped at 28 days", push: 60 * 24 * time.Hour, want: 2419200},
	}
	for _, tc := range tests {
		if got := ttlSeconds(tc.push, tc.sender); got != tc.want {
			t.Errorf("%s: ttlSeconds(%v, %v) = %d, want %d", tc.name, tc.push, tc.sender, got, tc.want)
		}
	}
}
