package auth

import (
	"container/list"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxKeys is the number of keys a Limiter tracks unless
// WithMaxKeys says otherwise. At roughly 200 bytes per key it bounds a
// limiter to a few megabytes however many distinct IPs or accounts hit it.
const DefaultMaxKeys = 10_000

// Limiter is a token-bucket rate limiter keyed by an arbitrary string such
// as "ip:192.0.2.1" or "acct:<user id>", used to slow down password
// guessing and token brute force. Each key gets its own bucket that refills
// one token per `every` up to `burst`.
//
// State lives in this process only: with several app instances behind a
// load balancer each one enforces its own limit, so the effective limit is
// multiplied by the instance count. Limits that must hold cluster-wide
// (for example an account lockout) need a counter in the database.
//
// Memory is bounded in two ways. A key idle long enough for its bucket to
// refill completely is dropped, which is lossless because a full bucket is
// what a new key starts with. And the number of keys is capped (see
// WithMaxKeys); when the cap is reached the least recently used key is
// evicted, which does reset its limit, so the cap should be comfortably
// above the number of keys expected to be active at once.
//
// A Limiter is safe for concurrent use.
type Limiter struct {
	limit   rate.Limit
	burst   int
	now     func() time.Time
	idle    time.Duration
	maxKeys int

	mu   sync.Mutex
	keys map[string]*list.Element // values are *limiterEntry
	lru  *list.List               // front = most recently used
}

// limiterEntry is one key's bucket plus what eviction needs to know.
type limiterEntry struct {
	key      string
	lim      *rate.Limiter
	lastSeen time.Time
}

// LimiterOption customises NewLimiter. Options keep the constructor's
// common form short while still allowing tests and unusual deployments to
// tune memory bounds.
type LimiterOption func(*Limiter)

// WithMaxKeys sets the maximum number of keys tracked at once (values below
// 1 are treated as 1). Use it to size memory for the expected key space.
func WithMaxKeys(n int) LimiterOption {
	return func(l *Limiter) { l.maxKeys = max(n, 1) }
}

// NewLimiter returns a Limiter that allows burst events at once per key and
// then one event per every. now is the clock (nil means time.Now); it is
// injected so tests can drive refill and eviction deterministically.
// NewLimiter panics if every <= 0 or burst < 1, since such a limiter would
// either allow everything or nothing and can only be a programming error.
func NewLimiter(every time.Duration, burst int, now func() time.Time, opts ...LimiterOption) *Limiter {
	if every <= 0 || burst < 1 {
		panic("auth: NewLimiter needs every > 0 and burst >= 1")
	}
	if now == nil {
		now = time.Now
	}
	idle := time.Duration(math.MaxInt64)
	if every <= time.Duration(math.MaxInt64)/time.Duration(burst) {
		idle = every * time.Duration(burst)
	}
	l := &Limiter{
		limit:   rate.Every(every),
		burst:   burst,
		now:     now,
		idle:    idle,
		maxKeys: DefaultMaxKeys,
		keys:    make(map[string]*list.Element),
		lru:     list.New(),
	}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Allow reports whether an event for key may happen now, consuming one
// token if so. Callers should check every relevant key (say both the IP
// and the account) and refuse if any of them says no.
func (l *Limiter) Allow(key string) bool {
	now := l.now()

	l.mu.Lock()
	defer l.mu.Unlock()

	return l.entry(key, now).lim.AllowN(now, 1)
}

// entry finds or creates key's bucket and marks it used now. l.mu must be held.
func (l *Limiter) entry(key string, now time.Time) *limiterEntry {
	l.evictIdle(now)
	var e *limiterEntry
	if el, ok := l.keys[key]; ok {
		e = el.Value.(*limiterEntry)
		l.lru.MoveToFront(el)
	} else {
		for len(l.keys) >= l.maxKeys {
			l.remove(l.lru.Back())
		}
		e = &limiterEntry{key: key, lim: rate.NewLimiter(l.limit, l.burst)}
		l.keys[key] = l.lru.PushFront(e)
	}
	e.lastSeen = now
	return e
}

// Reserve takes one token for key, like Allow, and returns a function that gives it back.
// It is check-then-record for limits that only failures should consume: reserve before
// the attempt, so that parallel attempts cannot all pass the check, and give the token back
// when the attempt succeeds. The refund is what golang.org/x/time/rate's CancelAt allows:
// the whole token unless other reservations of the key came in between, which refill has
// already paid for in part.
func (l *Limiter) Reserve(key string) (refund func(), ok bool) {
	now := l.now()

	l.mu.Lock()
	defer l.mu.Unlock()

	e := l.entry(key, now)
	r := e.lim.ReserveN(now, 1)
	if !r.OK() {
		return nil, false
	}
	if r.DelayFrom(now) > 0 {
		r.CancelAt(now)
		return nil, false
	}
	return func() { r.CancelAt(l.now()) }, true
}

// Len returns the number of keys currently tracked. It exists for metrics
// and for tests of the memory bound.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// evictIdle drops keys whose bucket has had time to refill completely.
// The LRU list is ordered by last use, so it only ever looks at the tail
// and the cost is amortised O(1) per call. l.mu must be held.
func (l *Limiter) evictIdle(now time.Time) {
	for el := l.lru.Back(); el != nil; el = l.lru.Back() {
		if now.Sub(el.Value.(*limiterEntry).lastSeen) < l.idle {
			return
		}
		l.remove(el)
	}
}

// remove deletes el from both the list and the map. l.mu must be held.
func (l *Limiter) remove(el *list.Element) {
	delete(l.keys, el.Value.(*limiterEntry).key)
	l.lru.Remove(el)
}
