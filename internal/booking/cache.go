package booking

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tidings-health/tidings/internal/availability"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// agendaData is what decides one agenda's free slots over a window: its schedule, its
// practitioner's absences and its busy intervals.
type agendaData struct {
	version  int64
	from, to time.Time // the window it was loaded for
	schedule availability.Schedule
	absences []availability.Interval
	busy     []availability.Interval

	// memo holds the slots computed over the whole window, per reason shape. The clock
	// only filters them (minimum notice, horizon), so they stay true until the version
	// changes, which replaces this agendaData.
	mu   sync.Mutex
	memo map[memoKey][]time.Time
}

type memoKey struct {
	duration, buffer time.Duration
	mode             availability.GridMode
	grid             time.Duration
}

// slots answers q from the memo: the slots of the whole cached window for q's reason and
// grid, cut to q's window, minimum notice and horizon. That is the engine's own answer,
// since those rules only filter candidate starts (TestCachedSlotsMatchEngine checks it).
func (d *agendaData) slots(q availability.Query) ([]time.Time, error) {
	key := memoKey{q.Duration, q.BufferAfter, q.Rules.Mode, q.Rules.Grid}
	d.mu.Lock()
	all, ok := d.memo[key]
	d.mu.Unlock()
	if !ok {
		wide := q
		wide.Window = availability.Interval{Start: d.from, End: d.to}
		wide.Now = d.from
		wide.Rules.MinNotice = 0
		wide.Rules.HorizonDays = availability.MaxHorizonDays
		var err error
		if all, err = availability.Slots(wide); err != nil {
			return nil, err
		}
		d.mu.Lock()
		if d.memo == nil {
			d.memo = map[memoKey][]time.Time{}
		}
		d.memo[key] = all
		d.mu.Unlock()
	}
	lo, hi := q.Window.Start, q.Window.End
	if n := q.Now.Add(q.Rules.MinNotice); n.After(lo) {
		lo = n
	}
	if q.Rules.HorizonDays < availability.MaxHorizonDays {
		today := q.Now.In(q.Zone)
		if h := time.Date(today.Year(), today.Month(), today.Day()+q.Rules.HorizonDays+1, 0, 0, 0, 0, q.Zone); h.Before(hi) {
			hi = h
		}
	}
	i, _ := slices.BinarySearchFunc(all, lo, func(t, x time.Time) int { return t.Compare(x) })
	j, _ := slices.BinarySearchFunc(all, hi, func(t, x time.Time) int { return t.Compare(x) })
	if j < i {
		j = i
	}
	return all[i:j:j], nil
}

func (d *agendaData) covers(v int64, from, to time.Time) bool {
	return d != nil && d.version == v && !d.from.After(from) && !d.to.Before(to)
}

// cache keeps each agenda's data in memory, keyed by the agenda's availability version:
// every change that could alter its slots (an appointment, hours, an exception, an
// absence) bumps that version in the database in the same transaction, so one read of the
// versions tells which entries are still true. Several instances on one PostgreSQL database
// each keep their own cache and stay correct, since the versions live in the database.
//
// It is filled only from committed reads (View), never from a write transaction that
// could still roll back and leave data stored under a version number that is reused.
type cache struct {
	mu sync.Mutex
	m  map[clinic.AgendaID]*agendaData
	// loading lets one request at a time refill stale entries: the others wait, then find
	// them fresh, instead of all reading the same rows at once after each booking (the
	// herd that otherwise grows with load until the server falls behind).
	loading sync.Mutex
}

// lookup fills out with the cached data still true for agendas, and returns the others.
func (c *cache) lookup(agendas []clinic.Agenda, out []*agendaData, from, to time.Time) []clinic.Agenda {
	var stale []clinic.Agenda
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, a := range agendas {
		if out[i] != nil {
			continue
		}
		if d := c.m[a.ID]; d.covers(a.AvailabilityVersion, from, to) {
			out[i] = d
		} else {
			stale = append(stale, a)
		}
	}
	return stale
}

// maxCached bounds memory: beyond it the cache starts afresh (an agenda's entry is a few
// kilobytes).
const maxCached = 20000

func newCache() *cache { return &cache{m: map[clinic.AgendaID]*agendaData{}} }

// Cached windows reach a week past what was asked, so that the next requests, whose
// windows slide with the clock, still hit.
const (
	windowBefore = 24 * time.Hour
	windowAfter  = 7 * 24 * time.Hour
)

