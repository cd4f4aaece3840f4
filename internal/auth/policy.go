package auth

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Password policy limits. They follow NIST SP 800-63B: length is what
// matters, so there are no composition rules (digits, symbols, ...).
const (
	// MinPasswordChars is the minimum length in characters (Unicode code
	// points), not bytes, so that non-Latin passwords are not penalised.
	MinPasswordChars = 12
	// MaxPasswordBytes bounds the input so that a multi-megabyte
	// "password" cannot be used to make hashing expensive, while staying
	// far above anything a person or password manager produces.
	MaxPasswordBytes = 256
)

// Policy violations returned by ValidatePassword. They are sentinel values
// so handlers can branch with errors.Is, and their messages are written to
// be shown to the user verbatim: they never contain the password.
var (
	// ErrPasswordTooShort means fewer than MinPasswordChars characters.
	ErrPasswordTooShort = errors.New("password must be at least 12 characters long")
	// ErrPasswordTooLong means more than MaxPasswordBytes bytes.
	ErrPasswordTooLong = errors.New("password must be at most 256 bytes long")
	// ErrPasswordBlank means the password consists only of whitespace,
	// which would pass the length check yet is trivially guessable.
	ErrPasswordBlank = errors.New("password must not consist only of spaces")
	// ErrPasswordEncoding means the input is not valid UTF-8, which would
	// make the same password hash differently depending on the client.
	ErrPasswordEncoding = errors.New("password contains invalid characters")
)

// ValidatePassword checks a newly chosen password against the policy and
// returns one of the ErrPassword* errors, whose message is safe to show to
// the user. It is meant for registration and password changes only; login
// must not apply it, or users with older passwords would be locked out.
// The password is not normalised (no Unicode NFC, no trimming): it is
// hashed exactly as typed.
func ValidatePassword(pw string) error {
	switch {
	case len(pw) > MaxPasswordBytes:
		return ErrPasswordTooLong
	case !utf8.ValidString(pw):
		return ErrPasswordEncoding
	case utf8.RuneCountInString(pw) < MinPasswordChars:
		return ErrPasswordTooShort
	case strings.TrimFunc(pw, unicode.IsSpace) == "":
		return ErrPasswordBlank
	}
	return nil
}
