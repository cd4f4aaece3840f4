package webpush

import (
	"bytes"
	"crypto/ecdh"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// MaxSubscriptionJSON bounds the PushSubscription JSON that ParseSubscription reads: real
// ones are about 250 bytes (FCM) to 600 bytes (with a long endpoint).
const MaxSubscriptionJSON = 4096

// maxEndpoint bounds the endpoint URL; the longest seen in the wild are about 500 bytes.
const maxEndpoint = 2048

// Subscription is where and how to push to one browser: what the portal's service worker
// got from PushManager.subscribe and sent to us. Endpoint is the push service's URL for
// the device; P256dh (the browser's ECDH public key, 65 bytes) and Auth (a 16-byte secret)
// are base64url, as PushSubscription.toJSON gives them. All three identify a patient's
// device: store them, never log them.
type Subscription struct {
	Endpoint string
	P256dh   string
	Auth     string
}

// wireSubscription is PushSubscription.toJSON(): {"endpoint", "expirationTime", "keys":
// {"p256dh", "auth"}}. expirationTime and unknown fields are ignored.
type wireSubscription struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// ParseSubscription reads the JSON of a browser's PushSubscription, as the portal's
// service worker posts it, and checks it (see Check). Input over MaxSubscriptionJSON bytes
// is refused unread. Every error matches ErrInvalid; a field that is wrong is named by a
// *FieldError.
func ParseSubscription(data []byte) (Subscription, error) {
	if len(data) > MaxSubscriptionJSON {
		return Subscription{}, fmt.Errorf("parse push subscription: %w",
			&FieldError{Field: "subscription", Reason: "larger than " + strconv.Itoa(MaxSubscriptionJSON) + " bytes"})
	}
	var w wireSubscription
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&w); err != nil {
		// The decoder's message names a field or a character, never a value.
		return Subscription{}, fmt.Errorf("parse push subscription: %w: %w",
			&FieldError{Field: "subscription", Reason: "not a PushSubscription JSON object"}, err)
	}
	if dec.More() {
		return Subscription{}, fmt.Errorf("parse push subscription: %w",
			&FieldError{Field: "subscription", Reason: "more than one JSON value"})
	}
	s := Subscription{Endpoint: w.Endpoint, P256dh: w.Keys.P256dh, Auth: w.Keys.Auth}
	if err := s.Check(); err != nil {
		return Subscription{}, fmt.Errorf("parse push subscription: %w", err)
	}
	return s, nil
}

// Check validates a subscription as received from a browser: the endpoint is an https
// URL (http only for a loopback host, for tests), p256dh decodes to an uncompressed P-256
// point (65 bytes) and auth to 16 bytes. It returns a *FieldError naming the first bad
// field: "endpoint", "keys.p256dh" or "keys.auth".
func (s Subscription) Check() error {
	if err := checkEndpoint(s.Endpoint); err != nil {
		return err
	}
	if s.P256dh == "" {
		return &FieldError{Field: "keys.p256dh", Reason: "missing"}
	}
	dh, err := decodeKey(s.P256dh)
	if err != nil {
		return &FieldError{Field: "keys.p256dh", Reason: err.Error()}
	}
	if len(dh) != 65 || dh[0] != 4 {
		return &FieldError{Field: "keys.p256dh", Reason: fmt.Sprintf("decodes to %d bytes, want 65 (an uncompressed P-256 point)", len(dh))}
	}
	if _, err := ecdh.P256().NewPublicKey(dh); err != nil {
		return &FieldError{Field: "keys.p256dh", Reason: "not a point on P-256"}
	}
	if s.Auth == "" {
		return &FieldError{Field: "keys.auth", Reason: "missing"}
	}
	auth, err := decodeKey(s.Auth)
	if err != nil {
		return &FieldError{Field: "keys.auth", Reason: err.Error()}
	}
	if len(auth) != 16 {
		return &FieldError{Field: "keys.auth", Reason: fmt.Sprintf("decodes to %d bytes, want 16", len(auth))}
	}
	return nil
}

// checkEndpoint accepts an absolute https URL with a host, or http to a loopback host.
func checkEndpoint(endpoint string) error {
	fail := func(reason string) error { return &FieldError{Field: "endpoint", Reason: reason} }
	switch {
	case endpoint == "":
		return fail("missing")
	case len(endpoint) > maxEndpoint:
		return fail("longer than " + strconv.Itoa(maxEndpoint) + " bytes")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return fail("not a URL")
	}
	switch {
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return fail("not an absolute URL with a host")
	case u.User != nil:
		return fail("must not carry credentials")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fail("must be https")
	}
	return fail("must be an https URL")
}

// isLoopback reports whether host names this machine: "localhost" or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String shows only the push service's host ("fcm.googleapis.com"), which says where a
// push went without identifying the device.
func (s Subscription) String() string {
	host := "?"
	if u, err := url.Parse(s.Endpoint); err == nil && u.Host != "" {
		host = u.Host
	}
	return "webpush.Subscription{" + host + "}"
}

// GoString redacts %#v the same way.
func (s Subscription) GoString() string { return s.String() }

// LogValue redacts slog output the same way.
func (s Subscription) LogValue() slog.Value { return slog.StringValue(s.String()) }
