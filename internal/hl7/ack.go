package hl7

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AckCode is MSA-1, the verdict an acknowledgement carries. Senders resend on AE and stop on
// AR, so choosing the right one matters: AE for a fault that may pass on retry, AR for a
// message that will never be accepted (unsupported type, unreadable structure).
type AckCode string

// The acknowledgement codes of HL7 table 0008: A* for original (application)
// acknowledgement, C* for enhanced-mode commit acknowledgement.
const (
	AckAccept       AckCode = "AA" // application accept
	AckError        AckCode = "AE" // application error
	AckReject       AckCode = "AR" // application reject
	AckCommitAccept AckCode = "CA" // commit accept
	AckCommitError  AckCode = "CE" // commit error
	AckCommitReject AckCode = "CR" // commit reject
)

// isError reports whether the code needs an ERR segment.
func (c AckCode) isError() bool { return c != AckAccept && c != AckCommitAccept }

// AckOption adjusts an acknowledgement built by ACK or ACKRaw.
type AckOption func(*ackConfig)

type ackConfig struct {
	controlID string
	at        time.Time
	detail    *ErrDetail
}

// WithControlID sets MSH-10 of the acknowledgement. Each ACK needs an id of its own, unique
// for the receiver, which this package cannot know; without one, the ACK's id is "ACK"
// followed by the request's id (or by the time, when there is none).
func WithControlID(id string) AckOption {
	return func(c *ackConfig) { c.controlID = id }
}

// WithTime sets MSH-7 of the acknowledgement (default: now), so tests and replays are
// reproducible.
func WithTime(t time.Time) AckOption {
	return func(c *ackConfig) { c.at = t }
}

// WithCause fills the ERR segment from err: its location and code when err (or an error it
// wraps) is a Detailer such as *ParseError or *ValidationError, else code 207 (application
// internal error). Only the location and code are used, never err's text; pass a text to ACK
// for that.
func WithCause(err error) AckOption {
	return func(c *ackConfig) {
		if err == nil {
			return
		}
		d := ErrDetail{Code: CodeApplicationError}
		var dt Detailer
		if errors.As(err, &dt) {
			d = dt.ErrDetail()
		}
		c.detail = &d
	}
}

// WithErrDetail fills the ERR segment from d, for callers that describe a problem
// themselves.
func WithErrDetail(d ErrDetail) AckOption {
	return func(c *ackConfig) { c.detail = &d }
}

// Limits on what goes back to the sender.
const (
	maxAckText     = 80  // MSA-3 (ST 80 up to v2.6)
	maxErrText     = 250 // ERR-8
	maxHDComponent = 227 // a designator's part
)

// ackHeader is what an acknowledgement takes from the request's MSH: routing, the ids to
// echo, and the protocol settings — and nothing else, so that no patient data can leak into
// the ACK, which goes back over the wire and into logs.
type ackHeader struct {
	delims                             Delimiters
	sendApp, sendFac, recvApp, recvFac Field
	trigger                            string
	controlID                          string
	processing                         Field
	version                            Field
}

// ACK builds the acknowledgement of req: MSH with sender and receiver swapped (MSH-3/4 ↔
// MSH-5/6), MSH-9 ACK^<trigger>^ACK, the request's delimiters, processing id and version;
// MSA with code, the request's control id and text; and, for AE, AR, CE and CR, a v2.5 ERR
// segment (location in ERR-2, code in ERR-3, severity in ERR-4, text in ERR-8; also ERR-1 for
// receivers older than v2.5), filled by WithCause or WithErrDetail. An unknown code is sent
// as AE.
//
// From the request it copies only header fields, each bounded in size: the ACK never
// carries patient data other than the control id. text is the caller's: keep patient data
// out of it (the reasons of this package's errors are safe). req may be a message that failed
// Validate, or nil (see ACKRaw).
func ACK(req *Message, code AckCode, text string, opts ...AckOption) *Message {
	h := ackHeader{delims: StandardDelimiters()}
	if req != nil && req.MSH() != nil && req.delims.Validate() == nil {
		h = ackHeader{
			delims:     req.delims,
			sendApp:    req.headerField(3),
			sendFac:    req.headerField(4),
			recvApp:    req.headerField(5),
			recvFac:    req.headerField(6),
			trigger:    req.headerField(9).Component(2),
			controlID:  req.ControlID(),
			processing: req.headerField(11),
			version:    req.headerField(12),
		}
	}
	return buildACK(h, code, text, opts)
}

