package availability

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// Internally every instant is a Unix second (int64) and every wall-clock
// quantity is a second on the "local seconds" axis, where local midnight
// of day number d is d*secondsPerDay. An instant t with zone offset o
// (seconds east of UTC) has local seconds t+o. Offsets are whole seconds,
// durations are whole minutes, and the few arbitrary instants in a query
// are rounded in the direction that keeps every comparison exact (see
// prepare), so nothing is truncated silently.

const maxSpan = 24 * time.Hour

// span is a half-open range [start, end) of seconds or minutes.
type span struct{ start, end int64 }

// piece is a stretch of working instants [start, end) that belongs to one
// local date (day) and lies within one zone offset period (off).
type piece struct {
	start, end int64
	off        int64 // zone offset in seconds east of UTC
	day        int64 // local date as a day number
	runEnd     int64 // end of the maximal contiguous working run containing the piece
}

// prepared is a validated, normalised Query.
type prepared struct {
	loc     *time.Location
	weekly  [7][]span        // merged hours per weekday, in minutes
	except  map[int64][]span // merged hours of excepted dates, in minutes
	blocked []span           // merged busy ∪ absences, seconds, sorted
	dur     int64            // seconds
	buf     int64            // seconds
	step    int64            // grid or chain step, seconds
	mode    GridMode
	lo, hi  int64 // offered starts satisfy lo <= s < hi (hi may be MaxInt64)
	today   int64 // Now's local date
	lastDay int64 // last bookable local date
}

