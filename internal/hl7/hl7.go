// Package hl7 reads and writes HL7 version 2 messages — the pipe-and-hat text that clinics'
// practice-management systems (Best Practice, Medical Director, Zedmed, Optomate and others)
// send over MLLP — and builds the acknowledgements those systems wait for.
//
// Real feeds are messy and no maintained Go library reads them, hence this package. Parse is
// lenient where the meaning stays clear (CR, LF or CRLF segment ends, blank lines, MLLP framing
// bytes left on, unknown escape sequences kept as text) and strict where a guess could misfile
// a patient's data (delimiters, segment names). It fails with a *ParseError whose reason is
// plain English and never quotes the message, so the reason can go back to the sender in an
// ACK and into logs without leaking patient data.
//
// Values are held decoded: escape sequences are resolved once, when parsing, and written
// again by Encode, so Parse(Encode(m)) gives back m. Paths such as "PID-5.1" or "PID-3[2].1"
// (all numbers 1-based, as HL7 counts) reach single values.
//
// The package knows HL7 structure only; turning messages into patients and appointments is
// the job of a separate mapping package. It imports nothing but the standard library.
package hl7

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Delimiters are the separator characters of one message. HL7 lets every sender choose
// them in MSH-1 and MSH-2, so they travel with the message: values are decoded with the
// delimiters they were written with, and an ACK goes back with the sender's own.
type Delimiters struct {
	Field        byte // MSH-1, "|" by convention
	Component    byte // MSH-2 first character, "^"
	Repetition   byte // MSH-2 second character, "~"
	Escape       byte // MSH-2 third character, "\"
	Subcomponent byte // MSH-2 fourth character, "&"
	Truncation   byte // MSH-2 optional fifth character (v2.7+), "#"; 0 when the message has none
}

// StandardDelimiters returns |^~\& — what almost every sender uses, and what messages built
// here use unless told otherwise. It is a function, not a variable, so no caller can change
// the default for everyone.
func StandardDelimiters() Delimiters {
	return Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '\\', Subcomponent: '&'}
}

// EncodingCharacters returns the MSH-2 text for d (4 characters, or 5 with a truncation
// character), which is how the delimiters are announced at the start of every message.
func (d Delimiters) EncodingCharacters() string {
	b := []byte{d.Component, d.Repetition, d.Escape, d.Subcomponent}
	if d.Truncation != 0 {
		b = append(b, d.Truncation)
	}
	return string(b)
}

// Validate reports whether d can delimit a message that reads back unambiguously: every
// character printable punctuation (not a letter, digit, space or line end) and all of them
// distinct. Parse applies the same rule to what a message announces, and NewMessage to what
// a builder asks for.
func (d Delimiters) Validate() error {
	if reason, field := d.problem(); reason != "" {
		return &ParseError{Index: 1, Segment: "MSH", Occurrence: 1, Field: field, Code: CodeDataTypeError, Reason: reason}
	}
	return nil
}

// problem returns a reason d is unusable and the MSH field it concerns, or "".
func (d Delimiters) problem() (string, int) {
	if !isDelimiter(d.Field) {
		return "MSH-1 field separator is not a punctuation character", 1
	}
	chars := []byte{d.Component, d.Repetition, d.Escape, d.Subcomponent}
	if d.Truncation != 0 {
		chars = append(chars, d.Truncation)
	}
	for i, c := range chars {
		if !isDelimiter(c) {
			return "MSH-2 character " + strconv.Itoa(i+1) + " is not a punctuation character", 2
		}
	}
	all := append([]byte{d.Field}, chars...)
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if all[i] == all[j] {
				return "delimiters are not distinct", 2
			}
		}
	}
	return "", 0
}

// isDelimiter: printable ASCII punctuation. Letters and digits would collide with segment
// names and escape sequences; spaces and control characters with the data and the framing.
func isDelimiter(c byte) bool {
	return c > ' ' && c < 0x7f && !isAlnum(c)
}

