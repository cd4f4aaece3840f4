package i18n

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

//go:embed fr.po
var frPO []byte

// Catalog holds the translations of every key. Build it with New; it is read-only and safe
// for concurrent use.
type Catalog struct {
	fr       map[string]string
	patterns []pattern
	// onMissing, when set, is told of a key French lacks (tests only; see OnMissing).
	onMissing func(key string)
}

// pattern is a key with placeholders, compiled to match the English text it produces.
type pattern struct {
	key   string
	re    *regexp.Regexp
	index []int // the placeholder number of each capture group
	fixed int   // length of its literal text: longer patterns are tried first
}

// New reads the embedded French catalog. It fails on a malformed file, a key given twice, an
// empty translation or a translation whose placeholders differ from its key's.
func New() (*Catalog, error) {
	fr, err := parsePO(frPO)
	if err != nil {
		return nil, fmt.Errorf("i18n: fr.po: %w", err)
	}
	c := &Catalog{fr: fr}
	for key := range fr {
		if p, ok := compilePattern(key); ok {
			c.patterns = append(c.patterns, p)
		}
	}
	slices.SortFunc(c.patterns, func(a, b pattern) int {
		if a.fixed != b.fixed {
			return b.fixed - a.fixed
		}
		return strings.Compare(a.key, b.key)
	})
	return c, nil
}

// OnMissing returns a copy of c that calls f with each key French lacks when it is asked for
// it. Tests use it to fail on a page that shows untranslated text; production code must not
// log what f receives, since a text that is not a key may hold patient data.
func (c *Catalog) OnMissing(f func(key string)) *Catalog {
	cp := *c
	cp.onMissing = f
	return &cp
}

// Has reports whether loc has a text for key. English has every key (the key is the text).
func (c *Catalog) Has(loc Locale, key string) bool {
	if loc == English {
		return true
	}
	_, ok := c.fr[key]
	return ok
}

