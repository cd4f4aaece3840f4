package auth

import (
	"sync"
	"time"
)

// Backoff slows down repeated failures per key, such as one account tried from one client
// address. The first Free failures cost nothing; after that each failure makes the key wait
// before its next attempt, Base after the first, then twice as long after each further
// failure, up to Max. A success clears the key. Only failures count, so a key that
// succeeds is never held back, however often it succeeds.
//
// Attempts are reserved while they run (Begin … Fail/Succeed/Cancel), so parallel
// requests cannot slip more than Free attempts past the check before the first of them
// records its failure; once a key owes a wait, it gets one attempt at a time.
//
// State lives in this process and is bounded like a Limiter's: a key with no activity for
// Forget (at least Max) is dropped, and beyond MaxKeys the least recently used key is
// evicted, which resets it. A Backoff is safe for concurrent use.
type Backoff struct {
	cfg BackoffConfig

	mu   sync.Mutex
	keys *table[*backoffState]
}

// BackoffConfig tunes a Backoff. Zero values take the documented defaults.
type BackoffConfig struct {
	Free    int              // failures allowed before any wait; default 5
	Base    time.Duration    // first wait; default 1 minute
	Max     time.Duration    // longest wait; default 30 minutes
	Forget  time.Duration    // a key idle this long starts over; default 1 hour, at least Max
	MaxKeys int              // default DefaultMaxKeys
	Now     func() time.Time // the clock; default time.Now
}

type backoffState struct {
	failures int
	pending  int       // attempts begun and not yet ended
	next     time.Time // no attempt before this once failures >= Free
}

// NewBackoff returns a Backoff configured by cfg.
func NewBackoff(cfg BackoffConfig) *Backoff {
	if cfg.Free <= 0 {
		cfg.Free = 5
	}
	if cfg.Base <= 0 {
		cfg.Base = time.Minute
	}
	if cfg.Max < cfg.Base {
		cfg.Max = max(30*time.Minute, cfg.Base)
	}
	if cfg.Forget <= 0 {
		cfg.Forget = time.Hour
	}
	cfg.Forget = max(cfg.Forget, cfg.Max)
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Backoff{cfg: cfg, keys: newTable[*backoffState](cfg.Forget, cfg.MaxKeys)}
}

// Attempt is an attempt begun with Begin. End it with exactly one of Fail, Succeed or
// Cancel.
type Attempt struct {
	b   *Backoff
	key string
}

// Begin starts an attempt for key. When key must wait, it returns ok false and how long
// until the next attempt may start; nothing is recorded then.
func (b *Backoff) Begin(key string) (a Attempt, wait time.Duration, ok bool) {
	now := b.cfg.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	s, _ := b.keys.get(key, now, func() *backoffState { return &backoffState{} })
	switch {
	case s.failures+s.pending < b.cfg.Free:
	case s.failures >= b.cfg.Free && s.pending == 0 && !now.Before(s.next):
	default:
		wait = s.next.Sub(now)
		if wait <= 0 {
			wait = b.cfg.Base // an attempt is running; its outcome decides
		}
		return Attempt{}, wait, false
	}
	s.pending++
	return Attempt{b: b, key: key}, 0, true
}

// Fail records a failed attempt, which may make the key wait.
func (a Attempt) Fail() {
	if a.b == nil {
		return
	}
	b := a.b
	now := b.cfg.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	s, _ := b.keys.get(a.key, now, func() *backoffState { return &backoffState{} })
	s.pending = max(s.pending-1, 0)
	s.failures++
	if over := s.failures - b.cfg.Free; over >= 0 {
		wait := b.cfg.Max
		if over < 32 {
			if d := b.cfg.Base << over; d > 0 && d < wait {
				wait = d
			}
		}
		s.next = now.Add(wait)
	}
}

// Succeed records a successful attempt: the key starts over.
func (a Attempt) Succeed() {
	if a.b == nil {
		return
	}
	a.b.mu.Lock()
	defer a.b.mu.Unlock()
	a.b.keys.delete(a.key)
}

// Cancel ends an attempt that neither failed nor succeeded (an internal error).
func (a Attempt) Cancel() {
	if a.b == nil {
		return
	}
	now := a.b.cfg.Now()
	a.b.mu.Lock()
	defer a.b.mu.Unlock()
	if s, ok := a.b.keys.peek(a.key, now); ok {
		s.pending = max(s.pending-1, 0)
	}
}

// Len returns the number of keys tracked, for metrics and tests.
func (b *Backoff) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.keys.len()
}

// KeySet remembers keys for a while, bounded in memory like a Limiter: sign-in uses it
// for the (account, client address) pairs that signed in successfully lately, which a
// per-account ceiling then spares. It is safe for concurrent use.
type KeySet struct {
	now func() time.Time

	mu   sync.Mutex
	keys *table[struct{}]
}

// NewKeySet returns a set that forgets a key ttl after it was last added, and holds at
// most maxKeys keys (least recently added first out). now nil means time.Now.
func NewKeySet(ttl time.Duration, maxKeys int, now func() time.Time) *KeySet {
	if now == nil {
		now = time.Now
	}
	return &KeySet{now: now, keys: newTable[struct{}](ttl, max(maxKeys, 1))}
}

// Add remembers key, or renews it.
func (s *KeySet) Add(key string) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys.get(key, now, func() struct{} { return struct{}{} })
}

// Has reports whether key is remembered. It does not renew it.
func (s *KeySet) Has(key string) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.keys.peek(key, now)
	return ok
}
