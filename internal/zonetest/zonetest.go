// Package zonetest is test support for code that must hold across daylight-saving changes:
// it loads IANA zones once and lists the instants at which their offsets change, so the
// property tests of every engine that computes wall-clock times (availability, sendtime,
// walltime) draw instants around the same changes without each keeping its own copy.
//
// It imports only the standard library and is imported only by tests.
package zonetest

import (
	"sync"
	"time"
	_ "time/tzdata" // zone data must not depend on the host
)

// TB is what Load and Zone need of a test: a *testing.T, a *testing.B or a *rapid.T.
type TB interface {
	Helper()
	Fatal(args ...any)
}

// Load returns the named zone, failing the test when it does not exist.
func Load(tb TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// Transitions returns every instant in [from, to) at which loc's offset changes, found by
// walking the zone's periods with ZoneBounds (a period boundary where the offset stays the
// same, a change of abbreviation only, is not a transition).
func Transitions(loc *time.Location, from, to time.Time) []time.Time {
	var out []time.Time
	for t := from; ; {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			return out
		}
		_, o1 := end.Add(-time.Second).In(loc).Zone()
		_, o2 := end.In(loc).Zone()
		if o1 != o2 {
			out = append(out, end)
		}
		t = end
	}
}

// Span names zones whose transitions matter over the years [From, To).
type Span struct {
	Names    []string
	From, To int
}

// Set is a set of zones loaded once, each with its transitions over its span: a rapid
// property asks for the same zone thousands of times.
type Set struct {
	spans []Span
	once  sync.Once
	locs  map[string]*time.Location
	trans map[string][]time.Time
}

// NewSet returns the set of the zones in spans, loaded on first use.
func NewSet(spans ...Span) *Set { return &Set{spans: spans} }

func (s *Set) load() {
	s.locs, s.trans = map[string]*time.Location{}, map[string][]time.Time{}
	for _, sp := range s.spans {
		for _, name := range sp.Names {
			loc, err := time.LoadLocation(name)
			if err != nil {
				panic(err) // a misspelt zone in a test's own list
			}
			s.locs[name] = loc
			s.trans[name] = Transitions(loc, time.Date(sp.From, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(sp.To, 1, 1, 0, 0, 0, 0, time.UTC))
		}
	}
}

// Zone returns the named zone: from the set when it is one of its zones, else loaded.
func (s *Set) Zone(tb TB, name string) *time.Location {
	tb.Helper()
	s.once.Do(s.load)
	if loc, ok := s.locs[name]; ok {
		return loc
	}
	return Load(tb, name)
}

// Transitions returns the transitions of one of the set's zones over its span (none for a
// zone outside the set).
func (s *Set) Transitions(name string) []time.Time {
	s.once.Do(s.load)
	return s.trans[name]
}
