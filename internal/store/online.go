package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// The staff alert of a clinic's portal (POR-1, portal_settings.staff_alert): the
// appointments patients booked online, counted for the header of staff who book and listed
// on their own page, and each user's mark of when they last looked at that list
// (online_seen, per clinic). The queries name booked_by = 'patient_online' as a literal so
// that both dialects use the partial index appointments_online.

// CountOnlineSince counts the appointments of clinic cl booked online after since and after
// user's mark for cl (MarkOnlineSeen; none: since alone): the "new appointments booked
// online" of the header. It is one statement on appointments_online, whose range starts at
// since, so it stays cheap on every page.
//
// Errors: none of its own.
func (tx Appointments) CountOnlineSince(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID, user clinic.UserID, since time.Time) (int, error) {
	var n int
	err := tx.q.queryRow(ctx, `SELECT COUNT(*) FROM appointments WHERE organisation_id = $1 AND clinic_id = $2 AND booked_by = 'patient_online'
		AND created_at > $4 AND created_at > COALESCE((SELECT seen_at FROM online_seen WHERE user_id = $3 AND clinic_id = $2 AND organisation_id = $1), $4)`,
		org, cl, user, since.UTC()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count online bookings of clinic %d: %w", cl, err)
	}
	return n, nil
}

// OnlineBookings lists the appointments of clinic cl booked online after since, whatever
// their status now, the latest booked first, at most limit.
//
// Errors: none of its own.
func (tx Appointments) OnlineBookings(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID, since time.Time, limit int) ([]clinic.Appointment, error) {
	as, err := collect(ctx, tx, scanAppointment, `SELECT `+appointmentCols+` FROM appointments WHERE organisation_id = $1 AND clinic_id = $2
		AND booked_by = 'patient_online' AND created_at > $3 ORDER BY created_at DESC, id DESC LIMIT $4`, org, cl, since.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("online bookings of clinic %d: %w", cl, err)
	}
	return as, nil
}

// OnlineSeen reads when user last looked at clinic cl's appointments booked online
// (MarkOnlineSeen); the zero time when they never did.
//
// Errors: none of its own.
func (tx Staff) OnlineSeen(ctx context.Context, org clinic.OrgID, user clinic.UserID, cl clinic.ClinicID) (time.Time, error) {
	var t time.Time
	err := tx.q.queryRow(ctx, `SELECT seen_at FROM online_seen WHERE user_id = $1 AND clinic_id = $2 AND organisation_id = $3`, user, cl, org).Scan(&t)
	if errors.Is(err, clinic.ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return t, fmt.Errorf("online bookings seen by user %d: %w", user, err)
	}
	return t.UTC(), nil
}

// MarkOnlineSeen records that user has seen clinic cl's appointments booked online up to
// at. The mark only moves forward: an earlier at than the one recorded changes nothing.
//
// Errors: clinic.ErrNotFound when cl is not one of org's clinics. A user who is not org's
// changes nothing.
func (tx Staff) MarkOnlineSeen(ctx context.Context, org clinic.OrgID, user clinic.UserID, cl clinic.ClinicID, at time.Time) error {
	// INSERT … SELECT from users keeps the row in the user's own organisation (users has no
	// (organisation_id, id) key to refer to); its WHERE also settles SQLite's parse of
	// ON CONFLICT after a SELECT.
	_, err := tx.q.exec(ctx, `INSERT INTO online_seen (user_id, clinic_id, organisation_id, seen_at)
		SELECT id, $3, organisation_id, $4 FROM users WHERE organisation_id = $1 AND id = $2
		ON CONFLICT (user_id, clinic_id) DO UPDATE SET seen_at = excluded.seen_at WHERE online_seen.seen_at < excluded.seen_at`,
		org, user, cl, at.UTC())
	if err != nil {
		return fmt.Errorf("mark online bookings of clinic %d seen by user %d: %w", cl, user, err)
	}
	return nil
}
