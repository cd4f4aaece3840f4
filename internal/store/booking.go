package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// EventKind names what happened to an appointment.
type EventKind string

// Appointment event kinds.
const (
	EventBooked      EventKind = "booked"
	EventRescheduled EventKind = "rescheduled"
	EventCancelled   EventKind = "cancelled"
	EventStatus      EventKind = "status"
)

// AppointmentEvent records a change for the notification work (NOT-1).
type AppointmentEvent struct {
	ID            int64
	AppointmentID clinic.AppointmentID
	Kind          EventKind
	Status        clinic.Status
	PreviousStart *time.Time
	Actor         string
	// Reason is why it happened, in the words of the person who did it: the reason given
	// for a cancellation; "" when none was given.
	Reason string
	// Late marks a patient's cancellation inside the clinic's late-cancellation fee window
	// (POR-3), for staff to assess the fee.
	Late bool
	At   time.Time
}

// RecordEvent writes an appointment event in the transaction of the change.
//
// Errors: clinic.ErrNotFound when e.AppointmentID is not one of org's appointments;
// clinic.ErrInvalid when e.Kind is not one of the EventKind constants.
func (tx Appointments) RecordEvent(ctx context.Context, org clinic.OrgID, e AppointmentEvent) error {
	_, err := tx.q.exec(ctx, `INSERT INTO appointment_events (organisation_id, appointment_id, kind, status, previous_start, actor, reason, late, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, org, e.AppointmentID, e.Kind, e.Status, e.PreviousStart, e.Actor, e.Reason, e.Late, tx.Now)
	if err != nil {
		return fmt.Errorf("record %s event of appointment %d: %w", e.Kind, e.AppointmentID, err)
	}
	return nil
}

// AppointmentEvents lists an appointment's events, oldest first.
//
// Errors: none of its own (an unknown appointment has no events).
func (tx Appointments) AppointmentEvents(ctx context.Context, org clinic.OrgID, id clinic.AppointmentID) ([]AppointmentEvent, error) {
	return collect(ctx, tx, func(r row) (AppointmentEvent, error) {
		var e AppointmentEvent
		err := r.Scan(&e.ID, &e.AppointmentID, &e.Kind, &e.Status, &e.PreviousStart, &e.Actor, &e.Reason, &e.Late, &e.At)
		return e, err
	}, `SELECT id, appointment_id, kind, status, previous_start, actor, reason, late, at FROM appointment_events
		WHERE organisation_id = $1 AND appointment_id = $2 ORDER BY id`, org, id)
}

// IdempotentResponse is a stored answer to a request made with an Idempotency-Key.
type IdempotentResponse struct {
	RequestHash []byte
	Status      int
	Body        []byte
}

// IdempotentLookup returns the stored response for (actor, key).
//
// Errors: clinic.ErrNotFound when none is stored.
func (tx Appointments) IdempotentLookup(ctx context.Context, org clinic.OrgID, actor, key string) (IdempotentResponse, error) {
	var r IdempotentResponse
	err := tx.q.queryRow(ctx, `SELECT request_hash, status, response FROM idempotency_keys WHERE organisation_id = $1 AND actor = $2 AND key = $3`,
		org, actor, key).Scan(&r.RequestHash, &r.Status, &r.Body)
	return r, err
}

// IdempotentStore keeps a response for (actor, key).
//
// Errors: clinic.ErrConflict when a response for (actor, key) is already stored (a
// concurrent request with the same key won).
func (tx Appointments) IdempotentStore(ctx context.Context, org clinic.OrgID, actor, key string, r IdempotentResponse) error {
	_, err := tx.q.exec(ctx, `INSERT INTO idempotency_keys (organisation_id, actor, key, request_hash, status, response, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, org, actor, key, r.RequestHash, r.Status, r.Body, tx.Now)
	return err
}

// DeleteIdempotencyKeysBefore forgets keys older than t (they are kept a day) and reports
// how many.
//
// Errors: none of its own.
func (tx Appointments) DeleteIdempotencyKeysBefore(ctx context.Context, t time.Time) (int64, error) {
	return tx.q.exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, t)
}

// Savepoint runs fn so that its failure undoes only its own statements and leaves the
// transaction usable: on PostgreSQL a failed statement otherwise aborts the whole
// transaction. "No preference" booking tries agendas one after the other this way.
//
// Errors: fn's error, unchanged, once its statements are undone; or the error of the
// SAVEPOINT, ROLLBACK TO or RELEASE statement itself (joined with fn's).
func (tx *Tx) Savepoint(ctx context.Context, fn func() error) error {
	tx.savepoints++
	name := fmt.Sprintf("sp_%d", tx.savepoints)
	if _, err := tx.q.exec(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	events, later := len(tx.events), len(tx.later)
	if err := fn(); err != nil {
		// Undone too: they were to be written at commit.
		clear(tx.events[events:])
		tx.events = tx.events[:events]
		clear(tx.later[later:])
		tx.later = tx.later[:later]
		if _, rerr := tx.q.exec(ctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rerr))
		}
		return err
	}
	if _, err := tx.q.exec(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}
