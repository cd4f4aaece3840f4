package api

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidings-health/tidings/internal/clinic"
)

// checker collects field errors while merging a request into a domain value.
type checker struct{ clinic.ValidationError }

// text merges an optional string: trimmed, required when creating, at most max characters,
// no control characters.
func (c *checker) text(field string, in *string, dst *string, creating, required bool, max int) {
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
	default:
		*dst = s
	}
}

// slug merges an optional URL-safe identifier (lower-case letters, digits, dashes).
func (c *checker) slug(field string, in *string, dst *string, creating bool) {
	if in == nil {
		if creating {
			c.Add(field, "is required")
		}
		return
	}
	s := *in
	ok := len(s) >= 2 && len(s) <= 63 && s[0] != '-' && s[len(s)-1] != '-'
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			ok = false
		}
	}
	if !ok {
		c.Add(field, "must be 2 to 63 lower-case letters, digits or dashes, not starting or ending with a dash")
		return
	}
	*dst = s
}

func (c *checker) required(field string, present bool, creating bool) bool {
	if !present && creating {
		c.Add(field, "is required")
	}
	return present
}

// minutes merges a duration given in whole minutes within [lo, hi].
func (c *checker) minutes(field string, in *int, dst *time.Duration, creating, required bool, lo, hi int) {
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

// ref merges a reference to another record of the organisation: required when creating,
// and a "does not exist" field error (not a 404 of the whole request) when lookup does not
// find it.
func (c *checker) ref(field string, in *int64, creating bool, lookup func(id int64) error, set func(id int64)) error {
	if !c.required(field, in != nil, creating) {
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
