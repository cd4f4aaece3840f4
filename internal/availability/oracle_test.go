package availability

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"
	_ "time/tzdata" // zone data must not depend on the host

	"github.com/google/go-cmp/cmp"
	"github.com/tidings-health/tidings/internal/zonetest"
	"pgregory.net/rapid"
)

// This file holds the brute-force oracle: a literal, minute-by-minute
// reading of the slot definition, and the rapid property tests that
// compare Slots and First against it.

var propZoneNames = []string{
	"Australia/Sydney", "Australia/Lord_Howe", "Australia/Adelaide",
	"Europe/Paris", "America/New_York", "UTC",
}

// midnightZoneNames change offset at local midnight, so a local date can
// start at 01:00 or run backwards (Sao Paulo fell back from 00:00 to
// 23:00 of the previous day until 2019).
var midnightZoneNames = []string{"America/Sao_Paulo", "America/Havana", "Asia/Beirut"}

// zones loads the property tests' zones once, with their transitions.
var zones = zonetest.NewSet(zonetest.Span{Names: propZoneNames, From: 2024, To: 2031},
	zonetest.Span{Names: midnightZoneNames, From: 2008, To: 2020})

func zone(tb testing.TB, name string) *time.Location { return zones.Zone(tb, name) }

func dateCmp(a, b Date) int {
	switch {
	case a.Year != b.Year:
		return a.Year - b.Year
	case a.Month != b.Month:
		return int(a.Month) - int(b.Month)
	}
	return a.Day - b.Day
}

// hoursOf is the literal hours of date d: weekly hours unless an
// exception for d closes the day, plus every exception's extra hours.
func hoursOf(s Schedule, d Date) []Hours {
	closed := false
	var hs []Hours
	for _, e := range s.Exceptions {
		if e.Date == d {
			closed = closed || e.Closed
			hs = append(hs, e.Hours...)
		}
	}
	if !closed {
		hs = append(hs, s.Weekly[d.Weekday()]...)
	}
	return hs
}

func inHours(hs []Hours, minuteOfDay int) bool {
	for _, h := range hs {
		if int(h.Start) <= minuteOfDay && minuteOfDay < int(h.End) {
			return true
		}
	}
	return false
}

// oracleSlots applies the definition literally, one minute instant at a
// time. It assumes what the generators guarantee: zone offsets and all
// durations are whole minutes, so working time is a union of whole-minute
// instant ranges and checking each minute instant is exact.
func oracleSlots(q Query) []time.Time {
	loc := q.Zone
	today := DateOf(q.Now, loc)
	lastDay := today.AddDays(q.Rules.HorizonDays)
	lower := q.Now.Add(q.Rules.MinNotice)
	if !q.Window.Start.IsZero() && q.Window.Start.After(lower) {
		lower = q.Window.Start
	}
	upper := time.Date(lastDay.Year, lastDay.Month, lastDay.Day+2, 0, 0, 0, 0, loc)
	if !q.Window.End.IsZero() && q.Window.End.Before(upper) {
		upper = q.Window.End
	}
	if !lower.Before(upper) {
		return nil
	}

	type minute struct {
		t    time.Time
		date Date
		mod  int // local minute of day
		sec  int // local second
		work bool
	}
	from := lower.Truncate(time.Minute).Add(-48 * time.Hour)
	n := int(upper.Add(72*time.Hour).Sub(from) / time.Minute)
	ms := make([]minute, n)
	for i := range ms {
		t := from.Add(time.Duration(i) * time.Minute)
		lt := t.In(loc)
		d := Date{Year: lt.Year(), Month: lt.Month(), Day: lt.Day()}
		mod := lt.Hour()*60 + lt.Minute()
		ms[i] = minute{t: t, date: d, mod: mod, sec: lt.Second(), work: inHours(hoursOf(q.Schedule, d), mod)}
	}
	// GridReason anchor: start of the maximal run of contiguous working
	// instants of the same local date.
	anchor := make([]int, n)
	for i := range ms {
		anchor[i] = i
		if i > 0 && ms[i].work && ms[i-1].work && ms[i-1].date == ms[i].date {
			anchor[i] = anchor[i-1]
		}
	}
	durMin := int(q.Duration / time.Minute)
	gridMin := int(q.Rules.Grid / time.Minute)
	stepMin := gridMin
	if stepMin == 0 {
		stepMin = durMin
	}
	blockers := append(append([]Interval{}, q.Absences...), q.Busy...)

	var out []time.Time
candidates:
	for i, m := range ms {
		s := m.t
		if s.Before(lower) || !s.Before(upper) {
			continue
		}
		if dateCmp(m.date, today) < 0 || dateCmp(m.date, lastDay) > 0 {
			continue
		}
		switch q.Rules.Mode {
		case GridClock:
			if m.mod%gridMin != 0 || m.sec != 0 {
				continue
			}
		case GridReason:
			if !m.work || (i-anchor[i])%stepMin != 0 {
				continue
			}
		}
		for k := range durMin {
			if !ms[i+k].work {
				continue candidates
			}
		}
		end := s.Add(q.Duration + q.BufferAfter)
		for _, b := range blockers {
			if b.Start.Before(b.End) && s.Before(b.End) && b.Start.Before(end) {
				continue candidates
			}
		}
		out = append(out, s)
	}
	return out
}

