package twilio

import (
	"errors"
	"net/url"
	"strconv"
	"unicode/utf8"
)

// ErrMalformed is matched (errors.Is) by every *ParseError: the request is not a callback we
// understand. Answer 400; the provider does not retry status callbacks that fail.
var ErrMalformed = errors.New("twilio: malformed callback")

// ParseError names the form field that made a callback unreadable. It never holds the
// field's value, which may be a phone number or a message.
type ParseError struct {
	// What is "status callback" or "inbound message".
	What string
	// Field is the form field, such as "MessageSid".
	Field string
	// Reason is why it was refused: "is missing", "is malformed", "is repeated".
	Reason string
}

func (e *ParseError) Error() string {
	return "twilio: " + e.What + ": " + e.Field + " " + e.Reason
}

// Is makes errors.Is(err, ErrMalformed) true.
func (e *ParseError) Is(target error) bool { return target == ErrMalformed }

// StatusCallback is the provider's report of a message's new status.
type StatusCallback struct {
	MessageSID          string
	AccountSID          string
	MessagingServiceSID string
	// Status is the new status. It may be one this package does not know (Known is false);
	// Replaces then ignores it.
	Status Status
	// ErrorCode is Twilio's code for failed and undelivered messages (30003 unreachable
	// handset, 30005 unknown number, 30007 carrier filtering, …), 0 otherwise.
	ErrorCode int
	To        string
	From      string
}

// Inbound is a message a patient sent to one of our numbers (NOT-10).
type Inbound struct {
	MessageSID          string
	AccountSID          string
	MessagingServiceSID string
	From                string
	To                  string
	Body                string
	NumSegments         int
}

// Limits on what a callback may carry; beyond them it is refused rather than stored.
const (
	maxAddress   = 64   // E.164 is 16; channel prefixes such as "whatsapp:" add a little
	maxBodyChars = 1600 // the provider's limit on a concatenated message
)

// ParseStatus reads a status callback's form (r.PostForm after Verify). MessageSid,
// MessageStatus and AccountSid are required (the legacy SmsSid and SmsStatus are accepted in
// their place); ErrorCode, To, From and MessagingServiceSid are optional.
func ParseStatus(form url.Values) (StatusCallback, error) {
	p := parser{what: "status callback", form: form}
	cb := StatusCallback{
		MessageSID:          p.sid("MessageSid", "SmsSid", true),
		AccountSID:          p.sid("AccountSid", "", true),
		MessagingServiceSID: p.sid("MessagingServiceSid", "", false),
		Status:              Status(p.token("MessageStatus", "SmsStatus")),
		ErrorCode:           p.number("ErrorCode", 999999),
		To:                  p.address("To", false),
		From:                p.address("From", false),
	}
	return cb, p.err
}

// ParseInbound reads an inbound message's form. MessageSid (or SmsSid), AccountSid, From and
// To are required; Body may be empty (a picture message).
func ParseInbound(form url.Values) (Inbound, error) {
	p := parser{what: "inbound message", form: form}
	in := Inbound{
		MessageSID:          p.sid("MessageSid", "SmsSid", true),
		AccountSID:          p.sid("AccountSid", "", true),
		MessagingServiceSID: p.sid("MessagingServiceSid", "", false),
		From:                p.address("From", true),
		To:                  p.address("To", true),
		Body:                p.body("Body"),
		NumSegments:         p.number("NumSegments", 100),
	}
	return in, p.err
}

// parser reads fields and keeps the first problem.
type parser struct {
	what string
	form url.Values
	err  error
}

func (p *parser) fail(field, reason string) {
	if p.err == nil {
		p.err = &ParseError{What: p.what, Field: field, Reason: reason}
	}
}

// get returns the single value of name (or of alt when name is absent).
func (p *parser) get(name, alt string) (string, string, bool) {
	vs, ok := p.form[name]
	if !ok && alt != "" {
		if vs, ok = p.form[alt]; ok {
			name = alt
		}
	}
	if !ok {
		return name, "", false // named after the field the provider sends today
	}
	if len(vs) != 1 {
		p.fail(name, "is repeated")
		return name, "", false
	}
	return name, vs[0], true
}

// sid reads a 34-character SID: two letters, then 32 hexadecimal digits.
func (p *parser) sid(name, alt string, required bool) string {
	field, v, ok := p.get(name, alt)
	if !ok || v == "" {
		if required {
			p.fail(field, "is missing")
		}
		return ""
	}
	if !ValidSID(v) {
		p.fail(field, "is malformed")
		return ""
	}
	return v
}

// ValidSID reports whether s reads as a provider SID: two capital letters and 32 hexadecimal
// digits (AC… an account, SM… a message). Callbacks are read with it, so an account whose
// SID it refuses could send but never be called back.
func ValidSID(s string) bool {
	if len(s) != 34 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		return false
	}
	for i := 2; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// token reads a required status name: 1 to 32 lower-case letters or underscores.
func (p *parser) token(name, alt string) string {
	field, v, ok := p.get(name, alt)
	if !ok || v == "" {
		p.fail(field, "is missing")
		return ""
	}
	if len(v) > 32 {
		p.fail(field, "is malformed")
		return ""
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !('a' <= c && c <= 'z' || c == '_') {
			p.fail(field, "is malformed")
			return ""
		}
	}
	return v
}

// number reads an optional non-negative decimal number no greater than limit.
func (p *parser) number(name string, limit int) int {
	_, v, ok := p.get(name, "")
	if !ok || v == "" {
		return 0
	}
	if len(v) > 9 {
		p.fail(name, "is malformed")
		return 0
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			p.fail(name, "is malformed")
			return 0
		}
	}
	n, _ := strconv.Atoi(v) // nine digits at most: cannot fail
	if n > limit {
		p.fail(name, "is out of range")
		return 0
	}
	return n
}

// address reads a phone number or sender id: printable, valid UTF-8, at most 64 bytes.
func (p *parser) address(name string, required bool) string {
	_, v, ok := p.get(name, "")
	if !ok || v == "" {
		if required {
			p.fail(name, "is missing")
		}
		return ""
	}
	if len(v) > maxAddress || !utf8.ValidString(v) {
		p.fail(name, "is malformed")
		return ""
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			p.fail(name, "is malformed")
			return ""
		}
	}
	return v
}

// body reads a message text: valid UTF-8, at most 1600 characters.
func (p *parser) body(name string) string {
	_, v, _ := p.get(name, "")
	if !utf8.ValidString(v) || len(v) > 4*maxBodyChars || utf8.RuneCountInString(v) > maxBodyChars {
		p.fail(name, "is malformed")
		return ""
	}
	return v
}
