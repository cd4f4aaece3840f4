package booking

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/input"
	"github.com/tidings-health/tidings/internal/store"
)

// The window around now in which appointments and absences may be recorded: a clinic
// records the past year (a visit entered late) and books up to ten years ahead (the staff
// horizon); anything further is a typing mistake, refused with the field's name.
const (
	maxPast  = 366 * 24 * time.Hour
	maxAhead = staffHorizon * 24 * time.Hour
)

// allow checks that actor holds p, the permission a use case needs beyond its route's.
func allow(actor clinic.Actor, p clinic.Permission, what string) error {
	if actor.Can(p) {
		return nil
	}
	return fmt.Errorf("%s: %s needs %s: %w", what, actor.Label, p, clinic.ErrForbidden)
}

// Idempotency makes a retried booking safe: the first successful answer to (actor, Key) is
// kept for a day with a hash of the request, and a retry with the same key and request gets
// it again instead of booking twice; the same key with another request is refused.
type Idempotency struct {
	Key    string
	Hash   []byte                       // of the whole request
	Encode func(Booked) ([]byte, error) // the answer kept for retries
}

// Booked is the outcome of Book. With Idempotency, Body is the answer to send (the kept one
// on a replay, when Replayed is true and Appointment is zero).
type Booked struct {
	Appointment clinic.Appointment
	// SameDay are the patient's other active appointments at the clinic that local day,
	// for a staff or token booking (booked with Request.AllowSameDay): a surface that does
	// not ask first (the API) says so in its answer.
	SameDay  []clinic.Appointment
	Status   int
	Body     []byte
	Replayed bool
}

// Book books r for actor (POR-4), with the appointment event and the audit row in the same
// transaction. Staff and tokens need the permission to book; a patient books online, for
// themselves or a relative they manage, under the clinic's online rules; the system (sync)
// books as it is told.
//
// Errors: clinic.ErrForbidden; ErrNotAvailable (409) when the slot is not free; a
// *HoursError or a *SameDayError (409, joined when both apply) when a staff or token booking
// needs confirming (Request.AllowOutsideHours, Request.AllowSameDay); *clinic.ValidationError
// naming the field; clinic.ErrConflict when a concurrent request with the same idempotency
// key is still running.
func (s *Service) Book(ctx context.Context, actor clinic.Actor, r Request, idem *Idempotency) (Booked, error) {
	switch actor.Kind {
	case clinic.ActorPatient:
		if !actor.Reaches(r.PatientID) {
			return Booked{}, clinic.Invalid("patient_id", "does not exist")
		}
		r.Online, r.BookedBy = true, clinic.BookedByPatient
	default:
		if err := allow(actor, clinic.PermWriteSchedule, "book"); err != nil {
			return Booked{}, err
		}
		switch {
		case r.BookedBy == clinic.BookedByPatient:
			return Booked{}, clinic.Invalid("booked_by", "must be staff")
		case r.BookedBy == clinic.BookedBySync && actor.Kind != clinic.ActorSystem:
			// A synced appointment may overlap others (the PMS is the record): only the
			// sync itself may say an appointment comes from the clinical software, or a
			// token could double-book by claiming it.
			return Booked{}, clinic.Invalid("booked_by", "must be staff: appointments from the clinical software come through the sync")
		}
	}
	var out Booked
	attempt := func() error {
		out = Booked{}
		return s.db.Update(ctx, func(tx *store.Tx) error {
			if idem != nil && idem.Key != "" {
				prev, err := tx.Appointments().IdempotentLookup(ctx, actor.OrgID, actor.Label, idem.Key)
				if err == nil {
					if !bytes.Equal(prev.RequestHash, idem.Hash) {
						return clinic.Invalid("Idempotency-Key", "was already used with a different request")
					}
					out = Booked{Status: prev.Status, Body: prev.Body, Replayed: true}
					return nil
				}
				if !errors.Is(err, clinic.ErrNotFound) {
					return err
				}
			}
			a, others, err := s.bookTx(ctx, tx, actor, r)
			if err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, actor, "appointment.create", a.PatientID); err != nil {
				return err
			}
			out = Booked{Appointment: a, SameDay: others, Status: http.StatusCreated}
			if idem == nil || idem.Key == "" {
				return nil
			}
			if out.Body, err = idem.Encode(out); err != nil {
				return err
			}
			return tx.Appointments().IdempotentStore(ctx, actor.OrgID, actor.Label, idem.Key,
				store.IdempotentResponse{RequestHash: idem.Hash, Status: out.Status, Body: out.Body})
		})
	}
	err := attempt()
	if idem != nil && idem.Key != "" && errors.Is(err, clinic.ErrConflict) {
		// Perhaps a concurrent request with the same key booked first (the slot or the
		// key was taken under us): once more, the lookup then replays its answer; a
		// genuine conflict just fails again.
		err = attempt()
	}
	return out, err
}

