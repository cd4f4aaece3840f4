// Package input holds the rules every surface applies to what people and systems send:
// trimmed text within a length and free of control characters, slugs, whole minutes within a
// range, references to other records, and times within sane bounds. The API, the dashboard
// and the use cases share one Checker, so a limit is written once and every refusal names
// its field with the same words.
//
// It imports only the clinic vocabulary.
package input

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidings-health/tidings/internal/clinic"
)

// Checker collects field errors while merging a request into a domain value, so that one
// answer names every problem at once.
type Checker struct{ clinic.ValidationError }

// Text merges an optional string: trimmed, required when creating, at most max characters,
// no control characters.
func (c *Checker) Text(field string, in *string, dst *string, creating, required bool, max int) {
	if in == nil {
		if creating && required {
			c.Add(field, "is required")
		}
		return
	}
	s := strings.TrimSpace(*in)
	switch {
	case required && s == "":
		c.Add(field, "must not be empty")
	case utf8.RuneCountInString(s) > max:
		c.Add(field, "must be at most "+strconv.Itoa(max)+" characters")
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		c.Add(field, "must not contain control characters")
	case strings.ContainsFunc(s, unsafeRune):
		c.Add(field, UnsafeReason)
	default:
		*dst = s
	}
}

// Note merges an optional free text written over several lines (an appointment's note, an
// absence's): like Text, but line breaks and tabs are kept.
func (c *Checker) Note(field string, in *string, dst *string, max int) {
	if in == nil {
		return
	}
	s := strings.TrimSpace(*in)
	switch {
	case utf8.RuneCountInString(s) > max:
		c.Add(field, "must be at most "+strconv.Itoa(max)+" characters")
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f }):
		c.Add(field, "must not contain control characters")
	case strings.ContainsFunc(s, unsafeRune):
		c.Add(field, UnsafeReason)
	default:
		*dst = s
	}
}

// UnsafeReason is the field error for text holding a character that is not text: a byte
// that was not UTF-8 (decoded as U+FFFD), or a bidirectional control that makes a name
// display as something else.
const UnsafeReason = "must be plain text: it holds an invalid or a direction-control character"

func unsafeRune(r rune) bool {
	return r == utf8.RuneError || r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// Slug merges an optional URL-safe identifier (lower-case letters, digits, dashes).
func (c *Checker) Slug(field string, in *string, dst *string, creating bool) {
	if in == nil {
		if creating {
			c.Add(field, "is required")
		}
		return
	}
	if !ValidSlug(*in) {
		c.Add(field, SlugReason)
		return
	}
	*dst = *in
}

// SlugReason is the field error for a value ValidSlug refuses.
const SlugReason = "must be 2 to 63 lower-case letters, digits or dashes, not starting or ending with a dash"

// ValidSlug reports whether s is 2 to 63 lower-case letters, digits or dashes, neither
// starting nor ending with a dash: safe in a URL path and a sub-domain.
func ValidSlug(s string) bool {
	ok := len(s) >= 2 && len(s) <= 63 && s[0] != '-' && s[len(s)-1] != '-'
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			ok = false
		}
	}
	return ok
}

// Required notes a missing field when creating; it reports whether the field is present.
func (c *Checker) Required(field string, present bool, creating bool) bool {
	if !present && creating {
		c.Add(field, "is required")
	}
	return present
}

