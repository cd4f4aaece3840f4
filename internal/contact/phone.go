package contact

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// MaxPhoneInputLength is the longest raw phone input accepted, in bytes.
// Real numbers with generous formatting fit easily; the cap keeps
// arbitrary pasted text away from the parser.
const MaxPhoneInputLength = 64

// maxE164Length is '+' followed by at most 15 digits (ITU-T E.164).
const maxE164Length = 16

// Phone-number rejection reasons (Error.Reason values). The region-specific
// reason is built by invalidForRegion.
const (
	reasonNotPhone     = "is not a phone number"
	reasonTooLong      = "is too long"
	reasonInvalid      = "is not a valid phone number"
	reasonNotMobile    = "is not a mobile number"
	reasonHasExtension = "must not include an extension"
)

// invalidForRegion is the reason for a number that parses but is not valid
// in the clinic's numbering plan.
func invalidForRegion(region string) string {
	return "is not a valid number for region " + region
}

// Mobile validates a mobile phone number and returns it in E.164 form
// (e.g. "+61412345678"), which is what SMS gateways expect and what makes
// duplicate detection work. raw may be in national format ("0412 345 678")
// interpreted using region, the clinic's ISO 3166-1 alpha-2 code such as
// "AU" or "FR", or in international format ("+33 6 12 34 56 78").
//
// The number must be valid and of type MOBILE or FIXED_LINE_OR_MOBILE (the
// latter covers plans such as the US where the two cannot be told apart).
// Valid mobiles from other countries are accepted, because patients
// include visitors and expatriates; callers that can only send domestic
// SMS should compare the country code themselves.
//
// Failures are *Error with Field "mobile", except an unknown region, which
// wraps ErrUnknownRegion.
func Mobile(raw, region string) (string, error) {
	num, err := parse("mobile", raw, region)
	if err != nil {
		return "", err
	}
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
	default:
		return "", &Error{Field: "mobile", Reason: reasonNotMobile}
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// Phone validates any diallable phone number (landline, mobile, VoIP,
// toll-free, ...) and returns it in E.164 form. It exists for contact
// fields such as a home or work number that are only ever called, never
// texted. Input rules and errors are as for Mobile, with Field "phone".
func Phone(raw, region string) (string, error) {
	num, err := parse("phone", raw, region)
	if err != nil {
		return "", err
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// parse does the checks shared by Mobile and Phone and returns a number
// that is valid and has no extension.
func parse(field, raw, region string) (*phonenumbers.PhoneNumber, error) {
	region = strings.ToUpper(strings.TrimSpace(region))
	if phonenumbers.GetCountryCodeForRegion(region) == 0 {
		return nil, fmt.Errorf("%w %q", ErrUnknownRegion, region)
	}
	s := strings.TrimSpace(raw)
	if len(s) > MaxPhoneInputLength {
		return nil, &Error{Field: field, Reason: reasonTooLong}
	}
	if s == "" || !plausiblePhoneText(s) {
		return nil, &Error{Field: field, Reason: reasonNotPhone}
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		return nil, &Error{Field: field, Reason: reasonNotPhone}
	}
	// An extension cannot be represented in E.164 and would be silently
	// dropped; make the patient fix it instead of storing a different
	// number from the one they gave.
	if num.GetExtension() != "" {
		return nil, &Error{Field: field, Reason: reasonHasExtension}
	}
	// libphonenumber accepts some numbers (e.g. long German extensions
	// dialled directly) whose E.164 form exceeds the 15 digits the
	// standard and SMS gateways allow; treat those as invalid too.
	if !phonenumbers.IsValidNumber(num) || len(phonenumbers.Format(num, phonenumbers.E164)) > maxE164Length {
		if int(num.GetCountryCode()) == phonenumbers.GetCountryCodeForRegion(region) {
			return nil, &Error{Field: field, Reason: invalidForRegion(region)}
		}
		return nil, &Error{Field: field, Reason: reasonInvalid}
	}
	return num, nil
}

// plausiblePhoneText rejects input that contains anything but digits,
// whitespace and the punctuation people use when writing numbers. The
// parser alone is too forgiving for a form field: it skips leading text
// ("call 0412 345 678"), converts letters ("1800-FLOWERS") and understands
// extensions and RFC 3966 URIs, so free text could be silently turned into
// a number the patient did not mean. Unicode digits (full-width, Arabic-
// Indic, ...) are allowed; the parser normalises them.
func plausiblePhoneText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case unicode.IsDigit(r), r == ' ', r == '\t', r == '\u00a0':
		case strings.ContainsRune("+-()./", r):
		case unicode.Is(unicode.Pd, r): // dashes of all widths
		case r == '\uff0b': // full-width plus sign
		default:
			return false
		}
	}
	return true
}