// fmtSlots renders slots as local RFC 3339 (offset included, so the two
// instants of a repeated wall time differ) for readable diffs.
func fmtSlots(loc *time.Location, ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.In(loc).Format(time.RFC3339)
	}
	return out
}

// ---- generators ----

type genOpts struct {
	zones    []string // zone names to draw from; propZoneNames if nil
	nearDST  bool     // always start the window near a transition
	fullDays bool     // favour 00:00-24:00 hours (runs crossing midnight and DST)
}

// shared holds the parts several agendas of one First call may share.
type shared struct {
	loc      *time.Location
	window   Interval
	now      time.Time
	rules    Rules
	duration time.Duration
}

var epoch2024 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func drawShared(t *rapid.T, o genOpts) shared {
	names := o.zones
	if names == nil {
		names = propZoneNames
	}
	name := rapid.SampledFrom(names).Draw(t, "zone")
	loc := zones.Zone(t, name)
	var ws time.Time
	if tr := zones.Transitions(name); len(tr) > 0 && (o.nearDST || rapid.IntRange(0, 9).Draw(t, "nearDSTRoll") < 5) {
		ws = rapid.SampledFrom(tr).Draw(t, "transition").
			Add(-time.Duration(rapid.IntRange(0, 3*24*60).Draw(t, "minutesBeforeTransition")) * time.Minute)
	} else {
		ws = epoch2024.Add(time.Duration(rapid.Int64Range(0, 7*365*24*60).Draw(t, "windowStartMinute")) * time.Minute)
	}
	if rapid.Bool().Draw(t, "windowStartOddSeconds") {
		ws = ws.Add(time.Duration(rapid.IntRange(1, 59).Draw(t, "windowStartSeconds")) * time.Second)
	}
	wlen := time.Duration(rapid.IntRange(24*60, 10*24*60).Draw(t, "windowMinutes")) * time.Minute
	now := ws.Add(time.Duration(rapid.IntRange(-5*24*3600, 24*3600).Draw(t, "nowOffsetSeconds")) * time.Second)
	if rapid.IntRange(0, 3).Draw(t, "nowNanosRoll") == 0 {
		now = now.Add(time.Duration(rapid.IntRange(1, 999_999_999).Draw(t, "nowNanos")))
	}
	window := Interval{Start: ws, End: ws.Add(wlen)}
	switch rapid.IntRange(0, 9).Draw(t, "windowShape") {
	case 0:
		window.End = time.Time{} // unbounded: horizon only
	case 1:
		window.Start = time.Time{}
	}
	rules := Rules{
		HorizonDays: rapid.IntRange(0, 14).Draw(t, "horizonDays"),
		MinNotice:   time.Duration(rapid.IntRange(0, 48*3600).Draw(t, "minNoticeSeconds")) * time.Second,
	}
	if rapid.Bool().Draw(t, "clockGrid") {
		rules.Mode = GridClock
		rules.Grid = time.Duration(rapid.SampledFrom([]int{5, 10, 15, 20, 30, 45, 60}).Draw(t, "gridMinutes")) * time.Minute
	} else {
		rules.Mode = GridReason
		if rapid.Bool().Draw(t, "explicitStep") {
			rules.Grid = time.Duration(rapid.IntRange(5, 120).Draw(t, "stepMinutes")) * time.Minute
		}
	}
	return shared{
		loc:      loc,
		window:   window,
		now:      now,
		rules:    rules,
		duration: time.Duration(rapid.IntRange(5, 120).Draw(t, "durationMinutes")) * time.Minute,
	}
}

