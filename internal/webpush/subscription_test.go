package webpush_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/webpush"
)

const fcmEndpoint = "https://fcm.googleapis.com/fcm/send/eXaMpLeToKeN:APA91bHexample"

// fieldOf returns the field a *FieldError in err names, "" for nil, and fails the test for
// an error that is not a field error matching ErrInvalid.
func fieldOf(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var fe *webpush.FieldError
	if !errors.As(err, &fe) || !errors.Is(err, webpush.ErrInvalid) {
		t.Fatalf("error %v (%T) is not a *FieldError matching ErrInvalid", err, err)
	}
	return fe.Field
}

func TestSubscriptionCheck(t *testing.T) {
	valid := webpush.Subscription{Endpoint: fcmEndpoint, P256dh: rfcP256dh, Auth: rfcAuth}
	with := func(f func(*webpush.Subscription)) webpush.Subscription {
		s := valid
		f(&s)
		return s
	}
	rawDH, _ := base64.RawURLEncoding.DecodeString(rfcP256dh)
	notOnCurve := append([]byte{4}, make([]byte, 64)...)
	compressed := append([]byte{2}, rawDH[1:33]...)

	tests := []struct {
		name      string
		sub       webpush.Subscription
		wantField string
	}{
		{name: "FCM", sub: valid},
		{name: "Mozilla autopush", sub: with(func(s *webpush.Subscription) {
			s.Endpoint = "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABexample"
		})},
		{name: "Apple", sub: with(func(s *webpush.Subscription) { s.Endpoint = "https://web.push.apple.com/QGuQyavXutnMexample" })},
		{name: "http to localhost", sub: with(func(s *webpush.Subscription) { s.Endpoint = "http://localhost:8090/notify/abc" })},
		{name: "http to 127.0.0.1", sub: with(func(s *webpush.Subscription) { s.Endpoint = "http://127.0.0.1:8090/notify/abc" })},
		{name: "http to ::1", sub: with(func(s *webpush.Subscription) { s.Endpoint = "http://[::1]:8090/notify/abc" })},
		{name: "padded keys", sub: with(func(s *webpush.Subscription) { s.P256dh += "="; s.Auth += "==" })},

		{name: "no endpoint", sub: with(func(s *webpush.Subscription) { s.Endpoint = "" }), wantField: "endpoint"},
		{name: "http to a remote host", sub: with(func(s *webpush.Subscription) { s.Endpoint = "http://fcm.googleapis.com/fcm/send/x" }), wantField: "endpoint"},
		{name: "http to a host named like localhost", sub: with(func(s *webpush.Subscription) { s.Endpoint = "http://localhost.example.org/x" }), wantField: "endpoint"},
		{name: "other scheme", sub: with(func(s *webpush.Subscription) { s.Endpoint = "ftp://push.example/x" }), wantField: "endpoint"},
		{name: "relative", sub: with(func(s *webpush.Subscription) { s.Endpoint = "/fcm/send/x" }), wantField: "endpoint"},
		{name: "no host", sub: with(func(s *webpush.Subscription) { s.Endpoint = "https:///fcm/send/x" }), wantField: "endpoint"},
		{name: "opaque", sub: with(func(s *webpush.Subscription) { s.Endpoint = "https:fcm.googleapis.com" }), wantField: "endpoint"},
		{name: "credentials", sub: with(func(s *webpush.Subscription) { s.Endpoint = "https://u:p@push.example/x" }), wantField: "endpoint"},
		{name: "not a URL", sub: with(func(s *webpush.Subscription) { s.Endpoint = "https://push.example/%zz" }), wantField: "endpoint"},
		{name: "too long", sub: with(func(s *webpush.Subscription) { s.Endpoint = "https://push.example/" + strings.Repeat("a", 2048) }), wantField: "endpoint"},

		{name: "no p256dh", sub: with(func(s *webpush.Subscription) { s.P256dh = "" }), wantField: "keys.p256dh"},
		{name: "p256dh in standard base64", sub: with(func(s *webpush.Subscription) {
			s.P256dh = base64.StdEncoding.EncodeToString(rawDH)
		}), wantField: "keys.p256dh"},
		{name: "p256dh compressed", sub: with(func(s *webpush.Subscription) {
			s.P256dh = base64.RawURLEncoding.EncodeToString(compressed)
		}), wantField: "keys.p256dh"},
		{name: "p256dh not on the curve", sub: with(func(s *webpush.Subscription) {
			s.P256dh = base64.RawURLEncoding.EncodeToString(notOnCurve)
		}), wantField: "keys.p256dh"},
		{name: "p256dh is the auth secret", sub: with(func(s *webpush.Subscription) { s.P256dh = rfcAuth }), wantField: "keys.p256dh"},

		{name: "no auth", sub: with(func(s *webpush.Subscription) { s.Auth = "" }), wantField: "keys.auth"},
		{name: "auth 15 bytes", sub: with(func(s *webpush.Subscription) {
			s.Auth = base64.RawURLEncoding.EncodeToString(make([]byte, 15))
		}), wantField: "keys.auth"},
		{name: "auth not base64", sub: with(func(s *webpush.Subscription) { s.Auth = "!!!!!!!!!!!!!!!!!!!!!!" }), wantField: "keys.auth"},
		{name: "endpoint checked first", sub: webpush.Subscription{}, wantField: "endpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.sub.Check()
			if diff := cmp.Diff(tc.wantField, fieldOf(t, err)); diff != "" {
				t.Errorf("Check() = %v; field (-want +got):\n%s", err, diff)
			}
			if err != nil && tc.sub.Endpoint != "" && strings.Contains(err.Error(), tc.sub.Endpoint) {
				t.Errorf("error %q quotes the endpoint", err)
			}
		})
	}
}

