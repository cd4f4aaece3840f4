package hl7

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// MaxValues bounds the number of separators (field, component, repetition, subcomponent and
// line ends) one message may have. Memory grows with their number, not with the bytes, so a
// few megabytes of "~~~~" could otherwise take gigabytes; real messages, even with a large
// embedded document, stay far below it.
const MaxValues = 1 << 20

// Parse reads one HL7 v2 message. It takes the delimiters from MSH-1 and MSH-2 (4 encoding
// characters, or 5 with the v2.7 truncation character), accepts CR, LF or CRLF segment ends
// (mixed too), skips blank lines, a missing final CR, a UTF-8 byte order mark and leftover
// MLLP framing bytes, and decodes escape sequences in every value. Unknown or malformed
// escape sequences are kept as text rather than refused.
//
// It refuses, with a *ParseError, what cannot be read without guessing: no MSH first,
// missing or unusable delimiters, a segment name that is not three capital letters or
// digits (usually a line break inside a value), a second MSH, more than MaxValues
// separators. It never panics, and its time is linear in len(data); data is copied once, and
// values without escape sequences share that copy, so a large embedded document costs one
// copy.
func Parse(data []byte) (*Message, error) {
	s := trimFraming(string(data))
	if s == "" {
		return nil, &ParseError{Code: CodeSegmentSequenceError, Reason: "message is empty"}
	}
	if !strings.HasPrefix(s, "MSH") {
		reason := "no MSH segment at start"
		if strings.HasPrefix(s, "FHS") || strings.HasPrefix(s, "BHS") {
			reason += " (batch headers FHS and BHS are not read: send one message at a time)"
		}
		return nil, &ParseError{Index: 1, Code: CodeSegmentSequenceError, Reason: reason}
	}
	lines := newLineReader(s)
	first := lines.next()
	d, perr := readDelimiters(first)
	if perr != nil {
		return nil, perr
	}
	if n := countSeparators(s, d); n > MaxValues {
		return nil, &ParseError{Code: CodeDataTypeError, Reason: "message has more than " + strconv.Itoa(MaxValues) + " separators"}
	}

	m := &Message{delims: d}
	m.segments = append(m.segments, parseMSH(first, &d))
	seen := map[string]int{"MSH": 1}
	for index := 2; ; {
		line, ok := lines.nextSegment()
		if !ok {
			break
		}
		name, rest, hasFields := strings.Cut(line, string(d.Field))
		if !validName(name) {
			return nil, &ParseError{Index: index, Code: CodeSegmentSequenceError,
				Reason: "segment " + strconv.Itoa(index) + " has an invalid name (want three capital letters or digits; a line break inside a value?)"}
		}
		seen[name]++
		if name == "MSH" {
			return nil, &ParseError{Index: index, Segment: name, Occurrence: seen[name], Code: CodeSegmentSequenceError,
				Reason: "segment " + strconv.Itoa(index) + " is a second MSH: one message per input"}
		}
		seg := &Segment{name: name}
		if hasFields {
			seg.fields = parseFields(rest, &d)
		}
		m.segments = append(m.segments, seg)
		index++
	}
	return m, nil
}

// trimFraming drops what can surround a message without being part of it: a byte order
// mark, MLLP's start byte (0x0B) and end byte (0x1C), and blank space and lines before and
// after. Spaces at the end of the last segment are data and stay.
func trimFraming(s string) string {
	s = strings.TrimPrefix(s, "\uFEFF")
	s = strings.TrimPrefix(s, "\x0b")
	s = strings.TrimLeft(s, " \t\r\n")
	s = strings.TrimRight(s, "\r\n")
	if strings.HasSuffix(s, "\x1c") {
		s = strings.TrimRight(s[:len(s)-1], "\r\n")
	}
	return s
}

