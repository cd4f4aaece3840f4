package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// TokenBytes is the number of random bytes in a token (256 bits), enough
// that guessing a live token is infeasible even with no rate limiting.
const TokenBytes = 32

// MaxTokenPrefixLength bounds the human-readable prefix of a token.
const MaxTokenPrefixLength = 16

// ErrInvalidTokenPrefix is returned by NewToken for a prefix that is too
// long or contains characters other than ASCII letters, digits and '_'.
// Prefixes are restricted so that tokens remain safe to put in headers,
// URLs and log-scrubbing regular expressions without escaping.
var ErrInvalidTokenPrefix = errors.New("auth: invalid token prefix")

// NewToken returns a fresh bearer token and the hash to store for it. The
// token is prefix followed by TokenBytes random bytes in unpadded base64url
// (for example "tid_" + 43 characters); the prefix lets secret scanners
// and humans recognise leaked Tidings tokens. Only hash (HashToken of the
// plain token) should be persisted: plain is shown to the user once, so a
// database leak does not hand out working credentials.
func NewToken(prefix string) (plain string, hash []byte, err error) {
	if len(prefix) > MaxTokenPrefixLength {
		return "", nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalidTokenPrefix, MaxTokenPrefixLength)
	}
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return "", nil, fmt.Errorf("%w: only letters, digits and '_' are allowed", ErrInvalidTokenPrefix)
		}
	}
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("auth: reading random token: %w", err)
	}
	plain = prefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, HashToken(plain), nil
}

// HashToken returns the SHA-256 of the complete token as presented by the
// client, prefix included. A fast unsalted hash is correct here (unlike
// for passwords) because tokens carry 256 bits of entropy, and being
// deterministic lets the server look a token up by its hash directly.
func HashToken(plain string) []byte {
	sum := sha256.Sum256([]byte(plain))
	return sum[:]
}
