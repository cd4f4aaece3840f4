package booking

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/input"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
)

// PlacerPrefix starts the id Tidings gives an appointment it writes back to the clinical
// software (SYN-5): "TID-" and the appointment's id. The software sends it back as the
// placer id of its own messages about the appointment, and SyncTx recognises the echo by
// it rather than booking the appointment twice.
const PlacerPrefix = "TID-"

// PlacerID is the id Tidings writes back for appointment id.
func PlacerID(id clinic.AppointmentID) string { return PlacerPrefix + strconv.FormatInt(int64(id), 10) }

// placerAppointment reads the appointment id of a placer id Tidings issued (0 when it is not one).
func placerAppointment(placer string) clinic.AppointmentID {
	rest, ok := strings.CutPrefix(placer, PlacerPrefix)
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != rest {
		return 0
	}
	return clinic.AppointmentID(n)
}

// SyncInput is an appointment as the clinical software has it, resolved to Tidings'
// records by the sync (agenda, reason and patient found).
type SyncInput struct {
	DatabaseID clinic.DatabaseID
	ExternalID string // the clinical software's id
	PlacerID   string // the placer id it sent: PlacerID(n) for an appointment Tidings wrote back
	PatientID  clinic.PatientID
	AgendaID   clinic.AgendaID
	ReasonID   clinic.ReasonID
	Start, End time.Time // End zero: the reason's duration
	Status     clinic.Status
	Note       string
	// Remove says the software no longer holds a booking (a waitlist entry or a blocked
	// slot now): an appointment held is cancelled, none is created.
	Remove bool
	// NoNotice books without a booking confirmation (an import of existing appointments):
	// reminders only.
	NoNotice bool
}

// The outcomes of SyncTx.
const (
	SyncCreated   = "created"
	SyncUpdated   = "updated"
	SyncUnchanged = "unchanged"
	SyncSkipped   = "skipped" // nothing to hold: a removal or cancellation of an appointment never held, or one older than Tidings keeps
)

// SyncTx writes the clinical software's record of an appointment in the caller's
// transaction (SYN-1): created when new, changed to match otherwise, with the events and
// notifications of each change (a move plans a reschedule notice, a cancellation a
// cancellation notice, exactly as a change made in the dashboard would) and one
// "appointment.sync" audit row. The clinical software is the record: its statuses are taken
// as sent, without the status table staff are held to, and its appointments may overlap
// (store.CreateAppointment). An appointment Tidings booked and wrote back is found by its
// placer id when the software first echoes it, and takes the software's id from then on.
// The caller orders the messages (store.Sync.Advance) and resolves the records.
//
// An appointment that started more than a year ago is skipped (history Tidings has no use
// for), one more than ten years ahead refused, like any booking.
//
// Errors: *clinic.ValidationError naming the field; clinic.ErrNotFound for a record of
// another organisation; ErrNotAvailable when an appointment booked in Tidings is echoed
// onto a time another Tidings booking holds.
func (s *Service) SyncTx(ctx context.Context, tx *store.Tx, actor clinic.Actor, in SyncInput) (clinic.Appointment, string, error) {
	org := actor.OrgID
	a, found, err := s.synced(ctx, tx, org, in)
	if err != nil {
		return a, "", err
	}
	if !found && (in.Remove || in.Start.IsZero() || in.AgendaID == 0 || in.Status == clinic.StatusCancelled && in.Start.Before(tx.Now)) {
		return a, SyncSkipped, nil
	}
	if in.Remove {
		in.Status = clinic.StatusCancelled
	}
	var v input.Checker
	if !in.Start.IsZero() {
		if !found && in.Start.Before(tx.Now.Add(-maxPast)) {
			return a, SyncSkipped, nil
		}
		if v.InYears("start", in.Start) {
			v.Within("start", in.Start, tx.Now, maxPast+maxAhead, maxAhead)
		}
	}
	note := in.Note
	v.Note("note", &note, &in.Note, MaxNote)
	v.Text("external_id", &in.ExternalID, &in.ExternalID, true, false, MaxExternalID)
	if !in.Status.Valid() {
		v.Add("status", clinic.StatusReason)
	}
	if err := v.Err(); err != nil {
		return a, "", err
	}
	want := a
	if !in.Start.IsZero() && in.AgendaID != 0 {
		reason, err := tx.Directory().Reason(ctx, org, in.ReasonID)
		if err != nil {
			return a, "", clinic.MissingReference("reason_id", err)
		}
		ag, err := tx.Directory().Agenda(ctx, org, in.AgendaID)
		if err != nil {
			return a, "", clinic.MissingReference("agenda_id", err)
		}
		end := in.End
		if end.IsZero() || !end.After(in.Start) {
			end = in.Start.Add(reason.Duration)
		}
		want.ClinicID, want.AgendaID, want.ReasonID = ag.ClinicID, ag.ID, reason.ID
		want.Start, want.End = in.Start.UTC().Truncate(time.Second), end.UTC().Truncate(time.Second)
	}
	if in.PatientID != 0 {
		want.PatientID = in.PatientID
	}
	want.Status, want.Note, want.ExternalID = in.Status, in.Note, in.ExternalID
	if !found {
		want.BookedBy = clinic.BookedBySync
		return s.createSynced(ctx, tx, actor, want, in.NoNotice)
	}
	return s.updateSynced(ctx, tx, actor, a, want)
}

