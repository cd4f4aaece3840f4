package contact

import (
	"net/mail"
	"strings"
)

// Limits from RFC 5321 (path and local-part) and RFC 1035 (labels).
const (
	// MaxEmailLength is the longest address accepted, in bytes.
	MaxEmailLength = 254
	// MaxLocalPartLength is the longest part before the '@', in bytes.
	MaxLocalPartLength = 64
	// maxLabelLength is the longest DNS label.
	maxLabelLength = 63
)

// E-mail rejection reasons (Error.Reason values).
const (
	reasonNotEmail       = "is not an email address"
	reasonEmailTooLong   = "is too long"
	reasonLocalTooLong   = "has too many characters before the @"
	reasonDisplayName    = "must contain only the address, without a name or angle brackets"
	reasonBadLocal       = "has characters before the @ that are not allowed"
	reasonBadDomain      = "has an invalid domain after the @"
	reasonEmailSpace     = "must not contain spaces"
	reasonEmailCharacter = "contains characters that are not allowed"
)

// Email validates a patient's e-mail address and returns it normalised:
// surrounding whitespace removed and the domain lower-cased. The local
// part keeps its case because RFC 5321 lets servers treat it as case-
// sensitive, even though few do.
//
// The rules are stricter than RFC 5322, on purpose, because the address
// is used to deliver appointment reminders and it is better to ask the
// patient again than to store something no mail provider will deliver to:
// exactly one '@'; no display name, angle brackets, comments or quoted
// local parts; only printable ASCII (internationalised domains must be
// entered in their xn-- form); a local part of at most 64 bytes in
// dot-atom form; a domain of at least two dot-separated labels made of
// letters, digits and inner hyphens with a non-numeric top-level label;
// at most 254 bytes in total. net/mail.ParseAddress is applied as well, as
// an independent check of RFC 5322 syntax.
//
// Failures are *Error with Field "email"; they never repeat the address.
func Email(raw string) (string, error) {
	fail := func(reason string) (string, error) {
		return "", &Error{Field: "email", Reason: reason}
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return fail(reasonNotEmail)
	}
	if len(s) > MaxEmailLength {
		return fail(reasonEmailTooLong)
	}
	if strings.ContainsAny(s, "<>") {
		return fail(reasonDisplayName)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			return fail(reasonEmailSpace)
		case c < 0x21 || c > 0x7e: // control characters, DEL, non-ASCII
			return fail(reasonEmailCharacter)
		}
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || strings.Contains(domain, "@") || local == "" || domain == "" {
		return fail(reasonNotEmail)
	}
	if len(local) > MaxLocalPartLength {
		return fail(reasonLocalTooLong)
	}
	if !validLocalPart(local) {
		return fail(reasonBadLocal)
	}
	if !validDomain(domain) {
		return fail(reasonBadDomain)
	}
	// Independent RFC 5322 check. Requiring the parsed address to be the
	// input itself, with no name, rules out any comment or quoting form
	// that the checks above might have missed.
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return fail(reasonNotEmail)
	}
	return local + "@" + strings.ToLower(domain), nil
}

// validLocalPart reports whether local is an RFC 5322 dot-atom: runs of
// atext characters separated by single dots, no leading or trailing dot.
// Quoted local parts are refused because many providers reject them.
func validLocalPart(local string) bool {
	for _, atom := range strings.Split(local, ".") {
		if atom == "" {
			return false
		}
		for i := 0; i < len(atom); i++ {
			if !isAtext(atom[i]) {
				return false
			}
		}
	}
	return true
}

// isAtext reports whether c is an RFC 5322 atext character.
func isAtext(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// validDomain reports whether domain is a host name with at least two
// labels, each 1-63 bytes of [A-Za-z0-9-] that neither starts nor ends
// with '-', and a top-level label that is not all digits (so IP addresses
// like 10.0.0.1 are refused).
func validDomain(domain string) bool {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > maxLabelLength || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return strings.Trim(tld, "0123456789") != ""
}
