package booking

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
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

// covers reports whether d answers a request that read version v of its agenda, over
// [from, to). Data of a later version is as good as a fresh read: it was read after v was
// committed.
// memoised reports whether d already holds the slots of q's reason shape.
func (d *agendaData) memoised(q availability.Query) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.memo[memoKey{q.Duration, q.BufferAfter, q.Rules.Mode, q.Rules.Grid}]
	return ok
}

// warm runs the engine for the agendas of in whose slots are not memoised yet, on up to
// s.parts goroutines: after a cold load that is every agenda, and the engine is then the
// larger part of the request once the reads are split. Errors are left for the caller's
// own pass over the agendas, which finds them again.
func (s *Service) warm(in loaded) {
	var todo []int
	for i, d := range in.data {
		if !d.memoised(in.queries[i]) {
			todo = append(todo, i)
		}
	}
	workers := min(s.parts, len(todo))
	if workers < 2 {
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := int(next.Add(1)) - 1; j < len(todo); j = int(next.Add(1)) - 1 {
				i := todo[j]
				in.data[i].slots(in.queries[i])
			}
		}()
	}
	wg.Wait()
}

func (d *agendaData) covers(v int64, from, to time.Time) bool {
	return d != nil && d.version >= v && !d.from.After(from) && !d.to.Before(to)
}

// cache keeps each agenda's data in memory, keyed by the agenda's availability version:
// every change that could alter its slots (an appointment, hours, an exception, an
// absence) bumps that version in the database in the same transaction, so one read of the
// versions tells which entries are still true. Several instances on one PostgreSQL database
// each keep their own cache and stay correct, since the versions live in the database.
//
// It is filled only from committed reads (View), never from a write transaction that
// could still roll back and leave data stored under a version number that is reused.
//
// Refills are single-flight per agenda: a request that finds an agenda stale either loads
// it (and says so in flights) or, when another request is already loading that agenda at
// its version or a later one, waits for that load, instead of all reading the same rows at
// once after each booking (the herd that otherwise grows with load until the server falls
// behind). A refill of agenda 3 never holds up a reader of agenda 7: that reader only waits
// for agendas it needs. (One lock around every refill, the earlier design, made each
// request with a stale agenda queue behind every other refill.)
type cache struct {
	mu      sync.Mutex
	m       map[clinic.AgendaID]*agendaData
	flights map[clinic.AgendaID]pending
}

// flight is one load under way, of one or more agendas over [from, to); done is closed
// when it has landed in the cache (or failed).
type flight struct {
	done     chan struct{}
	from, to time.Time
}

// pending is an agenda's part in a flight: the version being loaded.
type pending struct {
	*flight
	version int64
}

// claim fills out with the cached data still true for agendas, and sorts the others: the
// ones this caller must load (their indexes in agendas, now registered in f) and the
// flights of other callers to wait for. With mayWait false every stale agenda is the
// caller's.
func (c *cache) claim(agendas []clinic.Agenda, out []*agendaData, from, to time.Time, f *flight, mayWait bool) (mine []int, wait []*flight) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, a := range agendas {
		if out[i] != nil {
			continue
		}
		if d := c.m[a.ID]; d.covers(a.AvailabilityVersion, from, to) {
			out[i] = d
			continue
		}
		p, flying := c.flights[a.ID]
		if flying && mayWait && p.version >= a.AvailabilityVersion && !p.from.After(from) && !p.to.Before(to) {
			if !slices.Contains(wait, p.flight) {
				wait = append(wait, p.flight)
			}
			continue
		}
		mine = append(mine, i)
		if !flying {
			c.flights[a.ID] = pending{f, a.AvailabilityVersion}
		}
	}
	return mine, wait
}

// land stores what flight f loaded (nothing when the load failed), ends f's claims and
// wakes its waiters. An entry is never replaced by an older version's.
func (c *cache) land(f *flight, loaded []loadedAgenda) {
	c.mu.Lock()
	if len(c.m)+len(loaded) > maxCached {
		c.m = map[clinic.AgendaID]*agendaData{}
	}
	for _, d := range loaded {
		if old := c.m[d.agenda]; old == nil || old.version <= d.version {
			c.m[d.agenda] = d.agendaData
		}
	}
	for id, p := range c.flights {
		if p.flight == f {
			delete(c.flights, id)
		}
	}
	c.mu.Unlock()
	close(f.done)
}

// maxCached bounds memory: beyond it the cache starts afresh (an agenda's entry is a few
// kilobytes).
const maxCached = 20000

func newCache() *cache {
	return &cache{m: map[clinic.AgendaID]*agendaData{}, flights: map[clinic.AgendaID]pending{}}
}

