package auth

import (
	"container/list"
	"time"
)

// table is a map of per-key state bounded in memory: an entry untouched for idle is
// dropped, and beyond max entries the least recently used one is evicted. It is not safe
// for concurrent use; its owner holds a lock.
type table[V any] struct {
	idle time.Duration
	max  int
	keys map[string]*list.Element // values are *tableEntry[V]
	lru  *list.List               // front = most recently used
}

type tableEntry[V any] struct {
	key      string
	val      V
	lastSeen time.Time
}

func newTable[V any](idle time.Duration, max int) *table[V] {
	return &table[V]{idle: idle, max: max, keys: make(map[string]*list.Element), lru: list.New()}
}

// get returns key's value, touching it, or creates it with mk when absent and mk is not nil.
func (t *table[V]) get(key string, now time.Time, mk func() V) (V, bool) {
	t.expire(now)
	if el, ok := t.keys[key]; ok {
		e := el.Value.(*tableEntry[V])
		e.lastSeen = now
		t.lru.MoveToFront(el)
		return e.val, true
	}
	if mk == nil {
		var zero V
		return zero, false
	}
	for len(t.keys) >= t.max {
		t.remove(t.lru.Back())
	}
	e := &tableEntry[V]{key: key, val: mk(), lastSeen: now}
	t.keys[key] = t.lru.PushFront(e)
	return e.val, true
}

// peek returns key's value without touching it.
func (t *table[V]) peek(key string, now time.Time) (V, bool) {
	t.expire(now)
	if el, ok := t.keys[key]; ok {
		return el.Value.(*tableEntry[V]).val, true
	}
	var zero V
	return zero, false
}

func (t *table[V]) delete(key string) {
	if el, ok := t.keys[key]; ok {
		t.remove(el)
	}
}

func (t *table[V]) len() int { return len(t.keys) }

// expire drops entries idle for t.idle, looking only at the tail (amortised O(1)).
func (t *table[V]) expire(now time.Time) {
	for el := t.lru.Back(); el != nil; el = t.lru.Back() {
		if now.Sub(el.Value.(*tableEntry[V]).lastSeen) < t.idle {
			return
		}
		t.remove(el)
	}
}

func (t *table[V]) remove(el *list.Element) {
	delete(t.keys, el.Value.(*tableEntry[V]).key)
	t.lru.Remove(el)
}
