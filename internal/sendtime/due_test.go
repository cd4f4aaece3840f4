package sendtime

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
)

// mustParse is Parse for offsets a test writes literally.
func mustParse(tb testing.TB, s string) Offset {
	tb.Helper()
	o, err := Parse(s)
	if err != nil {
		tb.Fatalf("Parse(%q): %v", s, err)
	}
	return o
}

// local is the instant at which loc's clock reads the given wall time, with the UTC offset
// written out, so that a fixture says which of two readings it means.
func local(tb testing.TB, rfc3339 string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339Nano, rfc3339)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// TestDueFixtures: the hand-computed fixtures of issue 8 item 4 ("Timing rules, stated
// once", NOT-9), then hand-computed cases for each way a wall-clock reading resolves. Each
// expected instant was worked out on paper from the zone's offsets; the comment says how.
func TestDueFixtures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		zone   string
		start  string // the appointment, local time with its offset
		offset string
		want   string // UTC
		res    Resolution
	}{
		// Issue 8 item 4 (NOT-9): Sydney goes from 02:00 AEST (+10) to 03:00 AEDT (+11) on
		// 2025-10-05. The appointment is 09:00 AEDT = 22:00Z on the 4th.
		{"NOT-9 issue 8.4: Sydney spring-forward day, 24h is 09:00 AEST the day before", "Australia/Sydney",
			"2025-10-05T09:00:00+11:00", "24h", "2025-10-03T23:00:00Z", Exact},
		{"NOT-9 issue 8.4: Sydney spring-forward day, 2h is elapsed", "Australia/Sydney",
			"2025-10-05T09:00:00+11:00", "2h", "2025-10-04T20:00:00Z", Elapsed},
		{"NOT-9 issue 8.4: Sydney spring-forward day, the day before at 10:00 AEST", "Australia/Sydney",
			"2025-10-05T09:00:00+11:00", "1d@10:00", "2025-10-04T00:00:00Z", Exact},
		// Lord Howe goes from 02:00 (+10:30) to 02:30 (+11): 09:00 on the 4th is +10:30.
		{"NOT-9 issue 8.4: Lord Howe spring-forward day, 24h is 09:00 +10:30 the day before", "Australia/Lord_Howe",
			"2025-10-05T09:00:00+11:00", "24h", "2025-10-03T22:30:00Z", Exact},
		// Sydney goes back from 03:00 AEDT to 02:00 AEST on 2026-04-05; the 4th is AEDT.
		{"NOT-9 issue 8.4: Sydney fall-back day, 24h is 09:00 AEDT the day before", "Australia/Sydney",
			"2026-04-05T09:00:00+10:00", "24h", "2026-04-03T22:00:00Z", Exact},
		// Paris goes from 02:00 CET (+1) to 03:00 CEST (+2) on 2026-03-29; the 28th is CET.
		{"NOT-9 issue 8.4: Paris spring-forward day, 24h is 09:00 CET the day before", "Europe/Paris",
			"2026-03-29T09:00:00+02:00", "24h", "2026-03-28T08:00:00Z", Exact},

		// Gaps: the reading does not exist; due at the jump, which reads the first time after.
		{"gap: Sydney 02:30 the day after, 24h falls at the 02:00→03:00 jump (16:00Z)", "Australia/Sydney",
			"2025-10-06T02:30:00+11:00", "24h", "2025-10-04T16:00:00Z", Skipped},
		{"gap: Lord Howe 02:15 the day after, 24h falls at the 02:00→02:30 jump (02:00 +10:30)", "Australia/Lord_Howe",
			"2025-10-06T02:15:00+11:00", "24h", "2025-10-04T15:30:00Z", Skipped},
		{"gap: New York 02:30 the day after, 24h falls at the 02:00 EST jump (07:00Z)", "America/New_York",
			"2026-03-09T02:30:00-04:00", "24h", "2026-03-08T07:00:00Z", Skipped},
		{"gap: Adelaide 02:00 two days after, 48h falls at the 02:00 ACST jump (16:30Z)", "Australia/Adelaide",
			"2025-10-07T02:00:00+10:30", "48h", "2025-10-04T16:30:00Z", Skipped},
		{"gap: Paris the day before at 02:15 on the spring-forward day, at the 02:00 CET jump", "Europe/Paris",
			"2026-03-30T09:00:00+02:00", "1d@02:15", "2026-03-29T01:00:00Z", Skipped},
		// Havana goes from 00:00 CST (-5) to 01:00 CDT (-4) on 2025-03-09: midnight itself is skipped.
		{"gap at midnight: Havana 00:30 the day after, 24h at the 00:00 jump (05:00Z)", "America/Havana",
			"2025-03-10T00:30:00-04:00", "24h", "2025-03-09T05:00:00Z", Skipped},
		// Samoa skipped 2011-12-30 entirely: 23:59:59 -10 on the 29th, then 00:00 +14 on the 31st.
		{"gap of a whole day: Apia 24h before 2011-12-31 09:00 is the jump into the 31st", "Pacific/Apia",
			"2011-12-31T09:00:00+14:00", "24h", "2011-12-30T10:00:00Z", Skipped},

		// Overlaps: the reading happens twice; due at the earlier.
		{"overlap: Sydney 02:30 AEST the day after, 24h at the first 02:30 (AEDT)", "Australia/Sydney",
			"2026-04-06T02:30:00+10:00", "24h", "2026-04-04T15:30:00Z", Repeated},
		{"overlap: Lord Howe 01:45 the day after, 24h at the first 01:45 (+11)", "Australia/Lord_Howe",
			"2026-04-06T01:45:00+10:30", "24h", "2026-04-04T14:45:00Z", Repeated},
		{"overlap: New York 01:30 EST the day after, 24h at the first 01:30 (EDT)", "America/New_York",
			"2026-11-02T01:30:00-05:00", "24h", "2026-11-01T05:30:00Z", Repeated},
		{"overlap: Paris the day before at 02:30 on the fall-back day, the first (CEST)", "Europe/Paris",
			"2026-10-26T10:00:00+01:00", "1d@02:30", "2026-10-25T00:30:00Z", Repeated},
		// An appointment at the second 02:30 (AEST) keeps its own 02:30 the day before (once).
		{"overlap start: Sydney second 02:30 on the fall-back day, 24h is 02:30 AEDT on the 4th", "Australia/Sydney",
			"2026-04-05T02:30:00+10:00", "24h", "2026-04-03T15:30:00Z", Exact},

		// Other rules.
		{"elapsed across the gap: 2h before 03:30 AEDT is 00:30 AEST (three wall hours)", "Australia/Sydney",
			"2025-10-05T03:30:00+11:00", "2h", "2025-10-04T14:30:00Z", Elapsed},
		{"elapsed: 36h is not whole days", "Australia/Sydney",
			"2025-10-05T09:00:00+11:00", "36h", "2025-10-03T10:00:00Z", Elapsed},
		{"48h over the spring-forward day is 09:00 AEST two days before (47 hours)", "Australia/Sydney",
			"2025-10-06T09:00:00+11:00", "48h", "2025-10-03T23:00:00Z", Exact},
		{"Adelaide spring-forward day: 24h is 09:00 ACST (+9:30) the day before", "Australia/Adelaide",
			"2025-10-05T09:00:00+10:30", "24h", "2025-10-03T23:30:00Z", Exact},
		{"72h over the Paris fall-back is 09:00 CEST three days before (73 hours)", "Europe/Paris",
			"2026-10-27T09:00:00+01:00", "72h", "2026-10-24T07:00:00Z", Exact},
		{"the same day at 07:00", "Europe/Paris",
			"2026-03-29T09:00:00+02:00", "0d@07:00", "2026-03-29T05:00:00Z", Exact},
		{"New York spring-forward day: 24h is 09:00 EST the day before", "America/New_York",
			"2026-03-08T09:00:00-04:00", "24h", "2026-03-07T14:00:00Z", Exact},
		{"seconds of the start are kept", "Australia/Sydney",
			"2025-10-05T09:00:30.5+11:00", "24h", "2025-10-03T23:00:30.5Z", Exact},
		{"a clock rule has no seconds", "Australia/Sydney",
			"2025-10-05T09:00:30.5+11:00", "1d@10:00", "2025-10-04T00:00:00Z", Exact},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc := zone(t, c.zone)
			start := local(t, c.start)
			if got := start.In(loc).Format(time.RFC3339Nano); got != c.start {
				t.Fatalf("fixture: %s reads %s in %s: fix the start's offset", c.start, got, c.zone)
			}
			o := mustParse(t, c.offset)
			got, res, err := due(start, loc, o)
			if err != nil {
				t.Fatal(err)
			}
			want := local(t, c.want)
			if !got.Equal(want) || res != c.res {
				t.Errorf("%s before %s in %s: due %s (%s, reads %s), want %s (%s, reads %s)",
					c.offset, c.start, c.zone,
					got.Format(time.RFC3339Nano), res, got.In(loc).Format(time.RFC3339Nano),
					want.Format(time.RFC3339Nano), c.res, want.In(loc).Format(time.RFC3339Nano))
			}
			if pub, _ := Due(start, loc, o); !pub.Equal(got) || pub.Location() != time.UTC {
				t.Errorf("Due = %v, want %v in UTC", pub, got)
			}
		})
	}
}

