package sendtime

import (
	"fmt"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/walltime"
)

// DST tests (NOT-9, issue 8 item 4): every offset change 2024-2030 of the five zones the house
// rules pin, found by walking the zones' periods (transitions), not written by hand.

type change struct {
	zone  string
	loc   *time.Location
	at    time.Time // the instant of the change
	day   time.Time // its local date, at 00:00 UTC
	label string    // spring-forward or fall-back
}

func (c change) String() string {
	return fmt.Sprintf("%s/%s/%s", c.zone, c.day.Format(time.DateOnly), c.label)
}

func changes(t *testing.T) []change {
	t.Helper()
	var out []change
	for _, name := range dstZoneNames {
		loc := zone(t, name)
		trs := zones.Transitions(name)
		if len(trs) != 14 {
			t.Fatalf("%s: found %d changes in 2024-2030, want 14", name, len(trs))
		}
		for _, tr := range trs {
			_, before := tr.Add(-time.Second).In(loc).Zone()
			_, after := tr.In(loc).Zone()
			label := "spring-forward"
			if after < before {
				label = "fall-back"
			}
			r := readsAt(tr, loc)
			out = append(out, change{name, loc, tr, time.Date(r.Year(), r.Month(), r.Day(), 0, 0, 0, 0, time.UTC), label})
		}
	}
	return out
}

// clockOn is the instant at which loc reads h:m on the date day+days, for a wall time that
// happens once (the test fails otherwise: 09:00 and 10:00 do in these zones).
func clockOn(t *testing.T, day time.Time, days, h, m int, loc *time.Location) time.Time {
	t.Helper()
	at, repeated, ok := walltime.At(day.AddDate(0, 0, days), h*60+m, loc)
	if !ok || repeated {
		t.Fatalf("%02d:%02d on %s in %s happens %v, twice %v", h, m, day.AddDate(0, 0, days).Format(time.DateOnly), loc, ok, repeated)
	}
	return at
}

// TestDSTNineOClock: for a 09:00 appointment on the day of every change, the day after and
// the day after that, "24h" and "48h" go out at 09:00 that many days before and "1d@10:00"
// at 10:00 the day before, on the zone's clock, which is 24 or 48 hours before give or take
// the change; "2h" goes out exactly two hours before.
func TestDSTNineOClock(t *testing.T) {
	t.Parallel()
	for _, c := range changes(t) {
		t.Run(c.String(), func(t *testing.T) {
			for after := range 3 {
				start := clockOn(t, c.day, after, 9, 0, c.loc)
				_, startOff := start.In(c.loc).Zone()
				for _, r := range []struct {
					offset           string
					days, hour, wall int // wall: whole days of wall-clock time before
				}{
					{"24h", 1, 9, 1},
					{"48h", 2, 9, 2},
					{"1d@10:00", 1, 10, 0},
				} {
					got, err := Due(start, c.loc, mustParse(t, r.offset))
					if err != nil {
						t.Fatal(err)
					}
					want := clockOn(t, c.day, after-r.days, r.hour, 0, c.loc)
					if !got.Equal(want) {
						t.Errorf("%s before 09:00 on %s: due %s, want %s", r.offset, start.In(c.loc).Format(time.DateOnly), show(got, c.loc), show(want, c.loc))
					}
					if r.wall > 0 {
						// Wall-clock days: the elapsed time is the days less the change between.
						_, dueOff := got.In(c.loc).Zone()
						wantGap := time.Duration(r.wall)*24*time.Hour - time.Duration(startOff-dueOff)*time.Second
						if start.Sub(got) != wantGap {
							t.Errorf("%s before 09:00 on %s is %v before, want %v", r.offset, start.In(c.loc).Format(time.DateOnly), start.Sub(got), wantGap)
						}
					}
				}
				if got, _ := Due(start, c.loc, mustParse(t, "2h")); start.Sub(got) != 2*time.Hour {
					t.Errorf("2h before 09:00 on %s: due %s", start.In(c.loc).Format(time.DateOnly), show(got, c.loc))
				}
			}
		})
	}
}

// TestDSTEveryQuarterHour: around every change, exhaustively at quarter-hour resolution and
// against the oracle: a "24h" reminder for each instant of the day after the change that
// reads a quarter-hour (both instants of a repeated one) — so every wall time of the change
// day, skipped and repeated ones included, is asked for — and a "1d@HH:MM" reminder at each
// quarter-hour for a 09:00 appointment the day after.
func TestDSTEveryQuarterHour(t *testing.T) {
	t.Parallel()
	for _, c := range changes(t) {
		t.Run(c.String(), func(t *testing.T) {
			t.Parallel()
			day := c.day.AddDate(0, 0, 1)
			_, offBefore := c.at.Add(-time.Second).In(c.loc).Zone()
			_, offAfter := c.at.In(c.loc).Zone()
			nine := clockOn(t, c.day, 1, 9, 0, c.loc)
			seen := map[Resolution]int{}
			for q := range 96 {
				reading := day.Add(time.Duration(q) * 15 * time.Minute)
				starts := map[time.Time]bool{}
				for _, off := range []int{offBefore, offAfter} {
					if s := reading.Add(-time.Duration(off) * time.Second); readsAt(s, c.loc).Equal(reading) {
						starts[s] = true
					}
				}
				for s := range starts {
					checkDue(t, c.zone, c.loc, s, Offset{days: 1})
				}
				at := Offset{days: 1, clock: q*15 + 1}
				checkDue(t, c.zone, c.loc, nine, at)
				_, res, _ := due(nine, c.loc, at)
				seen[res]++
			}
			// Each change skips or repeats at least half an hour: two quarter-hours.
			want := Repeated
			if c.label == "spring-forward" {
				want = Skipped
			}
			if seen[want] < 2 {
				t.Errorf("quarter-hours of the change day resolved %v: want at least two %s", seen, want)
			}
		})
	}
}
