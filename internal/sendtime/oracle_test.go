package sendtime

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"
	_ "time/tzdata" // zone data must not depend on the host

	"github.com/tidings-health/tidings/internal/zonetest"
	"pgregory.net/rapid"
)

// This file holds the brute-force oracle — the package doc's definitions read literally,
// one minute at a time — and the rapid properties that compare Due, Plan and NextAllowed
// with it.

// dstZoneNames are the zones the house rules pin (ARCHITECTURE.md rule 8); midnightZoneNames
// change at local midnight (a date that starts at 01:00, or runs backwards into the day
// before), and Apia skipped a whole day.
var (
	dstZoneNames      = []string{"Australia/Sydney", "Australia/Lord_Howe", "Australia/Adelaide", "Europe/Paris", "America/New_York"}
	midnightZoneNames = []string{"America/Havana", "Asia/Beirut", "America/Sao_Paulo", "Pacific/Apia"}
)

// zones loads the property tests' zones once, with their transitions.
var zones = zonetest.NewSet(zonetest.Span{Names: dstZoneNames, From: 2024, To: 2031},
	zonetest.Span{Names: midnightZoneNames, From: 2008, To: 2020}, zonetest.Span{Names: []string{"UTC"}, From: 2024, To: 2031})

func zone(tb testing.TB, name string) *time.Location { return zones.Zone(tb, name) }

// ---- the oracle ----

// readsAt is what loc's clock shows at x, as a UTC time (09:00 local → 09:00 UTC), built
// from the calendar fields rather than from the offset.
func readsAt(x time.Time, loc *time.Location) time.Time {
	l := x.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

// oracleFirst is the first instant at which loc's clock reads want or later, and how many
// instants read want exactly. It scans from 15 hours before want read as UTC (no zone is 15
// hours ahead, so the clock shows less there) every whole minute and, when want has
// seconds, every whole minute plus those: offsets and changes are whole minutes, so the
// instants that read want and the jumps are all among them.
func oracleFirst(want time.Time, loc *time.Location) (first time.Time, count int) {
	frac := want.Sub(want.Truncate(time.Minute))
	check := func(x time.Time) {
		r := readsAt(x, loc)
		if first.IsZero() && !r.Before(want) {
			first = x
		}
		if r.Equal(want) {
			count++
		}
	}
	from := want.Truncate(time.Minute).Add(-15 * time.Hour)
	for x := from; x.Before(want.Add(15 * time.Hour)); x = x.Add(time.Minute) {
		check(x)
		if frac > 0 {
			check(x.Add(frac))
		}
	}
	if first.IsZero() { // a day skipped (Apia): scan on
		for first = from.Add(30 * time.Hour); readsAt(first, loc).Before(want); first = first.Add(time.Minute) {
		}
	}
	return first, count
}

// oracleTarget is the reading an offset asks for, from its definition: the start's reading
// with the date moved back by days, or the clock of an "at" rule on that date.
func oracleTarget(start time.Time, loc *time.Location, o Offset) time.Time {
	r := readsAt(start, loc)
	if m, ok := o.Clock(); ok {
		return time.Date(r.Year(), r.Month(), r.Day()-o.Days(), 0, m, 0, 0, time.UTC)
	}
	return time.Date(r.Year(), r.Month(), r.Day()-o.Days(), r.Hour(), r.Minute(), r.Second(), r.Nanosecond(), time.UTC)
}

// oracleDue is Due by definition, with the Resolution the count of readings implies.
func oracleDue(start time.Time, loc *time.Location, o Offset) (time.Time, Resolution) {
	if o.Elapsed() > 0 {
		return start.Add(-o.Elapsed()), Elapsed
	}
	first, n := oracleFirst(oracleTarget(start, loc, o), loc)
	return first, [...]Resolution{Skipped, Exact, Repeated}[n]
}

// oracleMinutes lists the minutes of day in the window by walking from From to To.
func oracleMinutes(w Window) (in [1440]bool) {
	f, t := ((w.From%1440)+1440)%1440, ((w.To%1440)+1440)%1440
	if f == t {
		for m := range in {
			in[m] = true
		}
		return in
	}
	for m := f; m != t; m = (m + 1) % 1440 {
		in[m] = true
	}
	return in
}

// oracleNext is the first instant at or after t at which loc's clock shows a minute of the
// window, scanning minute by minute (window bounds and offsets are whole minutes).
func oracleNext(t time.Time, loc *time.Location, w Window) time.Time {
	in := oracleMinutes(w)
	openAt := func(x time.Time) bool { l := x.In(loc); return in[l.Hour()*60+l.Minute()] }
	if openAt(t) {
		return t
	}
	x := t.Truncate(time.Minute).Add(time.Minute)
	for !openAt(x) {
		x = x.Add(time.Minute)
	}
	return x
}

// show writes an instant in UTC and as loc's clock reads it, offset included, so that a
// failure says which of two readings it means.
func show(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "(none)"
	}
	return t.UTC().Format(time.RFC3339Nano) + " (" + t.In(loc).Format("Mon 2006-01-02 15:04:05.999999999 -07:00") + ")"
}