func TestParseSubscription(t *testing.T) {
	tests := []struct {
		name      string
		json      string
		want      webpush.Subscription
		wantField string
	}{
		{
			name: "Chrome toJSON",
			json: `{"endpoint":"` + fcmEndpoint + `","expirationTime":null,"keys":{"p256dh":"` + rfcP256dh + `","auth":"` + rfcAuth + `"}}`,
			want: webpush.Subscription{Endpoint: fcmEndpoint, P256dh: rfcP256dh, Auth: rfcAuth},
		},
		{
			name: "keys first, expirationTime a number, unknown fields",
			json: `{"keys":{"auth":"` + rfcAuth + `","p256dh":"` + rfcP256dh + `"},"expirationTime":1767225600000,"endpoint":"` + fcmEndpoint + `","clientHash":"x"}`,
			want: webpush.Subscription{Endpoint: fcmEndpoint, P256dh: rfcP256dh, Auth: rfcAuth},
		},
		{
			name: "surrounding whitespace",
			json: "\n {\"endpoint\":\"" + fcmEndpoint + "\",\"keys\":{\"p256dh\":\"" + rfcP256dh + "\",\"auth\":\"" + rfcAuth + "\"}} \n",
			want: webpush.Subscription{Endpoint: fcmEndpoint, P256dh: rfcP256dh, Auth: rfcAuth},
		},
		{name: "empty", json: ``, wantField: "subscription"},
		{name: "not JSON", json: `endpoint=https://x`, wantField: "subscription"},
		{name: "array", json: `[]`, wantField: "subscription"},
		{name: "endpoint a number", json: `{"endpoint":42}`, wantField: "subscription"},
		{name: "two objects", json: `{"endpoint":"` + fcmEndpoint + `"} {}`, wantField: "subscription"},
		{name: "null", json: `null`, wantField: "endpoint"},
		{name: "no keys", json: `{"endpoint":"` + fcmEndpoint + `"}`, wantField: "keys.p256dh"},
		{name: "no auth", json: `{"endpoint":"` + fcmEndpoint + `","keys":{"p256dh":"` + rfcP256dh + `"}}`, wantField: "keys.auth"},
		{name: "http endpoint", json: `{"endpoint":"http://fcm.googleapis.com/x","keys":{"p256dh":"` + rfcP256dh + `","auth":"` + rfcAuth + `"}}`, wantField: "endpoint"},
		{name: "too large", json: `{"endpoint":"` + fcmEndpoint + `","pad":"` + strings.Repeat(" ", webpush.MaxSubscriptionJSON) + `"}`, wantField: "subscription"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := webpush.ParseSubscription([]byte(tc.json))
			if diff := cmp.Diff(tc.wantField, fieldOf(t, err)); diff != "" {
				t.Errorf("ParseSubscription error = %v; field (-want +got):\n%s", err, diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseSubscription (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRedaction(t *testing.T) {
	keys, err := webpush.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	sub := webpush.Subscription{Endpoint: fcmEndpoint, P256dh: rfcP256dh, Auth: rfcAuth}
	push := webpush.Push{Payload: []byte(`{"body":"Dr Martin, demain 10:00"}`), Topic: "appt-42"}
	tests := []struct {
		name   string
		value  any
		secret []string
	}{
		{name: "keys", value: keys, secret: []string{keys.Private}},
		{name: "subscription", value: sub, secret: []string{"eXaMpLeToKeN", rfcP256dh, rfcAuth}},
		{name: "push", value: push, secret: []string{"Martin", base64.StdEncoding.EncodeToString(push.Payload)[:20]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, out := range printed(tc.value) {
				for _, s := range tc.secret {
					if strings.Contains(out, s) {
						t.Errorf("printed %q: contains a secret", out)
					}
				}
			}
		})
	}
}

// printed is every way a value could end up in a log: fmt's verbs and slog's handlers.
func printed(v any) []string {
	out := []string{fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), fmt.Sprint(v)}
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var b bytes.Buffer
		slog.New(h(&b)).Info("send", "value", v)
		out = append(out, b.String())
	}
	return out
}
