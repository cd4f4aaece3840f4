package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tidings-health/tidings/internal/clinic"
)

const appointmentCols = `id, organisation_id, clinic_id, agenda_id, reason_id, patient_id, external_id, starts_at, ends_at, status, booked_by, note, version, created_at, updated_at`

func scanAppointment(r row) (clinic.Appointment, error) {
	var a clinic.Appointment
	var ext *string
	err := r.Scan(&a.ID, &a.OrgID, &a.ClinicID, &a.AgendaID, &a.ReasonID, &a.PatientID, &ext, &a.Start, &a.End, &a.Status, &a.BookedBy, &a.Note, &a.Version, &a.CreatedAt, &a.UpdatedAt)
	if ext != nil {
		a.ExternalID = *ext
	}
	a.Start, a.End = a.Start.UTC(), a.End.UTC()
	return a, err
}

// activeStatuses is the SQL list of statuses that hold a slot (clinic.Status.Active).
func activeStatuses() string {
	var s []string
	for _, st := range clinic.Statuses() {
		if st.Active() {
			s = append(s, "'"+string(st)+"'")
		}
	}
	return "(" + strings.Join(s, ",") + ")"
}

// MaxDuration is the longest appointment the store accepts; it bounds overlap queries.
const MaxDuration = 24 * time.Hour

func checkDuration(a clinic.Appointment) error {
	if !a.End.After(a.Start) || a.End.Sub(a.Start) > MaxDuration {
		return clinic.Invalid("end", "must be after start, and at most 24 hours after it")
	}
	return nil
}

// claim bumps the availability version of agendas (the ones an appointment leaves and
// joins) and, when free is set, checks that a's time is free on its agenda: that no active
// appointment, synced ones included, overlaps it.
//
// The check runs twice when the time looks free: once before the bump, so that the many
// losers of a race for a slot fail fast without queueing, and once after, because the bump
// locks the agenda's row on PostgreSQL, so the second check sees any winner that committed
// meanwhile and answers a clean conflict. Synced writes take the same lock without checking,
// so a synced appointment committed meanwhile is seen too. The exclusion constraint stays
// the backstop between appointments booked in Tidings.
func (tx *Tx) claim(ctx context.Context, org clinic.OrgID, a clinic.Appointment, except clinic.AppointmentID, free bool, agendas ...clinic.AgendaID) error {
	check := func() error {
		if !free {
			return nil
		}
		busy, err := tx.agendaBusy(ctx, org, a.AgendaID, a.Start, a.End, except)
		if err == nil && busy {
			err = ErrSlotTaken
		}
		return err
	}
	if err := check(); err != nil {
		return err
	}
	if err := tx.bumpAgendas(ctx, org, agendas...); err != nil {
		return err
	}
	if tx.dialect == Postgres {
		return check()
	}
	return nil // SQLite: the single writer already excludes a concurrent winner
}

// slotTaken reports the exclusion constraint's refusal (PostgreSQL's backstop, reached only
// when two transactions race past the check) as ErrSlotTaken, like the check's own.
func slotTaken(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23P01" && pe.ConstraintName == "appointments_no_overlap" {
		return fmt.Errorf("%w: %w", ErrSlotTaken, err)
	}
	return err
}

// ErrSlotTaken is returned, wrapped, by CreateAppointment and UpdateAppointment when a
// Tidings booking would overlap an active appointment of the agenda, synced ones included.
// It is a *clinic.ConflictError, so errors.Is(err, clinic.ErrConflict) holds too.
var ErrSlotTaken = &clinic.ConflictError{Field: "start", Reason: "the agenda already has an appointment at that time"}

// agendaBusy reports whether agenda has an active appointment overlapping [start, end),
// other than except. On SQLite, run inside Update, the single writer makes check-then-insert
// atomic; on PostgreSQL an exclusion constraint backs it.
func (tx *Tx) agendaBusy(ctx context.Context, org clinic.OrgID, agenda clinic.AgendaID, start, end time.Time, except clinic.AppointmentID) (bool, error) {
	var n int
	// The lower bound on starts_at (no appointment is longer than MaxDuration) lets the
	// (agenda_id, starts_at) index answer with a short range scan.
	err := tx.q.queryRow(ctx, `SELECT count(*) FROM appointments WHERE organisation_id = $1 AND agenda_id = $2
		AND starts_at < $3 AND starts_at > $6 AND ends_at > $4 AND id <> $5 AND status IN `+activeStatuses(),
		org, agenda, end, start, except, start.Add(-MaxDuration)).Scan(&n)
	return n > 0, err
}

