package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
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
//
// Errors: clinic.ErrNotFound when agenda is not one of org's; clinic.ErrInvalid when an
// interval is out of range (weekday 0-6, minutes 0-1440, end after start).
func (tx Schedule) SetWorkingHours(ctx context.Context, org clinic.OrgID, agenda clinic.AgendaID, hours []clinic.WorkingHours) error {
	if _, err := tx.Directory().Agenda(ctx, org, agenda); err != nil {
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
//
// Errors: none of its own (an agenda without hours is absent from the map).
func (tx Schedule) WorkingHours(ctx context.Context, org clinic.OrgID, agendas []clinic.AgendaID) (map[clinic.AgendaID][]clinic.WorkingHours, error) {
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
//
// Errors: clinic.ErrNotFound when e.AgendaID is not one of org's agendas; clinic.ErrInvalid
// when its minutes are out of range or end before they start.
func (tx Schedule) AddException(ctx context.Context, org clinic.OrgID, e clinic.ScheduleException) (clinic.ScheduleException, error) {
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
//
// Errors: clinic.ErrNotFound when id is not one of org's exceptions.
func (tx Schedule) DeleteException(ctx context.Context, org clinic.OrgID, id int64) error {
	return tx.deleteBumping(ctx, org, id, "schedule_exceptions", "id = (SELECT agenda_id")
}

// deleteBumping deletes row id of table and bumps the availability version of the agendas
// it concerned, picked by agendas, the start of a condition on agendas that a subquery on
// the row completes ("id = (SELECT agenda_id", "practitioner_id = (SELECT practitioner_id").
func (tx *Tx) deleteBumping(ctx context.Context, org clinic.OrgID, id int64, table, agendas string) error {
	if _, err := tx.q.exec(ctx, `UPDATE agendas SET availability_version = availability_version + 1 WHERE organisation_id = $1
		AND `+agendas+` FROM `+table+` WHERE organisation_id = $1 AND id = $2)`, org, id); err != nil {
		return fmt.Errorf("delete %s %d: %w", table, id, err)
	}
	if err := one(tx.q.exec(ctx, `DELETE FROM `+table+` WHERE organisation_id = $1 AND id = $2`, org, id)); err != nil {
		return fmt.Errorf("delete %s %d: %w", table, id, err)
	}
	return nil
}

// Exceptions lists the exceptions of agendas for days in [from, to] (YYYY-MM-DD).
//
// Errors: none of its own (nothing matching is an empty list).
func (tx Schedule) Exceptions(ctx context.Context, org clinic.OrgID, agendas []clinic.AgendaID, from, to string) ([]clinic.ScheduleException, error) {
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
//
// Errors: clinic.ErrNotFound when a.PractitionerID is not one of org's practitioners;
// clinic.ErrInvalid when it does not end after it starts.
func (tx Schedule) CreateAbsence(ctx context.Context, org clinic.OrgID, a clinic.Absence) (clinic.Absence, error) {
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
//
// Errors: clinic.ErrNotFound when id is not one of org's absences.
func (tx Schedule) DeleteAbsence(ctx context.Context, org clinic.OrgID, id int64) error {
	return tx.deleteBumping(ctx, org, id, "absences", "practitioner_id = (SELECT practitioner_id")
}

// Absences lists absences of practitioners overlapping [from, to).
//
// Errors: none of its own (nothing matching is an empty list).
func (tx Schedule) Absences(ctx context.Context, org clinic.OrgID, practitioners []clinic.PractitionerID, from, to time.Time) ([]clinic.Absence, error) {
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

// BusyIntervals lists the busy intervals of agendas overlapping [from, to), in no particular
// order, in two statements whatever the number of agendas. Every active appointment is
// busy, synced ones (which may overlap each other) included.
//
// Errors: none of its own (nothing matching is an empty list).
func (tx Schedule) BusyIntervals(ctx context.Context, org clinic.OrgID, agendas []clinic.AgendaID, from, to time.Time) ([]Busy, error) {
	// The buffer is added in Go: date arithmetic is not portable SQL. Appointments that end
	// up to the largest buffer (4 h) before from may still block through their buffer.
	const maxBuffer = 240 * time.Minute
	// Buffers come from their own small statement: joining every appointment row to its
	// reason, and sorting, cost more than the rest of the query (the engine sorts anyway).
	buffers := map[clinic.ReasonID]time.Duration{}
	type rb struct {
		id  clinic.ReasonID
		buf int64
	}
	bufs, err := collect(ctx, tx, func(r row) (rb, error) {
		var v rb
		return v, r.Scan(&v.id, &v.buf)
	}, `SELECT id, buffer_after_minutes FROM reasons WHERE organisation_id = $1 AND buffer_after_minutes > 0`, org)
	if err != nil {
		return nil, fmt.Errorf("busy intervals: %w", err)
	}
	for _, b := range bufs {
		buffers[b.id] = time.Duration(b.buf) * time.Minute
	}
	out := make([]Busy, 0, 64)
	keep := func(b Busy, reason clinic.ReasonID) {
		b.Start, b.End = b.Start.UTC(), b.End.UTC().Add(buffers[reason])
		if b.End.After(from) {
			out = append(out, b)
		}
	}
	// "+organisation_id" keeps SQLite's planner, which has no statistics, from preferring
	// an index that leads with the organisation over the covering one (a no-op elsewhere).
	where := ` FROM appointments
		WHERE +organisation_id = $1 AND agenda_id IN (` + idList(agendas) + `) AND starts_at < $3 AND starts_at > $4 AND ends_at > $2
		AND status IN ` + activeStatuses()
	args := []any{org, from.Add(-maxBuffer), to, from.Add(-maxBuffer - MaxDuration)}
	if tx.dialect == SQLite {
		// On SQLite each agenda's intervals come back as one row: its starts, ends and
		// reasons as three comma-separated lists of the stored text, parsed here (the
		// times' layout is fixed, sqlTimeLayout). SQLite steps the same index entries
		// either way, but the driver's cost per row (some 2 µs in modernc's, several times
		// SQLite's own work) is then paid 50 times rather than 10,000: 25 ms for 10,000
		// intervals as rows, 8-10 ms as lists (2 December 2026, 2-core VM).
		rs, err := tx.q.query(ctx, `SELECT agenda_id, group_concat(starts_at), group_concat(ends_at), group_concat(reason_id)`+
			where+` GROUP BY agenda_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("busy intervals: %w", err)
		}
		type lists struct {
			agenda                int64
			starts, ends, reasons string
		}
		var ls []lists
		n := 0
		for rs.Next() {
			var l lists
			if err := rs.Scan(&l.agenda, &l.starts, &l.ends, &l.reasons); err != nil {
				rs.Close()
				return nil, fmt.Errorf("busy intervals: %w", err)
			}
			ls = append(ls, l)
			n += strings.Count(l.starts, ",") + 1
		}
		err = rs.Err()
		rs.Close()
		if err != nil {
			return nil, fmt.Errorf("busy intervals: %w", err)
		}
		out = make([]Busy, 0, n)
		for _, l := range ls {
			for starts, ends, reasons := l.starts, l.ends, l.reasons; starts != ""; {
				var start, end, reason string
				start, starts, _ = strings.Cut(starts, ",")
				end, ends, _ = strings.Cut(ends, ",")
				reason, reasons, _ = strings.Cut(reasons, ",")
				b := Busy{AgendaID: clinic.AgendaID(l.agenda)}
				var err error
				if b.Start, err = parseSQLTime(start); err != nil {
					return nil, fmt.Errorf("busy intervals: %w", err)
				}
				if b.End, err = parseSQLTime(end); err != nil {
					return nil, fmt.Errorf("busy intervals: %w", err)
				}
				r, err := strconv.ParseInt(reason, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("busy intervals: reason %q: %w", reason, err)
				}
				keep(b, clinic.ReasonID(r))
			}
		}
		return out, nil
	}
	rs, err := tx.q.query(ctx, `SELECT agenda_id, reason_id, starts_at, ends_at`+where, args...)
	if err != nil {
		return nil, fmt.Errorf("busy intervals: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		// Plain int64s: pgx scans them directly, named integer types through reflection.
		var agenda, reason int64
		var b Busy
		if err := rs.Scan(&agenda, &reason, &b.Start, &b.End); err != nil {
			return nil, fmt.Errorf("busy intervals: %w", err)
		}
		b.AgendaID = clinic.AgendaID(agenda)
		keep(b, clinic.ReasonID(reason))
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("busy intervals: %w", err)
	}
	return out, nil
}

// AgendasOffering lists the active agendas of clinic that offer reason.
//
// Errors: none of its own (an unknown reason is offered nowhere: an empty list).
func (tx Schedule) AgendasOffering(ctx context.Context, org clinic.OrgID, reason clinic.ReasonID) ([]clinic.Agenda, error) {
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
