package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// idList renders ids for an IN clause. They are integers we format ourselves, so inlining
// them is safe, and it keeps the statement portable (SQLite has no array parameters). A
// fixed number of statements then serves any number of agendas.
func idList[T ~int64](ids []T) string {
	if len(ids) == 0 {
		return "NULL"
	}
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, int64(id))
	}
	return b.String()
}

// SetWorkingHours replaces the weekly hours of agenda.
func (tx *Tx) SetWorkingHours(ctx context.Context, org clinic.OrgID, agenda clinic.AgendaID, hours []clinic.WorkingHours) error {
	if _, err := tx.Agenda(ctx, org, agenda); err != nil {
		return err
	}
	if err := tx.bumpAgendas(ctx, org, agenda); err != nil {
		return err
	}
	if _, err := tx.q.exec(ctx, `DELETE FROM working_hours WHERE organisation_id = $1 AND agenda_id = $2`, org, agenda); err != nil {
		return fmt.Errorf("working hours of agenda %d: %w", agenda, err)
	}
	for _, h := range hours {
		if _, err := tx.q.exec(ctx, `INSERT INTO working_hours (organisation_id, agenda_id, weekday, start_minute, end_minute) VALUES ($1, $2, $3, $4, $5)`,
			org, agenda, int(h.Weekday), h.Start, h.End); err != nil {
			return fmt.Errorf("working hours of agenda %d: %w", agenda, err)
		}
	}
	return nil
}

// WorkingHours returns the weekly hours of agendas, in one statement.
func (tx *Tx) WorkingHours(ctx context.Context, org clinic.OrgID, agendas []clinic.AgendaID) (map[clinic.AgendaID][]clinic.WorkingHours, error) {
	type wh struct {
		agenda clinic.AgendaID
		h      clinic.WorkingHours
	}
	rs, err := collect(ctx, tx, func(r row) (wh, error) {
		var x wh
		var wd int
		err := r.Scan(&x.agenda, &wd, &x.h.Start, &x.h.End)
		x.h.Weekday = time.Weekday(wd)
		return x, err
	}, `SELECT agenda_id, weekday, start_minute, end_minute FROM working_hours
		WHERE organisation_id = $1 AND agenda_id IN (`+idList(agendas)+`) ORDER BY agenda_id, weekday, start_minute`, org)
	if err != nil {
		return nil, fmt.Errorf("working hours: %w", err)
	}
	out := make(map[clinic.AgendaID][]clinic.WorkingHours, len(agendas))
	for _, x := range rs {
		out[x.agenda] = append(out[x.agenda], x.h)
	}
	return out, nil
}