// agendaData returns the data of each agenda over [from, to), from the cache where its
// version still matches and from the store (a fixed number of statements for all the
// stale agendas together) otherwise.
func (s *Service) agendaData(ctx context.Context, tx *store.Tx, org clinic.OrgID, agendas []clinic.Agenda, loc *time.Location, from, to time.Time) ([]*agendaData, error) {
	out := make([]*agendaData, len(agendas))
	readOnly := tx.Raw() == nil
	stale := agendas
	if readOnly {
		if stale = s.cache.lookup(agendas, out, from, to); len(stale) == 0 {
			return out, nil
		}
		s.cache.loading.Lock()
		defer s.cache.loading.Unlock()
		if stale = s.cache.lookup(agendas, out, from, to); len(stale) == 0 {
			return out, nil
		}
	}
	lo, hi := from.Add(-windowBefore), to.Add(windowAfter)
	if !readOnly {
		lo, hi = from.Add(-windowBefore), to.Add(windowBefore)
	}
	loaded, err := load(ctx, tx, org, stale, loc, lo, hi)
	if err != nil {
		return nil, err
	}
	if readOnly {
		s.cache.mu.Lock()
		if len(s.cache.m)+len(loaded) > maxCached {
			s.cache.m = map[clinic.AgendaID]*agendaData{}
		}
		for _, d := range loaded {
			s.cache.m[d.agenda] = d.agendaData
		}
		s.cache.mu.Unlock()
	}
	j := 0
	for i := range out {
		if out[i] == nil {
			out[i] = loaded[j].agendaData
			j++
		}
	}
	return out, nil
}

type loadedAgenda struct {
	agenda clinic.AgendaID
	*agendaData
}

// load reads the data of agendas over [from, to): four statements whatever their number.
func load(ctx context.Context, tx *store.Tx, org clinic.OrgID, agendas []clinic.Agenda, loc *time.Location, from, to time.Time) ([]loadedAgenda, error) {
	ids := make([]clinic.AgendaID, len(agendas))
	var pids []clinic.PractitionerID
	out := make([]loadedAgenda, len(agendas))
	byID := make(map[clinic.AgendaID]*agendaData, len(agendas))
	byPractitioner := map[clinic.PractitionerID][]*agendaData{}
	for i, a := range agendas {
		ids[i] = a.ID
		d := &agendaData{version: a.AvailabilityVersion, from: from, to: to}
		out[i] = loadedAgenda{a.ID, d}
		byID[a.ID] = d
		if a.PractitionerID != nil {
			pids = append(pids, *a.PractitionerID)
			byPractitioner[*a.PractitionerID] = append(byPractitioner[*a.PractitionerID], d)
		}
	}
	hours, err := tx.Schedule().WorkingHours(ctx, org, ids)
	if err != nil {
		return nil, err
	}
	for id, hs := range hours {
		d := byID[id]
		for _, h := range hs {
			d.schedule.Weekly[h.Weekday] = append(d.schedule.Weekly[h.Weekday], availability.Hours{Start: availability.Clock(h.Start), End: availability.Clock(h.End)})
		}
	}
	// Exceptions are dated in the clinic's zone; a day either side covers every offset.
	exceptions, err := tx.Schedule().Exceptions(ctx, org, ids, availability.DateOf(from, loc).AddDays(-1).String(), availability.DateOf(to, loc).AddDays(1).String())
	if err != nil {
		return nil, err
	}
	for _, e := range exceptions {
		day, err := availability.ParseDate(e.Day)
		if err != nil {
			return nil, fmt.Errorf("exception %d: %w", e.ID, err)
		}
		x := availability.Exception{Date: day, Closed: e.Closed}
		if e.End > 0 {
			x.Hours = []availability.Hours{{Start: availability.Clock(e.Start), End: availability.Clock(e.End)}}
		}
		d := byID[e.AgendaID]
		d.schedule.Exceptions = append(d.schedule.Exceptions, x)
	}
	absences, err := tx.Schedule().Absences(ctx, org, pids, from, to)
	if err != nil {
		return nil, err
	}
	for _, ab := range absences {
		for _, d := range byPractitioner[ab.PractitionerID] {
			d.absences = append(d.absences, availability.Interval{Start: ab.Start, End: ab.End})
		}
	}
	busy, err := tx.Schedule().BusyIntervals(ctx, org, ids, from, to)
	if err != nil {
		return nil, err
	}
	for _, b := range busy {
		d := byID[b.AgendaID]
		d.busy = append(d.busy, availability.Interval{Start: b.Start, End: b.End})
	}
	return out, nil
}
