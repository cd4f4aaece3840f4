package dashboard

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// The time grid of the agenda's day and week views (POR-4): columns (an agenda's day, or a
// day of one agenda), rows at five minutes, and on them the hours outside work, the free
// time, closed days, absences, the chosen reason's bookable starts, the appointments sized
// by their duration and a line at the current time.
//
// Layout. Each column's body is a CSS grid of 5-minute rows (gridUnit) and every block in it
// is placed by two classes of static/agenda.css: r-N (grid-row-start: N) and s-N
// (grid-row-end: span N). The Content-Security-Policy (default-src 'self') forbids style
// attributes, so a position cannot be written inline ("top: 312px"); agenda.css holds the
// classes for every row a grid can have (maxGridRows), generated once and checked by
// TestAgendaCSS, which rewrites them with -update-css. Rows rather than computed pixels:
// the browser lays the blocks out, an appointment's height follows its duration at any
// zoom or font size, and the row height is one custom property that the grid's step class
// (step-15, step-30…) sets so that one step of the clinic's grid is tall enough to click.
// Appointments that overlap (the clinical software may double-book) share the width as
// lanes of a 12-column sub-grid (classes kK-I: lane I of K), whole columns stay one grid
// column wide, and nothing depends on JavaScript.
//
// Time. A column is one local day (gridDay) cut into 5-minute steps of elapsed time from
// local midnight, each named by its wall clock (rowKey: minute of the day and, for the
// hour a fall-back change repeats, which occurrence). The grid's rows (gridAxis) are the
// keys of its days within the hours shown, in order: a 25-hour day has the repeated hour
// twice, a 23-hour day none of the skipped one, and in a week the days share rows by wall
// clock, the repeated hour's second occurrence sitting after its first. Working hours are
// wall-clock minutes, so, as in the availability engine, a step is working time when its
// wall clock is within the day's hours.

// gridUnit is the height of one row: the finest position the grid shows. Instants in
// between are shown at the row they fall in.
const gridUnit = 5 * time.Minute

// maxGridRows is the most rows a grid has, and static/agenda.css positions: 26 hours of
// 5-minute rows (a local day has at most 25 hours, and a week's rows are at most its
// longest day's plus the repeated hours of another).
const maxGridRows = 312

// gridSteps are the grid steps agenda.css sizes a row for (the step-N classes); another
// step is shown with the nearest smaller one's size.
var gridSteps = []int{5, 10, 15, 20, 30, 45, 60}

// rowKey names a row by the wall clock: minute after local midnight (a multiple of 5) and
// fold, 0 for the first occurrence of that time on its day and 1 for the second, in the
// hour a fall-back change repeats.
type rowKey struct{ minute, fold int }

// gridDay is one civil day in the clinic's zone, cut into 5-minute steps of elapsed time
// from local midnight to the next.
type gridDay struct {
	date       time.Time // civil date at 00:00 UTC
	start, end time.Time // local midnights: 23 to 25 hours apart
	keys       []rowKey  // the wall clock of each step
	loc        *time.Location
}

func newGridDay(date time.Time, loc *time.Location) gridDay {
	start, end := dayBounds(date, loc)
	n := int((end.Sub(start) + gridUnit - 1) / gridUnit)
	d := gridDay{date: date, start: start, end: end, keys: make([]rowKey, n), loc: loc}
	seen := make(map[int]int, n)
	for i := range d.keys {
		t := d.at(i).In(loc)
		m := t.Hour()*60 + t.Minute()
		m -= m % 5 // a zone whose offset is not a multiple of 5 minutes
		d.keys[i] = rowKey{m, seen[m]}
		seen[m]++
	}
	return d
}

// at is the instant step i starts.
func (d gridDay) at(i int) time.Time { return d.start.Add(time.Duration(i) * gridUnit) }

// steps are the steps [a, b) that [s, e) covers on d, at least one, clamped to the day.
func (d gridDay) steps(s, e time.Time) (a, b int) {
	a = int(s.Sub(d.start) / gridUnit)
	if s.Before(d.start) {
		a = 0
	}
	b = len(d.keys)
	if e.Before(d.end) {
		b = int((e.Sub(d.start) + gridUnit - 1) / gridUnit)
	}
	a = min(max(a, 0), len(d.keys)-1)
	b = min(max(b, a+1), len(d.keys))
	return a, b
}

// dst reports whether the clocks change on d: its hours are then labelled with the zone's
// abbreviation.
func (d gridDay) dst() bool { return d.end.Sub(d.start) != 24*time.Hour }