// prepare validates q and builds the normalised form. prefix is prepended
// to field names in errors ("qs[3]." for First).
func prepare(q Query, prefix string) (*prepared, error) {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s%s: %s", ErrInvalidQuery, prefix, field, fmt.Sprintf(format, args...))
	}
	if q.Zone == nil {
		return nil, bad("Zone", "must not be nil (pass the clinic's *time.Location)")
	}
	if q.Now.IsZero() {
		return nil, bad("Now", "must be set (the engine never reads the clock)")
	}
	if !wholeMinutes(q.Duration) || q.Duration <= 0 || q.Duration > maxSpan {
		return nil, bad("Duration", "must be a whole number of minutes in (0, 24h], got %v", q.Duration)
	}
	if !wholeMinutes(q.BufferAfter) || q.BufferAfter < 0 || q.BufferAfter > maxSpan {
		return nil, bad("BufferAfter", "must be a whole number of minutes in [0, 24h], got %v", q.BufferAfter)
	}
	r := q.Rules
	step := r.Grid
	switch r.Mode {
	case GridClock:
		if !wholeMinutes(r.Grid) || r.Grid <= 0 || r.Grid > maxSpan || maxSpan%r.Grid != 0 {
			return nil, bad("Rules.Grid", "GridClock needs a whole number of minutes that divides 24h (e.g. 15m, 30m, 1h), got %v", r.Grid)
		}
	case GridReason:
		if !wholeMinutes(r.Grid) || r.Grid < 0 || r.Grid > maxSpan {
			return nil, bad("Rules.Grid", "GridReason needs 0 (step = Duration) or a whole number of minutes in (0, 24h], got %v", r.Grid)
		}
		if step == 0 {
			step = q.Duration
		}
	default:
		return nil, bad("Rules.Mode", "unknown grid mode %v", r.Mode)
	}
	if r.HorizonDays < 0 || r.HorizonDays > MaxHorizonDays {
		return nil, bad("Rules.HorizonDays", "must be in [0, %d], got %d", MaxHorizonDays, r.HorizonDays)
	}
	if r.MinNotice < 0 {
		return nil, bad("Rules.MinNotice", "must not be negative, got %v", r.MinNotice)
	}
	w := q.Window
	if !w.Start.IsZero() && !w.End.IsZero() && w.End.Before(w.Start) {
		return nil, bad("Window", "end %v is before start %v", w.End, w.Start)
	}

	p := &prepared{
		loc:  q.Zone,
		dur:  int64(q.Duration / time.Second),
		buf:  int64(q.BufferAfter / time.Second),
		step: int64(step / time.Second),
		mode: r.Mode,
	}
	for wd, hs := range q.Schedule.Weekly {
		for i, h := range hs {
			if msg := checkHours(h); msg != "" {
				return nil, bad(fmt.Sprintf("Schedule.Weekly[%v][%d]", time.Weekday(wd), i), "%v: %s", h, msg)
			}
		}
		p.weekly[wd] = mergeHours(hs)
	}
	if len(q.Schedule.Exceptions) > 0 {
		type acc struct {
			closed bool
			hours  []Hours
		}
		byDay := make(map[int64]*acc, len(q.Schedule.Exceptions))
		for i, e := range q.Schedule.Exceptions {
			if !e.Date.valid() {
				return nil, bad(fmt.Sprintf("Schedule.Exceptions[%d].Date", i), "%v is not a valid date", e.Date)
			}
			for j, h := range e.Hours {
				if msg := checkHours(h); msg != "" {
					return nil, bad(fmt.Sprintf("Schedule.Exceptions[%d].Hours[%d]", i, j), "%v: %s", h, msg)
				}
			}
			d := e.Date.days()
			a := byDay[d]
			if a == nil {
				a = &acc{}
				byDay[d] = a
			}
			a.closed = a.closed || e.Closed
			a.hours = append(a.hours, e.Hours...)
		}
		p.except = make(map[int64][]span, len(byDay))
		for d, a := range byDay {
			hs := a.hours
			if !a.closed {
				hs = append(hs, q.Schedule.Weekly[weekdayOfDays(d)]...)
			}
			p.except[d] = mergeHours(hs)
		}
	}

	// Candidate bounds. s >= x  <=>  s >= ceil(x) for whole-second s.
	p.lo = ceilUnix(q.Now.Add(r.MinNotice))
	if !w.Start.IsZero() {
		p.lo = max(p.lo, ceilUnix(w.Start))
	}
	p.hi = math.MaxInt64
	if !w.End.IsZero() {
		p.hi = ceilUnix(w.End)
	}
	p.today = p.dayOf(q.Now.Unix())
	p.lastDay = p.today + int64(r.HorizonDays)

	// Busy periods and absences: validate, drop the empty ones and those
	// that cannot touch any candidate, round outwards to whole seconds
	// (exact: a slot [s, e) with whole-second s, e overlaps [a, b) iff
	// floor(a) < e && s < ceil(b), given a < b), and clamp them to
	// [lo, limit]. Clamping is exact too: every candidate s has
	// lo <= s and s+Duration+BufferAfter < limit. It bounds the values to
	// less than 2^32 seconds above lo, so an interval packs into a uint64
	// (start<<32 | end) that union can radix sort.
	limit := min(p.hi, p.upper()) + p.dur + p.buf
	n := len(q.Busy) + len(q.Absences)
	keys := make([]uint64, 2*n) // packed intervals, then radix scratch
	packed := keys[:0:n]
	for _, list := range []struct {
		name string
		ivs  []Interval
	}{{"Absences", q.Absences}, {"Busy", q.Busy}} {
		for i, iv := range list.ivs {
			if iv.End.Before(iv.Start) {
				return nil, bad(fmt.Sprintf("%s[%d]", list.name, i), "end %v is before start %v", iv.End, iv.Start)
			}
			if !iv.Start.Before(iv.End) {
				continue // empty: contains no instant
			}
			s, e := iv.Start.Unix(), ceilUnix(iv.End)
			if e <= p.lo || s >= limit || p.lo >= limit {
				continue // cannot overlap any candidate
			}
			start, end := uint64(max(s, p.lo)-p.lo), uint64(min(e, limit)-p.lo)
			packed = append(packed, start<<32|end)
		}
	}
	p.blocked = union(packed, keys[n:], p.lo)
	return p, nil
}

// upper is an instant after the last instant of the last bookable date
// (local midnight of lastDay+1 under any real offset is earlier).
func (p *prepared) upper() int64 { return (p.lastDay + 2) * secondsPerDay }

// dayOf returns the local date (day number) of instant t.
func (p *prepared) dayOf(t int64) int64 {
	_, off := time.Unix(t, 0).In(p.loc).Zone()
	return floorDiv(t+int64(off), secondsPerDay)
}