// readDelimiters reads MSH-1 and MSH-2 from the first line, which starts with "MSH".
func readDelimiters(line string) (Delimiters, *ParseError) {
	fail := func(field int, code ErrorCode, reason string) (Delimiters, *ParseError) {
		return Delimiters{}, &ParseError{Index: 1, Segment: "MSH", Occurrence: 1, Field: field, Code: code, Reason: reason}
	}
	if len(line) < 4 {
		return fail(1, CodeRequiredFieldMissing, "MSH-1 field separator missing")
	}
	fs := line[3]
	if !isDelimiter(fs) {
		return fail(1, CodeDataTypeError, "MSH-1 field separator is not a punctuation character")
	}
	enc := line[4:]
	if i := strings.IndexByte(enc, fs); i >= 0 {
		enc = enc[:i]
	}
	switch {
	case enc == "":
		return fail(2, CodeRequiredFieldMissing, "MSH-2 encoding characters missing")
	case len(enc) < 4:
		return fail(2, CodeDataTypeError, "MSH-2 encoding characters incomplete: 4 expected (component, repetition, escape, subcomponent), got "+strconv.Itoa(len(enc)))
	case len(enc) > 5:
		return fail(2, CodeDataTypeError, "MSH-2 encoding characters: 4 or 5 expected, got "+strconv.Itoa(len(enc)))
	}
	d := Delimiters{Field: fs, Component: enc[0], Repetition: enc[1], Escape: enc[2], Subcomponent: enc[3]}
	if len(enc) == 5 {
		// Checked here, not by problem(): a zero Truncation means "none" there, so a NUL
		// fifth character would pass and then vanish when the message is written again.
		if !isDelimiter(enc[4]) {
			return fail(2, CodeDataTypeError, "MSH-2 character 5 is not a punctuation character")
		}
		d.Truncation = enc[4]
	}
	if reason, field := d.problem(); reason != "" {
		return fail(field, CodeDataTypeError, reason)
	}
	return d, nil
}

// countSeparators counts what makes memory grow, for the MaxValues bound.
func countSeparators(s string, d Delimiters) int {
	n := strings.Count(s, "\r") + strings.Count(s, "\n")
	for _, c := range []byte{d.Field, d.Component, d.Repetition, d.Subcomponent} {
		n += strings.Count(s, string(c))
	}
	return n
}

// parseMSH reads the header line, whose delimiters are already known: MSH-1 is the field
// separator and MSH-2 the encoding characters, both kept as they are.
func parseMSH(line string, d *Delimiters) *Segment {
	rest := line[4:] // after "MSH" and the field separator
	enc, after, more := strings.Cut(rest, string(d.Field))
	seg := &Segment{name: "MSH", fields: []Field{Text(string(d.Field)), Text(enc)}}
	if more {
		seg.fields = append(seg.fields, parseFields(after, d)...)
	}
	return seg
}

// parseFields splits the text after a segment's name and first field separator.
func parseFields(s string, d *Delimiters) []Field {
	fields := make([]Field, 0, strings.Count(s, string(d.Field))+1)
	for t := range strings.SplitSeq(s, string(d.Field)) {
		fields = append(fields, parseField(t, d))
	}
	return fields
}

// parseField splits one field's text into repetitions, components and subcomponents, and
// decodes each value.
func parseField(t string, d *Delimiters) Field {
	if t == "" {
		return nil
	}
	f := make(Field, 0, strings.Count(t, string(d.Repetition))+1)
	for r := range strings.SplitSeq(t, string(d.Repetition)) {
		rep := make(Repetition, 0, strings.Count(r, string(d.Component))+1)
		for c := range strings.SplitSeq(r, string(d.Component)) {
			comp := make(Component, 0, strings.Count(c, string(d.Subcomponent))+1)
			for sc := range strings.SplitSeq(c, string(d.Subcomponent)) {
				comp = append(comp, decode(sc, d))
			}
			rep = append(rep, comp)
		}
		f = append(f, rep)
	}
	return f
}