// Minutes merges a duration given in whole minutes within [lo, hi].
func (c *Checker) Minutes(field string, in *int, dst *time.Duration, creating, required bool, lo, hi int) {
	if in == nil {
		if creating && required {
			c.Add(field, "is required")
		}
		return
	}
	if *in < lo || *in > hi {
		c.Add(field, "must be from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi)+" minutes")
		return
	}
	*dst = time.Duration(*in) * time.Minute
}

// Ref merges a reference to another record of the organisation: required when creating,
// and a "does not exist" field error (not a 404 of the whole request) when lookup does not
// find it. Other lookup errors are returned.
func (c *Checker) Ref(field string, in *int64, creating bool, lookup func(id int64) error, set func(id int64)) error {
	if !c.Required(field, in != nil, creating) {
		return nil
	}
	if *in <= 0 {
		c.Add(field, "does not exist")
		return nil
	}
	err := lookup(*in)
	switch {
	case errors.Is(err, clinic.ErrNotFound):
		c.Add(field, "does not exist")
	case err != nil:
		return err
	default:
		set(*in)
	}
	return nil
}

// The years an instant may fall in. Nothing a clinic records lies outside them, and both
// databases and every formatter handle them; a year 0 or 9999 sent by mistake is refused
// with the field's name instead of failing deep inside (a 500, or a row no query can read).
const (
	MinYear = 1900
	MaxYear = 2200
)

// InstantReason is the field error for a time that is not RFC 3339 with an offset.
const InstantReason = "must be an RFC 3339 time with an offset, such as 2026-03-01T09:00:00+11:00"

// Instant merges an RFC 3339 time with an explicit offset, to the second, in UTC. It
// reports whether dst was set.
func (c *Checker) Instant(field string, in *string, dst *time.Time) bool {
	if in == nil {
		return false
	}
	t, err := time.Parse(time.RFC3339, *in)
	if err != nil {
		c.Add(field, InstantReason)
		return false
	}
	t = t.UTC().Truncate(time.Second)
	if !c.InYears(field, t) {
		return false
	}
	*dst = t
	return true
}

// InYears checks that t (in UTC) falls within MinYear to MaxYear.
func (c *Checker) InYears(field string, t time.Time) bool {
	if y := t.UTC().Year(); y < MinYear || y > MaxYear {
		c.Add(field, "must be between the years "+strconv.Itoa(MinYear)+" and "+strconv.Itoa(MaxYear))
		return false
	}
	return true
}

// Within checks that t falls within [now-back, now+ahead]: appointments and absences are
// recorded around the present, never decades away.
func (c *Checker) Within(field string, t, now time.Time, back, ahead time.Duration) bool {
	switch {
	case t.Before(now.Add(-back)):
		c.Add(field, "must be at most "+years(back)+" in the past")
	case t.After(now.Add(ahead)):
		c.Add(field, "must be at most "+years(ahead)+" ahead")
	default:
		return true
	}
	return false
}

func years(d time.Duration) string {
	y := int(d / (365 * 24 * time.Hour))
	if y == 1 {
		return "1 year"
	}
	return strconv.Itoa(y) + " years"
}

// Date merges a civil date written YYYY-MM-DD within [MinYear, MaxYear]; an empty string
// clears it when clearable.
func (c *Checker) Date(field string, in *string, dst *string, clearable bool) bool {
	if in == nil {
		return false
	}
	if *in == "" && clearable {
		*dst = ""
		return true
	}
	d, err := time.Parse(time.DateOnly, *in)
	if err != nil {
		c.Add(field, "must be a date written YYYY-MM-DD")
		return false
	}
	if !c.InYears(field, d) {
		return false
	}
	*dst = d.Format(time.DateOnly)
	return true
}

// Merge returns a surface's decoding problems together with a use case's validation error
// (a field the surface already named is not named twice), so that one answer names every
// field; nil when there are none. Any other error is returned as it is.
func Merge(problems []clinic.FieldError, err error) error {
	v := clinic.ValidationError{Fields: append([]clinic.FieldError(nil), problems...)}
	var ve *clinic.ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			if !clinic.HasField(v.Fields, f.Field) {
				v.Fields = append(v.Fields, f)
			}
		}
	} else if err != nil {
		return err
	}
	slices.SortStableFunc(v.Fields, func(a, b clinic.FieldError) int { return naturalCompare(a.Field, b.Field) })
	return v.Err()
}

// naturalCompare orders field paths as a person reads them: hours[2] before hours[10].
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, _ := strconv.Atoi(a[:da])
			nb, _ := strconv.Atoi(b[:db])
			if na != nb {
				return na - nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digits(s string) int {
	n := 0
	for n < len(s) && n < 9 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// ZoneReason is the field error for a zone that is not an IANA time zone.
const ZoneReason = "must be an IANA time zone such as Australia/Sydney"

// ValidZone reports whether z names an IANA time zone (not "Local", not empty): every
// clinic computes its wall-clock rules in one.
func ValidZone(z string) bool {
	if z == "" || strings.EqualFold(z, "local") {
		return false
	}
	_, err := time.LoadLocation(z)
	return err == nil
}
