package auth

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		want error
	}{
		{"ok", "correct horse battery", nil},
		{"exactly 12", "abcdefghijkl", nil},
		{"11 chars", "abcdefghijk", ErrPasswordTooShort},
		{"empty", "", ErrPasswordTooShort},
		{"12 runes non-latin", "парольпароль", nil},
		{"6 runes 12 bytes", "пароль", ErrPasswordTooShort},
		{"all spaces", strings.Repeat(" ", 20), ErrPasswordBlank},
		{"mixed whitespace", " \t\n\u00a0\u3000           ", ErrPasswordBlank},
		{"spaces inside ok", "  a          ", nil},
		{"256 bytes", strings.Repeat("a", 256), nil},
		{"257 bytes", strings.Repeat("a", 257), ErrPasswordTooLong},
		{"invalid utf8", "abcdefghijkl\xff", ErrPasswordEncoding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidatePassword(tt.pw)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ValidatePassword = %v, want %v", err, tt.want)
			}
			if err != nil && tt.pw != "" && strings.Contains(err.Error(), tt.pw) {
				t.Fatal("error message contains the password")
			}
		})
	}
}

// The user-facing messages hard-code the limits; keep them in sync.
func TestPolicyMessagesMatchConstants(t *testing.T) {
	if !strings.Contains(ErrPasswordTooShort.Error(), strconv.Itoa(MinPasswordChars)) {
		t.Errorf("%q does not mention %d", ErrPasswordTooShort, MinPasswordChars)
	}
	if !strings.Contains(ErrPasswordTooLong.Error(), strconv.Itoa(MaxPasswordBytes)) {
		t.Errorf("%q does not mention %d", ErrPasswordTooLong, MaxPasswordBytes)
	}
}