// ---- generators ----

var epoch2024 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func drawZone(t *rapid.T) (string, *time.Location) {
	names := append(append([]string{"UTC"}, dstZoneNames...), dstZoneNames...) // the DST zones twice as often
	names = append(names, midnightZoneNames...)
	name := rapid.SampledFrom(names).Draw(t, "zone")
	return name, zones.Zone(t, name)
}

// drawOffset draws any valid offset; an "at" rule's clock is near minute when minute >= 0.
func drawOffset(t *rapid.T, minute int) Offset {
	var o Offset
	var err error
	switch rapid.IntRange(0, 3).Draw(t, "kind") {
	case 0:
		m := rapid.IntRange(15, MaxDays*1440).Filter(func(m int) bool { return m%1440 != 0 }).Draw(t, "elapsedMinutes")
		o, err = Before(time.Duration(m) * time.Minute)
	case 1:
		o, err = Before(time.Duration(rapid.IntRange(1, 3).Draw(t, "shortDays")) * 24 * time.Hour)
	case 2:
		o, err = Before(time.Duration(rapid.IntRange(1, MaxDays).Draw(t, "days")) * 24 * time.Hour)
	default:
		m := rapid.IntRange(0, 1439).Draw(t, "atMinute")
		if minute >= 0 {
			m = min(max(minute+rapid.IntRange(-90, 90).Draw(t, "atMinuteFromChange"), 0), 1439)
		}
		o, err = DaysBeforeAt(rapid.IntRange(0, MaxDays).Draw(t, "atDays"), m)
	}
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// drawCase draws a zone, an offset and an appointment whose reminder lands near one of the
// zone's changes (most of the time) or anywhere in 2024-2030. Near a change it picks the
// reading the reminder should have — the change's local time give or take three hours, or
// for an "at" rule its clock near the change on the change's date — and the start that far
// later, read with any offset in use then (so a start in a repeated hour is either of its
// two instants). Sometimes the start has seconds.
func drawCase(t *rapid.T) (name string, loc *time.Location, o Offset, start time.Time) {
	name, loc = drawZone(t)
	tr := zones.Transitions(name)
	if len(tr) == 0 || rapid.IntRange(0, 9).Draw(t, "nearChangeRoll") >= 8 {
		o = drawOffset(t, -1)
		start = epoch2024.Add(time.Duration(rapid.Int64Range(0, 7*365*1440).Draw(t, "startMinute2024")) * time.Minute)
	} else {
		change := readsAt(rapid.SampledFrom(tr).Draw(t, "change"), loc)
		o = drawOffset(t, change.Hour()*60+change.Minute())
		at := change.Add(time.Duration(rapid.IntRange(-180, 180).Draw(t, "minutesFromChange")) * time.Minute)
		if _, ok := o.Clock(); ok { // the reminder's time of day is the rule's: start any time of day
			at = change.Truncate(24 * time.Hour).Add(time.Duration(rapid.IntRange(0, 1439).Draw(t, "startMinute")) * time.Minute)
		}
		reading := at.AddDate(0, 0, o.Days()).Add(o.Elapsed())
		_, off := time.Date(reading.Year(), reading.Month(), reading.Day(), 12, 0, 0, 0, loc).
			Add(time.Duration(rapid.IntRange(-1, 1).Draw(t, "offsetDay")) * 24 * time.Hour).Zone()
		start = reading.Add(-time.Duration(off) * time.Second)
	}
	if rapid.IntRange(0, 4).Draw(t, "secondsRoll") == 0 {
		start = start.Add(time.Duration(rapid.Int64Range(1, int64(time.Minute)-1).Draw(t, "nanos")))
	}
	return name, loc, o, start
}

// ---- properties ----

// TestMain raises rapid's default of 100 checks per property to 1000 (well under a second
// each) unless -rapid.checks is given.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if !set {
		if err := flag.Set("rapid.checks", "1000"); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}

