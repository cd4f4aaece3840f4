// Package realtime delivers secure messaging's events to open pages (MSG-4) as Server-Sent
// Events. A Hub fans each committed event out to this process's streams, indexed by clinic
// and by patient; on PostgreSQL every instance LISTENs to the channel the store NOTIFYs in
// the event's own transaction, so a message sent through one instance reaches streams held
// by all. Events carry ids and a kind only; a page renders what its viewer may see through
// the use cases.
//
// A stream never depends on the hub for completeness: it starts by replaying from the
// database what came after the client's Last-Event-ID, and whenever the hub could not keep
// up with it (its buffer full, the LISTEN connection lost) it replays again from the last
// id it sent. The hub only makes delivery fast. On PostgreSQL a notification carries the
// whole event, and a parked stream that has read the database since the LISTEN connection
// came up sends it as it comes, without reading again: an organisation's events commit in
// the order of their ids (store.AddMessageEvent) and every one is notified, so what such a
// stream follows is either in what it read or notified after, in order.
package realtime

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// Channel is the PostgreSQL notification channel of message events (store.AddMessageEvent).
const Channel = "tidings_messages"

type clinicKey struct {
	org clinic.OrgID
	id  clinic.ClinicID
}

type patientKey struct {
	org clinic.OrgID
	id  clinic.PatientID
}

// Sub is one stream's subscription.
type Sub struct {
	Org      clinic.OrgID
	Filter   store.EventFilter
	C        chan store.MessageEvent
	behind   atomic.Bool
	hub      *Hub
	released bool
	parked   *parked // set (under the hub's lock) once the stream is parked: woken directly
}

// Behind reports (and clears) whether the hub dropped an event for this stream since the
// last call: the stream must replay from the database.
func (s *Sub) Behind() bool { return s.behind.Swap(false) }

// Close removes the subscription.
func (s *Sub) Close() { s.hub.remove(s) }

// Hub fans events out to subscriptions.
type Hub struct {
	mu        sync.RWMutex
	byClinic  map[clinicKey]map[*Sub]struct{}
	byPatient map[patientKey]map[*Sub]struct{}
	all       map[*Sub]struct{}
	log       *slog.Logger
	buffer    int
	done      chan struct{}
	closeOnce sync.Once

	// Parked streams (park.go): the hub's workers write to them.
	ctx       context.Context // ends with Close: bounds the workers' reads
	cancel    context.CancelFunc
	parked    map[*parked]struct{} // guarded by mu
	startOnce sync.Once
	qmu       sync.Mutex
	qcond     *sync.Cond
	queue     []*parked // guarded by qmu

	// listening is set while the LISTEN connection is up (PostgreSQL); epoch counts its
	// ups and downs. A parked stream takes a notified event as it comes, without reading,
	// only when it last read the database in the current epoch (notify).
	listening atomic.Bool
	epoch     atomic.Uint64
}

// Close ends every stream served over the hub's subscriptions (the server is shutting
// down: browsers reconnect, to this instance once it is back or to another one), parked
// ones included: the HTTP server no longer knows their connections.
func (h *Hub) Close() {
	h.closeOnce.Do(func() {
		close(h.done)
		h.cancel()
		h.qmu.Lock()
		h.qcond.Broadcast()
		h.qmu.Unlock()
		for _, p := range h.parkedNow(nil) {
			p.close()
		}
	})
}

// parkedNow appends the parked streams to ps: the sweep and Close act on them outside the
// hub's lock (closing one takes it).
func (h *Hub) parkedNow(ps []*parked) []*parked {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for p := range h.parked {
		ps = append(ps, p)
	}
	return ps
}

// New returns an empty hub; each stream buffers up to buffer events (1 when 0: Serve
// takes an event as a wake-up and reads what to send from the database, so one pending
// event wakes it as well as many, and each buffered event costs memory on every open
// stream: 64 of them were a third of a stream's heap).
func New(log *slog.Logger, buffer int) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if buffer <= 0 {
		buffer = 1
	}
	h := &Hub{byClinic: map[clinicKey]map[*Sub]struct{}{}, byPatient: map[patientKey]map[*Sub]struct{}{}, all: map[*Sub]struct{}{},
		log: log, buffer: buffer, done: make(chan struct{}), parked: map[*parked]struct{}{}}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.qcond = sync.NewCond(&h.qmu)
	return h
}