// hoursOn returns the merged working hours (minutes) of day number d.
func (p *prepared) hoursOn(d int64) []span {
	if p.except != nil {
		if hs, ok := p.except[d]; ok {
			return hs
		}
	}
	return p.weekly[weekdayOfDays(d)]
}

// pieces returns the working instants of local dates [dA, dB] as sorted,
// disjoint pieces, with runEnd filled in. It walks the zone's offset
// periods (time.Time.ZoneBounds) over the instants concerned, and within
// each period maps each date's hours to instants with that period's
// offset, clipped to the period. Wall times skipped by a transition
// fall outside every period that could produce them; repeated wall times
// are produced once by each period.
func (p *prepared) pieces(dA, dB int64) []piece {
	from := (dA - 2) * secondsPerDay
	to := (dB + 3) * secondsPerDay
	out := make([]piece, 0, 2*(dB-dA+1)+4)
	for t := from; t < to; {
		lt := time.Unix(t, 0).In(p.loc)
		_, o := lt.Zone()
		off := int64(o)
		zs, ze := lt.ZoneBounds()
		a, b := from, to
		if !zs.IsZero() {
			a = max(a, zs.Unix())
		}
		if !ze.IsZero() {
			b = min(b, ze.Unix())
		}
		if b <= t { // defensive: never loop forever on odd zone data
			b = to
		}
		first := max(dA, floorDiv(a+off, secondsPerDay))
		last := min(dB, floorDiv(b-1+off, secondsPerDay))
		for d := first; d <= last; d++ {
			mid := d*secondsPerDay - off // instant whose local time is d 00:00 under off
			for _, h := range p.hoursOn(d) {
				s := max(mid+h.start*60, a)
				e := min(mid+h.end*60, b)
				if s < e {
					out = append(out, piece{start: s, end: e, off: off, day: d})
				}
			}
		}
		t = b
	}
	for i := len(out) - 1; i >= 0; i-- {
		if i+1 < len(out) && out[i+1].start == out[i].end {
			out[i].runEnd = out[i+1].runEnd
		} else {
			out[i].runEnd = out[i].end
		}
	}
	return out
}

// window is one scan's search space: candidate instants [lo, hi),
// candidate local dates [d0, d1], and the working pieces around them.
type window struct {
	lo, hi int64
	d0, d1 int64
	ps     []piece
}

// window prepares a scan of starts lo <= s < hi, further clipped to the
// query's own bounds. ok is false when nothing can be offered.
func (p *prepared) window(lo, hi int64) (w window, ok bool) {
	lo, hi = max(lo, p.lo), min(hi, p.hi)
	if lo >= hi {
		return w, false
	}
	// Candidate dates. Local dates are monotonic in instants except in
	// zones that fall back across midnight, hence the one-day slack; the
	// exact bounds are applied to each candidate in appendSlots.
	d0 := max(p.today, p.dayOf(lo)-1)
	d1 := p.lastDay
	if hi != math.MaxInt64 {
		d1 = min(d1, p.dayOf(hi-1)+1)
	}
	if d0 > d1 {
		return w, false
	}
	// Dates after d1 are needed to see whether an appointment starting
	// on d1 continues past midnight (Duration <= 24h, so two suffice);
	// the date before d0 only matters for non-monotonic dates.
	return window{lo: lo, hi: hi, d0: d0, d1: d1, ps: p.pieces(d0-1, d1+2)}, true
}

// maxSlots is an upper bound on the number of starts appendSlots emits, used
// to size the result in one allocation.
func (p *prepared) maxSlots(w window) int {
	n := int64(0)
	for _, pc := range w.ps {
		if pc.day >= w.d0 && pc.day <= w.d1 {
			if a, b := max(pc.start, w.lo), min(pc.end, w.hi); a < b {
				n += (b-a)/p.step + 1
			}
		}
	}
	return int(n)
}