func drawHours(t *rapid.T, o genOpts, label string, maxN int) []Hours {
	n := rapid.IntRange(0, maxN).Draw(t, label+"Count")
	hs := make([]Hours, 0, n)
	for range n {
		if full := rapid.IntRange(0, 9).Draw(t, label+"FullRoll"); full == 0 || (o.fullDays && full < 6) {
			hs = append(hs, Hours{Start: 0, End: EndOfDay})
			continue
		}
		var s, e int
		if rapid.Bool().Draw(t, label+"Round") {
			s = 15 * rapid.IntRange(0, 95).Draw(t, label+"StartQ")
			e = 15 * rapid.IntRange(s/15+1, 96).Draw(t, label+"EndQ")
		} else {
			s = rapid.IntRange(0, 1439).Draw(t, label+"Start")
			e = rapid.IntRange(s+1, 1440).Draw(t, label+"End")
		}
		hs = append(hs, Hours{Start: Clock(s), End: Clock(e)})
	}
	return hs
}

func drawInstant(t *rapid.T, label string, base time.Time, minOff, maxOff time.Duration) time.Time {
	at := base.Add(time.Duration(rapid.Int64Range(int64(minOff/time.Second), int64(maxOff/time.Second)).Draw(t, label+"Seconds")) * time.Second)
	if rapid.IntRange(0, 4).Draw(t, label+"NanosRoll") == 0 {
		at = at.Add(time.Duration(rapid.IntRange(1, 999_999_999).Draw(t, label+"Nanos")))
	}
	return at
}

func drawQuery(t *rapid.T, o genOpts, sh shared) Query {
	q := Query{
		Zone:     sh.loc,
		Window:   sh.window,
		Now:      sh.now,
		Rules:    sh.rules,
		Duration: sh.duration,
	}
	if rapid.Bool().Draw(t, "hasBuffer") {
		q.BufferAfter = time.Duration(rapid.IntRange(1, 30).Draw(t, "bufferMinutes")) * time.Minute
	}
	for wd := range q.Schedule.Weekly {
		q.Schedule.Weekly[wd] = drawHours(t, o, fmt.Sprintf("weekly%d", wd), 3)
	}
	ref := sh.window.Start
	if ref.IsZero() {
		ref = sh.now
	}
	refDate := DateOf(ref, sh.loc)
	for range rapid.IntRange(0, 3).Draw(t, "exceptionCount") {
		q.Schedule.Exceptions = append(q.Schedule.Exceptions, Exception{
			Date:   refDate.AddDays(rapid.IntRange(-1, 10).Draw(t, "exceptionDay")),
			Closed: rapid.Bool().Draw(t, "exceptionClosed"),
			Hours:  drawHours(t, o, "exceptionHours", 2),
		})
	}
	for range rapid.IntRange(0, 3).Draw(t, "absenceCount") {
		s := drawInstant(t, "absenceStart", ref, -24*time.Hour, 11*24*time.Hour)
		q.Absences = append(q.Absences, Interval{Start: s, End: drawInstant(t, "absenceEnd", s, 0, 3*24*time.Hour)})
	}
	// Mostly a few busy periods; sometimes many short ones (64+ takes
	// the radix-sort path in prepare).
	busyCount, busyMax := rapid.IntRange(0, 25).Draw(t, "busyCount"), 4*time.Hour
	if rapid.IntRange(0, 4).Draw(t, "manyBusyRoll") == 0 {
		busyCount, busyMax = rapid.IntRange(64, 150).Draw(t, "manyBusyCount"), 40*time.Minute
	}
	for range busyCount {
		s := drawInstant(t, "busyStart", ref, -24*time.Hour, 11*24*time.Hour)
		q.Busy = append(q.Busy, Interval{Start: s, End: drawInstant(t, "busyEnd", s, 0, busyMax)})
	}
	return q
}

func checkAgainstOracle(t *rapid.T, q Query) {
	got, err := Slots(q)
	if err != nil {
		t.Fatalf("Slots: %v", err)
	}
	want := oracleSlots(q)
	if diff := cmp.Diff(fmtSlots(q.Zone, want), fmtSlots(q.Zone, got)); diff != "" {
		t.Fatalf("Slots mismatch vs oracle (-oracle +Slots):\n%s", diff)
	}
}

// ---- property tests ----

// TestMain raises rapid's default of 100 checks per property to 400
// (about 4s of CPU in total) unless -rapid.checks is given explicitly.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if !set {
		if err := flag.Set("rapid.checks", "400"); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}