// park adopts p: from now on the hub's events wake it directly, its workers write to it
// and its sweeper closes it when its browser has gone. An event published while the replay
// was being sent is still in the subscription's buffer: it wakes the stream at once.
func (h *Hub) park(p *parked) {
	h.startOnce.Do(h.start)
	h.mu.Lock()
	select {
	case <-h.done:
		h.mu.Unlock()
		p.conn.Close()
		h.remove(p.src.Sub)
		return
	default:
	}
	p.src.Sub.parked = p
	h.parked[p] = struct{}{}
	h.mu.Unlock()
	pending := p.src.Sub.Behind()
	select {
	case <-p.src.Sub.C:
		pending = true
	default:
	}
	if pending {
		p.wake(wakeEvents)
	}
}

// unpark forgets a closed parked stream and its subscription.
func (h *Hub) unpark(p *parked) {
	h.mu.Lock()
	delete(h.parked, p)
	h.mu.Unlock()
	h.remove(p.src.Sub)
}

// start runs the workers and the sweeper of parked streams until Close.
func (h *Hub) start() {
	for range workers {
		go h.work()
	}
	go h.sweep()
}

func (h *Hub) enqueue(p *parked) {
	h.qmu.Lock()
	h.queue = append(h.queue, p)
	h.qmu.Unlock()
	h.qcond.Signal()
}

func (h *Hub) work() {
	for {
		h.qmu.Lock()
		for len(h.queue) == 0 && h.ctx.Err() == nil {
			h.qcond.Wait()
		}
		if h.ctx.Err() != nil {
			h.qmu.Unlock()
			return
		}
		p := h.queue[0]
		h.queue[0] = nil
		h.queue = h.queue[1:]
		h.qmu.Unlock()
		p.run()
	}
}

// sweep closes, every sweepEvery, the parked streams whose browser has gone (so that they
// do not count as online, nor hold their connection until a write fails), and wakes those
// whose heartbeat is due.
func (h *Hub) sweep() {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	var ps []*parked
	for {
		select {
		case <-h.done:
			return
		case <-t.C:
		}
		ps = h.parkedNow(ps[:0])
		now := time.Now().UnixNano()
		for _, p := range ps {
			switch {
			case p.gone():
				p.close()
			case now >= p.nextBeat.Load():
				p.wake(wakeBeat)
			}
		}
		clear(ps)
	}
}

// Subscribe opens a subscription to org's events that f follows.
func (h *Hub) Subscribe(org clinic.OrgID, f store.EventFilter) *Sub {
	s := &Sub{Org: org, Filter: f, C: make(chan store.MessageEvent, h.buffer), hub: h}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.all[s] = struct{}{}
	for _, c := range f.ClinicIDs {
		k := clinicKey{org, c}
		if h.byClinic[k] == nil {
			h.byClinic[k] = map[*Sub]struct{}{}
		}
		h.byClinic[k][s] = struct{}{}
	}
	for _, p := range f.PatientIDs {
		k := patientKey{org, p}
		if h.byPatient[k] == nil {
			h.byPatient[k] = map[*Sub]struct{}{}
		}
		h.byPatient[k][s] = struct{}{}
	}
	return s
}

func (h *Hub) remove(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.released {
		return
	}
	s.released = true
	delete(h.all, s)
	for _, c := range s.Filter.ClinicIDs {
		k := clinicKey{s.Org, c}
		delete(h.byClinic[k], s)
		if len(h.byClinic[k]) == 0 {
			delete(h.byClinic, k)
		}
	}
	for _, p := range s.Filter.PatientIDs {
		k := patientKey{s.Org, p}
		delete(h.byPatient[k], s)
		if len(h.byPatient[k]) == 0 {
			delete(h.byPatient, k)
		}
	}
}