func isAlnum(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// Message is one decoded HL7 v2 message: its delimiters and its segments in order, the
// first always MSH. Build one with Parse or NewMessage; the zero value is empty and encodes
// to nothing.
type Message struct {
	delims   Delimiters
	segments []*Segment
}

// Segment is one line of a message: a three-character name and numbered fields. Fields are
// numbered from 1 as HL7 does; in MSH, field 1 is the field separator itself and field 2 the
// encoding characters, so MSH-9 is the message type as the standard says.
type Segment struct {
	name   string
	fields []Field // fields[i] is field i+1
}

// Field is one field: its repetitions in order (PID-3 lists several patient identifiers,
// for example). An empty field is nil. Values returned by accessors share the message's
// memory: read them, and change a message only through Set and AddSegment, which keep it in
// the shape Parse produces.
type Field []Repetition

// Repetition is one occurrence of a field, made of components (PID-5's family name, given
// name, …). It always has at least one component.
type Repetition []Component

// Component is one component of a repetition, made of subcomponents (decoded strings). It
// always has at least one subcomponent. Most components have exactly one.
type Component []string

// Text makes a field holding one plain value, the commonest thing a builder sets. Delimiter
// characters in s are escaped by Encode, so any text is safe.
func Text(s string) Field {
	return canonical(Field{{{s}}})
}

// Components makes a field of one repetition with the given components, e.g.
// Components("ACK", "A04", "ACK") for MSH-9.
func Components(values ...string) Field {
	return canonical(Field{Rep(values...)})
}

// Rep makes one repetition from component values, for building repeating fields:
// Field{Rep("123", "", "", "MRN"), Rep("456", "", "", "MC")}.
func Rep(components ...string) Repetition {
	r := make(Repetition, 0, len(components))
	for _, c := range components {
		r = append(r, Component{c})
	}
	if len(r) == 0 {
		r = append(r, Component{""})
	}
	return r
}

// canonical returns a deep copy of f in the shape Parse produces for its encoding: no empty
// repetition or component lists, and nil for a field that encodes as nothing. Keeping built
// messages in that shape is what makes Parse(Encode(m)) equal m.
func canonical(f Field) Field {
	if len(f) == 0 {
		return nil
	}
	out := make(Field, len(f))
	for i, r := range f {
		if len(r) == 0 {
			out[i] = Repetition{Component{""}}
			continue
		}
		rr := make(Repetition, len(r))
		for j, c := range r {
			if len(c) == 0 {
				rr[j] = Component{""}
			} else {
				rr[j] = slices.Clone(c)
			}
		}
		out[i] = rr
	}
	if len(out) == 1 && len(out[0]) == 1 && len(out[0][0]) == 1 && out[0][0][0] == "" {
		return nil
	}
	return out
}

// Value returns the first subcomponent of the first component of the first repetition, or
// "": what a field "is" when it is a simple value, as HL7 path languages read a bare
// "PID-7".
func (f Field) Value() string { return f.Sub(1, 1) }

// Component returns component c (1-based) of the first repetition, first subcomponent.
// Most fields do not repeat, so this is the usual way to read one component.
func (f Field) Component(c int) string { return f.Sub(c, 1) }

// Sub returns subcomponent s of component c (both 1-based) of the first repetition.
func (f Field) Sub(c, s int) string {
	if len(f) == 0 {
		return ""
	}
	return f[0].Sub(c, s)
}

// IsNull reports whether the field is HL7's explicit null, the two characters "" — which
// means "delete the stored value", unlike an empty field, which means "no change". An ADT^A08
// update must tell the two apart.
func (f Field) IsNull() bool {
	return len(f) == 1 && len(f[0]) == 1 && len(f[0][0]) == 1 && f[0][0][0] == `""`
}

// Component returns component c (1-based), first subcomponent, or "" when absent: how one
// reads an identifier's parts while looping over a field's repetitions.
func (r Repetition) Component(c int) string { return r.Sub(c, 1) }

// Sub returns subcomponent s of component c (both 1-based), or "" when absent.
func (r Repetition) Sub(c, s int) string {
	if c < 1 || c > len(r) {
		return ""
	}
	return r[c-1].Sub(s)
}

// Sub returns subcomponent s (1-based), or "" when absent.
func (c Component) Sub(s int) string {
	if s < 1 || s > len(c) {
		return ""
	}
	return c[s-1]
}

// Name returns the segment's name, e.g. "PID", which is how segments are found.
func (s *Segment) Name() string { return s.name }

// NumFields returns the number of the segment's last field as received, so callers can tell
// a field sent empty from one not sent at all.
func (s *Segment) NumFields() int { return len(s.fields) }

// Field returns field n (1-based), or nil when the segment has no such field. See Field for
// the rule on sharing.
func (s *Segment) Field(n int) Field {
	if s == nil || n < 1 || n > len(s.fields) {
		return nil
	}
	return s.fields[n-1]
}

// Set replaces field n (1-based), adding empty fields before it as needed, so builders can
// fill fields in any order. MSH-1 and MSH-2 cannot be set: they are the message's delimiters,
// chosen in NewMessage.
func (s *Segment) Set(n int, f Field) error {
	if n < 1 {
		return &BuildError{Reason: "field numbers start at 1"}
	}
	if s.name == "MSH" && n <= 2 {
		return &BuildError{Reason: "MSH-1 and MSH-2 are the delimiters: choose them in NewMessage"}
	}
	for len(s.fields) < n {
		s.fields = append(s.fields, nil)
	}
	s.fields[n-1] = canonical(f)
	return nil
}

// BuildError reports a message-building mistake — a bad segment name, a field number out of
// range, a path to a segment that is not there — so builders get an error instead of a
// message that would be refused or misread by the receiver.
type BuildError struct {
	Reason string
}

// Error implements error.
func (e *BuildError) Error() string { return "hl7: " + e.Reason }

// validName: three capital letters or digits, starting with a letter, as every standard and
// Z-segment name is. Anything else is most often a line break inside a value.
func validName(name string) bool {
	if len(name) != 3 || name[0] < 'A' || name[0] > 'Z' {
		return false
	}
	for i := 1; i < 3; i++ {
		c := name[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// NewMessage starts a message with the given delimiters: an MSH segment holding only MSH-1
// and MSH-2, to fill with Set and extend with AddSegment. Building through the API keeps the
// message encodable, which hand-assembled text is not.
func NewMessage(d Delimiters) (*Message, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &Message{delims: d, segments: []*Segment{mshSegment(d)}}, nil
}

func mshSegment(d Delimiters) *Segment {
	return &Segment{name: "MSH", fields: []Field{Text(string(d.Field)), Text(d.EncodingCharacters())}}
}

// AddSegment appends a segment with the given fields (field 1 first) and returns it for
// further Sets. The fields are copied. A message has exactly one MSH, made by NewMessage,
// so "MSH" is refused here, as is any name that is not three capital letters or digits.
func (m *Message) AddSegment(name string, fields ...Field) (*Segment, error) {
	if !validName(name) {
		return nil, &BuildError{Reason: "segment names are three capital letters or digits, starting with a letter"}
	}
	if name == "MSH" {
		return nil, &BuildError{Reason: "a message has one MSH, made by NewMessage"}
	}
	if len(m.segments) == 0 {
		return nil, &BuildError{Reason: "start the message with NewMessage"}
	}
	s := &Segment{name: name}
	if len(fields) > 0 {
		s.fields = make([]Field, len(fields))
		for i, f := range fields {
			s.fields[i] = canonical(f)
		}
	}
	m.segments = append(m.segments, s)
	return s, nil
}

// Delimiters returns the delimiters the message was read with and will be written with.
func (m *Message) Delimiters() Delimiters { return m.delims }

// All returns every segment in order, for mappers that must follow the structure (an OBR
// followed by its OBXs, say). The slice is a copy; the segments are shared.
func (m *Message) All() []*Segment { return slices.Clone(m.segments) }

// Segments returns the segments named name, in order (every OBX, every NK1…).
func (m *Message) Segments(name string) []*Segment {
	var out []*Segment
	for _, s := range m.segments {
		if s.name == name {
			out = append(out, s)
		}
	}
	return out
}

// Segment returns the first segment named name, or nil: the usual way to reach segments
// that occur once, such as PID or EVN.
func (m *Message) Segment(name string) *Segment {
	for _, s := range m.segments {
		if s.name == name {
			return s
		}
	}
	return nil
}

// MSH returns the header segment, or nil for an empty Message.
func (m *Message) MSH() *Segment {
	if len(m.segments) == 0 || m.segments[0].name != "MSH" {
		return nil
	}
	return m.segments[0]
}

// MessageType is MSH-9 split into its parts, which is what routing decides on: the message
// code (ADT), the trigger event (A04) and the message structure (ADT_A01, often absent
// before v2.3.1).
type MessageType struct {
	Code      string // MSH-9.1
	Trigger   string // MSH-9.2
	Structure string // MSH-9.3
}

// String returns the type as HL7 writes it, e.g. "ADT^A04", dropping empty trailing parts;
// it is meant for logs and ACK texts, and holds no patient data.
func (t MessageType) String() string {
	parts := []string{t.Code, t.Trigger, t.Structure}
	for len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return strings.Join(parts, "^")
}

// HD is a hierarchic designator (MSH-3 to MSH-6): a local name, and optionally a universal
// id and its type. Senders identify themselves with it, and an ACK swaps them.
type HD struct {
	Namespace       string // HD.1, e.g. "BPS"
	UniversalID     string // HD.2, e.g. an OID
	UniversalIDType string // HD.3, e.g. "ISO"
}

// String returns the namespace, or the universal id when there is no namespace: the best
// single name for logs and for matching a sender to a clinic's configuration.
func (h HD) String() string {
	if h.Namespace != "" {
		return h.Namespace
	}
	return h.UniversalID
}

func hdOf(f Field) HD {
	return HD{Namespace: f.Component(1), UniversalID: f.Component(2), UniversalIDType: f.Component(3)}
}

func (m *Message) headerField(n int) Field { return m.MSH().Field(n) }

// Type returns MSH-9, the message type.
func (m *Message) Type() MessageType {
	f := m.headerField(9)
	return MessageType{Code: f.Component(1), Trigger: f.Component(2), Structure: f.Component(3)}
}

// ControlID returns MSH-10, the sender's id for this message, which the ACK must echo.
func (m *Message) ControlID() string { return m.headerField(10).Value() }

// SendingApplication returns MSH-3.
func (m *Message) SendingApplication() HD { return hdOf(m.headerField(3)) }

// SendingFacility returns MSH-4, usually the clinic.
func (m *Message) SendingFacility() HD { return hdOf(m.headerField(4)) }

// ReceivingApplication returns MSH-5.
func (m *Message) ReceivingApplication() HD { return hdOf(m.headerField(5)) }

// ReceivingFacility returns MSH-6.
func (m *Message) ReceivingFacility() HD { return hdOf(m.headerField(6)) }

// ProcessingID returns MSH-11.1: P for production, T for training, D for debugging; a
// receiver should not file test messages as real patients.
func (m *Message) ProcessingID() string { return m.headerField(11).Value() }

// Version returns MSH-12.1, e.g. "2.3.1" or "2.5", which decides how some fields read.
func (m *Message) Version() string { return m.headerField(12).Value() }

// Time returns MSH-7, when the sender made the message, read with ParseTime (loc applies
// when the value carries no offset, usually the clinic's zone).
func (m *Message) Time(loc *time.Location) (time.Time, Precision, error) {
	return ParseTime(m.headerField(7).Value(), loc)
}