func TestDueErrors(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if _, err := Due(start, time.UTC, Offset{}); err == nil {
		t.Error("Due with the zero Offset: no error")
	}
	if _, err := Due(start, nil, mustParse(t, "2h")); err == nil {
		t.Error("Due in a nil zone: no error")
	}
	if _, err := Plan(start, time.UTC, []Offset{mustParse(t, "2h"), {}}, start.Add(-time.Hour)); err == nil {
		t.Error("Plan with the zero Offset: no error")
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	type want struct {
		String  string
		Elapsed time.Duration
		Days    int
		Clock   int // -1: none
	}
	ok := []struct {
		in   string
		want want
	}{
		{"72h", want{"72h", 0, 3, -1}},
		{"3d", want{"72h", 0, 3, -1}},
		{"24h", want{"24h", 0, 1, -1}},
		{"1440m", want{"24h", 0, 1, -1}},
		{"24h0m", want{"24h", 0, 1, -1}},
		{"720h", want{"720h", 0, 30, -1}},
		{"30d", want{"720h", 0, 30, -1}},
		{"2h", want{"2h", 2 * time.Hour, 0, -1}},
		{" 2h\t", want{"2h", 2 * time.Hour, 0, -1}},
		{"90m", want{"1h30m", 90 * time.Minute, 0, -1}},
		{"1h30m", want{"1h30m", 90 * time.Minute, 0, -1}},
		{"0h45m", want{"45m", 45 * time.Minute, 0, -1}},
		{"15m", want{"15m", 15 * time.Minute, 0, -1}},
		{"36h", want{"36h", 36 * time.Hour, 0, -1}},
		{"719h59m", want{"719h59m", 720*time.Hour - time.Minute, 0, -1}},
		{"1d@10:00", want{"1d@10:00", 0, 1, 600}},
		{" 1d@10:00 ", want{"1d@10:00", 0, 1, 600}},
		{"1d@9:05", want{"1d@09:05", 0, 1, 545}},
		{"0d@07:00", want{"0d@07:00", 0, 0, 420}},
		{"30d@23:59", want{"30d@23:59", 0, 30, 1439}},
		{"01d@00:00", want{"1d@00:00", 0, 1, 0}},
	}
	for _, c := range ok {
		o, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		clock, has := o.Clock()
		if !has {
			clock = -1
		}
		got := want{o.String(), o.Elapsed(), o.Days(), clock}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", c.in, diff)
		}
		if back := mustParse(t, o.String()); back != o {
			t.Errorf("Parse(%q).String() = %q reads back as %v", c.in, o.String(), back)
		}
	}
	bad := []struct{ in, reason string }{
		{"", OffsetReason}, {"2", OffsetReason}, {"h", OffsetReason}, {"2H", OffsetReason},
		{"2 h", OffsetReason}, {"-2h", OffsetReason}, {"+2h", OffsetReason}, {"2h60m", OffsetReason},
		{"2h30", OffsetReason}, {"2h30s", OffsetReason}, {"1.5h", OffsetReason}, {"2d3h", OffsetReason},
		{"1d@24:00", OffsetReason}, {"1d@ 10:00", OffsetReason}, {"1d@10", OffsetReason},
		{"1d @10:00", OffsetReason}, {"d@10:00", OffsetReason}, {"P1D", OffsetReason}, {"PT2H", OffsetReason},
		{"١h", OffsetReason}, {"000001h", OffsetReason}, {"2h\x00", OffsetReason}, {"10:00", OffsetReason},
		{"14m", OffsetRangeReason}, {"0m", OffsetRangeReason}, {"0h", OffsetRangeReason}, {"0d", OffsetRangeReason},
		{"721h", OffsetRangeReason}, {"31d", OffsetRangeReason}, {"31d@10:00", OffsetRangeReason},
		{"99999h", OffsetRangeReason}, {"43201m", OffsetRangeReason},
	}
	for _, c := range bad {
		_, err := Parse(c.in)
		var v *clinic.ValidationError
		if !errors.As(err, &v) || !errors.Is(err, clinic.ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want a validation error", c.in, err)
			continue
		}
		if diff := cmp.Diff([]clinic.FieldError{{Field: "offset", Reason: c.reason}}, v.Fields); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", c.in, diff)
		}
	}
}

