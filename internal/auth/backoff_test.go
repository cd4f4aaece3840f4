package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestBackoffFreeFailuresThenDoubling(t *testing.T) {
	clk := newFakeClock()
	b := NewBackoff(BackoffConfig{Free: 3, Base: time.Minute, Max: 5 * time.Minute, Now: clk.Now})
	fail := func() bool {
		a, _, ok := b.Begin("k")
		if ok {
			a.Fail()
		}
		return ok
	}
	for i := range 3 {
		if !fail() {
			t.Fatalf("free failure %d refused", i+1)
		}
	}
	// Three failures: the fourth attempt waits 1 min, then 2, 4, and at most 5.
	for _, wait := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute} {
		_, got, ok := b.Begin("k")
		if ok || got != wait {
			t.Fatalf("right after a failure: ok %v, wait %v; want a wait of %v", ok, got, wait)
		}
		clk.Advance(wait - time.Second)
		if _, _, ok := b.Begin("k"); ok {
			t.Fatalf("allowed a second before the %v wait ended", wait)
		}
		clk.Advance(time.Second)
		if !fail() {
			t.Fatalf("refused after the %v wait", wait)
		}
	}
}

func TestBackoffSuccessClearsAndNeverCounts(t *testing.T) {
	clk := newFakeClock()
	b := NewBackoff(BackoffConfig{Free: 2, Now: clk.Now})
	for range 100 {
		a, _, ok := b.Begin("k")
		if !ok {
			t.Fatal("a key that only succeeds was refused")
		}
		a.Succeed()
	}
	for range 2 {
		a, _, _ := b.Begin("k")
		a.Fail()
	}
	if _, _, ok := b.Begin("k"); ok {
		t.Fatal("not waiting after the free failures")
	}
	if _, _, ok := b.Begin("other"); !ok {
		t.Fatal("keys share state")
	}
	clk.Advance(time.Minute)
	a, _, ok := b.Begin("k")
	if !ok {
		t.Fatal("refused after the wait")
	}
	a.Succeed()
	for range 2 {
		a, _, ok := b.Begin("k")
		if !ok {
			t.Fatal("success did not clear the key")
		}
		a.Fail()
	}
}

func TestBackoffForgetsAndCancels(t *testing.T) {
	clk := newFakeClock()
	b := NewBackoff(BackoffConfig{Free: 1, Base: time.Minute, Max: 10 * time.Minute, Forget: time.Hour, Now: clk.Now, MaxKeys: 4})
	a, _, _ := b.Begin("k")
	a.Fail()
	if _, _, ok := b.Begin("k"); ok {
		t.Fatal("no wait")
	}
	clk.Advance(time.Hour)
	a, _, ok := b.Begin("k")
	if !ok {
		t.Fatal("an idle key was not forgotten")
	}
	a.Cancel() // an internal error: no failure recorded
	if a, _, ok = b.Begin("k"); !ok {
		t.Fatal("a cancelled attempt counted as a failure")
	}
	a.Cancel()
	for i := range 100 {
		b.Begin(fmt.Sprint("flood:", i))
		if b.Len() > 4 {
			t.Fatalf("Len %d exceeds the bound", b.Len())
		}
	}
}

// TestBackoffParallelAttempts: attempts in flight count, so parallel requests cannot run
// more than Free attempts before the first failure is recorded.
func TestBackoffParallelAttempts(t *testing.T) {
	clk := newFakeClock()
	b := NewBackoff(BackoffConfig{Free: 5, Now: clk.Now})
	var mu sync.Mutex
	var begun []Attempt
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if a, _, ok := b.Begin("k"); ok {
				mu.Lock()
				begun = append(begun, a)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(begun) != 5 {
		t.Fatalf("%d attempts in flight, want 5", len(begun))
	}
	for _, a := range begun {
		a.Fail()
	}
	if _, _, ok := b.Begin("k"); ok {
		t.Fatal("no wait after five failures")
	}
}

func TestLimiterReserveRefund(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(time.Minute, 3, clk.Now)
	for range 10 {
		refund, ok := l.Reserve("k")
		if !ok {
			t.Fatal("refunded reservations used up the bucket")
		}
		refund()
	}
	for range 3 {
		if _, ok := l.Reserve("k"); !ok {
			t.Fatal("burst refused")
		}
	}
	if _, ok := l.Reserve("k"); ok {
		t.Fatal("kept reservations did not use up the bucket")
	}
	if l.Allow("k") {
		t.Fatal("Allow and Reserve do not share the bucket")
	}
}

func TestKeySet(t *testing.T) {
	clk := newFakeClock()
	s := NewKeySet(time.Hour, 2, clk.Now)
	s.Add("a")
	if !s.Has("a") || s.Has("b") {
		t.Fatal("membership")
	}
	clk.Advance(59 * time.Minute)
	if !s.Has("a") {
		t.Fatal("forgotten early")
	}
	clk.Advance(time.Minute)
	if s.Has("a") {
		t.Fatal("not forgotten after ttl")
	}
	s.Add("a")
	s.Add("b")
	s.Add("c")
	if s.Has("a") || !s.Has("b") || !s.Has("c") {
		t.Fatal("bound: the oldest key should go")
	}
}
