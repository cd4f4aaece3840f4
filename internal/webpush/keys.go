package webpush

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Keys is the application server's VAPID key pair (RFC 8292): an ECDSA P-256 key whose
// public half the portal hands to the browser as applicationServerKey, and whose private
// half signs every push. Both are base64url without padding, the form browsers take: the
// public key is the 65-byte uncompressed point, the private key the 32-byte scalar.
//
// A subscription is bound to the public key it was created with: changing the keys makes
// every stored subscription refuse pushes (401/403), so keep them for the life of the
// deployment.
type Keys struct {
	Public  string
	Private string
}

// GenerateKeys returns a new VAPID key pair, for the `tidings` command that sets up a
// deployment.
func GenerateKeys() (Keys, error) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return Keys{}, fmt.Errorf("generate VAPID keys: %w", err)
	}
	return Keys{
		Public:  base64.RawURLEncoding.EncodeToString(priv.PublicKey().Bytes()),
		Private: base64.RawURLEncoding.EncodeToString(priv.Bytes()),
	}, nil
}

// Valid checks that both keys decode, lie on P-256, and belong together, so a typo in the
// configuration fails at start-up rather than as a push service's 403 on every send. The
// error is a *FieldError naming "public" or "private" and never quotes a key.
func (k Keys) Valid() error {
	if k.Private == "" {
		return &FieldError{Field: "private", Reason: "missing"}
	}
	if k.Public == "" {
		return &FieldError{Field: "public", Reason: "missing"}
	}
	rawPriv, err := decodeKey(k.Private)
	if err != nil {
		return &FieldError{Field: "private", Reason: "not base64url"}
	}
	priv, err := ecdh.P256().NewPrivateKey(rawPriv)
	if err != nil {
		return &FieldError{Field: "private", Reason: "not a P-256 private key (32 bytes)"}
	}
	rawPub, err := decodeKey(k.Public)
	if err != nil {
		return &FieldError{Field: "public", Reason: "not base64url"}
	}
	if len(rawPub) != 65 {
		return &FieldError{Field: "public", Reason: fmt.Sprintf("decodes to %d bytes, want 65 (an uncompressed P-256 point)", len(rawPub))}
	}
	if subtle.ConstantTimeCompare(priv.PublicKey().Bytes(), rawPub) != 1 {
		return &FieldError{Field: "public", Reason: "does not belong to the private key"}
	}
	return nil
}

// String shows the public key only, so a key pair printed by mistake does not leak the
// private key.
func (k Keys) String() string { return "webpush.Keys{Public: " + k.Public + ", Private: [redacted]}" }

// GoString redacts the private key from %#v too.
func (k Keys) GoString() string { return k.String() }

// LogValue redacts the private key from slog output.
func (k Keys) LogValue() slog.Value {
	return slog.GroupValue(slog.String("public", k.Public), slog.String("private", "[redacted]"))
}

// decodeKey decodes base64url with or without padding, as browsers and libraries write it.
// Standard base64 ('+', '/') is refused: browsers never produce it.
func decodeKey(s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, errors.New("not base64url")
	}
	return b, nil
}