// ACKRaw builds the acknowledgement of a message that may not parse, which a receiver must
// still answer: it parses raw and calls ACK when that works; otherwise it salvages what it
// can from the first line (delimiters, MSH-3 to MSH-6, trigger, control id, processing id,
// version) and falls back to standard delimiters and empty routing when even the MSH is
// unreadable. Pass the parse error through WithCause for the ERR segment.
func ACKRaw(raw []byte, code AckCode, text string, opts ...AckOption) *Message {
	if m, err := Parse(raw); err == nil {
		return ACK(m, code, text, opts...)
	}
	return buildACK(salvageHeader(raw), code, text, opts)
}

// salvageHeader reads MSH fields from the first line of a message that did not parse. It
// looks at no more than the first 64 KiB.
func salvageHeader(raw []byte) ackHeader {
	h := ackHeader{delims: StandardDelimiters()}
	s := string(raw[:min(len(raw), 64<<10)])
	s = strings.TrimPrefix(s, "\uFEFF")
	s = strings.TrimPrefix(s, "\x0b")
	s = strings.TrimLeft(s, " \t\r\n")
	if !strings.HasPrefix(s, "MSH") || len(s) < 4 || !isDelimiter(s[3]) {
		return h
	}
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	d, perr := readDelimiters(s)
	if perr != nil {
		d = StandardDelimiters()
		d.Field = s[3]
		if d.Validate() != nil {
			return h // the field separator clashes with the standard characters
		}
	}
	parts := strings.SplitN(s[4:], string(d.Field), 12) // parts[0] is MSH-2, parts[n-2] is MSH-n
	field := func(n int) Field {
		if i := n - 2; i < len(parts) && i < 11 {
			return parseField(parts[i], &d)
		}
		return nil
	}
	return ackHeader{
		delims:     d,
		sendApp:    field(3),
		sendFac:    field(4),
		recvApp:    field(5),
		recvFac:    field(6),
		trigger:    field(9).Component(2),
		controlID:  field(10).Value(),
		processing: field(11),
		version:    field(12),
	}
}

func buildACK(h ackHeader, code AckCode, text string, opts []AckOption) *Message {
	var cfg ackConfig
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.at.IsZero() {
		cfg.at = time.Now()
	}
	code = AckCode(strings.ToUpper(strings.TrimSpace(string(code))))
	switch code {
	case AckAccept, AckError, AckReject, AckCommitAccept, AckCommitError, AckCommitReject:
	default:
		code = AckError
	}

	origID := truncate(h.controlID, MaxControlIDLength) // echoed as sent, so the sender can match it
	newID := truncate(cleanText(cfg.controlID), MaxControlIDLength)
	if newID == "" {
		if origID != "" {
			newID = truncate("ACK"+origID, MaxControlIDLength)
		} else {
			newID = "ACK" + cfg.at.UTC().Format("20060102150405.000000")
		}
	}
	trigger := strings.ToUpper(strings.TrimSpace(h.trigger))
	if !isTrigger(trigger) {
		trigger = ""
	}
	version := sanitizeVersion(h.version)

	m, _ := NewMessage(h.delims) // h.delims is valid by construction
	msh := m.MSH()
	set := func(n int, f Field) { _ = msh.Set(n, f) }
	set(3, sanitizeHD(h.recvApp))
	set(4, sanitizeHD(h.recvFac))
	set(5, sanitizeHD(h.sendApp))
	set(6, sanitizeHD(h.sendFac))
	set(7, Text(FormatTime(cfg.at, PrecisionSecond)))
	set(9, Components("ACK", trigger, "ACK"))
	set(10, Text(newID))
	set(11, sanitizeProcessing(h.processing))
	set(12, version)

	if text = truncate(cleanText(text), maxErrText); text == "" && code.isError() && cfg.detail != nil {
		text = cfg.detail.Code.Text()
	}
	_, _ = m.AddSegment("MSA", trimFields(Text(string(code)), Text(origID), Text(truncate(text, maxAckText)))...)
	if code.isError() {
		d := ErrDetail{Code: CodeApplicationError}
		if cfg.detail != nil {
			d = *cfg.detail
		}
		if d.Code == CodeAccepted {
			d.Code = CodeApplicationError
		}
		_, _ = m.AddSegment("ERR", errSegmentFields(d, text, versionBefore(version.Value(), 5))...)
	}
	return m
}