// ForgetCache drops every cached agenda, as a restart does: the next requests read the
// store. For benchmarks measuring the cold path.
func (s *Service) ForgetCache() {
	s.cache.mu.Lock()
	s.cache.m = map[clinic.AgendaID]*agendaData{}
	s.cache.mu.Unlock()
}

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
	if tx.Raw() != nil {
		// A write transaction reads its own data on its one connection, uncached.
		loaded, err := load(ctx, tx, org, agendas, loc, from.Add(-windowBefore), to.Add(windowBefore), 1)
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i] = loaded[i].agendaData
		}
		return out, nil
	}
	lo, hi := from.Add(-windowBefore), to.Add(windowAfter)
	// Two rounds may wait for other callers' loads; after that (their loads failed, or
	// were overtaken by newer versions) this caller loads whatever is still stale.
	for round := 0; ; round++ {
		f := &flight{done: make(chan struct{}), from: lo, to: hi}
		mine, wait := s.cache.claim(agendas, out, from, to, f, round < 2)
		if len(mine) == 0 && len(wait) == 0 {
			return out, nil
		}
		if len(mine) > 0 {
			stale := make([]clinic.Agenda, len(mine))
			for j, i := range mine {
				stale[j] = agendas[i]
			}
			loaded, err := s.refill(ctx, tx, org, stale, loc, f)
			if err != nil {
				return nil, err
			}
			for j, i := range mine {
				out[i] = loaded[j].agendaData
			}
		} else {
			close(f.done)
		}
		for _, w := range wait {
			select {
			case <-w.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
}

// refill loads agendas for flight f and lands the result in the cache, whatever happens
// (a failed or panicking load lands nothing but still wakes f's waiters).
func (s *Service) refill(ctx context.Context, tx *store.Tx, org clinic.OrgID, agendas []clinic.Agenda, loc *time.Location, f *flight) (loaded []loadedAgenda, err error) {
	defer func() {
		if err != nil {
			loaded = nil
		}
		s.cache.land(f, loaded)
	}()
	return load(ctx, tx, org, agendas, loc, f.from, f.to, s.parts)
}

type loadedAgenda struct {
	agenda clinic.AgendaID
	*agendaData
}

// load reads the data of agendas over [from, to): a fixed number of statements whatever
// their number. With parts > 1 (in a View only) the busy intervals, nearly all of the rows,
// are read as parts scans of consecutive stretches of the window, each on its own
// connection, while the schedule, exceptions and absences are read on another: a cold load
// of 50 agendas over 97 days is some 10,000 rows, and one scan of them on one connection
// is the whole cold request's floor. Splitting by time rather than by agenda keeps the
// number of statements independent of the number of agendas.
func load(ctx context.Context, tx *store.Tx, org clinic.OrgID, agendas []clinic.Agenda, loc *time.Location, from, to time.Time, parts int) ([]loadedAgenda, error) {
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
	if tx.Raw() != nil {
		parts = 1
	}
	parts = max(parts, 1)
	busy := make([][]store.Busy, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	step := to.Sub(from) / time.Duration(parts)
	for p := range parts {
		lo, hi := from.Add(time.Duration(p)*step), from.Add(time.Duration(p+1)*step)
		if p == parts-1 {
			hi = to
		}
		scan := func() {
			bs, err := tx.Schedule().BusyIntervals(ctx, org, ids, lo, hi)
			if p > 0 {
				// An interval that started before lo also overlaps the previous stretch,
				// whose scan returned it: keep each interval once.
				bs = slices.DeleteFunc(bs, func(b store.Busy) bool { return b.Start.Before(lo) })
			}
			busy[p], errs[p] = bs, err
		}
		if parts == 1 {
			scan()
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); scan() }()
	}
	err := loadSchedule(ctx, tx, org, ids, pids, byID, byPractitioner, loc, from, to)
	wg.Wait()
	if err := errors.Join(append(errs, err)...); err != nil {
		return nil, err
	}
	// Each agenda's intervals in one allocation: some 10,000 of them on a cold load, and
	// growing the slices as they come was a good part of the garbage of a cold request.
	n := map[clinic.AgendaID]int{}
	for _, bs := range busy {
		for _, b := range bs {
			n[b.AgendaID]++
		}
	}
	for id, k := range n {
		byID[id].busy = make([]availability.Interval, 0, k)
	}
	for _, bs := range busy {
		for _, b := range bs {
			d := byID[b.AgendaID]
			d.busy = append(d.busy, availability.Interval{Start: b.Start, End: b.End})
		}
	}
	return out, nil
}

// loadSchedule reads the weekly hours, exceptions and absences of agendas into byID and
// byPractitioner: three statements.
func loadSchedule(ctx context.Context, tx *store.Tx, org clinic.OrgID, ids []clinic.AgendaID, pids []clinic.PractitionerID,
	byID map[clinic.AgendaID]*agendaData, byPractitioner map[clinic.PractitionerID][]*agendaData, loc *time.Location, from, to time.Time) error {
	hours, err := tx.Schedule().WorkingHours(ctx, org, ids)
	if err != nil {
		return err
	}
	for id, hs := range hours {
		d := byID[id]
		for _, h := range hs {
			addHours(&d.schedule, h)
		}
	}
	// Exceptions are dated in the clinic's zone; a day either side covers every offset.
	exceptions, err := tx.Schedule().Exceptions(ctx, org, ids, availability.DateOf(from, loc).AddDays(-1).String(), availability.DateOf(to, loc).AddDays(1).String())
	if err != nil {
		return err
	}
	for _, e := range exceptions {
		x, err := exceptionOf(e)
		if err != nil {
			return err
		}
		d := byID[e.AgendaID]
		d.schedule.Exceptions = append(d.schedule.Exceptions, x)
	}
	absences, err := tx.Schedule().Absences(ctx, org, pids, from, to)
	if err != nil {
		return err
	}
	for _, ab := range absences {
		for _, d := range byPractitioner[ab.PractitionerID] {
			d.absences = append(d.absences, availability.Interval{Start: ab.Start, End: ab.End})
		}
	}
	return nil
}