// Keys lists the keys of the French catalog, sorted.
func (c *Catalog) Keys() []string {
	keys := make([]string, 0, len(c.fr))
	for k := range c.fr {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// T is the text of key in loc with args written into its placeholders ({0} is args[0]);
// integers are written with loc's digit grouping, other values as fmt.Sprint writes them.
//
// Called without args on a text that is not a key, T looks for a key with placeholders that
// produces it (see the package doc) and translates that. A text with no letter in it (a
// time, "—") is its own translation. Whatever is not found is shown in English.
func (c *Catalog) T(loc Locale, key string, args ...any) string {
	if loc == English {
		return substitute(key, loc, args)
	}
	if msg, ok := c.fr[key]; ok {
		return substitute(msg, loc, args)
	}
	if len(args) == 0 {
		if msg, ok := c.match(loc, key); ok {
			return msg
		}
	}
	if c.onMissing != nil && hasLetter(key) {
		c.onMissing(key)
	}
	return substitute(key, loc, args)
}

// N is T for a count: one when n calls for the singular in loc (English: 1; French: 0 and
// 1), other otherwise. n is not an argument: write it with {0} and pass it again if the text
// shows it.
func (c *Catalog) N(loc Locale, n int, one, other string, args ...any) string {
	if n == 1 || loc == French && n == 0 {
		return c.T(loc, one, args...)
	}
	return c.T(loc, other, args...)
}

// Lookup is T for a text that may have no translation (a stored note written in English
// by the product, which a French reader sees translated when the catalog knows it): its
// translation and true, or text itself and false, without reporting a missing key.
func (c *Catalog) Lookup(loc Locale, text string) (string, bool) {
	if loc == English {
		return text, true
	}
	if msg, ok := c.fr[text]; ok {
		return msg, true
	}
	if msg, ok := c.match(loc, text); ok {
		return msg, true
	}
	return text, false
}

// match translates text, which is not a key, through the first pattern that produces it.
func (c *Catalog) match(loc Locale, text string) (string, bool) {
	if !hasLetter(text) {
		return text, true
	}
	for _, p := range c.patterns {
		m := p.re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		n := slices.Max(p.index) + 1
		args := make([]any, n)
		for i, v := range m[1:] {
			// An argument that is itself a key (a status inside a sentence) is
			// translated; anything else (a number, a time, a zone) is kept as written.
			if msg, ok := c.fr[v]; ok {
				args[p.index[i]] = msg
			} else if msg, ok := c.match(loc, v); ok && hasLetter(v) && msg != v {
				args[p.index[i]] = msg
			} else {
				args[p.index[i]] = v
			}
		}
		return substitute(c.fr[p.key], loc, args), true
	}
	return "", false
}

var placeholder = regexp.MustCompile(`\{(\d+)\}`)

func compilePattern(key string) (pattern, bool) {
	locs := placeholder.FindAllStringSubmatchIndex(key, -1)
	if len(locs) == 0 {
		return pattern{}, false
	}
	p := pattern{key: key}
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, l := range locs {
		lit := key[last:l[0]]
		p.fixed += len(lit)
		b.WriteString(regexp.QuoteMeta(lit))
		b.WriteString("(.+?)")
		n, _ := strconv.Atoi(key[l[2]:l[3]])
		p.index = append(p.index, n)
		last = l[1]
	}
	p.fixed += len(key[last:])
	b.WriteString(regexp.QuoteMeta(key[last:]))
	b.WriteString("$")
	if p.fixed < 4 {
		return pattern{}, false // too little text to tell what produced it
	}
	p.re = regexp.MustCompile(b.String())
	return p, true
}

// substitute writes args into the placeholders of msg.
func substitute(msg string, loc Locale, args []any) string {
	if len(args) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	return placeholder.ReplaceAllStringFunc(msg, func(s string) string {
		n, err := strconv.Atoi(s[1 : len(s)-1])
		if err != nil || n >= len(args) {
			return s
		}
		switch v := args[n].(type) {
		case int:
			return loc.Number(int64(v))
		case int64:
			return loc.Number(v)
		case string:
			return v
		}
		return fmt.Sprint(args[n])
	})
}

func hasLetter(s string) bool { return strings.IndexFunc(s, unicode.IsLetter) >= 0 }

// placeholders lists the distinct placeholders of s, sorted.
func placeholders(s string) []string {
	ps := placeholder.FindAllString(s, -1)
	slices.Sort(ps)
	return slices.Compact(ps)
}

// parsePO reads the msgid/msgstr pairs of a gettext PO file: comments (#), strings split
// over several quoted lines, Go/C escapes. The header entry (empty msgid) is skipped;
// msgctxt and plural forms are not used by Tidings and are refused.
func parsePO(b []byte) (map[string]string, error) {
	out := map[string]string{}
	var id, str *strings.Builder
	var cur *strings.Builder
	idLine := 0
	flush := func() error {
		if id == nil {
			return nil
		}
		if str == nil {
			return fmt.Errorf("line %d: msgid without msgstr", idLine)
		}
		k, v := id.String(), str.String()
		id, str, cur = nil, nil, nil
		if k == "" {
			return nil
		}
		if _, dup := out[k]; dup {
			return fmt.Errorf("line %d: msgid %q given twice", idLine, k)
		}
		if v == "" {
			return fmt.Errorf("line %d: msgid %q has no translation", idLine, k)
		}
		if !slices.Equal(placeholders(k), placeholders(v)) {
			return fmt.Errorf("line %d: msgid %q and its msgstr have different placeholders", idLine, k)
		}
		out[k] = v
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		var rest string
		switch {
		case s == "" || strings.HasPrefix(s, "#"):
			continue
		case strings.HasPrefix(s, "msgid "):
			if err := flush(); err != nil {
				return nil, err
			}
			id, idLine = &strings.Builder{}, line
			cur, rest = id, strings.TrimPrefix(s, "msgid ")
		case strings.HasPrefix(s, "msgstr "):
			if id == nil || str != nil {
				return nil, fmt.Errorf("line %d: msgstr without msgid", line)
			}
			str = &strings.Builder{}
			cur, rest = str, strings.TrimPrefix(s, "msgstr ")
		case strings.HasPrefix(s, `"`):
			if cur == nil {
				return nil, fmt.Errorf("line %d: string outside an entry", line)
			}
			rest = s
		default:
			return nil, fmt.Errorf("line %d: unsupported PO syntax %.20q", line, s)
		}
		v, err := strconv.Unquote(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("line %d: bad string: %w", line, err)
		}
		cur.WriteString(v)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}
