package compose

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits Check applies.
const (
	// MaxSegments is the most SMS segments a template may need with long sample values:
	// beyond that the message costs more than a phone call and handsets may not join it.
	MaxSegments = 6
	// MaxBody is the most characters of a template body, on every channel.
	MaxBody = 5000
	// MaxSubject is the most characters of an e-mail subject or push title template.
	MaxSubject = 200
	// MaxPush is the most characters of a push body once rendered with long sample values:
	// platforms cut longer ones on the lock screen.
	MaxPush = 200
)

// Problem is one thing wrong with a template: the field ("subject", "body", or "kind",
// "channel", "lang" for a template no editor could produce) and why, in English, for staff.
// Callers map it to their own validation error.
type Problem struct {
	Field  string
	Reason string
}

// Problems is every problem Check found. It is the error Check and Render return, so that
// errors.As finds all of them at once and an editor can mark each field.
type Problems []Problem

// Error lists the problems: "body: unknown variable {foo}; …".
func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Field + ": " + p.Reason)
	}
	return b.String()
}

// Check validates a template as a clinic saves it: the variables exist for its kind and
// channel, braces balance, the body is not empty and not too long, a subject is a single
// line (required for e-mail and push, absent for SMS), an SMS fits MaxSegments and a push
// body MaxPush characters when rendered with long sample values. It returns nil or
// Problems.
func Check(t Template) error {
	ps := checkHeader(t)
	if len(ps) > 0 {
		return ps
	}
	allowed := variables(t.Kind, t.Channel)
	subject := normalise(t.Subject)
	switch {
	case t.Channel == ChannelSMS && strings.TrimSpace(subject) != "":
		ps = append(ps, Problem{"subject", "must be empty: an SMS has no subject"})
	case t.Channel != ChannelSMS && strings.TrimSpace(subject) == "":
		ps = append(ps, Problem{"subject", "is required"})
	case strings.Contains(subject, "\n"):
		ps = append(ps, Problem{"subject", "must be a single line"})
	case utf8.RuneCountInString(subject) > MaxSubject:
		ps = append(ps, Problem{"subject", "must be at most " + strconv.Itoa(MaxSubject) + " characters"})
	case hasControl(subject):
		ps = append(ps, Problem{"subject", "must not contain tabs or control characters"})
	}
	if t.Channel != ChannelSMS && utf8.RuneCountInString(subject) <= MaxSubject {
		_, sp := parse("subject", subject, allowed)
		ps = append(ps, sp...)
	}

	body := normalise(t.Body)
	switch {
	case strings.TrimSpace(body) == "":
		ps = append(ps, Problem{"body", "is required"})
	case utf8.RuneCountInString(body) > MaxBody:
		ps = append(ps, Problem{"body", "must be at most " + strconv.Itoa(MaxBody) + " characters"})
	case hasControl(body):
		ps = append(ps, Problem{"body", "must not contain tabs or control characters"})
	default:
		if _, bp := parse("body", body, allowed); len(bp) > 0 {
			ps = append(ps, bp...)
			break
		}
		loc, _ := locale(t.Lang)
		r, _ := render(t, longVars(), loc)
		switch n := r.Segments; {
		case t.Channel == ChannelSMS && n > MaxSegments:
			ps = append(ps, Problem{"body", "needs " + strconv.Itoa(n) + " SMS segments (" + r.Encoding +
				") with long names; at most " + strconv.Itoa(MaxSegments)})
		case t.Channel == ChannelPush && utf8.RuneCountInString(r.Text) > MaxPush:
			ps = append(ps, Problem{"body", "is " + strconv.Itoa(utf8.RuneCountInString(r.Text)) +
				" characters with long names; a notification holds at most " + strconv.Itoa(MaxPush)})
		}
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

// checkHeader checks what the editor fixes rather than types: the kind, channel and
// language.
func checkHeader(t Template) Problems {
	var ps Problems
	if !t.Kind.valid() {
		ps = append(ps, Problem{"kind", "unknown kind " + strconv.Quote(string(t.Kind))})
	}
	if !t.Channel.valid() {
		ps = append(ps, Problem{"channel", "unknown channel " + strconv.Quote(string(t.Channel))})
	} else if t.Kind.Account() && !offers(t.Kind, t.Channel) {
		ps = append(ps, Problem{"channel", "an account e-mail is sent by e-mail only"})
	} else if t.Kind.valid() && !offers(t.Kind, t.Channel) {
		ps = append(ps, Problem{"channel", "an answer to an SMS is sent by SMS only"})
	}
	if _, ok := locale(t.Lang); !ok {
		ps = append(ps, Problem{"lang", "unsupported language " + strconv.Quote(t.Lang) + ": en or fr"})
	}
	return ps
}

// normalise turns the line endings a browser's textarea sends (CRLF) into "\n".
func normalise(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// hasControl reports a control character other than a line break: a tab forces an SMS
// into UCS-2, and the others show as boxes or nothing.
func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r != '\n' && unicode.IsControl(r) }) >= 0
}