func TestSlotsMatchesOracle(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		checkAgainstOracle(t, drawQuery(t, genOpts{}, drawShared(t, genOpts{})))
	})
}

func TestSlotsMatchesOracleNearDST(t *testing.T) {
	t.Parallel()
	o := genOpts{nearDST: true}
	rapid.Check(t, func(t *rapid.T) {
		checkAgainstOracle(t, drawQuery(t, o, drawShared(t, o)))
	})
}

func TestSlotsMatchesOracleFullDaysNearDST(t *testing.T) {
	t.Parallel()
	o := genOpts{nearDST: true, fullDays: true}
	rapid.Check(t, func(t *rapid.T) {
		checkAgainstOracle(t, drawQuery(t, o, drawShared(t, o)))
	})
}

// TestUnionMatchesNaive checks the packed radix-sorted union used for
// busy periods against a plain sort-and-merge, across the insertion-sort
// and radix-sort sizes.
func TestUnionMatchesNaive(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 400).Draw(t, "n")
		spread := rapid.SampledFrom([]int64{100, 1 << 16, 1 << 24, 1<<32 - 1}).Draw(t, "spread")
		base := rapid.Int64Range(-1<<40, 1<<40).Draw(t, "base")
		packed := make([]uint64, 0, n)
		naive := make([]span, 0, n)
		// rapid favours small integers; uniform bytes reach every radix
		// digit.
		uniform := func(label string, below int64) int64 {
			b := rapid.SliceOfN(rapid.Byte(), 5, 5).Draw(t, label)
			v := int64(b[0])<<32 | int64(b[1])<<24 | int64(b[2])<<16 | int64(b[3])<<8 | int64(b[4])
			return v % below
		}
		for range n {
			s := uniform("start", spread)
			e := s + 1 + uniform("length", spread-s)
			packed = append(packed, uint64(s)<<32|uint64(e))
			naive = append(naive, span{base + s, base + e})
		}
		got := union(packed, make([]uint64, n), base)
		want := mergeSpans(naive)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(span{})); diff != "" {
			t.Fatalf("union (-naive +got):\n%s", diff)
		}
	})
}

// TestSlotsMatchesOracleMidnightTransitions covers zones whose changes
// happen at local midnight: days starting at 01:00, and local dates that
// run backwards for an hour.
func TestSlotsMatchesOracleMidnightTransitions(t *testing.T) {
	t.Parallel()
	o := genOpts{zones: midnightZoneNames, nearDST: true}
	rapid.Check(t, func(t *rapid.T) {
		o := o
		o.fullDays = rapid.Bool().Draw(t, "fullDays")
		checkAgainstOracle(t, drawQuery(t, o, drawShared(t, o)))
	})
}

func TestFirstMatchesMinOverSlots(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		o := genOpts{nearDST: rapid.Bool().Draw(t, "nearDST")}
		sh := drawShared(t, o)
		n := rapid.IntRange(1, 4).Draw(t, "agendas")
		qs := make([]Query, n)
		for i := range qs {
			s := sh
			if i > 0 && rapid.IntRange(0, 9).Draw(t, "ownShared") < 3 {
				s = drawShared(t, o)
			}
			qs[i] = drawQuery(t, o, s)
			if i > 0 && rapid.Bool().Draw(t, "copySchedule") {
				qs[i].Schedule = qs[0].Schedule // invite ties
			}
		}
		wantIdx, wantOK := -1, false
		var wantAt time.Time
		for i, q := range qs {
			slots, err := Slots(q)
			if err != nil {
				t.Fatalf("Slots(qs[%d]): %v", i, err)
			}
			if len(slots) > 0 && (!wantOK || slots[0].Before(wantAt)) {
				wantIdx, wantAt, wantOK = i, slots[0], true
			}
		}
		idx, at, ok, err := First(qs)
		if err != nil {
			t.Fatalf("First: %v", err)
		}
		type result struct {
			Index int
			At    string
			OK    bool
		}
		want := result{wantIdx, "", wantOK}
		got := result{idx, "", ok}
		if wantOK {
			want.At = wantAt.UTC().Format(time.RFC3339)
		}
		if ok {
			got.At = at.UTC().Format(time.RFC3339)
			if at.Location() != qs[idx].Zone {
				t.Fatalf("First returned slot in %v, want agenda zone %v", at.Location(), qs[idx].Zone)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("First mismatch vs min over Slots (-want +got):\n%s", diff)
		}
	})
}