// decode resolves escape sequences. A sequence that is not understood, or not closed, is
// kept as it was: the text may simply contain a backslash (a Windows path, say), and losing
// it or refusing the message would be worse. Scanning resumes at the closing escape
// character of an unknown sequence, so each byte is looked at a bounded number of times.
func decode(s string, d *Delimiters) string {
	i := strings.IndexByte(s, d.Escape)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i:] // starts with the escape character
		j := strings.IndexByte(s[1:], d.Escape)
		if j < 0 {
			break // not closed: the rest is text
		}
		if out, ok := unescape(s[1:1+j], d); ok {
			b.WriteString(out)
			s = s[j+2:]
		} else {
			b.WriteByte(d.Escape)
			s = s[1:]
		}
		i = strings.IndexByte(s, d.Escape)
	}
	b.WriteString(s)
	return b.String()
}

// unescape returns what the escape sequence \seq\ stands for, or false when it is not one
// this package understands (character-set switches \C…\ and \M…\, local \Z…\ sequences,
// malformed hex), which decode then keeps as text.
func unescape(seq string, d *Delimiters) (string, bool) {
	switch seq {
	case "F":
		return string(d.Field), true
	case "S":
		return string(d.Component), true
	case "T":
		return string(d.Subcomponent), true
	case "R":
		return string(d.Repetition), true
	case "E":
		return string(d.Escape), true
	case "P":
		if d.Truncation != 0 {
			return string(d.Truncation), true
		}
		return "", false
	case "H", "N": // start and end of highlighting: presentation only
		return "", true
	}
	if len(seq) > 1 && seq[0] == 'X' {
		b, err := hex.DecodeString(seq[1:])
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	if len(seq) >= 3 && seq[0] == '.' {
		return formatting(strings.ToLower(seq[1:3]), seq[3:])
	}
	return "", false
}

// formatting handles the formatted-text commands of FT and TX values: line breaks become
// "\n", and commands that only lay text out (fill, indent, centre) are dropped.
func formatting(cmd, arg string) (string, bool) {
	switch cmd {
	case "br", "fi", "nf", "ce":
		if arg != "" {
			return "", false
		}
		if cmd == "br" {
			return "\n", true
		}
		return "", true
	case "sp", "sk":
		if !allDigits(strings.TrimPrefix(arg, "+")) {
			return "", false
		}
		if cmd == "sp" {
			return "\n", true
		}
		return " ", true
	case "in", "ti":
		a := arg
		if a != "" && (a[0] == '+' || a[0] == '-') {
			a = a[1:]
		}
		if !allDigits(a) {
			return "", false
		}
		return "", true
	}
	return "", false
}

// allDigits reports whether s is ASCII digits only ("" counts, as an omitted argument).
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// lineReader yields the lines of s split at every CR and every LF, finding each with a fast
// byte search whose result is kept until passed, so the whole split stays linear.
type lineReader struct {
	s      string
	pos    int  // start of the next line
	nextCR int  // index of the first CR at or after some earlier pos, or len(s)
	nextLF int  // likewise for LF
	atEnd  bool // set once next has gone past the last line
}

func newLineReader(s string) *lineReader {
	return &lineReader{s: s, nextCR: indexFrom(s, '\r', 0), nextLF: indexFrom(s, '\n', 0)}
}

// indexFrom returns the index of c in s at or after from, or len(s).
func indexFrom(s string, c byte, from int) int {
	if i := strings.IndexByte(s[from:], c); i >= 0 {
		return from + i
	}
	return len(s)
}

// next returns the next line, possibly empty; after the last it returns "" and sets atEnd.
func (r *lineReader) next() string {
	if r.pos > len(r.s) {
		r.atEnd = true
		return ""
	}
	if r.nextCR < r.pos {
		r.nextCR = indexFrom(r.s, '\r', r.pos)
	}
	if r.nextLF < r.pos {
		r.nextLF = indexFrom(r.s, '\n', r.pos)
	}
	end := min(r.nextCR, r.nextLF)
	line := r.s[r.pos:end]
	r.pos = end + 1
	return line
}

// nextSegment returns the next line that is not blank (spaces and tabs only count as blank).
func (r *lineReader) nextSegment() (string, bool) {
	for {
		line := r.next()
		if r.atEnd {
			return "", false
		}
		if strings.Trim(line, " \t") != "" {
			return line, true
		}
	}
}