func TestConstructors(t *testing.T) {
	t.Parallel()
	if o, err := Before(48 * time.Hour); err != nil || o != mustParse(t, "2d") {
		t.Errorf("Before(48h) = %v, %v; want 48h as two days", o, err)
	}
	if o, err := Before(150 * time.Minute); err != nil || o != mustParse(t, "2h30m") {
		t.Errorf("Before(2h30m) = %v, %v", o, err)
	}
	if o, err := DaysBeforeAt(1, 600); err != nil || o != mustParse(t, "1d@10:00") {
		t.Errorf("DaysBeforeAt(1, 600) = %v, %v", o, err)
	}
	for _, d := range []time.Duration{0, time.Minute, 2*time.Hour + time.Second, 721 * time.Hour, -time.Hour} {
		if o, err := Before(d); !errors.Is(err, clinic.ErrInvalid) {
			t.Errorf("Before(%v) = %v, %v; want invalid", d, o, err)
		}
	}
	for _, c := range [][2]int{{-1, 600}, {31, 600}, {1, -1}, {1, 1440}} {
		if o, err := DaysBeforeAt(c[0], c[1]); !errors.Is(err, clinic.ErrInvalid) {
			t.Errorf("DaysBeforeAt(%d, %d) = %v, %v; want invalid", c[0], c[1], o, err)
		}
	}
	var zero Offset
	if !zero.IsZero() || zero.String() != "" {
		t.Errorf("zero Offset: IsZero %v, String %q", zero.IsZero(), zero.String())
	}
	if _, err := zero.MarshalText(); err == nil {
		t.Error("MarshalText of the zero Offset: no error")
	}
	var o Offset
	if err := o.UnmarshalText([]byte("1d@10:00")); err != nil || o != mustParse(t, "1d@10:00") {
		t.Errorf("UnmarshalText: %v, %v", o, err)
	}
	if b, err := o.MarshalText(); err != nil || string(b) != "1d@10:00" {
		t.Errorf("MarshalText: %q, %v", b, err)
	}
	if err := o.UnmarshalText([]byte("soon")); !errors.Is(err, clinic.ErrInvalid) {
		t.Errorf("UnmarshalText(soon): %v", err)
	}
}