// gridAxis is the rows of a grid: the wall-clock keys of its days whose minute is within
// [lo, hi), in order.
type gridAxis struct {
	keys   []rowKey
	index  map[rowKey]int
	lo, hi int
}

// newGridAxis merges the keys of days within the minutes [lo, hi). Each day's keys keep
// their order; a key of one day that another lacks (a repeated hour) is placed after the
// key that precedes it on its own day.
func newGridAxis(days []*gridDay, lo, hi int) gridAxis {
	ax := gridAxis{index: map[rowKey]int{}, lo: lo, hi: hi}
	order := slices.Clone(days)
	slices.SortStableFunc(order, func(a, b *gridDay) int { return len(b.keys) - len(a.keys) })
	for _, d := range order {
		prev := -1
		for _, k := range d.keys {
			if k.minute < lo || k.minute >= hi {
				continue
			}
			if i, ok := ax.index[k]; ok {
				prev = i
				continue
			}
			prev++
			ax.keys = slices.Insert(ax.keys, prev, k)
			for i := prev; i < len(ax.keys); i++ {
				ax.index[ax.keys[i]] = i
			}
		}
	}
	if len(ax.keys) > maxGridRows {
		for _, k := range ax.keys[maxGridRows:] {
			delete(ax.index, k)
		}
		ax.keys = ax.keys[:maxGridRows]
	}
	return ax
}

// place is the rows [first, first+span) that [s, e) covers on d; ok is false when none of
// it is within the hours shown.
func (ax gridAxis) place(d *gridDay, s, e time.Time) (first, span int, ok bool) {
	a, b := d.steps(s, e)
	return ax.placeSteps(d, a, b)
}

// placeSteps is place for the steps [a, b) of d.
func (ax gridAxis) placeSteps(d *gridDay, a, b int) (first, span int, ok bool) {
	first, last := -1, -1
	for i := a; i < b; i++ {
		r, in := ax.index[d.keys[i]]
		if !in {
			continue
		}
		if first < 0 || r < first {
			first = r
		}
		last = max(last, r)
	}
	if first < 0 {
		return 0, 0, false
	}
	return first, last - first + 1, true
}

// pos is the classes that place rows [first, first+span): "r-12 s-3" (1-based grid lines).
func pos(first, span int) string {
	return "r-" + strconv.Itoa(first+1) + " s-" + strconv.Itoa(span)
}

// shownMinutes is the wall-clock window a grid shows: from half an hour before the earliest
// minute with something to show to half an hour after the latest, widened to whole hours,
// or 08:00–18:00 for a grid with nothing on it.
func shownMinutes(lo, hi int, any bool) (int, int) {
	if !any {
		return 8 * 60, 18 * 60
	}
	return max(0, (lo-30)/60*60), min(24*60, (hi+30+59)/60*60)
}

