package store

import (
	"context"
	"fmt"

	"github.com/tidings-health/tidings/internal/clinic"
)

// Exception reads one exception, so that deleting it can record what it was (ADM-5) and a
// page can show the appointments it closes.
//
// Errors: clinic.ErrNotFound when id is not one of org's exceptions.
func (tx Schedule) Exception(ctx context.Context, org clinic.OrgID, id int64) (clinic.ScheduleException, error) {
	var e clinic.ScheduleException
	var start, end *int
	err := tx.q.queryRow(ctx, `SELECT id, agenda_id, day, closed, start_minute, end_minute, note FROM schedule_exceptions
		WHERE organisation_id = $1 AND id = $2`, org, id).Scan(&e.ID, &e.AgendaID, &e.Day, &e.Closed, &start, &end, &e.Note)
	if err != nil {
		return e, fmt.Errorf("exception %d: %w", id, err)
	}
	if start != nil && end != nil {
		e.Start, e.End = *start, *end
	}
	return e, nil
}

// Absence reads one absence, so that deleting it can record what it was (ADM-5).
//
// Errors: clinic.ErrNotFound when id is not one of org's absences.
func (tx Schedule) Absence(ctx context.Context, org clinic.OrgID, id int64) (clinic.Absence, error) {
	var a clinic.Absence
	err := tx.q.queryRow(ctx, `SELECT id, practitioner_id, starts_at, ends_at, note, created_at FROM absences
		WHERE organisation_id = $1 AND id = $2`, org, id).Scan(&a.ID, &a.PractitionerID, &a.Start, &a.End, &a.Note, &a.CreatedAt)
	if err != nil {
		return a, fmt.Errorf("absence %d: %w", id, err)
	}
	a.Start, a.End, a.CreatedAt = a.Start.UTC(), a.End.UTC(), a.CreatedAt.UTC()
	return a, nil
}