// SyncedAppointment finds the appointment a sync input stands for, as SyncTx does: by the
// software's id, else by the placer id Tidings gave it when writing it back.
func (s *Service) SyncedAppointment(ctx context.Context, tx *store.Tx, org clinic.OrgID, in SyncInput) (clinic.Appointment, bool, error) {
	return s.synced(ctx, tx, org, in)
}

// synced finds the appointment in stands for: by the software's id, else by the placer id
// Tidings gave it when it wrote it back.
func (s *Service) synced(ctx context.Context, tx *store.Tx, org clinic.OrgID, in SyncInput) (clinic.Appointment, bool, error) {
	a, err := tx.Appointments().AppointmentByExternalID(ctx, org, in.DatabaseID, in.ExternalID)
	if err == nil || !errors.Is(err, clinic.ErrNotFound) {
		return a, err == nil, err
	}
	id := placerAppointment(in.PlacerID)
	if id == 0 {
		return a, false, nil
	}
	a, err = tx.Appointments().Appointment(ctx, org, id)
	if errors.Is(err, clinic.ErrNotFound) {
		return a, false, nil
	} else if err != nil {
		return a, false, err
	}
	cl, err := tx.Directory().Clinic(ctx, org, a.ClinicID)
	if err != nil {
		return a, false, err
	}
	if cl.DatabaseID != in.DatabaseID || a.ExternalID != "" && a.ExternalID != in.ExternalID {
		return a, false, nil // another database's, or echoed already under another id
	}
	return a, true, nil
}

func (s *Service) createSynced(ctx context.Context, tx *store.Tx, actor clinic.Actor, a clinic.Appointment, noNotice bool) (clinic.Appointment, string, error) {
	org := actor.OrgID
	created, err := tx.Appointments().CreateAppointment(ctx, org, a)
	if err != nil {
		return created, "", err
	}
	if err := tx.Appointments().RecordEvent(ctx, org, store.AppointmentEvent{AppointmentID: created.ID, Kind: store.EventBooked,
		Status: created.Status, Actor: actor.Label}); err != nil {
		return created, "", err
	}
	if created.Status.Active() {
		if err := notify.Plan(ctx, tx, org, notify.Change{Kind: notify.Booked, Appointment: created, NoNotice: noNotice}); err != nil {
			return created, "", err
		}
	}
	return created, SyncCreated, audit.Record(ctx, tx, actor, "appointment.sync", created.PatientID)
}

func (s *Service) updateSynced(ctx context.Context, tx *store.Tx, actor clinic.Actor, was, want clinic.Appointment) (clinic.Appointment, string, error) {
	org := actor.OrgID
	moved := want.AgendaID != was.AgendaID || !want.Start.Equal(was.Start) || !want.End.Equal(was.End)
	if !moved && want.Status == was.Status && want.Note == was.Note && want.ExternalID == was.ExternalID &&
		want.PatientID == was.PatientID && want.ReasonID == was.ReasonID {
		return was, SyncUnchanged, nil
	}
	updated, err := tx.Appointments().UpdateAppointment(ctx, org, want)
	if errors.Is(err, store.ErrSlotTaken) {
		return was, "", fmt.Errorf("sync appointment: %w", ErrNotAvailable)
	}
	if err != nil {
		return was, "", err
	}
	var plans []notify.ChangeKind
	if moved {
		prev := was.Start
		if err := tx.Appointments().RecordEvent(ctx, org, store.AppointmentEvent{AppointmentID: updated.ID, Kind: store.EventRescheduled,
			Status: updated.Status, PreviousStart: &prev, Actor: actor.Label}); err != nil {
			return updated, "", err
		}
		if updated.Status.Active() {
			plans = append(plans, notify.Rescheduled)
		}
	}
	if want.Status != was.Status {
		e := store.AppointmentEvent{AppointmentID: updated.ID, Kind: store.EventStatus, Status: updated.Status, Actor: actor.Label}
		switch {
		case updated.Status == clinic.StatusCancelled:
			e.Kind = store.EventCancelled
			plans = append(plans, notify.Cancelled)
		case was.Status == clinic.StatusCancelled:
			plans = append(plans, notify.Reinstated)
		}
		if err := tx.Appointments().RecordEvent(ctx, org, e); err != nil {
			return updated, "", err
		}
	}
	for _, k := range plans {
		if err := notify.Plan(ctx, tx, org, notify.Change{Kind: k, Appointment: updated}); err != nil {
			return updated, "", err
		}
	}
	return updated, SyncUpdated, audit.Record(ctx, tx, actor, "appointment.sync", updated.PatientID)
}
