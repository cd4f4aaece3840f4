package availability

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tidings-health/tidings/internal/zonetest"
)

// DST tests: every offset change 2024-2030 of the zones below, found
// programmatically with ZoneBounds (see transitions).

var dstZoneNames = []string{
	"Australia/Sydney", "Australia/Lord_Howe", "Australia/Adelaide",
	"Europe/Paris", "America/New_York",
}

type dstCase struct {
	zone       string
	loc        *time.Location
	at         time.Time // instant of the change
	day        Date      // local date of the change
	before     int       // offset before, seconds east of UTC
	after      int       // offset after
	dayStart   time.Time // local midnight of day
	nextStart  time.Time // local midnight of day+1
	shiftLabel string
}

func dstCases(t *testing.T) []dstCase {
	t.Helper()
	var out []dstCase
	for _, name := range dstZoneNames {
		loc := zone(t, name)
		trs := zonetest.Transitions(loc, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC))
		if len(trs) != 14 {
			t.Fatalf("%s: found %d transitions in 2024-2030, want 14", name, len(trs))
		}
		for _, tr := range trs {
			_, before := tr.Add(-time.Second).In(loc).Zone()
			_, after := tr.In(loc).Zone()
			d := DateOf(tr, loc)
			label := "spring-forward"
			if after < before {
				label = "fall-back"
			}
			out = append(out, dstCase{
				zone: name, loc: loc, at: tr, day: d, before: before, after: after,
				dayStart:   time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc),
				nextStart:  time.Date(d.Year, d.Month, d.Day+1, 0, 0, 0, 0, loc),
				shiftLabel: label,
			})
		}
	}
	return out
}

func localMidnight(d Date, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// TestDSTWorkingDay: a Mon-Sun 09:00-17:00 agenda opens at 09:00 and
// closes at 17:00 local on the change day and the days either side, with
// exactly 8h/grid slots each day.
func TestDSTWorkingDay(t *testing.T) {
	t.Parallel()
	for _, c := range dstCases(t) {
		t.Run(fmt.Sprintf("%s/%s/%s", c.zone, c.day, c.shiftLabel), func(t *testing.T) {
			var weekly [7][]Hours
			for d := range weekly {
				weekly[d] = []Hours{{At(9, 0), At(17, 0)}}
			}
			for _, mode := range []GridMode{GridClock, GridReason} {
				for _, grid := range []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour} {
					q := Query{
						Zone:     c.loc,
						Schedule: Schedule{Weekly: weekly},
						Duration: grid,
						Window:   Interval{Start: localMidnight(c.day.AddDays(-1), c.loc), End: localMidnight(c.day.AddDays(2), c.loc)},
						Rules:    Rules{HorizonDays: 10, Mode: mode, Grid: grid},
						Now:      localMidnight(c.day.AddDays(-3), c.loc),
					}
					got, err := Slots(q)
					if err != nil {
						t.Fatal(err)
					}
					byDay := map[Date][]string{}
					for _, s := range got {
						d := DateOf(s, c.loc)
						byDay[d] = append(byDay[d], s.In(c.loc).Format("15:04")+"-"+s.Add(grid).In(c.loc).Format("15:04"))
					}
					n := int(8 * time.Hour / grid)
					want := map[Date][]string{}
					for i := -1; i <= 1; i++ {
						d := c.day.AddDays(i)
						for k := range n {
							start := At(9, 0) + Clock(k*int(grid/time.Minute))
							end := start + Clock(grid/time.Minute)
							want[d] = append(want[d], start.String()+"-"+end.String())
						}
					}
					if diff := cmp.Diff(want, byDay); diff != "" {
						t.Errorf("%v grid %v: slots by day (-want +got):\n%s", mode, grid, diff)
					}
				}
			}
		})
	}
}