// errSegmentFields builds ERR-1 to ERR-8 for one problem.
func errSegmentFields(d ErrDetail, text string, old bool) []Field {
	num := func(n int) string {
		if n <= 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	seg := d.Segment
	if !validName(seg) {
		seg = ""
	}
	codeStr, codeText := strconv.Itoa(int(d.Code)), d.Code.Text()
	var eld, erl Field
	if old { // ERR-1, ELD: the only location field before v2.5
		eld = Field{Repetition{{seg}, {num(d.Occurrence)}, {num(d.Field)}, {codeStr, codeText, "HL70357"}}}
	}
	if seg != "" {
		erl = Components(seg, num(max(d.Occurrence, 1)), num(d.Field), num(d.Repetition), num(d.Component), num(d.Sub))
		for len(erl[0]) > 1 && erl[0][len(erl[0])-1][0] == "" {
			erl[0] = erl[0][:len(erl[0])-1]
		}
	}
	severity := d.Severity
	switch severity {
	case "E", "W", "I", "F":
	default:
		severity = "E"
	}
	return trimFields(eld, erl, Components(codeStr, codeText, "HL70357"), Text(severity), nil, nil, nil, Text(text))
}

// trimFields drops trailing empty fields, which senders' parsers do not need to see.
func trimFields(fields ...Field) []Field {
	for len(fields) > 0 && len(fields[len(fields)-1]) == 0 {
		fields = fields[:len(fields)-1]
	}
	return fields
}

// isTrigger: an event code such as A04 or S12.
func isTrigger(s string) bool {
	if len(s) < 1 || len(s) > 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// sanitizeHD keeps a designator's three parts, bounded, from its first repetition.
func sanitizeHD(f Field) Field {
	if len(f) == 0 {
		return nil
	}
	var vals []string
	for i := 1; i <= 3; i++ {
		vals = append(vals, truncate(cleanText(f.Component(i)), maxHDComponent))
	}
	for len(vals) > 1 && vals[len(vals)-1] == "" {
		vals = vals[:len(vals)-1]
	}
	return Components(vals...)
}

// sanitizeProcessing keeps MSH-11 when it is a known processing id (P, T or D, with an
// optional one-letter mode), else says P.
func sanitizeProcessing(f Field) Field {
	id := strings.TrimSpace(f.Component(1))
	if id != "P" && id != "T" && id != "D" {
		return Text("P")
	}
	mode := strings.TrimSpace(f.Component(2))
	if len(mode) == 1 && mode[0] >= 'A' && mode[0] <= 'Z' {
		return Components(id, mode)
	}
	return Text(id)
}

// sanitizeVersion keeps MSH-12.1 when it is a v2 version, else says 2.5; the
// internationalisation parts (Australian profiles send them) are kept, bounded.
func sanitizeVersion(f Field) Field {
	v := strings.TrimSpace(f.Component(1))
	if !isV2Version(v) {
		return Text("2.5")
	}
	if len(f) == 0 || len(f[0]) == 1 {
		return Text(v)
	}
	rep := Repetition{Component{v}}
	for _, c := range f[0][1:min(len(f[0]), 3)] {
		var comp Component
		for _, s := range c[:min(len(c), 3)] {
			comp = append(comp, truncate(cleanText(s), 20))
		}
		rep = append(rep, comp)
	}
	return canonical(Field{rep})
}

// cleanText makes text fit to send: valid UTF-8, control characters as spaces, trimmed.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// truncate cuts s to at most n bytes without splitting a UTF-8 character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
