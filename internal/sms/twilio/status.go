package twilio

// Status is a message's delivery status as Twilio names it.
type Status string

// The statuses of an outbound message, in the order they happen. A message goes
// accepted/scheduled (messaging services only) → queued → sending → sent → one final status.
const (
	StatusAccepted    Status = "accepted"
	StatusScheduled   Status = "scheduled"
	StatusQueued      Status = "queued"
	StatusSending     Status = "sending"
	StatusSent        Status = "sent"
	StatusDelivered   Status = "delivered"
	StatusUndelivered Status = "undelivered"
	StatusFailed      Status = "failed"
	StatusCanceled    Status = "canceled"
	StatusRead        Status = "read" // after delivered, on channels with read receipts
	StatusReceived    Status = "received"
	StatusReceiving   Status = "receiving"
)

// rank orders the statuses of an outbound message; 0 is unknown. The final statuses share a
// rank so that none replaces another: once a carrier has said "delivered", a late
// "undelivered" for the same message is a stale or contradictory report, and the first final
// word stands. read is the one status after a final one.
func (s Status) rank() int {
	switch s {
	case StatusAccepted, StatusScheduled:
		return 1
	case StatusQueued:
		return 2
	case StatusSending:
		return 3
	case StatusSent:
		return 4
	case StatusDelivered, StatusUndelivered, StatusFailed, StatusCanceled:
		return 5
	case StatusRead:
		return 6
	}
	return 0
}

// Known reports whether s is a status of an outbound message this package orders.
func (s Status) Known() bool { return s.rank() > 0 }

// Final reports whether no later status is expected (other than read).
func (s Status) Final() bool { return s.rank() >= 5 }

// Replaces reports whether a callback's status s may overwrite the stored one. Status
// callbacks arrive more than once and out of order, so a status only ever moves forward:
// a duplicate, an earlier status, and anything after a final status (except read) are
// ignored. An unknown callback status never replaces; a stored status that is empty or
// unknown is replaced by any known one.
func (s Status) Replaces(stored Status) bool {
	return s.rank() > stored.rank()
}
