package email

import (
	"errors"
	"fmt"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
)

// Kind classifies a failed send by what the dispatcher may safely do next (NOT-6, NOT-7).
type Kind int

const (
	// Permanent: the server refused the recipient or the message with a 5xx reply, and will
	// refuse it again. Record the notification as bounced; do not retry.
	Permanent Kind = iota + 1
	// Transient: the server did not take the message (a 4xx reply, a refused connection, a
	// TLS failure, a 5xx about our side such as a refused AUTH, anything before the end of
	// the DATA payload was handed over). Retry later.
	Transient
	// Unknown: the whole message was handed over, then the final reply never came (a
	// timeout, a dropped connection). The server may have accepted it; retrying blindly
	// could send the patient the message twice (NOT-7). Record it as unknown.
	Unknown
)

// String names the kind for logs and metric labels.
func (k Kind) String() string {
	switch k {
	case Permanent:
		return "permanent"
	case Transient:
		return "transient"
	case Unknown:
		return "outcome unknown"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Sentinels for errors.Is: errors.Is(err, ErrUnknown) is true for any *Error of that kind,
// so callers need not unwrap to decide.
var (
	ErrPermanent = errors.New("email: permanent failure")
	ErrTransient = errors.New("email: transient failure")
	ErrUnknown   = errors.New("email: outcome unknown")
)

// ErrInvalidMessage is matched by every error Send returns before it connects, because the
// Message itself is unusable (a header with CR or LF, no Message-ID, no text): nothing was
// sent and sending it again would fail the same way. It is a bug or bad data on our side,
// not a bounce, so it never flags the patient's address.
var ErrInvalidMessage = errors.New("email: invalid message")

// ErrInvalidAddress is the one invalid-message case that is about the patient's address
// (Message.To is not an address we can send to); errors.Is(err, ErrInvalidMessage) is also
// true for it. The dispatcher may flag the address, as for a bounce.
var ErrInvalidAddress = fmt.Errorf("%w: recipient address", ErrInvalidMessage)

// ErrInvalidConfig is matched by every error New returns; the text names the field.
var ErrInvalidConfig = errors.New("email: invalid configuration")

// Stage is the step of the SMTP session at which a send failed. It tells the dispatcher (and
// whoever reads the log) whether the problem was ours (auth), the recipient's (rcpt) or the
// message's (end-of-data).
type Stage string

// The stages of one SMTP session, in order.
const (
	StageConnect   Stage = "connect"     // TCP connection and, with TLS "tls", the handshake
	StageGreeting  Stage = "greeting"    // the server's 220 banner
	StageHello     Stage = "hello"       // EHLO (HELO as a fallback)
	StageStartTLS  Stage = "starttls"    // STARTTLS and its handshake
	StageAuth      Stage = "auth"        // AUTH
	StageMail      Stage = "mail"        // MAIL FROM
	StageRcpt      Stage = "rcpt"        // RCPT TO
	StageData      Stage = "data"        // the DATA command, before any of the message is sent
	StagePayload   Stage = "payload"     // writing the message; the final "." not yet handed over
	StageEndOfData Stage = "end-of-data" // the final "." was handed over; waiting for the reply
)

// Error is a failed send. Its text names the stage, the kind, the Message-ID and the SMTP
// codes, never the server's reply text: servers quote the recipient's address in it
// ("550 5.1.1 <jane@example.org>: user unknown"), and our errors end up in logs. The reply
// text is still there for whoever stores it with the notification: errors.As(err.Err,
// *textproto.Error).
type Error struct {
	// Kind says whether to record a bounce, retry, or record an unknown outcome.
	Kind Kind
	// Stage is where in the session it failed.
	Stage Stage
	// MessageID is the Message-ID of the message that failed, as given in Message.
	MessageID string
	// Code is the SMTP reply code (550, 451, …), 0 when the server gave no reply.
	Code int
	// Enhanced is the RFC 3463 enhanced status code from the reply ("5.1.1"), "" when the
	// reply had none.
	Enhanced string
	// Err is the cause: a *textproto.Error for an SMTP reply, otherwise a network, TLS or
	// context error (errors.Is(err, context.DeadlineExceeded) works through it).
	Err error
}

// Error describes the failure without the server's reply text (see the type's doc).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("email: send")
	if e.MessageID != "" {
		b.WriteString(" " + e.MessageID)
	}
	b.WriteString(": " + string(e.Stage) + ": " + e.Kind.String())
	if e.Code != 0 {
		b.WriteString(": smtp " + strconv.Itoa(e.Code))
		if e.Enhanced != "" {
			b.WriteString(" " + e.Enhanced)
		}
		return b.String()
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the Kind sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrPermanent:
		return e.Kind == Permanent
	case ErrTransient:
		return e.Kind == Transient
	case ErrUnknown:
		return e.Kind == Unknown
	}
	return false
}

// enhancedRE is an RFC 3463 status code: class "." subject "." detail.
var enhancedRE = regexp.MustCompile(`^([245])\.(\d{1,3})\.(\d{1,3})$`)

// reply extracts the SMTP reply code and enhanced status code from err, if the server
// answered. The enhanced code is read from the start of the reply text (RFC 2034) whether
// or not the server advertised ENHANCEDSTATUSCODES, but only when its class agrees with the
// reply code, so a text that merely starts with a version number is not mistaken for one.
func reply(err error) (code int, enhanced string) {
	var te *textproto.Error
	if !errors.As(err, &te) {
		return 0, ""
	}
	first, _, _ := strings.Cut(te.Msg, "\n")
	tok, _, _ := strings.Cut(strings.TrimSpace(first), " ")
	if m := enhancedRE.FindStringSubmatch(tok); m != nil && int(m[1][0]-'0') == te.Code/100 {
		enhanced = tok
	}
	return te.Code, enhanced
}

// AddressRefused reports whether the failure is about the recipient's address or mailbox
// (no such user, mailbox disabled or full), so that the dispatcher flags the address (NOT-6)
// only then, and not when a Permanent failure is about the message or about us: a spam or
// policy refusal (5.7.x: "relay access denied", a blocklisted IP, DMARC), a message too
// big. It reads the enhanced code; without one, a 550, 551 or 553 reply to RCPT counts.
func (e *Error) AddressRefused() bool {
	if e.Kind != Permanent {
		return false
	}
	if refused, known := addressStatus(e.Enhanced); known {
		return refused
	}
	return e.Stage == StageRcpt && (e.Code == 550 || e.Code == 551 || e.Code == 553)
}

// addressStatus says whether an RFC 3463 status code puts the fault on the recipient's
// address or mailbox (subject 1, addressing, except 7 and 8 which are about the sender; and
// subject 2, mailbox, except 2.3, message too long). known is false for a missing or
// malformed code and for the "other or undefined" subject 0.
func addressStatus(code string) (refused, known bool) {
	m := enhancedRE.FindStringSubmatch(code)
	if m == nil || m[2] == "0" {
		return false, false
	}
	switch m[2] {
	case "1":
		return m[3] != "7" && m[3] != "8", true
	case "2":
		return m[3] != "3", true
	}
	return false, true
}

// classify turns a failure at stage into an *Error.
//
// A 5xx reply is Permanent only where it is about this recipient or this message: RCPT,
// DATA, and the reply to the final ".". A 5xx at the greeting, EHLO, STARTTLS, AUTH or MAIL
// FROM is about us (bad credentials, a blocked sender, a relay that refuses our IP): it is
// Transient, with its Code kept, because recording a bounce would flag a good patient
// address for a fault that a configuration fix will cure. 4xx replies and failures without a
// reply are Transient, except at end-of-data, where a failure without a reply is Unknown.
func classify(stage Stage, messageID string, err error) *Error {
	code, enhanced := reply(err)
	e := &Error{Stage: stage, MessageID: messageID, Code: code, Enhanced: enhanced, Err: err}
	switch {
	case code == 530:
		// "Authentication required" (RFC 4954), whatever the command: our configuration.
		e.Kind = Transient
	case code >= 500 && code < 600 && (stage == StageRcpt || stage == StageData || stage == StageEndOfData):
		e.Kind = Permanent
	case code >= 400 && code < 600:
		e.Kind = Transient
	case stage == StageEndOfData:
		// No reply, or a reply we cannot read (a 3xx, a malformed line): the server had the
		// whole message and did not say what it did with it.
		e.Kind = Unknown
	default:
		e.Kind = Transient
	}
	return e
}
