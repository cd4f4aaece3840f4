package hl7

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxControlIDLength is the longest MSH-10 accepted: 199 characters since v2.5 (20 before).
// A longer one cannot be echoed in MSA-2, so the sender could never match the ACK.
const MaxControlIDLength = 199

// Validate checks what every inbound message needs before anything else looks at it — a
// message type (MSH-9.1 of three letters or digits), a control id to acknowledge (MSH-10, at
// most MaxControlIDLength characters) and a v2 version (MSH-12) — and returns the first
// problem as a *ValidationError naming the field, with the HL7 code for ERR-3. Whether the
// app handles the type is the mapping's decision, not this one.
func Validate(m *Message) error {
	msh := (*Segment)(nil)
	if m != nil {
		msh = m.MSH()
	}
	if msh == nil {
		return &ValidationError{Segment: "MSH", Code: CodeSegmentSequenceError, Reason: "no MSH segment at start"}
	}
	fail := func(field, comp int, code ErrorCode, reason string) error {
		return &ValidationError{Segment: "MSH", Field: field, Component: comp, Code: code,
			Reason: fieldName("MSH", field, comp) + " " + reason}
	}
	switch code := strings.TrimSpace(m.Type().Code); {
	case code == "":
		return fail(9, 0, CodeRequiredFieldMissing, "message type is missing")
	case !isMessageCode(code):
		return fail(9, 1, CodeTableValueNotFound, "message code is not three letters or digits")
	}
	switch id := m.ControlID(); {
	case strings.TrimSpace(id) == "":
		return fail(10, 0, CodeRequiredFieldMissing, "message control id is missing")
	case utf8.RuneCountInString(id) > MaxControlIDLength:
		return fail(10, 0, CodeDataTypeError, "message control id is longer than "+strconv.Itoa(MaxControlIDLength)+" characters")
	}
	switch v := strings.TrimSpace(m.Version()); {
	case v == "":
		return fail(12, 0, CodeRequiredFieldMissing, "version is missing")
	case !isV2Version(v):
		return fail(12, 0, CodeUnsupportedVersionID, "version is not an HL7 version 2 number such as 2.3.1 or 2.5")
	}
	return nil
}

func isMessageCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// isV2Version: "2." then digits, optionally ".digits" (2.3, 2.3.1, 2.5.1, 2.8.2).
func isV2Version(v string) bool {
	rest, ok := strings.CutPrefix(v, "2.")
	if !ok {
		return false
	}
	minor, patch, hasPatch := strings.Cut(rest, ".")
	if minor == "" || len(minor) > 2 || !allDigits(minor) {
		return false
	}
	return !hasPatch || (patch != "" && len(patch) <= 2 && allDigits(patch))
}

// versionBefore reports whether an HL7 v2 version string is older than 2.minor; unreadable
// versions count as not older.
func versionBefore(v string, minor int) bool {
	if !isV2Version(v) {
		return false
	}
	m, _, _ := strings.Cut(strings.TrimPrefix(v, "2."), ".")
	n, _ := strconv.Atoi(m)
	return n < minor
}
