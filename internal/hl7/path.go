package hl7

import (
	"strconv"
	"strings"
)

// Path addresses one value in a message the way HL7 people write it: "PID-5.1" is the family
// name, "PID-3[2].1" the id of the second patient identifier, "OBX[3]-5" the value of the
// third OBX. Every number is 1-based, as in the standard; an omitted occurrence, repetition,
// component or subcomponent is 1, as HL7 path languages (HAPI's Terser among them) read it.
// Mapping code keeps its paths as constants, so ParsePath lets it check them once, up front.
type Path struct {
	Segment    string // e.g. "PID"
	Occurrence int    // which segment of that name, from 1
	Field      int    // from 1
	Repetition int    // from 1
	Component  int    // from 1
	Sub        int    // from 1
}

// ParsePath reads NAME[occurrence]-FIELD[repetition].COMPONENT.SUBCOMPONENT, where the
// bracketed parts and the trailing numbers are optional and "-" may stand for "." (and back),
// since both spellings are common.
func ParsePath(s string) (Path, error) {
	bad := func() (Path, error) {
		return Path{}, &BuildError{Reason: "path " + strconv.Quote(s) + " is not of the form PID-3[2].1.1"}
	}
	if len(s) < 5 || !validName(s[:3]) {
		return bad()
	}
	p := Path{Segment: s[:3], Occurrence: 1, Repetition: 1, Component: 1, Sub: 1}
	rest := s[3:]
	var ok bool
	if p.Occurrence, rest, ok = bracket(rest, 1); !ok {
		return bad()
	}
	if rest == "" || (rest[0] != '-' && rest[0] != '.') {
		return bad()
	}
	if p.Field, rest, ok = number(rest[1:]); !ok {
		return bad()
	}
	if p.Repetition, rest, ok = bracket(rest, 1); !ok {
		return bad()
	}
	for _, dst := range []*int{&p.Component, &p.Sub} {
		if rest == "" {
			break
		}
		if rest[0] != '-' && rest[0] != '.' {
			return bad()
		}
		if *dst, rest, ok = number(rest[1:]); !ok {
			return bad()
		}
	}
	if rest != "" {
		return bad()
	}
	return p, nil
}

// number reads a positive decimal of at most 6 digits at the start of s.
func number(s string) (int, string, bool) {
	i := 0
	for i < len(s) && i < 7 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 6 {
		return 0, s, false
	}
	n, _ := strconv.Atoi(s[:i])
	return n, s[i:], n >= 1
}

// bracket reads an optional "[n]" at the start of s, returning def when there is none.
func bracket(s string, def int) (int, string, bool) {
	if !strings.HasPrefix(s, "[") {
		return def, s, true
	}
	n, rest, ok := number(s[1:])
	if !ok || !strings.HasPrefix(rest, "]") {
		return 0, s, false
	}
	return n, rest[1:], true
}

// String writes p back in the form ParsePath reads, leaving out parts that are 1, so that
// errors and logs can name a path.
func (p Path) String() string {
	var b strings.Builder
	b.WriteString(p.Segment)
	if p.Occurrence > 1 {
		b.WriteString("[" + strconv.Itoa(p.Occurrence) + "]")
	}
	b.WriteString("-" + strconv.Itoa(p.Field))
	if p.Repetition > 1 {
		b.WriteString("[" + strconv.Itoa(p.Repetition) + "]")
	}
	if p.Component > 1 || p.Sub > 1 {
		b.WriteString("." + strconv.Itoa(p.Component))
	}
	if p.Sub > 1 {
		b.WriteString("." + strconv.Itoa(p.Sub))
	}
	return b.String()
}

// segmentAt returns the occ-th (1-based) segment named name, or nil.
func (m *Message) segmentAt(name string, occ int) *Segment {
	for _, s := range m.segments {
		if s.name == name {
			occ--
			if occ == 0 {
				return s
			}
		}
	}
	return nil
}

// LookupPath returns the value at p and whether the message has it (an empty value that was
// sent counts as present), for callers that parsed their paths up front.
func (m *Message) LookupPath(p Path) (string, bool) {
	f := m.segmentAt(p.Segment, p.Occurrence).Field(p.Field)
	if p.Repetition < 1 || p.Repetition > len(f) {
		return "", false
	}
	r := f[p.Repetition-1]
	if p.Component < 1 || p.Component > len(r) {
		return "", false
	}
	c := r[p.Component-1]
	if p.Sub < 1 || p.Sub > len(c) {
		return "", false
	}
	return c[p.Sub-1], true
}

// Lookup returns the decoded value at path (see Path) and whether the message has it. An
// invalid path reads as absent; use ParsePath to catch typos.
func (m *Message) Lookup(path string) (string, bool) {
	p, err := ParsePath(path)
	if err != nil {
		return "", false
	}
	return m.LookupPath(p)
}

// Get returns the decoded value at path (see Path), or "" when absent: the short way to read
// a message, e.g. m.Get("PID-5.1") or m.Get("PID-3[2].1").
func (m *Message) Get(path string) string {
	v, _ := m.Lookup(path)
	return v
}

// Field returns a whole field, all repetitions, named by a path such as "PID-3" or
// "OBX[2]-5" (repetition and component parts, if any, are ignored): the way to loop over a
// repeating field such as PID-3's identifiers. It is nil when absent.
func (m *Message) Field(path string) Field {
	p, err := ParsePath(path)
	if err != nil {
		return nil
	}
	return m.segmentAt(p.Segment, p.Occurrence).Field(p.Field)
}

// Set stores value at path (see Path), adding empty fields, repetitions and components
// before it as needed: the builder's way to fill in a value, e.g. m.Set("MSH-9.2", "A04").
// The segment must already exist (see AddSegment); MSH-1 and MSH-2 cannot be set.
func (m *Message) Set(path, value string) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	seg := m.segmentAt(p.Segment, p.Occurrence)
	if seg == nil {
		return &BuildError{Reason: "no segment for path " + p.String()}
	}
	f := canonical(seg.Field(p.Field)) // a copy, so the shared one is left alone
	for len(f) < p.Repetition {
		f = append(f, Repetition{Component{""}})
	}
	r := f[p.Repetition-1]
	for len(r) < p.Component {
		r = append(r, Component{""})
	}
	c := r[p.Component-1]
	for len(c) < p.Sub {
		c = append(c, "")
	}
	c[p.Sub-1] = value
	r[p.Component-1] = c
	f[p.Repetition-1] = r
	return seg.Set(p.Field, f)
}
