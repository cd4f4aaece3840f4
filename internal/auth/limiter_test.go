package auth

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a manually advanced clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func allowN(l *Limiter, key string, n int) int {
	allowed := 0
	for range n {
		if l.Allow(key) {
			allowed++
		}
	}
	return allowed
}

func TestLimiterBurstAndRefill(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(time.Minute, 5, clk.Now)

	if got := allowN(l, "ip:192.0.2.1", 10); got != 5 {
		t.Fatalf("burst: allowed %d, want 5", got)
	}
	clk.Advance(59 * time.Second)
	if l.Allow("ip:192.0.2.1") {
		t.Fatal("allowed before a token refilled")
	}
	clk.Advance(time.Second)
	if !l.Allow("ip:192.0.2.1") {
		t.Fatal("not allowed after one interval")
	}
	if l.Allow("ip:192.0.2.1") {
		t.Fatal("only one token should have refilled")
	}
	clk.Advance(3 * time.Minute)
	if got := allowN(l, "ip:192.0.2.1", 10); got != 3 {
		t.Fatalf("after 3 intervals allowed %d, want 3", got)
	}
}

func TestLimiterIndependentKeys(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(time.Minute, 2, clk.Now)
	if got := allowN(l, "acct:1", 5); got != 2 {
		t.Fatalf("acct:1 allowed %d, want 2", got)
	}
	if got := allowN(l, "acct:2", 5); got != 2 {
		t.Fatalf("acct:2 allowed %d, want 2 (keys must not share a bucket)", got)
	}
	if l.Allow("acct:1") {
		t.Fatal("acct:1 refilled by activity on acct:2")
	}
}

func TestLimiterEvictsIdleKeys(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(time.Second, 3, clk.Now)
	for i := range 100 {
		l.Allow(fmt.Sprint("ip:", i))
	}
	if l.Len() != 100 {
		t.Fatalf("Len = %d, want 100", l.Len())
	}
	// Not yet fully refilled: keys must be kept, or limits would reset.
	clk.Advance(3*time.Second - time.Nanosecond)
	l.Allow("other")
	if l.Len() != 101 {
		t.Fatalf("Len = %d, want 101 (evicted too early)", l.Len())
	}
	clk.Advance(time.Nanosecond)
	l.Allow("other")
	if l.Len() != 1 {
		t.Fatalf("Len = %d, want 1 after idle period", l.Len())
	}
}

func TestLimiterIdleEvictionIsLossless(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(time.Second, 3, clk.Now)
	allowN(l, "k", 3)
	clk.Advance(3 * time.Second)
	l.Allow("trigger-sweep")
	if got := allowN(l, "k", 10); got != 3 {
		t.Fatalf("allowed %d after full refill, want 3", got)
	}
}

func TestLimiterMaxKeysBound(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(time.Hour, 1, clk.Now, WithMaxKeys(3))
	for _, k := range []string{"a", "b", "c"} {
		if !l.Allow(k) {
			t.Fatalf("first use of %s denied", k)
		}
	}
	l.Allow("a") // a is now most recently used; b is the oldest
	if !l.Allow("d") {
		t.Fatal("new key denied")
	}
	if l.Len() != 3 {
		t.Fatalf("Len = %d, want 3", l.Len())
	}
	if l.Allow("a") || l.Allow("c") || l.Allow("d") {
		t.Fatal("recently used keys lost their state")
	}
	// b was evicted, so (documented trade-off) it starts over with a full
	// bucket, which in turn evicts the least recently used of the rest.
	if !l.Allow("b") {
		t.Fatal("evicted key should start with a fresh bucket")
	}
	for i := range 1000 {
		l.Allow(fmt.Sprint("flood:", i))
		if l.Len() > 3 {
			t.Fatalf("Len = %d exceeds bound", l.Len())
		}
	}
}

func TestLimiterDefaults(t *testing.T) {
	l := NewLimiter(time.Second, 1, nil) // nil clock means time.Now
	if !l.Allow("k") {
		t.Fatal("first event denied")
	}
	if l.maxKeys != DefaultMaxKeys {
		t.Fatalf("maxKeys = %d", l.maxKeys)
	}
	if NewLimiter(time.Second, 1, nil, WithMaxKeys(0)).maxKeys != 1 {
		t.Fatal("WithMaxKeys(0) should clamp to 1")
	}
	// A huge interval must not overflow the idle timeout into the past.
	h := NewLimiter(time.Duration(1<<62), 4, nil)
	if h.idle <= 0 {
		t.Fatalf("idle overflowed: %v", h.idle)
	}
}

func TestNewLimiterPanicsOnNonsense(t *testing.T) {
	for _, tc := range []struct {
		every time.Duration
		burst int
	}{{0, 1}, {-time.Second, 1}, {time.Second, 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewLimiter(%v, %d) did not panic", tc.every, tc.burst)
				}
			}()
			NewLimiter(tc.every, tc.burst, nil)
		}()
	}
}

// TestLimiterConcurrent hammers a few keys from many goroutines with the
// clock frozen: exactly burst events per key may pass, no more, no less.
// Run with -race.
func TestLimiterConcurrent(t *testing.T) {
	clk := newFakeClock()
	const burst, keys, workers, perWorker = 7, 4, 32, 50
	l := NewLimiter(time.Minute, burst, clk.Now, WithMaxKeys(keys))
	var allowed [keys]atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				k := (w + i) % keys
				if l.Allow(fmt.Sprint("key:", k)) {
					allowed[k].Add(1)
				}
				_ = l.Len()
			}
		})
	}
	wg.Wait()
	for k := range keys {
		if got := allowed[k].Load(); got != burst {
			t.Errorf("key %d: allowed %d, want %d", k, got, burst)
		}
	}
}

// TestLimiterConcurrentEviction mixes many keys, a moving clock and a
// small bound, to give the race detector eviction paths to look at.
func TestLimiterConcurrentEviction(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(time.Millisecond, 2, clk.Now, WithMaxKeys(16))
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := range 500 {
				l.Allow(fmt.Sprint(w, ":", i%40))
				if i%50 == 0 {
					clk.Advance(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	if l.Len() > 16 {
		t.Fatalf("Len = %d exceeds bound", l.Len())
	}
}
