package compose

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// token is a piece of a parsed template: literal text (braces already unescaped) or a
// variable.
type token struct {
	text string // the literal text, when name is empty
	name string // the variable's name
}

// parse splits src into tokens, allowing the variables in allowed. It reports every problem
// in field and still returns tokens for the whole text (an unknown variable or a stray brace
// kept as literal text) so that a preview can show what was typed.
func parse(field, src string, allowed []string) ([]token, Problems) {
	var (
		toks []token
		ps   Problems
		lit  strings.Builder
		// plain is the literal text as it reads when every value is empty, with a NUL where
		// text was kept only for the preview: a brace pair in it around a variable's name
		// would reach the patient as "{first_name}".
		plain strings.Builder
	)
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{text: lit.String()})
			lit.Reset()
		}
	}
	seen := map[string]bool{}    // reasons already given
	escaped := map[string]bool{} // names written {{name}}
	add := func(reason string) {
		if !seen[reason] {
			seen[reason] = true
			ps = append(ps, Problem{Field: field, Reason: reason})
		}
	}
	for i := 0; i < len(src); {
		switch c := src[i]; {
		case c == '{' && strings.HasPrefix(src[i+1:], "{"):
			if name, ok := escapedName(src[i+2:]); ok {
				escaped[name] = true
				add("{{" + name + "}} prints {" + name + "} as it is: write {" + name + "} to insert the value")
			}
			lit.WriteByte('{')
			plain.WriteByte('{')
			i += 2
		case c == '}' && strings.HasPrefix(src[i+1:], "}"):
			lit.WriteByte('}')
			plain.WriteByte('}')
			i += 2
		case c == '}':
			add("unbalanced brace: the } at character " + position(src, i) + " closes nothing; write }} for a literal }")
			lit.WriteByte('}')
			plain.WriteByte(0)
			i++
		case c == '{':
			end := strings.IndexAny(src[i+1:], "{}\n")
			if end < 0 || src[i+1+end] != '}' {
				add("unbalanced brace: the { at character " + position(src, i) + " is not closed; write {{ for a literal {")
				lit.WriteByte('{')
				plain.WriteByte(0)
				i++
				continue
			}
			name := src[i+1 : i+1+end]
			i += end + 2
			if slices.Contains(allowed, name) {
				flush()
				toks = append(toks, token{name: name})
				continue
			}
			if slices.Contains(allNames(), name) {
				add("{" + name + "} is not available in this message; the variables are " + braced(allowed))
			} else {
				add("unknown variable {" + name + "}; the variables are " + braced(allowed))
			}
			lit.WriteString("{" + name + "}")
			plain.WriteByte(0)
		default:
			lit.WriteByte(c)
			plain.WriteByte(c)
			i++
		}
	}
	flush()
	for _, n := range allNames() {
		if strings.Contains(plain.String(), "{"+n+"}") && !escaped[n] {
			add("the literal braces around {" + n + "} would print it as it is when a value is empty: write {" + n + "} to insert the value")
		}
	}
	return toks, ps
}

// escapedName reports whether rest (what follows a "{{") is a variable's name closed by a
// brace: "{{first_name}}" or "{{first_name}" would print the name, not the value.
func escapedName(rest string) (string, bool) {
	for _, n := range allNames() {
		if strings.HasPrefix(rest, n+"}") {
			return n, true
		}
	}
	return "", false
}

// position is the 1-based character (not byte) position of byte offset i in s, as the
// editor counts.
func position(s string, i int) string { return strconv.Itoa(utf8.RuneCountInString(s[:i]) + 1) }

// braced writes names as the editor shows them: "{first_name}, {clinic}".
func braced(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return "{" + strings.Join(names, "}, {") + "}"
}
