package email

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// iTIP methods (RFC 5546) for Event.Method.
const (
	// MethodRequest is a new or changed appointment: a booking confirmation, or a reschedule
	// with the same UID and a higher Sequence.
	MethodRequest = "REQUEST"
	// MethodCancel withdraws the appointment with that UID; Sequence must be higher than the
	// last REQUEST's.
	MethodCancel = "CANCEL"
)

// Event is an appointment as an iCalendar (RFC 5545) event, attached to booking
// confirmations and reschedules so the patient's calendar picks it up.
type Event struct {
	// UID identifies the appointment across its REQUESTs and its CANCEL; keep it stable
	// (e.g. "appointment-42@tidings.example"). Required.
	UID string
	// Sequence is the revision: 0 for the booking, one more for each reschedule or cancel.
	// Calendars ignore an update whose Sequence is not higher than the one they have.
	Sequence int
	// Method is MethodRequest (the default when empty) or MethodCancel.
	Method string
	// Start and End are written in UTC. End must be after Start.
	Start, End time.Time
	// Summary, Location and Description are free text; any characters are escaped.
	Summary, Location, Description string
	// Organizer is the clinic's address (ORGANIZER), where replies would go; optional, but
	// RFC 5546 expects one and some clients ignore an invitation without it.
	Organizer, OrganizerName string
	// Attendee is the patient's address (ATTENDEE), marked as having accepted and not asked
	// to reply (PARTSTAT=ACCEPTED, RSVP=FALSE): the patient booked it. Optional.
	Attendee, AttendeeName string
	// Stamp is DTSTAMP, when this revision was made (the notification's creation time, not
	// the time of sending, so a resend is byte-for-byte the same). Required.
	Stamp time.Time
}

// ProdID is the PRODID of every calendar we write.
const ProdID = "-//Tidings//Tidings Notifications//EN"

func (e Event) method() string {
	if e.Method == "" {
		return MethodRequest
	}
	return strings.ToUpper(e.Method)
}

// Validate reports what is missing or wrong in e; Send calls it for Message.Calendar.
func (e Event) Validate() error {
	switch {
	case strings.TrimSpace(e.UID) == "":
		return errors.New("UID is required")
	case e.method() != MethodRequest && e.method() != MethodCancel:
		return fmt.Errorf("Method %q is not REQUEST or CANCEL", e.Method)
	case e.Sequence < 0:
		return errors.New("Sequence is negative")
	case e.Start.IsZero():
		return errors.New("Start is required")
	case !e.End.After(e.Start):
		return errors.New("End is not after Start")
	case e.Stamp.IsZero():
		return errors.New("Stamp is required")
	case e.Organizer != "" && !validAddress(e.Organizer):
		return errors.New("Organizer is not a valid address")
	case e.Attendee != "" && !validAddress(e.Attendee):
		return errors.New("Attendee is not a valid address")
	}
	return nil
}

// ICS renders e as an iCalendar object (RFC 5545) with the method's iTIP properties
// (RFC 5546): CRLF line ends, lines folded at 75 octets without splitting a UTF-8
// character, TEXT values escaped (\ ; , and newlines), times in UTC. It renders whatever it
// is given (call Validate first); invalid UTF-8 becomes U+FFFD and control characters other
// than tab are dropped, so the output is always well-formed.
func (e Event) ICS() []byte {
	var b bytes.Buffer
	line := func(s string) { fold(&b, s) }
	method := e.method()
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:" + ProdID)
	line("CALSCALE:GREGORIAN")
	line("METHOD:" + method)
	line("BEGIN:VEVENT")
	line("UID:" + escapeText(e.UID))
	line("SEQUENCE:" + strconv.Itoa(e.Sequence))
	line("DTSTAMP:" + icsTime(e.Stamp))
	line("DTSTART:" + icsTime(e.Start))
	line("DTEND:" + icsTime(e.End))
	line("SUMMARY:" + escapeText(e.Summary))
	if e.Location != "" {
		line("LOCATION:" + escapeText(e.Location))
	}
	if e.Description != "" {
		line("DESCRIPTION:" + escapeText(e.Description))
	}
	if e.Organizer != "" {
		line("ORGANIZER" + cn(e.OrganizerName) + ":mailto:" + calAddress(e.Organizer))
	}
	if e.Attendee != "" {
		line("ATTENDEE" + cn(e.AttendeeName) + ";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:" +
			calAddress(e.Attendee))
	}
	if method == MethodCancel {
		line("STATUS:CANCELLED")
	} else {
		line("STATUS:CONFIRMED")
	}
	line("TRANSP:OPAQUE")
	line("END:VEVENT")
	line("END:VCALENDAR")
	return b.Bytes()
}

func icsTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// clean makes s valid UTF-8 without control characters (tab kept, line breaks kept for
// escapeText to turn into \n).
func clean(s string, keepNewlines bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return r
		case keepNewlines && (r == '\n' || r == '\r'):
			return r
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
}

// escapeText escapes a TEXT value (RFC 5545 section 3.3.11): backslash, semicolon, comma
// and line breaks (CRLF, LF or CR become \n).
func escapeText(s string) string {
	s = clean(s, true)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.NewReplacer(`\`, `\\`, `;`, `\;`, `,`, `\,`, "\n", `\n`).Replace(s)
}

// cn renders a CN parameter, or nothing for an empty name. A quoted parameter value cannot
// hold a double quote or a control character (RFC 5545 section 3.1): quotes are dropped,
// line breaks and tabs become spaces.
func cn(name string) string {
	name = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ", "\t", " ", `"`, "").Replace(name)
	name = clean(name, false)
	if name == "" {
		return ""
	}
	return `;CN="` + name + `"`
}

// calAddress keeps an address usable as a mailto URI value: no controls, no spaces.
func calAddress(s string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}

// fold writes one content line, folded so that no physical line exceeds 75 octets before
// its CRLF (RFC 5545 section 3.1): continuation lines start with a space, which counts
// towards their 75, and never split a UTF-8 sequence.
func fold(b *bytes.Buffer, s string) {
	const limit = 75
	first := true
	for {
		room := limit
		if !first {
			b.WriteByte(' ')
			room--
		}
		if len(s) <= room {
			b.WriteString(s)
			b.WriteString("\r\n")
			return
		}
		cut := room
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		// Folding may split an escape such as \n (unfolding restores it), but some readers
		// unescape line by line, so keep the pair together when it costs one octet.
		if n := trailingBackslashes(s[:cut]); n%2 == 1 {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n")
		s = s[cut:]
		first = false
	}
}

func trailingBackslashes(s string) int {
	n := 0
	for n < len(s) && s[len(s)-1-n] == '\\' {
		n++
	}
	return n
}