// checkDue compares Due with the oracle and with the rule as the issue states it.
func checkDue(t interface {
	Fatalf(string, ...any)
}, name string, loc *time.Location, start time.Time, o Offset) {
	got, res, err := due(start, loc, o)
	if err != nil {
		t.Fatalf("due: %v", err)
	}
	want, wantRes := oracleDue(start, loc, o)
	ctx := fmt.Sprintf("%s before %s in %s", o, show(start, loc), name)
	if !got.Equal(want) || res != wantRes {
		t.Fatalf("%s:\n  due    %s, %s\n  oracle %s, %s (the reading asked for: %s)",
			ctx, show(got, loc), res, show(want, loc), wantRes, oracleTarget(start, loc, o).Format("2006-01-02 15:04:05.999999999"))
	}
	target := oracleTarget(start, loc, o)
	switch {
	case o.Elapsed() > 0:
		if start.Sub(got) != o.Elapsed() {
			t.Fatalf("%s: due %s is %v before, want exactly %v", ctx, show(got, loc), start.Sub(got), o.Elapsed())
		}
	case res != Skipped:
		// The due instant reads the start's wall clock (or the rule's) on the date days before.
		if r := readsAt(got, loc); !r.Equal(target) {
			t.Fatalf("%s: due %s reads %s, want %s", ctx, show(got, loc), r.Format(time.DateTime), target.Format(time.DateTime))
		}
	default:
		// Skipped: the clock reads later than asked at the due instant, earlier just before.
		if readsAt(got, loc).Before(target) || !readsAt(got.Add(-time.Nanosecond), loc).Before(target) {
			t.Fatalf("%s: due %s is not the jump over %s", ctx, show(got, loc), target.Format(time.DateTime))
		}
	}
	if got.Location() != time.UTC {
		t.Fatalf("%s: due %v is not in UTC", ctx, got)
	}
}

// TestDueMatchesOracle: for any offset and any start — mostly ones whose reminder falls
// around a change of the zone's offset, in the five DST zones, zones that change at midnight,
// and UTC — Due is the oracle's instant with the oracle's resolution; an elapsed offset is
// exactly start − d; a wall-clock one reads the right wall time on the right date unless
// the clocks skip it, and then it is the jump.
func TestDueMatchesOracle(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		name, loc, o, start := drawCase(t)
		checkDue(t, name, loc, start, o)
	})
}