// change runs one change of an existing appointment for actor: the appointment is read
// first (another organisation's, or for a patient anyone else's, is "not found"), then the
// permission is checked, then f makes the change; the audit row commits with it.
func (s *Service) change(ctx context.Context, actor clinic.Actor, c Change, action string, perm clinic.Permission,
	f func(tx *store.Tx, a clinic.Appointment, c Change) (clinic.Appointment, error)) (clinic.Appointment, error) {
	var out clinic.Appointment
	c.actor, c.asks = actor.Label, asks(actor)
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		a, err := tx.Appointments().Appointment(ctx, actor.OrgID, c.ID)
		if err != nil {
			return err
		}
		if actor.Kind == clinic.ActorPatient {
			if !actor.Reaches(a.PatientID) {
				return fmt.Errorf("appointment %d: %w", c.ID, clinic.ErrNotFound)
			}
			c.online = true
		} else if err := allow(actor, perm, action); err != nil {
			return err
		}
		if out, err = f(tx, a, c); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, action, a.PatientID)
	})
	return out, err
}

// Reschedule moves an appointment to start (and agenda, when not 0) atomically, for actor:
// staff with the permission to book, or the patient online within the clinic's rules. A
// staff or token move outside the agenda's working hours or off the grid needs
// c.AllowOutsideHours.
//
// Errors: clinic.ErrNotFound; clinic.ErrForbidden; a *clinic.ConflictError for a stale
// version or a status that cannot move; ErrNotAvailable; a *HoursError (409) when the move
// needs confirming; *clinic.ValidationError.
func (s *Service) Reschedule(ctx context.Context, actor clinic.Actor, c Change, agenda clinic.AgendaID, start time.Time) (clinic.Appointment, error) {
	return s.change(ctx, actor, c, "appointment.reschedule", clinic.PermWriteSchedule, func(tx *store.Tx, _ clinic.Appointment, c Change) (clinic.Appointment, error) {
		return s.reschedule(ctx, tx, actor.OrgID, c, agenda, start)
	})
}

// Cancel cancels an appointment for actor: staff with the permission to book, or the
// patient online within the clinic's notice, when the status table allows it (before the
// patient arrives, and not after the appointment's day). c.Reason, optional, is kept on the
// cancellation event.
//
// Errors: clinic.ErrNotFound; clinic.ErrForbidden; a *TransitionError (409) when the
// status table refuses it; a *clinic.ConflictError for a stale version or, online, a change
// the clinic's rules refuse; *clinic.ValidationError (a reason too long, say).
func (s *Service) Cancel(ctx context.Context, actor clinic.Actor, c Change) (clinic.Appointment, error) {
	var v input.Checker
	reason := c.Reason
	v.Text("reason", &reason, &c.Reason, false, false, MaxCancelReason)
	c.Problems = append(slices.Clip(c.Problems), v.Fields...)
	return s.change(ctx, actor, c, "appointment.cancel", clinic.PermWriteSchedule, func(tx *store.Tx, _ clinic.Appointment, c Change) (clinic.Appointment, error) {
		return s.setStatus(ctx, tx, actor.OrgID, c, clinic.StatusCancelled)
	})
}

// SetStatus sets an appointment's status for actor, when the status table allows it on the
// appointment's day (CheckStatus). Marking attendance needs the status permission; reinstating a
// cancelled appointment (which books its slot again) needs the permission to book as well,
// whatever the surface. Cancelling is Cancel's, with its own permission: SetStatus refuses
// it, so that no surface offers a second way round that permission.
//
// Errors: clinic.ErrNotFound; clinic.ErrForbidden; a *TransitionError (409, the reason in
// words) when the status table refuses the change that day; a *clinic.ConflictError for a
// stale version; ErrNotAvailable when a reinstated appointment's time was taken;
// *clinic.ValidationError.
func (s *Service) SetStatus(ctx context.Context, actor clinic.Actor, c Change, to clinic.Status) (clinic.Appointment, error) {
	return s.change(ctx, actor, c, "appointment.status", clinic.PermSetStatus, func(tx *store.Tx, a clinic.Appointment, c Change) (clinic.Appointment, error) {
		switch {
		case clinic.HasField(c.Problems, "status"):
		case !to.Valid():
			c.Problems = append(c.Problems, clinic.FieldError{Field: "status", Reason: clinic.StatusReason})
		case to == clinic.StatusCancelled:
			// One way to cancel, with its own permission, on every surface.
			c.Problems = append(c.Problems, clinic.FieldError{Field: "status", Reason: "cannot be set to cancelled: cancel the appointment instead"})
		}
		if actor.Kind != clinic.ActorPatient && a.Status == clinic.StatusCancelled {
			if err := allow(actor, clinic.PermWriteSchedule, "reinstate"); err != nil {
				return a, err
			}
		}
		return s.setStatus(ctx, tx, actor.OrgID, c, to)
	})
}