// CreateAppointment books a. An active appointment booked in Tidings (a.BookedBy staff or
// patient_online) must not overlap any active appointment of its agenda, synced ones
// included. A synced appointment (clinic.BookedBySync) is stored as the PMS has it, without
// that check: the PMS is the record and clinics double-book in it on purpose.
//
// Errors: ErrSlotTaken (which is clinic.ErrConflict) when a Tidings booking's time is busy;
// clinic.ErrInvalid when the times are out of order or longer than MaxDuration, or a value
// breaks a check constraint; clinic.ErrNotFound when a referenced agenda, reason, clinic or
// patient is not org's.
func (tx Appointments) CreateAppointment(ctx context.Context, org clinic.OrgID, a clinic.Appointment) (clinic.Appointment, error) {
	a.OrgID, a.CreatedAt, a.UpdatedAt, a.Version = org, tx.Now, tx.Now, 1
	a.Start, a.End = a.Start.UTC(), a.End.UTC()
	if err := checkDuration(a); err != nil {
		return a, err
	}
	free := a.Status.Active() && a.BookedBy != clinic.BookedBySync
	if err := tx.claim(ctx, org, a, 0, free, a.AgendaID); err != nil {
		return a, fmt.Errorf("create appointment: %w", err)
	}
	err := tx.q.queryRow(ctx, `INSERT INTO appointments (organisation_id, clinic_id, agenda_id, reason_id, patient_id, external_id,
			starts_at, ends_at, status, booked_by, note, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13) RETURNING id`,
		org, a.ClinicID, a.AgendaID, a.ReasonID, a.PatientID, nullable(a.ExternalID), a.Start, a.End, a.Status, a.BookedBy, a.Note, tx.Now, tx.Now).Scan(&a.ID)
	if err != nil {
		return a, fmt.Errorf("create appointment: %w", slotTaken(err))
	}
	return a, nil
}

