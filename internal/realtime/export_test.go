package realtime

import (
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// Notify, ListenUp and ListenDown play the LISTEN connection (Listen) for the tests of what
// parked streams make of notifications, whatever the database.
func (h *Hub) Notify(e store.MessageEvent) { h.notify(e) }
func (h *Hub) ListenUp()                   { h.listenUp() }
func (h *Hub) ListenDown()                 { h.listenDown() }

// Online reports whether this process holds an open stream of the patient's: the tests'
// view of the hub's index, and of the sweep (a parked stream whose browser has gone
// since the last sweep does not count). The message alert does not ask it: its "online"
// is having read the message (messaging.AlertConfig.Delay), the same on every instance.
func (h *Hub) Online(org clinic.OrgID, p clinic.PatientID) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.byPatient[patientKey{org, p}] {
		if s.parked == nil || !s.parked.gone() {
			return true
		}
	}
	return false
}