// appendSlots appends to dst, in ascending order and in the query's
// zone, the offered starts in w, stopping once dst holds maxLen entries.
func (p *prepared) appendSlots(dst []time.Time, w window, maxLen int) []time.Time {
	if len(dst) >= maxLen {
		return dst
	}
	lo, hi, d0, d1, ps := w.lo, w.hi, w.d0, w.d1, w.ps
	blocked := p.blocked
	j := sort.Search(len(blocked), func(k int) bool { return blocked[k].end > lo })
	var anchor int64
	for i, pc := range ps {
		// GridReason anchors: start of the run of same-date pieces.
		if i == 0 || ps[i-1].end != pc.start || ps[i-1].day != pc.day {
			anchor = pc.start
		}
		if pc.start >= hi {
			break
		}
		if pc.end <= lo || pc.day < d0 || pc.day > d1 {
			continue
		}
		base := anchor
		if p.mode == GridClock {
			base = -pc.off // local seconds a multiple of step
		}
		st := p.step
		s := ceilTo(max(pc.start, lo), base, st)
		limit := min(pc.end, hi)
		for s < limit {
			end := s + p.dur
			if end > pc.runEnd {
				break // later starts of this piece end even later
			}
			for j < len(blocked) && blocked[j].end <= s {
				j++
			}
			if j < len(blocked) && blocked[j].start < end+p.buf {
				// Every start before the blocked period's end overlaps
				// it, so jump past it.
				s = ceilTo(blocked[j].end, base, st)
				continue
			}
			dst = append(dst, time.Unix(s, 0).In(p.loc))
			if len(dst) >= maxLen {
				return dst
			}
			s += st
		}
	}
	return dst
}

// union returns the union of the packed intervals (start<<32 | end,
// relative to base) as sorted, disjoint spans, merging touching ones. It
// reorders packed; scratch must hold len(packed) values.
func union(packed, scratch []uint64, base int64) []span {
	if len(packed) == 0 {
		return nil
	}
	sortByStart(packed, scratch)
	out := make([]span, 0, len(packed))
	for _, k := range packed {
		s, e := base+int64(k>>32), base+int64(k&math.MaxUint32)
		if last := len(out) - 1; last >= 0 && s <= out[last].end {
			out[last].end = max(out[last].end, e)
		} else {
			out = append(out, span{s, e})
		}
	}
	return out
}

// sortByStart sorts packed intervals by their start (the high 32 bits).
// Busy periods arrive in arbitrary order, and a comparison sort of random
// keys stalls on branch mispredictions (it was the largest cost of
// prepare), so larger inputs get an LSD radix sort on the start's bytes,
// skipping bytes that all keys share. scratch must hold len(a) values.
func sortByStart(a, scratch []uint64) {
	if len(a) < 64 {
		slices.Sort(a) // sorts by start, then end: fine
		return
	}
	src, dst := a, scratch[:len(a)]
	for shift := 32; shift < 64; shift += 8 {
		var count [256]int
		for _, v := range src {
			count[v>>shift&0xff]++
		}
		if count[src[0]>>shift&0xff] == len(src) {
			continue // every key has this byte
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for _, v := range src {
			d := v >> shift & 0xff
			dst[count[d]] = v
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &a[0] {
		copy(a, src)
	}
}

// checkHours returns why h is invalid, or "".
func checkHours(h Hours) string {
	switch {
	case h.Start < 0 || h.Start > EndOfDay || h.End < 0 || h.End > EndOfDay:
		return "clock values must be within 00:00..24:00 (0..1440 minutes)"
	case h.Start >= h.End:
		return "start must be before end"
	}
	return ""
}

// mergeHours returns the union of hs as sorted, disjoint minute spans.
func mergeHours(hs []Hours) []span {
	if len(hs) == 0 {
		return nil
	}
	out := make([]span, len(hs))
	for i, h := range hs {
		out[i] = span{int64(h.Start), int64(h.End)}
	}
	return mergeSpans(out)
}

// mergeSpans sorts s in place and merges overlapping or touching spans.
func mergeSpans(s []span) []span {
	if len(s) == 0 {
		return nil
	}
	slices.SortFunc(s, func(a, b span) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
	out := s[:1]
	for _, x := range s[1:] {
		last := &out[len(out)-1]
		if x.start <= last.end {
			last.end = max(last.end, x.end)
		} else {
			out = append(out, x)
		}
	}
	return out
}

// ceilTo returns the smallest v >= x with v ≡ base (mod step).
func ceilTo(x, base, step int64) int64 {
	return x + floorMod(base-x, step)
}

// ceilUnix returns t rounded up to a whole Unix second.
func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

func wholeMinutes(d time.Duration) bool { return d%time.Minute == 0 }
