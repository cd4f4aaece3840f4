package dispatch

import (
	"sync"
	"time"
)

// Breakers are one circuit breaker per provider (NOT-7): after Threshold failures in a row
// (transient errors and unknown outcomes), a provider gets no request for a cool-down that
// doubles at each new failure, up to MaxCool; then one probe is let through, and its success
// closes the circuit. While a circuit is open, due messages wait (they are not counted as
// attempts) instead of hammering a provider that is down, and SMS go to the failover account.
type Breakers struct {
	Threshold int
	Cool      time.Duration
	MaxCool   time.Duration
	Now       func() time.Time

	mu    sync.Mutex
	state map[string]*breaker
}

type breaker struct {
	failures  int
	openUntil time.Time
	cool      time.Duration
	probing   bool
	probeAt   time.Time // when the probe went out
	opened    int       // times opened, for tests and metrics
}

// NewBreakers returns breakers with the defaults: 5 failures, 5 s doubling to 2 min.
func NewBreakers(now func() time.Time) *Breakers {
	return &Breakers{Threshold: 5, Cool: 5 * time.Second, MaxCool: 2 * time.Minute, Now: now}
}

func (b *Breakers) get(name string) *breaker {
	if b.state == nil {
		b.state = map[string]*breaker{}
	}
	s, ok := b.state[name]
	if !ok {
		s = &breaker{cool: b.Cool}
		b.state[name] = s
	}
	return s
}

// Open reports whether name's circuit is open, and for how much longer. When the cool-down
// is over it lets one caller through (the probe) and reports closed to it.
func (b *Breakers) Open(name string) (time.Duration, bool) {
	if b == nil {
		return 0, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.get(name)
	if s.openUntil.IsZero() {
		return 0, false
	}
	now := b.Now()
	if now.Before(s.openUntil) {
		return s.openUntil.Sub(now), true
	}
	if s.probing && now.Sub(s.probeAt) < s.cool {
		return time.Second, true // a probe is out; the rest wait for its answer
	}
	// The first probe, or another when the last one never reported back (a caller that
	// neither succeeded nor failed must not hold the circuit open for ever).
	s.probing, s.probeAt = true, now
	return 0, false
}

// Success closes name's circuit.
func (b *Breakers) Success(name string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.get(name)
	s.failures, s.openUntil, s.cool, s.probing = 0, time.Time{}, b.Cool, false
}

// Failure counts a failure of name, opening its circuit at the threshold (or at once after
// a failed probe, with a doubled cool-down).
func (b *Breakers) Failure(name string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.get(name)
	s.failures++
	switch {
	case s.probing:
		s.cool = min(2*s.cool, b.MaxCool)
	case s.failures < b.Threshold || !s.openUntil.IsZero():
		return
	}
	s.probing = false
	s.openUntil = b.Now().Add(s.cool)
	s.opened++
}

// Opened reports how many times name's circuit opened.
func (b *Breakers) Opened(name string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.get(name).opened
}

// IsOpen reports whether name's circuit is open now, without taking the probe.
func (b *Breakers) IsOpen(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.get(name)
	return !s.openUntil.IsZero() && (b.Now().Before(s.openUntil) || s.probing)
}