// AddException records a dated change to an agenda's hours.
func (tx *Tx) AddException(ctx context.Context, org clinic.OrgID, e clinic.ScheduleException) (clinic.ScheduleException, error) {
	if err := tx.bumpAgendas(ctx, org, e.AgendaID); err != nil {
		return e, err
	}
	var start, end any
	if e.End > 0 {
		start, end = e.Start, e.End
	}
	err := tx.q.queryRow(ctx, `INSERT INTO schedule_exceptions (organisation_id, agenda_id, day, closed, start_minute, end_minute, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, org, e.AgendaID, e.Day, e.Closed, start, end, e.Note).Scan(&e.ID)
	if err != nil {
		return e, fmt.Errorf("add exception: %w", err)
	}
	return e, nil
}

// DeleteException removes one exception.
func (tx *Tx) DeleteException(ctx context.Context, org clinic.OrgID, id int64) error {
	if _, err := tx.q.exec(ctx, `UPDATE agendas SET availability_version = availability_version + 1 WHERE organisation_id = $1
		AND id = (SELECT agenda_id FROM schedule_exceptions WHERE organisation_id = $1 AND id = $2)`, org, id); err != nil {
		return fmt.Errorf("delete exception %d: %w", id, err)
	}
	n, err := tx.q.exec(ctx, `DELETE FROM schedule_exceptions WHERE organisation_id = $1 AND id = $2`, org, id)
	if err == nil && n == 0 {
		err = clinic.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete exception %d: %w", id, err)
	}
	return nil
}

// Exceptions lists the exceptions of agendas for days in [from, to] (YYYY-MM-DD).
func (tx *Tx) Exceptions(ctx context.Context, org clinic.OrgID, agendas []clinic.AgendaID, from, to string) ([]clinic.ScheduleException, error) {
	return collect(ctx, tx, func(r row) (clinic.ScheduleException, error) {
		var e clinic.ScheduleException
		var start, end *int
		err := r.Scan(&e.ID, &e.AgendaID, &e.Day, &e.Closed, &start, &end, &e.Note)
		if start != nil && end != nil {
			e.Start, e.End = *start, *end
		}
		return e, err
	}, `SELECT id, agenda_id, day, closed, start_minute, end_minute, note FROM schedule_exceptions
		WHERE organisation_id = $1 AND agenda_id IN (`+idList(agendas)+`) AND day >= $2 AND day <= $3 ORDER BY day, agenda_id, id`, org, from, to)
}

// CreateAbsence records a practitioner's absence.
func (tx *Tx) CreateAbsence(ctx context.Context, org clinic.OrgID, a clinic.Absence) (clinic.Absence, error) {
	a.Start, a.End, a.CreatedAt = a.Start.UTC(), a.End.UTC(), tx.Now
	if err := tx.bumpPractitioner(ctx, org, a.PractitionerID); err != nil {
		return a, err
	}
	err := tx.q.queryRow(ctx, `INSERT INTO absences (organisation_id, practitioner_id, starts_at, ends_at, note, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, org, a.PractitionerID, a.Start, a.End, a.Note, tx.Now).Scan(&a.ID)
	if err != nil {
		return a, fmt.Errorf("create absence: %w", err)
	}
	return a, nil
}

// DeleteAbsence removes an absence.
func (tx *Tx) DeleteAbsence(ctx context.Context, org clinic.OrgID, id int64) error {
	if _, err := tx.q.exec(ctx, `UPDATE agendas SET availability_version = availability_version + 1 WHERE organisation_id = $1
		AND practitioner_id = (SELECT practitioner_id FROM absences WHERE organisation_id = $1 AND id = $2)`, org, id); err != nil {
		return fmt.Errorf("delete absence %d: %w", id, err)
	}
	n, err := tx.q.exec(ctx, `DELETE FROM absences WHERE organisation_id = $1 AND id = $2`, org, id)
	if err == nil && n == 0 {
		err = clinic.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete absence %d: %w", id, err)
	}
	return nil
}

// Absences lists absences of practitioners overlapping [from, to).
func (tx *Tx) Absences(ctx context.Context, org clinic.OrgID, practitioners []clinic.PractitionerID, from, to time.Time) ([]clinic.Absence, error) {
	return collect(ctx, tx, func(r row) (clinic.Absence, error) {
		var a clinic.Absence
		err := r.Scan(&a.ID, &a.PractitionerID, &a.Start, &a.End, &a.Note, &a.CreatedAt)
		a.Start, a.End = a.Start.UTC(), a.End.UTC()
		return a, err
	}, `SELECT id, practitioner_id, starts_at, ends_at, note, created_at FROM absences
		WHERE organisation_id = $1 AND practitioner_id IN (`+idList(practitioners)+`) AND starts_at < $3 AND ends_at > $2
		ORDER BY starts_at, id`, org, from, to)
}

// Busy is an agenda's occupied interval: an active appointment plus its reason's buffer.
type Busy struct {
	AgendaID   clinic.AgendaID
	Start, End time.Time
}

// BusyIntervals lists the busy intervals of agendas overlapping [from, to), in one
// statement whatever the number of agendas.
func (tx *Tx) BusyIntervals(ctx context.Context, org clinic.OrgID, agendas []clinic.AgendaID, from, to time.Time) ([]Busy, error) {
	// The buffer is added in Go: date arithmetic is not portable SQL. Appointments that end
	// up to the largest buffer (4 h) before from may still block through their buffer.
	const maxBuffer = 240 * time.Minute
	type x struct {
		b   Busy
		buf int64
	}
	rs, err := collect(ctx, tx, func(r row) (x, error) {
		var v x
		err := r.Scan(&v.b.AgendaID, &v.b.Start, &v.b.End, &v.buf)
		return v, err
	}, `SELECT a.agenda_id, a.starts_at, a.ends_at, r.buffer_after_minutes FROM appointments a
		JOIN reasons r ON r.organisation_id = a.organisation_id AND r.id = a.reason_id
		WHERE a.organisation_id = $1 AND a.agenda_id IN (`+idList(agendas)+`) AND a.starts_at < $3 AND a.starts_at > $4 AND a.ends_at > $2
		AND a.status IN `+activeStatuses()+` ORDER BY a.agenda_id, a.starts_at`, org, from.Add(-maxBuffer), to, from.Add(-maxBuffer-MaxDuration))
	if err != nil {
		return nil, fmt.Errorf("busy intervals: %w", err)
	}
	out := make([]Busy, 0, len(rs))
	for _, v := range rs {
		b := v.b
		b.Start, b.End = b.Start.UTC(), b.End.UTC().Add(time.Duration(v.buf)*time.Minute)
		if b.End.After(from) {
			out = append(out, b)
		}
	}
	return out, nil
}

// AgendasOffering lists the active agendas of clinic that offer reason.
func (tx *Tx) AgendasOffering(ctx context.Context, org clinic.OrgID, reason clinic.ReasonID) ([]clinic.Agenda, error) {
	return collect(ctx, tx, scanAgenda, `SELECT `+prefixed("a.", agendaCols)+`
		FROM agendas a JOIN agenda_reasons ar ON ar.agenda_id = a.id AND ar.organisation_id = a.organisation_id
		WHERE a.organisation_id = $1 AND ar.reason_id = $2 AND a.active ORDER BY a.id`, org, reason)
}

// bumpAgendas marks the availability of agendas changed (in id order, so two transactions
// bumping the same pair cannot deadlock).
func (tx *Tx) bumpAgendas(ctx context.Context, org clinic.OrgID, agendas ...clinic.AgendaID) error {
	slices.Sort(agendas)
	for _, a := range slices.Compact(agendas) {
		if _, err := tx.q.exec(ctx, `UPDATE agendas SET availability_version = availability_version + 1 WHERE organisation_id = $1 AND id = $2`, org, a); err != nil {
			return fmt.Errorf("bump agenda %d: %w", a, err)
		}
	}
	return nil
}

// bumpPractitioner marks the availability of every agenda of a practitioner changed.
func (tx *Tx) bumpPractitioner(ctx context.Context, org clinic.OrgID, p clinic.PractitionerID) error {
	_, err := tx.q.exec(ctx, `UPDATE agendas SET availability_version = availability_version + 1 WHERE organisation_id = $1 AND practitioner_id = $2`, org, p)
	if err != nil {
		return fmt.Errorf("bump agendas of practitioner %d: %w", p, err)
	}
	return nil
}