// TestPlanProperties: Plan gives one entry per offset with Due's instant; a kept reminder is
// due in [now, start) at an instant no earlier kept one has; a dropped one says the first
// reason that holds.
func TestPlanProperties(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		name, loc, first, start := drawCase(t)
		more := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Offset { return drawOffset(t, -1) }), 0, MaxOffsets-1).Draw(t, "offsets")
		offsets := append([]Offset{first}, more...)
		if rapid.Bool().Draw(t, "repeatOne") { // the same instant by another rule
			offsets = append(offsets, rapid.SampledFrom(offsets).Draw(t, "repeated"))
		}
		now := start.Add(-time.Duration(rapid.Int64Range(-3600, 32*24*3600).Draw(t, "nowSecondsBefore")) * time.Second)
		got, err := Plan(start, loc, offsets, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(offsets) {
			t.Fatalf("Plan gave %d entries for %d offsets", len(got), len(offsets))
		}
		kept := map[time.Time]bool{}
		for i, p := range got {
			d, res, _ := due(start, loc, offsets[i])
			want := Kept
			switch {
			case !d.Before(start):
				want = AtOrAfterStart
			case d.Before(now):
				want = InPast
			case kept[d]:
				want = SameInstant
			}
			if p.Offset != offsets[i] || !p.Due.Equal(d) || p.Resolution != res || p.Dropped != want {
				t.Fatalf("%s: entry %d (%s) for a start at %s, now %s: got due %s %s %s, want %s %s %s", name,
					i, offsets[i], show(start, loc), show(now, loc), show(p.Due, loc), p.Resolution, p.Dropped, show(d, loc), res, want)
			}
			if want == Kept {
				kept[d] = true
			}
		}
	})
}

// drawWindow draws a sending window: office hours, one crossing midnight, one whose ends sit
// at a zone change's local time (so the clocks jump over or repeat them), or none.
func drawWindow(t *rapid.T, near time.Time, loc *time.Location) Window {
	switch rapid.IntRange(0, 5).Draw(t, "windowKind") {
	case 0:
		return Window{From: 8 * 60, To: 20 * 60}
	case 1:
		return Window{From: rapid.IntRange(0, 1439).Draw(t, "from"), To: rapid.IntRange(0, 1440).Draw(t, "to")}
	case 2:
		return Window{From: rapid.IntRange(12*60, 1439).Draw(t, "lateFrom"), To: rapid.IntRange(0, 12*60).Draw(t, "earlyTo")}
	case 3:
		return Window{}
	}
	r := readsAt(near, loc)
	m := r.Hour()*60 + r.Minute()
	return Window{
		From: m + rapid.IntRange(-90, 90).Draw(t, "fromNearChange"),
		To:   m + rapid.IntRange(-90, 240).Draw(t, "toNearChange"),
	}
}

// TestNextAllowedMatchesOracle: NextAllowed is the oracle's first open instant; it is never
// before t, is open, and is its own next allowed instant. The wait is under two days: the
// clock shows every time of day within 25 hours, except that a window the clocks jump over
// entirely (00:03-00:04 in Havana on 2008-03-16) waits for the next day's.
func TestNextAllowedMatchesOracle(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		name, loc := drawZone(t)
		var at time.Time
		if tr := zones.Transitions(name); len(tr) > 0 && rapid.IntRange(0, 9).Draw(t, "nearChangeRoll") < 8 {
			at = rapid.SampledFrom(tr).Draw(t, "change").Add(time.Duration(rapid.IntRange(-36*60, 12*60).Draw(t, "minutesFromChange")) * time.Minute)
		} else {
			at = epoch2024.Add(time.Duration(rapid.Int64Range(0, 7*365*1440).Draw(t, "minute2024")) * time.Minute)
		}
		if rapid.Bool().Draw(t, "hasSeconds") {
			at = at.Add(time.Duration(rapid.Int64Range(1, int64(time.Minute)-1).Draw(t, "nanos")))
		}
		w := drawWindow(t, at, loc)
		got := NextAllowed(at, loc, w)
		want := oracleNext(at, loc, w)
		if !got.Equal(want) {
			t.Fatalf("window %s in %s, due %s: NextAllowed %s, oracle %s", w, name, show(at, loc), show(got, loc), show(want, loc))
		}
		if got.Before(at) || !w.Open(got, loc) || !NextAllowed(got, loc, w).Equal(got) || got.Sub(at) >= 48*time.Hour || got.Location() != time.UTC {
			t.Fatalf("window %s in %s, due %s: NextAllowed %s (open %v) breaks a property", w, name, show(at, loc), show(got, loc), w.Open(got, loc))
		}
	})
}
