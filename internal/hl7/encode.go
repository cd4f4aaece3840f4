package hl7

// Encode writes m as HL7 text: segments ended by CR (the standard's terminator, which every
// receiver accepts), MSH-1 and MSH-2 from the message's delimiters, and every value escaped
// again so that it reads back unchanged. Besides the delimiters it escapes CR (\X0D\), LF
// (\.br\, or \X0A\ when "." is a delimiter) and the MLLP framing bytes 0x0B and 0x1C, which
// would otherwise end a segment or the frame in the middle of a value. MLLP framing itself is
// the transport's business.
func Encode(m *Message) []byte {
	if m == nil || len(m.segments) == 0 {
		return nil
	}
	d := m.delims
	if d.Validate() != nil {
		d = StandardDelimiters()
	}
	e := newEscaper(d)
	b := make([]byte, 0, encodedSizeHint(m))
	for _, seg := range m.segments {
		b = append(b, seg.name...)
		first := 0
		if seg.name == "MSH" {
			b = append(b, d.Field)
			b = append(b, d.EncodingCharacters()...)
			first = 2
		}
		for i := first; i < len(seg.fields); i++ {
			b = append(b, d.Field)
			b = e.appendField(b, seg.fields[i])
		}
		b = append(b, '\r')
	}
	return b
}

// encodedSizeHint is the encoded size when nothing needs escaping, so that a message with a
// large embedded document is written without growing the buffer.
func encodedSizeHint(m *Message) int {
	n := 0
	for _, seg := range m.segments {
		n += len(seg.name) + 1 + len(seg.fields)
		for _, f := range seg.fields {
			for _, r := range f {
				n++
				for _, c := range r {
					n++
					for _, s := range c {
						n += len(s) + 1
					}
				}
			}
		}
	}
	return n + 8
}

// escaper writes values with escape sequences for the bytes that would change the
// message's structure.
type escaper struct {
	d       Delimiters
	special [256]bool
	newline string
}

func newEscaper(d Delimiters) *escaper {
	e := &escaper{d: d, newline: ".br"}
	specials := []byte{d.Field, d.Component, d.Repetition, d.Escape, d.Subcomponent, '\r', '\n', 0x0b, 0x1c}
	if d.Truncation != 0 {
		specials = append(specials, d.Truncation)
	}
	for _, c := range specials {
		e.special[c] = true
		if c == '.' {
			e.newline = "X0A" // "\.br\" would be split at the "."
		}
	}
	return e
}

func (e *escaper) appendField(b []byte, f Field) []byte {
	for i, r := range f {
		if i > 0 {
			b = append(b, e.d.Repetition)
		}
		for j, c := range r {
			if j > 0 {
				b = append(b, e.d.Component)
			}
			for k, s := range c {
				if k > 0 {
					b = append(b, e.d.Subcomponent)
				}
				b = e.appendValue(b, s)
			}
		}
	}
	return b
}

// appendValue appends s, escaped. The common case, nothing to escape, is one copy.
func (e *escaper) appendValue(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !e.special[c] {
			continue
		}
		b = append(b, s[start:i]...)
		start = i + 1
		var seq string
		switch c {
		case e.d.Field:
			seq = "F"
		case e.d.Component:
			seq = "S"
		case e.d.Subcomponent:
			seq = "T"
		case e.d.Repetition:
			seq = "R"
		case e.d.Escape:
			seq = "E"
		case e.d.Truncation:
			seq = "P"
		case '\n':
			seq = e.newline
		case '\r':
			seq = "X0D"
		case 0x0b:
			seq = "X0B"
		case 0x1c:
			seq = "X1C"
		}
		b = append(b, e.d.Escape)
		b = append(b, seq...)
		b = append(b, e.d.Escape)
	}
	return append(b, s[start:]...)
}
