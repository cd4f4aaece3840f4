package fhir

import (
	"fmt"
	"strings"
	"time"
)

// DateTime is a FHIR date or dateTime as the server sent it: "2024", "2024-05", "2024-05-17"
// or "2024-05-17T09:30:00+02:00". It stays a string because a partial date is not an instant
// and must not become one by accident (a birth year is not midnight on the first of January).
type DateTime string

// Time returns the earliest instant d can mean: a date without a time starts at midnight in
// loc (the clinic's zone; FHIR dates have none), a dateTime with a time carries its own zone.
// The error never quotes d, which may be a birth date.
func (d DateTime) Time(loc *time.Location) (time.Time, error) {
	s := string(d)
	layouts := []string{"2006", "2006-01", "2006-01-02"}
	if strings.Contains(s, "T") {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("fhir: not a FHIR dateTime with a zone (%d characters)", len(s))
		}
		return t, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	for _, l := range layouts {
		if len(s) == len(l) {
			if t, err := time.ParseInLocation(l, s, loc); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("fhir: not a FHIR date (%d characters)", len(s))
}

// formatInstant writes t for a search on an instant (_lastUpdated=gt…) with at least
// millisecond digits and with every non-zero digit t has. FHIR compares a search value as the
// range its precision implies: "gt2024-05-17T09:30:00Z" means after 09:30:01, which would skip
// a resource updated at 09:30:00.5, and truncating to milliseconds would skip one at
// .1234 after a cursor of .1233.
func formatInstant(t time.Time) string {
	s := t.UTC().Format("2006-01-02T15:04:05.000000000")
	s = strings.TrimRight(s, "0")
	if dot := strings.IndexByte(s, '.'); len(s)-dot-1 < 3 {
		s += strings.Repeat("0", 3-(len(s)-dot-1))
	}
	return s + "Z"
}
