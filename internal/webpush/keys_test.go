package webpush_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/webpush"
)

func TestGenerateKeys(t *testing.T) {
	a, err := webpush.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	b, err := webpush.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Valid(); err != nil {
		t.Errorf("generated keys are not valid: %v", err)
	}
	if a == b {
		t.Error("two generated key pairs are equal")
	}
	pub, err := base64.RawURLEncoding.DecodeString(a.Public)
	if err != nil || len(pub) != 65 || pub[0] != 4 {
		t.Errorf("public key: %d bytes, %v; want 65 bytes of unpadded base64url starting with 0x04", len(pub), err)
	}
	priv, err := base64.RawURLEncoding.DecodeString(a.Private)
	if err != nil || len(priv) != 32 {
		t.Errorf("private key: %d bytes, %v; want 32 bytes of unpadded base64url", len(priv), err)
	}
}

func TestKeysValid(t *testing.T) {
	a, err := webpush.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	b, err := webpush.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	rawPub, _ := base64.RawURLEncoding.DecodeString(a.Public)
	tests := []struct {
		name      string
		keys      webpush.Keys
		wantField string
	}{
		{name: "generated", keys: a},
		{name: "padded", keys: webpush.Keys{Public: a.Public + "=", Private: a.Private + "="}},
		{name: "empty", keys: webpush.Keys{}, wantField: "private"},
		{name: "no public", keys: webpush.Keys{Private: a.Private}, wantField: "public"},
		{name: "mismatched pair", keys: webpush.Keys{Public: b.Public, Private: a.Private}, wantField: "public"},
		{name: "swapped", keys: webpush.Keys{Public: a.Private, Private: a.Public}, wantField: "private"},
		{name: "private not base64url", keys: webpush.Keys{Public: a.Public, Private: "not/base64+"}, wantField: "private"},
		{name: "private all zero", keys: webpush.Keys{Public: a.Public, Private: base64.RawURLEncoding.EncodeToString(make([]byte, 32))}, wantField: "private"},
		{name: "public compressed", keys: webpush.Keys{Public: base64.RawURLEncoding.EncodeToString(append([]byte{2}, rawPub[1:33]...)), Private: a.Private}, wantField: "public"},
		{name: "public in standard base64", keys: webpush.Keys{Public: base64.StdEncoding.EncodeToString(rawPub) + "/", Private: a.Private}, wantField: "public"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.keys.Valid()
			if diff := cmp.Diff(tc.wantField, fieldOf(t, err)); diff != "" {
				t.Errorf("Valid() = %v; field (-want +got):\n%s", err, diff)
			}
			if err != nil && quotesKey(err.Error(), tc.keys.Private, tc.keys.Public) {
				t.Errorf("error %q quotes a key", err)
			}
		})
	}
}

// quotesKey reports whether s contains one of the keys (ignoring keys too short to matter).
func quotesKey(s string, keys ...string) bool {
	for _, k := range keys {
		if len(k) > 8 && strings.Contains(s, k) {
			return true
		}
	}
	return false
}
