package messaging

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// Watcher decides which events a staff member's stream sends them (MSG-6): only those of
// conversations they may read. A stream follows every clinic of the organisation, and an
// event names no content, but its ids and its time still say that a patient is writing
// to the clinic, and to whom: a receptionist of a clinic that does not let reception
// triage, or a professional not on the clinic's list of those who answer, does not get
// them, as they cannot open the conversation.
//
// A Watcher keeps its answers for watchFor, so that a stream asks the database once per
// conversation rather than per event; an event that changes who may read the
// conversation (assigned, handed over) is decided afresh. A change of the clinic's lists
// or of the user's role reaches an open stream within watchFor. It is safe for concurrent
// use (a parked stream is written by the hub's workers).
type Watcher struct {
	s     *Service
	actor clinic.Actor
	mu    sync.Mutex
	seen  map[int64]watched
}

// watched is one decision of a Watcher, and when it was made.
type watched struct {
	sees bool
	at   time.Time
}

const (
	// watchFor is how long a Watcher keeps a decision.
	watchFor = 30 * time.Second
	// watchMax bounds a Watcher's decisions; past it they are all forgotten at once (a
	// stream open for days over an organisation's many conversations).
	watchMax = 4096
)

// Watch returns the watcher of actor's stream (a staff member's; a patient's stream
// follows only their own conversations already: store.EventFilter).
func (s *Service) Watch(actor clinic.Actor) *Watcher {
	return &Watcher{s: s, actor: actor, seen: map[int64]watched{}}
}

// Sees reports whether the watcher's viewer may read the conversation of event e: whether
// their stream sends e. It reads no message and is not audited (Read, which shows one,
// is).
//
// Errors: the store's. The caller chooses: the dashboard's stream sends the event then,
// since it carries ids only and the page reads the rest through the use cases, while a
// message a professional never hears of is a patient left waiting.
func (w *Watcher) Sees(ctx context.Context, e store.MessageEvent) (bool, error) {
	now := w.s.db.Now()
	w.mu.Lock()
	d, ok := w.seen[e.ConversationID]
	w.mu.Unlock()
	if ok && e.Kind != store.EventAssigned && e.Kind != store.EventHandover && now.Sub(d.at) < watchFor {
		return d.sees, nil
	}
	sees := true
	err := w.s.db.View(ctx, func(tx *store.Tx) error {
		_, _, _, err := w.s.load(ctx, tx, w.actor, e.ConversationID)
		return err
	})
	switch {
	case errors.Is(err, clinic.ErrNotFound) || errors.Is(err, clinic.ErrForbidden):
		sees = false
	case err != nil:
		return false, err
	}
	w.mu.Lock()
	if len(w.seen) >= watchMax {
		clear(w.seen)
	}
	w.seen[e.ConversationID] = watched{sees: sees, at: now}
	w.mu.Unlock()
	return sees, nil
}