// DetailsInput edits an appointment's details; moving, cancelling and status changes have
// their own use cases, which apply the booking rules. Version is the one read.
type DetailsInput struct {
	Note       *string `json:"note"`
	ExternalID *string `json:"external_id"`
	Version    *int64  `json:"version"`
}

// The limits of an appointment's details.
const (
	MaxNote       = 2000
	MaxExternalID = 100
)

// UpdateDetails changes an appointment's note or external id, if it is still at
// in.Version. It needs the permission to book.
//
// Errors: clinic.ErrNotFound; clinic.ErrForbidden; *clinic.ValidationError; a
// *clinic.ConflictError for a stale version.
func (s *Service) UpdateDetails(ctx context.Context, actor clinic.Actor, id clinic.AppointmentID, in DetailsInput) (clinic.Appointment, error) {
	c := Change{ID: id}
	var v input.Checker
	if in.Version != nil {
		c.Version = *in.Version
	}
	var note, ext string
	v.Note("note", in.Note, &note, MaxNote)
	v.Text("external_id", in.ExternalID, &ext, false, false, MaxExternalID)
	c.Problems = v.Fields
	return s.change(ctx, actor, c, "appointment.update", clinic.PermWriteSchedule, func(tx *store.Tx, _ clinic.Appointment, c Change) (clinic.Appointment, error) {
		if c.online {
			return clinic.Appointment{}, fmt.Errorf("patients cannot edit an appointment's details: %w", clinic.ErrForbidden)
		}
		a, err := s.current(ctx, tx, actor.OrgID, c)
		if err != nil {
			return a, err
		}
		if in.Note != nil {
			a.Note = note
		}
		if in.ExternalID != nil {
			a.ExternalID = ext
		}
		return tx.Appointments().UpdateAppointment(ctx, actor.OrgID, a)
	})
}

// Allowed is what an actor may do to an appointment now, so that a surface offers exactly
// the actions the use cases accept: the same rules, read in one place.
type Allowed struct {
	Statuses []clinic.Status // SetStatus targets (never cancelled: Cancel cancels)
	Move     bool
	Cancel   bool
}

// Actions says what actor may do to a on day (DayOf the appointment, on its clinic's
// clock): the status table's changes for that day (CheckStatus), less those the actor's
// permissions or the appointment's origin refuse. It offers exactly what SetStatus and
// Cancel accept, so a button never leads to a refusal but for a change made meanwhile.
func Actions(actor clinic.Actor, a clinic.Appointment, day Day) Allowed {
	var out Allowed
	if actor.Kind == clinic.ActorPatient {
		return out // the portal offers its own, within the clinic's notice
	}
	write := actor.Can(clinic.PermWriteSchedule)
	synced := a.BookedBy == clinic.BookedBySync
	if actor.Can(clinic.PermSetStatus) {
		for _, to := range clinic.Statuses() {
			if to == clinic.StatusCancelled || CheckStatus(a.Status, to, day) != nil {
				continue
			}
			if a.Status == clinic.StatusCancelled && (!write || synced) {
				continue // reinstating books the slot again
			}
			if synced && !a.Status.Active() && to.Active() {
				continue // taking time back for a synced appointment is the PMS's
			}
			out.Statuses = append(out.Statuses, to)
		}
	}
	out.Move = write && a.Status.Upcoming() && !synced
	out.Cancel = write && CheckStatus(a.Status, clinic.StatusCancelled, day) == nil
	return out
}

// ConfirmTx marks appointments confirmed inside tx, for a patient's SMS reply (NOT-10): the
// caller (the inbound SMS use case) has matched the reply to the message that asked for it
// and keeps the reply and its answer in the same transaction. A booked appointment becomes
// confirmed, with its event; one already confirmed stays so and counts; any other (cancelled,
// arrived, past) is left alone. It returns the appointments confirmed or already confirmed.
func (s *Service) ConfirmTx(ctx context.Context, tx *store.Tx, actor clinic.Actor, ids []clinic.AppointmentID) ([]clinic.AppointmentID, error) {
	var out []clinic.AppointmentID
	for _, id := range ids {
		a, err := tx.Appointments().Appointment(ctx, actor.OrgID, id)
		if errors.Is(err, clinic.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		switch {
		case !a.Start.After(tx.Now):
			continue
		case a.Status == clinic.StatusConfirmed:
			out = append(out, id)
			continue
		case a.Status != clinic.StatusBooked:
			continue
		}
		if _, err := s.setStatus(ctx, tx, actor.OrgID, Change{ID: id, Version: a.Version, actor: actor.Label}, clinic.StatusConfirmed); err != nil {
			return nil, err
		}
		if err := audit.Record(ctx, tx, actor, "appointment.status", a.PatientID); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}