// TestDSTFullDay: an agenda open 00:00-24:00 on the change day never
// offers a wall time the change skipped, never offers an instant twice,
// offers both instants of each repeated wall time, and offers every grid
// instant of the day: (24h + before - after) / grid slots.
func TestDSTFullDay(t *testing.T) {
	t.Parallel()
	for _, c := range dstCases(t) {
		t.Run(fmt.Sprintf("%s/%s/%s", c.zone, c.day, c.shiftLabel), func(t *testing.T) {
			dayLen := c.nextStart.Sub(c.dayStart)
			if want := 24*time.Hour + time.Duration(c.before-c.after)*time.Second; dayLen != want {
				t.Fatalf("day length %v, want %v", dayLen, want)
			}
			// Wall minutes of day skipped by a spring-forward change.
			gapFrom, gapTo := -1, -1
			if c.after > c.before {
				gapFrom = wallMinute(c.at.In(time.FixedZone("", c.before)))
				gapTo = wallMinute(c.at.In(time.FixedZone("", c.after)))
			}
			for _, sched := range []struct {
				name string
				s    Schedule
			}{
				{"exception only", Schedule{Exceptions: []Exception{{Date: c.day, Closed: true, Hours: []Hours{{0, EndOfDay}}}}}},
				{"weekly every day", everyDay(Hours{0, EndOfDay})},
			} {
				for _, mode := range []GridMode{GridClock, GridReason} {
					for _, grid := range []time.Duration{15 * time.Minute, 30 * time.Minute} {
						name := fmt.Sprintf("%s/%v/grid %v", sched.name, mode, grid)
						q := Query{
							Zone:     c.loc,
							Schedule: sched.s,
							Duration: grid,
							Window:   Interval{Start: c.dayStart, End: c.nextStart},
							Rules:    Rules{HorizonDays: 5, Mode: mode, Grid: grid},
							Now:      localMidnight(c.day.AddDays(-1), c.loc),
						}
						got, err := Slots(q)
						if err != nil {
							t.Fatal(err)
						}
						seenWall := map[string]int{}
						for i, s := range got {
							if i > 0 && !got[i-1].Before(s) {
								t.Errorf("%s: slots not strictly increasing at %v, %v", name, got[i-1], s)
							}
							ls := s.In(c.loc)
							if DateOf(s, c.loc) != c.day {
								t.Errorf("%s: slot %v is not on %v", name, ls, c.day)
							}
							if m := wallMinute(ls); m >= gapFrom && m < gapTo {
								t.Errorf("%s: slot %v has skipped wall time", name, ls.Format(time.RFC3339))
							}
							rt := time.Date(ls.Year(), ls.Month(), ls.Day(), ls.Hour(), ls.Minute(), 0, 0, c.loc)
							if rt.Format("15:04") != ls.Format("15:04") {
								t.Errorf("%s: wall time of slot %v does not exist", name, ls.Format(time.RFC3339))
							}
							seenWall[ls.Format("15:04")]++
						}
						repeated := 0
						for _, n := range seenWall {
							if n > 1 {
								repeated++
							}
						}
						wantRepeated := 0
						if c.after < c.before {
							wantRepeated = int(time.Duration(c.before-c.after) * time.Second / grid)
						}
						if repeated != wantRepeated {
							t.Errorf("%s: %d wall times offered twice, want %d", name, repeated, wantRepeated)
						}
						if want := int(dayLen / grid); len(got) != want {
							t.Errorf("%s: %d slots, want %d (day of %v)", name, len(got), want, dayLen)
						}
						// Every grid instant, found by walking the day.
						var want []time.Time
						for s := c.dayStart; s.Add(grid).Compare(c.nextStart) <= 0; s = s.Add(time.Minute) {
							onGrid := wallMinute(s.In(c.loc))%int(grid/time.Minute) == 0
							if mode == GridReason {
								onGrid = s.Sub(c.dayStart)%grid == 0
							}
							if onGrid {
								want = append(want, s)
							}
						}
						if diff := cmp.Diff(fmtSlots(c.loc, want), fmtSlots(c.loc, got)); diff != "" {
							t.Errorf("%s: grid instants (-want +got):\n%s", name, diff)
						}
					}
				}
			}
		})
	}
}

func wallMinute(t time.Time) int { return t.Hour()*60 + t.Minute() }

func everyDay(hs ...Hours) Schedule {
	var s Schedule
	for d := range s.Weekly {
		s.Weekly[d] = hs
	}
	return s
}