// Appointment reads one appointment of org.
//
// Errors: clinic.ErrNotFound when id is not one of org's appointments.
func (tx Appointments) Appointment(ctx context.Context, org clinic.OrgID, id clinic.AppointmentID) (clinic.Appointment, error) {
	a, err := scanAppointment(tx.q.queryRow(ctx, `SELECT `+appointmentCols+` FROM appointments WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return a, fmt.Errorf("appointment %d: %w", id, err)
	}
	return a, nil
}

// UpdateAppointment saves a if nobody changed it since version a.Version was read
// (compare-and-swap), and returns it with its new version. Its booked_by never changes.
//
// An appointment booked in Tidings that takes time it did not hold (a move to another time
// or agenda, or an inactive status made active again) must not overlap any active
// appointment of its agenda, synced ones included. A status change in place claims nothing
// new and is not refused, even if a synced appointment overlaps it meanwhile; neither is any
// change to a synced appointment (the PMS is its record).
//
// Errors: ErrSlotTaken (which is clinic.ErrConflict) when the new time is busy;
// clinic.ErrConflict (a *clinic.ConflictError on "version") when the version moved on;
// clinic.ErrInvalid when the times are out of order or too long, or a value breaks a check
// constraint; clinic.ErrNotFound when a.ID, or a referenced record, is not org's.
func (tx Appointments) UpdateAppointment(ctx context.Context, org clinic.OrgID, a clinic.Appointment) (clinic.Appointment, error) {
	a.Start, a.End = a.Start.UTC(), a.End.UTC()
	if err := checkDuration(a); err != nil {
		return a, err
	}
	// The agenda it leaves and the one it joins both change what they offer.
	var was clinic.Appointment
	if err := tx.q.queryRow(ctx, `SELECT agenda_id, starts_at, ends_at, status, booked_by FROM appointments WHERE organisation_id = $1 AND id = $2`,
		org, a.ID).Scan(&was.AgendaID, &was.Start, &was.End, &was.Status, &was.BookedBy); err != nil {
		return a, fmt.Errorf("update appointment %d: %w", a.ID, err)
	}
	claims := !was.Status.Active() || was.AgendaID != a.AgendaID || !was.Start.Equal(a.Start) || !was.End.Equal(a.End)
	free := a.Status.Active() && claims && was.BookedBy != clinic.BookedBySync
	if err := tx.claim(ctx, org, a, a.ID, free, was.AgendaID, a.AgendaID); err != nil {
		return a, fmt.Errorf("update appointment %d: %w", a.ID, err)
	}
	n, err := tx.q.exec(ctx, `UPDATE appointments SET clinic_id = $4, agenda_id = $5, reason_id = $6, patient_id = $7, external_id = $8,
			starts_at = $9, ends_at = $10, status = $11, note = $12, version = version + 1, updated_at = $13
		WHERE organisation_id = $1 AND id = $2 AND version = $3`,
		org, a.ID, a.Version, a.ClinicID, a.AgendaID, a.ReasonID, a.PatientID, nullable(a.ExternalID), a.Start, a.End, a.Status, a.Note, tx.Now)
	if err != nil {
		return a, fmt.Errorf("update appointment %d: %w", a.ID, slotTaken(err))
	}
	if n == 0 {
		if _, err := tx.Appointments().Appointment(ctx, org, a.ID); err != nil {
			return a, err
		}
		return a, fmt.Errorf("update appointment %d: %w", a.ID, &clinic.ConflictError{Field: "version", Reason: "the appointment was changed by someone else; reload it"})
	}
	return tx.Appointments().Appointment(ctx, org, a.ID)
}

// AppointmentFilter narrows Appointments. Zero values mean "any".
type AppointmentFilter struct {
	ClinicID  clinic.ClinicID
	AgendaID  clinic.AgendaID
	PatientID clinic.PatientID
	Status    clinic.Status
	From, To  time.Time // starts_at in [From, To)
}

// ListAppointments lists org's appointments matching f by start time, then id, the order
// people read them in. Pages are keyset pages: p.AfterTime and p.After are the start and id
// of the last appointment of the previous page (both zero for the first), so an appointment
// booked or moved meanwhile never makes a page repeat or skip another one.
//
// Errors: none of its own (nothing matching is an empty list).
func (tx Appointments) ListAppointments(ctx context.Context, org clinic.OrgID, f AppointmentFilter, p Page) ([]clinic.Appointment, error) {
	where, args := f.where(org)
	if !p.AfterTime.IsZero() || p.After != 0 {
		args = append(args, p.AfterTime, p.After)
		where += fmt.Sprintf(" AND (starts_at > $%d OR (starts_at = $%d AND id > $%d))", len(args)-1, len(args)-1, len(args))
	}
	args = append(args, p.Size())
	return collect(ctx, tx, scanAppointment, fmt.Sprintf(`SELECT `+appointmentCols+` FROM appointments WHERE `+where+
		` ORDER BY starts_at, id LIMIT $%d`, len(args)), args...)
}

// AppointmentsByTime lists org's appointments matching f by start time, for day and week
// views (bounded by f.From and f.To, so no paging).
//
// Errors: none of its own (nothing matching is an empty list).
func (tx Appointments) AppointmentsByTime(ctx context.Context, org clinic.OrgID, f AppointmentFilter) ([]clinic.Appointment, error) {
	where, args := f.where(org)
	return collect(ctx, tx, scanAppointment, `SELECT `+appointmentCols+` FROM appointments WHERE `+where+` ORDER BY starts_at, agenda_id, id`, args...)
}

func (f AppointmentFilter) where(org clinic.OrgID) (string, []any) {
	w := conds{args: []any{org}}
	w.sql.WriteString("organisation_id = $1")
	if f.ClinicID != 0 {
		w.add("clinic_id = $%d", f.ClinicID)
	}
	if f.AgendaID != 0 {
		w.add("agenda_id = $%d", f.AgendaID)
	}
	if f.PatientID != 0 {
		w.add("patient_id = $%d", f.PatientID)
	}
	if f.Status != "" {
		w.add("status = $%d", f.Status)
	}
	if !f.From.IsZero() {
		w.add("starts_at >= $%d", f.From)
	}
	if !f.To.IsZero() {
		w.add("starts_at < $%d", f.To)
	}
	return w.sql.String(), w.args
}

// PractitionerAppointments lists the active appointments on any agenda of practitioner that
// overlap [from, to), by start time.
//
// Errors: none of its own (nothing matching is an empty list).
func (tx Appointments) PractitionerAppointments(ctx context.Context, org clinic.OrgID, practitioner clinic.PractitionerID, from, to time.Time) ([]clinic.Appointment, error) {
	return collect(ctx, tx, scanAppointment, `SELECT `+prefixed("a.", appointmentCols)+` FROM appointments a
		JOIN agendas g ON g.organisation_id = a.organisation_id AND g.id = a.agenda_id
		WHERE a.organisation_id = $1 AND g.practitioner_id = $2 AND a.starts_at < $4 AND a.starts_at > $5 AND a.ends_at > $3
		AND a.status IN `+activeStatuses()+` ORDER BY a.starts_at, a.id`, org, practitioner, from, to, from.Add(-MaxDuration))
}

// prefixed qualifies each column of a column list with p.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// OverlappingAppointments counts pairs of active appointments of one agenda, both booked in
// Tidings, that overlap: always 0, checked by the concurrency tests and available to
// operations. Synced appointments may overlap by design and are not counted.
//
// Errors: none of its own.
func (tx Appointments) OverlappingAppointments(ctx context.Context, org clinic.OrgID) (int, error) {
	var n int
	err := tx.q.queryRow(ctx, `SELECT count(*) FROM appointments a JOIN appointments b
		ON a.organisation_id = b.organisation_id AND a.agenda_id = b.agenda_id AND a.id < b.id
		AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
		WHERE a.organisation_id = $1 AND a.status IN `+activeStatuses()+` AND b.status IN `+activeStatuses()+`
		AND a.booked_by <> $2 AND b.booked_by <> $2`, org, clinic.BookedBySync).Scan(&n)
	return n, err
}
