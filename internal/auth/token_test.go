package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	plain, hash, err := NewToken("tid_")
	if err != nil {
		t.Fatal(err)
	}
	body, ok := strings.CutPrefix(plain, "tid_")
	if !ok {
		t.Fatalf("token %q lacks prefix", plain)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil || len(raw) != TokenBytes {
		t.Fatalf("body %q: %d bytes, err %v", body, len(raw), err)
	}
	if len(body) != 43 {
		t.Fatalf("body length %d, want 43", len(body))
	}
	want := sha256.Sum256([]byte(plain))
	if !bytes.Equal(hash, want[:]) || !bytes.Equal(HashToken(plain), hash) {
		t.Fatal("hash is not SHA-256 of the full token")
	}
}

func TestNewTokenUnique(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		plain, _, err := NewToken("")
		if err != nil {
			t.Fatal(err)
		}
		if seen[plain] {
			t.Fatal("duplicate token")
		}
		seen[plain] = true
	}
}

func TestNewTokenPrefix(t *testing.T) {
	for _, p := range []string{"", "tid_", "TID_pat_", "abc123", strings.Repeat("a", MaxTokenPrefixLength)} {
		if _, _, err := NewToken(p); err != nil {
			t.Errorf("NewToken(%q): %v", p, err)
		}
	}
	for _, p := range []string{"tid-", "ti d", "tid$", "é_", "\x00", strings.Repeat("a", MaxTokenPrefixLength+1)} {
		if _, _, err := NewToken(p); !errors.Is(err, ErrInvalidTokenPrefix) {
			t.Errorf("NewToken(%q) err = %v, want ErrInvalidTokenPrefix", p, err)
		}
	}
}

func TestHashTokenDistinguishesPrefix(t *testing.T) {
	if bytes.Equal(HashToken("tid_abc"), HashToken("abc")) {
		t.Fatal("prefix must be part of the hashed value")
	}
}