func TestParseList(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		in     []string
		want   []string
		errors []clinic.FieldError
	}{
		{"the usual three", []string{"72h", "2h", "1d@10:00"}, []string{"72h", "2h", "1d@10:00"}, nil},
		{"none", []string{}, []string{}, nil},
		{"24h and 1d are the same rule", []string{"24h", "1d"}, nil,
			[]clinic.FieldError{{Field: "reminders[1]", Reason: DuplicateReason}}},
		{"every problem at once", []string{"soon", "2h", "120m", "0m"}, nil, []clinic.FieldError{
			{Field: "reminders[0]", Reason: OffsetReason},
			{Field: "reminders[2]", Reason: DuplicateReason},
			{Field: "reminders[3]", Reason: OffsetRangeReason},
		}},
		{"too many", []string{"1h", "2h", "3h", "4h", "5h", "6h", "7h", "8h", "9h"}, nil,
			[]clinic.FieldError{{Field: "reminders", Reason: TooManyReason}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseList("reminders", c.in)
			var fields []clinic.FieldError
			if v := (*clinic.ValidationError)(nil); errors.As(err, &v) {
				fields = v.Fields
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.errors, fields); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			var texts []string
			if got != nil {
				texts = []string{}
				for _, o := range got {
					texts = append(texts, o.String())
				}
			}
			if diff := cmp.Diff(c.want, texts); diff != "" {
				t.Errorf("offsets (-want +got):\n%s", diff)
			}
		})
	}
}
