package realtime

import "github.com/tidings-health/tidings/internal/store"

// Notify, ListenUp and ListenDown play the LISTEN connection (Listen) for the tests of what
// parked streams make of notifications, whatever the database.
func (h *Hub) Notify(e store.MessageEvent) { h.notify(e) }
func (h *Hub) ListenUp()                   { h.listenUp() }
func (h *Hub) ListenDown()                 { h.listenDown() }