// gridStep is the minutes between two lines of the grid, and the size of a free cell and
// of a bookable start: the clinic's grid when it has one (booking rules, 15, 30 or 60),
// else the chosen reason's duration (its starts chain from opening), else the greatest
// common divisor of the clinic's reasons' durations; a multiple of 5 from 5 to 60, 15 when
// nothing says otherwise.
func gridStep(rules clinic.BookingRules, reasons []clinic.Reason, chosen clinic.ReasonID) int {
	m := rules.GridMinutes
	if m <= 0 {
		for _, r := range reasons {
			d := int(r.Duration / time.Minute)
			if d <= 0 {
				continue
			}
			if r.ID == chosen {
				m = d
				break
			}
			m = gcd(m, d)
		}
	}
	if m <= 0 {
		m = 15
	}
	return min(max(m-m%5, 5), 60)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// stepClass is the class that sizes the rows of a grid of step minutes.
func stepClass(step int) string {
	c := gridSteps[0]
	for _, s := range gridSteps {
		if s <= step {
			c = s
		}
	}
	return "step-" + strconv.Itoa(c)
}

// grid is the data of the "agenda-grid" template (templates/agenda_grid.html).
type grid struct {
	ID       string // the element's id, which htmx swaps after a status change
	Step     string // the step class: the height of a row
	Rows     int
	Times    []gridItem // the time column's hour labels
	Columns  []gridColumn
	ReasonID clinic.ReasonID // the reason whose bookable starts are shown; 0 for none
	Reason   string
	Week     bool // the columns are days of one agenda (their headings link to the day)
	// CanMove: the user may move appointments, so blocks can be dragged to a free time
	// and the drop asks for confirmation in a form posting to the move route.
	CanMove bool
	Next    string // where a move from the grid returns
}

// gridColumn is one column of a grid: an agenda's day in the day view, a day of the chosen
// agenda in the week view.
type gridColumn struct {
	Key      string // unique in the page: ids and test hooks
	AgendaID clinic.AgendaID
	Agenda   string
	Date     string // YYYY-MM-DD
	Inactive bool   // shown only because it holds appointments
	// Status says what the day is when it is not an ordinary working day: "Closed" (no
	// hours), "Extra hours" or "Changed hours" (a dated exception), with the exception's
	// note. Catalog keys.
	Status     string
	StatusNote string
	Closed     bool // no working hours that day
	Collapsed  bool // week: closed with nothing booked, shown narrow
	Offers     bool // offers the chosen reason
	Phone      bool // the column a phone shows (one at a time)
	Today      bool
	Count      int  // active appointments
	Booked     bool // holds appointments, active or not
	Items      []gridItem
}

// gridItem is one block of a column (or a label of the time column), in reading order.
// Exactly one of the kind fields is set; the template tests them as fields, which costs
// less per block than comparing strings.
type gridItem struct {
	Off     bool // the whole body: the hours outside work
	Open    bool // working time
	Absence bool // the practitioner is away (Label: its times that day, Note)
	Free    bool // a free stretch, named for screen readers (Label)
	Cell    bool // one step of free time, a place to drop an appointment on
	Slot    bool // a bookable start of the chosen reason
	Now     bool // the current time
	Appt    *agendaAppointment
	Pos     string // position classes
	Start   string // RFC 3339, UTC: the instant a click or a drop chooses
	Label   string // "09:00", "09:00–10:30"
	Note    string
	Past    bool
	kind    string
	row     int
	order   int
}

// kindOrder sorts blocks that start on the same row: backgrounds first, then what a screen
// reader reads in this order.
var kindOrder = map[string]int{"off": 0, "open": 1, "absence": 2, "free": 3, "cell": 4, "slot": 5, "appt": 6, "now": 7}

// columnSource is what one column shows before the grid's rows are known.
type columnSource struct {
	col      gridColumn
	day      *gridDay
	working  []bool
	absences []clinic.Absence
	appts    []agendaAppointment
	spans    [][2]time.Time // each appointment's start and end, as appts
	slots    []time.Time
}

// working marks the steps of d within the agenda's hours that day: the weekly hours of its
// weekday unless an exception closes the day, plus the hours exceptions add. It returns
// the column's status ("Closed", "Extra hours", "Changed hours") and the exceptions' notes.
func working(d *gridDay, hours []clinic.WorkingHours, exceptions []clinic.ScheduleException) (steps []bool, status, note string) {
	closed, added := false, false
	var notes []string
	for _, e := range exceptions {
		closed = closed || e.Closed
		added = added || e.End > 0
		if n := strings.TrimSpace(e.Note); n != "" && !slices.Contains(notes, n) {
			notes = append(notes, n)
		}
	}
	var ivs [][2]int
	if !closed {
		for _, h := range hours {
			if h.Weekday == d.date.Weekday() {
				ivs = append(ivs, [2]int{h.Start, h.End})
			}
		}
	}
	for _, e := range exceptions {
		if e.End > 0 {
			ivs = append(ivs, [2]int{e.Start, e.End})
		}
	}
	steps = make([]bool, len(d.keys))
	open := false
	for i, k := range d.keys {
		for _, iv := range ivs {
			if k.minute >= iv[0] && k.minute < iv[1] {
				steps[i], open = true, true
				break
			}
		}
	}
	switch {
	case closed && added:
		status = "Changed hours"
	case added:
		status = "Extra hours"
	case !open:
		status = "Closed"
	}
	return steps, status, strings.Join(notes, " · ")
}

// extent widens [lo, hi) (wall minutes) to hold what src shows: its working time and its
// appointments. any reports whether there was anything.
func (src *columnSource) extent(lo, hi *int) (any bool) {
	mark := func(i int) {
		k := src.day.keys[i]
		*lo, *hi = min(*lo, k.minute), max(*hi, k.minute+5)
		any = true
	}
	for i, w := range src.working {
		if w {
			mark(i)
		}
	}
	for _, sp := range src.spans {
		a, b := src.day.steps(sp[0], sp[1])
		mark(a)
		mark(b - 1)
	}
	return any
}

// gridOptions are the settings every column of a grid shares.
type gridOptions struct {
	step   int // minutes between grid lines
	now    time.Time
	loc    *time.Location
	reason time.Duration // the chosen reason's duration, for the size of a bookable start
	drop   bool          // free cells are drop targets (the user may move appointments)
}

// layout builds the grid of srcs: rows over the hours they show, then each column's blocks.
func layout(g *grid, srcs []*columnSource, o gridOptions) {
	lo, hi, any := 24*60, 0, false
	var days []*gridDay
	for _, s := range srcs {
		if s.col.Collapsed {
			continue
		}
		if s.extent(&lo, &hi) {
			any = true
		}
		if !slices.Contains(days, s.day) {
			days = append(days, s.day)
		}
	}
	if len(days) == 0 {
		for _, s := range srcs {
			if !slices.Contains(days, s.day) {
				days = append(days, s.day)
			}
		}
	}
	lo, hi = shownMinutes(lo, hi, any)
	ax := newGridAxis(days, lo, hi)
	g.Rows = len(ax.keys)
	g.Step = stepClass(o.step)
	g.Times = hourLabels(ax, days)
	for _, s := range srcs {
		g.Columns = append(g.Columns, s.build(ax, o))
	}
}

// hourLabels are the time column's labels, one per hour; on a day the clocks change, with
// the zone's abbreviation ("02:00 CET"), so the repeated or skipped hour reads as such.
func hourLabels(ax gridAxis, days []*gridDay) []gridItem {
	at := map[rowKey]time.Time{}
	dst := false
	for _, d := range days {
		dst = dst || d.dst()
		for i, k := range d.keys {
			if _, ok := at[k]; !ok {
				at[k] = d.at(i).In(d.loc)
			}
		}
	}
	var out []gridItem
	for i, k := range ax.keys {
		if k.minute%60 != 0 && (i > 0 || k.minute%30 != 0) {
			continue
		}
		label := walltimeLabel(k.minute)
		if dst {
			label += " " + at[k].Format("MST")
		}
		out = append(out, gridItem{kind: "hour", Label: label, row: i})
	}
	for i := range out {
		end := len(ax.keys)
		if i+1 < len(out) {
			end = out[i+1].row
		}
		out[i].Pos = pos(out[i].row, end-out[i].row)
	}
	return out
}

// walltimeLabel writes minutes after midnight as "09:05".
func walltimeLabel(m int) string { return fmt.Sprintf("%02d:%02d", m/60%24, m%60) }

// build lays src's blocks on the rows of ax.
func (src *columnSource) build(ax gridAxis, o gridOptions) gridColumn {
	c := src.col
	d := src.day
	n := len(ax.keys)
	add := func(it gridItem, first, span int) {
		it.row, it.order, it.Pos = first, kindOrder[it.kind], pos(first, span)+it.Pos
		if it.Appt != nil {
			it.Pos = "ag-appt " + it.Pos
		}
		switch it.kind {
		case "off":
			it.Off = true
		case "open":
			it.Open = true
		case "absence":
			it.Absence = true
		case "free":
			it.Free = true
		case "cell":
			it.Cell = true
		case "slot":
			it.Slot = true
		case "now":
			it.Now = true
		}
		c.Items = append(c.Items, it)
	}
	if n == 0 {
		return c
	}
	add(gridItem{kind: "off"}, 0, n)
	if c.Collapsed {
		return c
	}
	// What is free: working time, not during an absence, not held by an active appointment.
	absent := make([]bool, len(d.keys))
	for _, x := range src.absences {
		a, b := d.steps(x.Start, x.End)
		for i := a; i < b; i++ {
			absent[i] = true
		}
		if first, span, ok := ax.place(d, x.Start, x.End); ok {
			add(gridItem{kind: "absence", Label: absenceSpan(x, d, o.loc), Note: x.Note}, first, span)
		}
	}
	busy := make([]bool, len(d.keys))
	for i, a := range src.appts {
		if !a.Active {
			continue
		}
		s, e := d.steps(src.spans[i][0], src.spans[i][1])
		for j := s; j < e; j++ {
			busy[j] = true
		}
	}
	runs(src.working, func(a, b int) {
		if first, span, ok := ax.placeSteps(d, a, b); ok {
			add(gridItem{kind: "open"}, first, span)
		}
	})
	// A bookable start is itself the place to drop on: no cell under it.
	slotAt := make(map[int]bool, len(src.slots))
	for _, s := range src.slots {
		a, _ := d.steps(s, s)
		slotAt[a] = true
	}
	free := make([]bool, len(d.keys))
	for i := range free {
		free[i] = src.working[i] && !absent[i] && !busy[i]
	}
	runs(free, func(a, b int) {
		first, span, ok := ax.placeSteps(d, a, b)
		if !ok {
			return
		}
		s, e := d.at(a), minTime(d.at(b), d.end)
		add(gridItem{kind: "free", Label: span2(s, e, d, o.loc), Past: !e.After(o.now)}, first, span)
		// Cells cut at the clinic's grid lines (wall clock), each a place to drop on.
		for i := a; i < b; {
			j := i + 1
			for j < b && d.keys[j].minute%o.step != 0 {
				j++
			}
			if first, span, ok := ax.placeSteps(d, i, j); ok && !slotAt[i] {
				at := d.at(i)
				it := gridItem{kind: "cell", Label: at.In(o.loc).Format("15:04"), Past: at.Before(o.now)}
				if !it.Past && o.drop {
					it.Start = at.UTC().Format(time.RFC3339)
				}
				add(it, first, span)
			}
			i = j
		}
	})
	size := time.Duration(o.step) * time.Minute
	if o.reason > 0 && o.reason < size {
		size = o.reason
	}
	for _, s := range src.slots {
		if first, span, ok := ax.place(d, s, s.Add(size)); ok {
			add(gridItem{kind: "slot", Label: s.In(o.loc).Format("15:04"), Start: s.UTC().Format(time.RFC3339)}, first, span)
		}
	}
	// Appointments, in lanes where they overlap.
	type placed struct {
		i, first, span int
	}
	var ps []placed
	for i := range src.appts {
		if first, span, ok := ax.place(d, src.spans[i][0], src.spans[i][1]); ok {
			ps = append(ps, placed{i, first, span})
		}
	}
	slices.SortStableFunc(ps, func(a, b placed) int { return a.first - b.first })
	for start := 0; start < len(ps); {
		// A cluster: appointments linked by overlaps. Each takes the first lane free at
		// its start; the cluster's lanes share the column's width.
		end, reach := start, -1
		var laneEnd []int
		lanes := make([]int, 0, 4)
		for end < len(ps) && (end == start || ps[end].first < reach) {
			p := ps[end]
			lane := slices.IndexFunc(laneEnd, func(e int) bool { return e <= p.first })
			if lane < 0 {
				lane = len(laneEnd)
				laneEnd = append(laneEnd, 0)
			}
			laneEnd[lane] = p.first + p.span
			lanes = append(lanes, lane)
			reach = max(reach, p.first+p.span)
			end++
		}
		k := min(len(laneEnd), maxLanes)
		for j, p := range ps[start:end] {
			a := src.appts[p.i]
			lane := min(lanes[j], k-1)
			cls := fmt.Sprintf(" k%d-%d status-%s", k, lane, a.Status)
			if !a.Active {
				cls += " appt-freed"
			}
			add(gridItem{kind: "appt", Appt: &a, Pos: cls}, p.first, p.span)
		}
		start = end
	}
	if c.Today && !o.now.Before(d.start) && o.now.Before(d.end) {
		if first, _, ok := ax.place(d, o.now, o.now); ok {
			add(gridItem{kind: "now", Label: o.now.In(o.loc).Format("15:04")}, first, 1)
		}
	}
	slices.SortStableFunc(c.Items, func(a, b gridItem) int {
		if a.kind == "off" || b.kind == "off" {
			return kindOrder[a.kind] - kindOrder[b.kind]
		}
		if a.row != b.row {
			return a.row - b.row
		}
		return a.order - b.order
	})
	return c
}

// maxLanes is the most appointments shown side by side; more overlapping ones share the
// last lane (agenda.css has the classes k1-0 to k4-3).
const maxLanes = 4

// runs calls f with each maximal run [a, b) of true in marks.
func runs(marks []bool, f func(a, b int)) {
	for i := 0; i < len(marks); {
		if !marks[i] {
			i++
			continue
		}
		j := i
		for j < len(marks) && marks[j] {
			j++
		}
		f(i, j)
		i = j
	}
}

// span2 is span for a stretch of day d, which may end at the next local midnight
// ("17:00–24:00").
func span2(s, e time.Time, d *gridDay, loc *time.Location) string {
	end := e.In(loc).Format("15:04")
	if !e.Before(d.end) {
		end = "24:00"
	}
	return s.In(loc).Format("15:04") + "–" + end
}

// absenceSpan shows the part of an absence on day d: its times when it starts or ends that
// day, "all day" (the empty label) when it covers it.
func absenceSpan(x clinic.Absence, d *gridDay, loc *time.Location) string {
	s, e := x.Start, x.End
	if !s.After(d.start) && !e.Before(d.end) {
		return ""
	}
	s, e = maxTime(s, d.start), minTime(e, d.end)
	return span2(s, e, d, loc)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
