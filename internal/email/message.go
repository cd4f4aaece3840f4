package email

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one notification e-mail to one patient.
type Message struct {
	// MessageID is the Message-ID header, angle brackets included, stable per notification so
	// that a resend carries the same one and a bounce can be matched to the notification.
	// Build it with MessageID. Required.
	MessageID string
	// To is the recipient's bare address ("jane@example.org"). Required.
	To string
	// ToName is the recipient's display name, optional.
	ToName string
	// Subject may be empty; it must not contain CR or LF.
	Subject string
	// Text is the text/plain part. Required: every message has a text part.
	Text string
	// HTML is the text/html alternative, optional.
	HTML string
	// Calendar, if set, adds the event as an .ics attachment (invite.ics) and as a
	// text/calendar alternative, both with the event's METHOD, so that mail clients offer to
	// add it to the patient's calendar. Booking confirmations and reschedules set it.
	Calendar *Event
	// Headers are extra header fields, such as X-Tidings-Notification. Names must be RFC 5322
	// field names and may not replace a field Send writes itself (From, To, Subject, Date,
	// Message-ID, MIME and Content-* fields, Auto-Submitted…); values must not contain CR, LF
	// or NUL. Non-ASCII values are encoded (RFC 2047).
	Headers map[string]string
}

// reserved are the header fields Send writes itself, in lower case.
var reserved = []string{
	"from", "sender", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id",
	"mime-version", "return-path", "received", "auto-submitted", "in-reply-to", "references",
}

// MessageID returns the Message-ID for a notification: "<n-ID.CHECK@domain>", where CHECK
// is a short checksum of the ID and domain. The same notification always gets the same
// Message-ID, so a resend is recognisably the same message and a bounce (whose report quotes
// the Message-ID) leads back to the notification through NotificationID. The checksum lets
// NotificationID refuse IDs that MessageID did not make (a typo, another system's "n-12");
// it is not a security measure. domain should be our own sending domain; a domain that is
// not a valid host name gives a Message-ID that Send refuses.
func MessageID(notificationID int64, domain string) string {
	domain = asciiLower(domain)
	return fmt.Sprintf("<n-%d.%08x@%s>", notificationID, checksum(notificationID, domain), domain)
}

// NotificationID returns the notification ID in a Message-ID made by MessageID for domain,
// and false for any other Message-ID. The bounce webhook uses it on Report.OriginalMessageID.
func NotificationID(messageID, domain string) (int64, bool) {
	s, ok := strings.CutPrefix(strings.TrimSpace(messageID), "<n-")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, ">")
	if !ok {
		return 0, false
	}
	local, dom, ok := strings.Cut(s, "@")
	if !ok || asciiLower(dom) != asciiLower(domain) {
		return 0, false
	}
	num, sum, ok := strings.Cut(local, ".")
	if !ok || len(sum) != 8 {
		return 0, false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || strconv.FormatInt(id, 10) != num {
		return 0, false
	}
	if sum != fmt.Sprintf("%08x", checksum(id, asciiLower(domain))) {
		return 0, false
	}
	return id, true
}

// asciiLower lower-cases ASCII letters only: domain names compare that way (RFC 4343), and
// Unicode case mapping would change the length or fold two different names together.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func checksum(id int64, domain string) uint32 {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d@%s", id, domain)
	return h.Sum32()
}

// validMessageID accepts "<left@right>" where both sides are dot-atoms (RFC 5322 section
// 3.6.4, without the obsolete and domain-literal forms), at most 250 octets.
func validMessageID(s string) bool {
	if len(s) > 250 || !strings.HasPrefix(s, "<") || !strings.HasSuffix(s, ">") {
		return false
	}
	left, right, ok := strings.Cut(s[1:len(s)-1], "@")
	return ok && dotAtom(left) && dotAtom(right)
}

func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// validFieldName accepts RFC 5322 field names: printable ASCII except ':'.
func validFieldName(s string) bool {
	if s == "" || len(s) > 76 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 || s[i] == ':' {
			return false
		}
	}
	return true
}

// check validates m, naming the offending field; it never quotes a value, which may be the
// patient's address or name.
func (m Message) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidMessage}, args...)...)
	}
	switch {
	case m.MessageID == "":
		return bad("MessageID is required")
	case !validMessageID(m.MessageID):
		return bad("MessageID %q is not <local@domain>", m.MessageID)
	case m.To == "":
		return fmt.Errorf("%w: To is required", ErrInvalidAddress)
	case !validAddress(m.To):
		return fmt.Errorf("%w: To is not a valid address", ErrInvalidAddress)
	case hasCRLF(m.ToName):
		return bad("ToName contains CR or LF")
	case hasCRLF(m.Subject):
		return bad("Subject contains CR or LF")
	case strings.TrimSpace(m.Text) == "":
		return bad("Text is required")
	}
	names := make(map[string]bool, len(m.Headers))
	for name, value := range m.Headers {
		lower := strings.ToLower(name)
		switch {
		case !validFieldName(name):
			return bad("header name %q is not a field name", name)
		case slices.Contains(reserved, lower) || strings.HasPrefix(lower, "content-"):
			return bad("header %s is written by Send and cannot be set", name)
		case names[lower]:
			return bad("header %s is given twice", name)
		case strings.ContainsAny(value, "\r\n\x00"):
			return bad("header %s contains CR, LF or NUL", name)
		case len(value) > 900:
			return bad("header %s is longer than 900 octets", name)
		}
		names[lower] = true
	}
	if m.Calendar != nil {
		if err := m.Calendar.Validate(); err != nil {
			return fmt.Errorf("%w: Calendar: %w", ErrInvalidMessage, err)
		}
	}
	return nil
}

// compose renders m as the bytes of the DATA payload (CRLF line ends, not dot-stuffed).
// Rendering happens before connecting, so nothing can fail half-way through DATA except
// the connection.
func (s *Sender) compose(m Message, now time.Time) ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(&mail.Address{Name: s.cfg.FromName, Address: s.cfg.From})
	msg.AddToMailAddress(&mail.Address{Name: m.ToName, Address: m.To})
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID[1 : len(m.MessageID)-1])
	msg.SetDateWithValue(now)
	// RFC 3834: tells auto-responders (vacation replies) not to answer a notification.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	names := make([]string, 0, len(m.Headers))
	for name := range m.Headers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		msg.SetGenHeader(gomail.Header(name), m.Headers[name])
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	if ev := m.Calendar; ev != nil {
		ics := ev.ICS()
		method := ev.method()
		msg.AddAlternativeString(gomail.ContentType("text/calendar; method="+method), string(ics))
		err := msg.AttachReader("invite.ics", bytes.NewReader(ics),
			gomail.WithFileContentType(gomail.ContentType("text/calendar; charset=utf-8; method="+method)))
		if err != nil {
			return nil, fmt.Errorf("email: attach invite.ics: %w", err)
		}
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("email: render message %s: %w", m.MessageID, err)
	}
	return buf.Bytes(), nil
}
