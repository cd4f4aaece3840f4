package hl7

import (
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Australia/Sydney on machines without a zone database

	"github.com/google/go-cmp/cmp"
)

func sydney(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseTime(t *testing.T) {
	syd := sydney(t)
	tests := []struct {
		in   string
		want string // RFC 3339 with nanoseconds, in the zone ParseTime returns
		p    Precision
	}{
		{"2026", "2026-01-01T00:00:00+11:00", PrecisionYear},
		{"202607", "2026-07-01T00:00:00+10:00", PrecisionMonth},
		{"20260704", "2026-07-04T00:00:00+10:00", PrecisionDay},
		{"2026070409", "2026-07-04T09:00:00+10:00", PrecisionHour},
		{"202607040930", "2026-07-04T09:30:00+10:00", PrecisionMinute},
		{"20260704093015", "2026-07-04T09:30:15+10:00", PrecisionSecond},
		{"20260704093015.1", "2026-07-04T09:30:15.1+10:00", PrecisionTenthSecond},
		{"20260704093015.12", "2026-07-04T09:30:15.12+10:00", PrecisionHundredthSecond},
		{"20260704093015.123", "2026-07-04T09:30:15.123+10:00", PrecisionMillisecond},
		{"20260704093015.1234", "2026-07-04T09:30:15.1234+10:00", PrecisionTenthMillisecond},
		{"20260704093015+0000", "2026-07-04T09:30:15Z", PrecisionSecond},
		{"20260704093015-0500", "2026-07-04T09:30:15-05:00", PrecisionSecond},
		{"202607040930+0930", "2026-07-04T09:30:00+09:30", PrecisionMinute},
		{"20260704093015.1234+1000", "2026-07-04T09:30:15.1234+10:00", PrecisionTenthMillisecond},
		{"20260704+1000", "2026-07-04T00:00:00+10:00", PrecisionDay},
		{"2026+1000", "2026-01-01T00:00:00+10:00", PrecisionYear},
		{" 20260704 ", "2026-07-04T00:00:00+10:00", PrecisionDay},
		{"20240229", "2024-02-29T00:00:00+11:00", PrecisionDay},
		{"20261231235959", "2026-12-31T23:59:59+11:00", PrecisionSecond},
		{"00010101", "0001-01-01T00:00:00+10:04", PrecisionDay},
	}
	for _, tc := range tests {
		got, p, err := ParseTime(tc.in, syd)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tc.in, err)
			continue
		}
		if s := got.Format(time.RFC3339Nano); s != tc.want || p != tc.p {
			t.Errorf("ParseTime(%q) = %s, %v; want %s, %v", tc.in, s, p, tc.want, tc.p)
		}
	}
	if got, _, _ := ParseTime("20260704", nil); got.Location() != time.UTC {
		t.Errorf("nil location gave %v", got.Location())
	}
}

func TestParseTimeErrors(t *testing.T) {
	for _, in := range []string{"", " ", `""`, "202", "20260", "2026070", "202607041", "2026070409301", "202607040930151",
		"20261301", "20260001", "20260230", "20250229", "20260700", "20260732", "2026070424", "202607042360", "20260704235960",
		"0000", "20260704.1", "20260704093015.", "20260704093015.12345", "20260704093015+10", "20260704093015+10000",
		"20260704093015+2400", "20260704093015+1060", "20260704093015Z", "2026-07-04", "04/07/2026", "abcd", "2026070409301X",
		"20260704093015+1000^S", "+1000", "2026 0704", "２０２６", "20260704093015.1.2", "20260704093015-+100"} {
		_, _, err := ParseTime(in, time.UTC)
		if err == nil {
			t.Errorf("ParseTime(%q) succeeded", in)
			continue
		}
		if !errors.Is(err, ErrInvalidTime) {
			t.Errorf("ParseTime(%q) error %v does not wrap ErrInvalidTime", in, err)
		}
		if v := strings.TrimSpace(in); v != "" && strings.Contains(err.Error(), v) {
			t.Errorf("error %q quotes the value", err)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string
		p    Precision
	}{
		{"1984", "1984-01-01", PrecisionYear},
		{"198407", "1984-07-01", PrecisionMonth},
		{"19840712", "1984-07-12", PrecisionDay},
		{"19840712000000", "1984-07-12", PrecisionDay},
		{"198407122359-1200", "1984-07-12", PrecisionDay},
		{"19840712+1400", "1984-07-12", PrecisionDay},
	}
	for _, tc := range tests {
		got, p, err := ParseDate(tc.in)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tc.in, err)
			continue
		}
		if got.Location() != time.UTC || got.Format(time.RFC3339) != tc.want+"T00:00:00Z" || p != tc.p {
			t.Errorf("ParseDate(%q) = %v, %v; want %s, %v", tc.in, got, p, tc.want, tc.p)
		}
	}
	for _, in := range []string{"", "19841312", "1984-07-12", "UNKNOWN"} {
		if _, _, err := ParseDate(in); !errors.Is(err, ErrInvalidTime) {
			t.Errorf("ParseDate(%q) err = %v", in, err)
		}
	}
}

func TestFormatTime(t *testing.T) {
	at := time.Date(2026, 7, 4, 9, 30, 15, 123456789, time.FixedZone("", 10*3600))
	want := map[Precision]string{
		0:                         "2026",
		PrecisionYear:             "2026",
		PrecisionMonth:            "202607",
		PrecisionDay:              "20260704",
		PrecisionHour:             "2026070409+1000",
		PrecisionMinute:           "202607040930+1000",
		PrecisionSecond:           "20260704093015+1000",
		PrecisionTenthSecond:      "20260704093015.1+1000",
		PrecisionHundredthSecond:  "20260704093015.12+1000",
		PrecisionMillisecond:      "20260704093015.123+1000",
		PrecisionTenthMillisecond: "20260704093015.1234+1000",
		99:                        "20260704093015.1234+1000",
	}
	got := map[Precision]string{}
	for p := range want {
		got[p] = FormatTime(at, p)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if s := FormatTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), PrecisionSecond); s != "20260102030405+0000" {
		t.Errorf("UTC: %s", s)
	}
	if PrecisionDay.String() != "day" || Precision(42).String() != "Precision(42)" {
		t.Error("Precision.String")
	}
}