// Publish hands an event the use case has just committed to the streams that follow its
// clinic or its patient, without waiting: a stream whose buffer is full is marked behind
// and replays. A parked stream reads what came from the database; while the LISTEN
// connection is up (PostgreSQL) it is left to the event's notification instead, which
// follows within a few milliseconds and carries the whole event (notify): the use cases of
// one process publish in no particular order, notifications come in the order of the
// events' ids.
func (h *Hub) Publish(e store.MessageEvent) { h.route(e, false) }

// notify hands the streams an event from its notification (Listen), in commit order. A
// parked stream that last read the database while this LISTEN connection was up takes it as
// it comes: an organisation's events commit in the order of their ids and are all
// notified, so every event the stream follows is either in what it read or notified after.
func (h *Hub) notify(e store.MessageEvent) { h.route(e, e.Kind != "") }

// route hands e to the streams that follow its clinic or its patient; whole says that e is
// a notified event complete enough for a parked stream to send as it is.
func (h *Hub) route(e store.MessageEvent, whole bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	listening := h.listening.Load()
	seen := map[*Sub]bool{}
	send := func(set map[*Sub]struct{}) {
		for s := range set {
			if seen[s] {
				continue
			}
			seen[s] = true
			if p := s.parked; p != nil {
				switch {
				case whole:
					p.deliver(e)
				case listening:
					// Its notification brings it.
				case e.ID == 0 || e.ID > p.last.Load():
					// The read that reached id N saw every event below N.
					p.wake(wakeEvents)
				}
				continue
			}
			select {
			case s.C <- e:
			default:
				s.behind.Store(true)
			}
		}
	}
	send(h.byClinic[clinicKey{e.OrgID, e.ClinicID}])
	send(h.byPatient[patientKey{e.OrgID, e.PatientID}])
}

// trusted reports whether a stream that last read the database in epoch may take notified
// events as they come.
func (h *Hub) trusted(epoch uint64) bool { return h.listening.Load() && h.epoch.Load() == epoch }

// listenUp and listenDown record the LISTEN connection's state; both make every stream
// read what came (what was notified while it was down is only in the database).
func (h *Hub) listenUp() {
	h.epoch.Add(1)
	h.listening.Store(true)
	h.behindAll()
}

func (h *Hub) listenDown() {
	h.listening.Store(false)
	h.epoch.Add(1)
	h.behindAll()
}

// Streams counts the open subscriptions (the bench's and the status page's figure).
func (h *Hub) Streams() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.all)
}

// behindAll marks every stream behind (the LISTEN connection was lost: what was notified
// meanwhile is only in the database).
func (h *Hub) behindAll() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.all {
		s.behind.Store(true)
		if s.parked != nil {
			s.parked.wake(wakeEvents)
			continue
		}
		select {
		case s.C <- store.MessageEvent{}: // wake the stream to replay
		default:
		}
	}
}

// Listen relays PostgreSQL's notifications of message events to the hub until ctx ends,
// reconnecting after a lost connection (and making every stream replay). On SQLite, where
// the use cases publish after commit themselves, it only waits for ctx to end: serve runs
// it as a component, and a component that returns early stops the server.
func (h *Hub) Listen(ctx context.Context, db *store.DB) error {
	pool := db.PgxPool()
	if db.Dialect() != store.Postgres || pool == nil {
		<-ctx.Done()
		return nil
	}
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := h.listen(ctx, pool)
		if ctx.Err() != nil {
			return nil
		}
		h.log.Error("message events: LISTEN connection lost", "err", err)
		h.listenDown()
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
	return nil
}

func (h *Hub) listen(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	// Anything committed before LISTEN took effect is in the database: replay.
	h.listenUp()
	defer h.listening.Store(false)
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				_, _ = conn.Exec(context.Background(), "UNLISTEN "+Channel)
			}
			return err
		}
		e, err := store.DecodeEvent(n.Payload)
		if err != nil {
			// An event the streams cannot take: they read what came instead.
			h.log.Error("message events: bad notification", "err", err)
			h.behindAll()
			continue
		}
		h.notify(e)
	}
}
