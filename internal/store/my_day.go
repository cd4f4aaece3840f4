package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// PractitionerDay lists the appointments on any agenda of practitioner, in every clinic of
// org, that start in [from, to), whatever their status, by start time: a practitioner's
// "My day". One statement however many agendas the practitioner has.
//
// Errors: none of its own (nothing matching is an empty list).
func (tx Appointments) PractitionerDay(ctx context.Context, org clinic.OrgID, practitioner clinic.PractitionerID, from, to time.Time) ([]clinic.Appointment, error) {
	as, err := collect(ctx, tx, scanAppointment, `SELECT `+prefixed("a.", appointmentCols)+` FROM appointments a
		JOIN agendas g ON g.organisation_id = a.organisation_id AND g.id = a.agenda_id
		WHERE a.organisation_id = $1 AND g.practitioner_id = $2 AND a.starts_at >= $3 AND a.starts_at < $4
		ORDER BY a.starts_at, a.agenda_id, a.id`, org, practitioner, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("appointments of practitioner %d: %w", practitioner, err)
	}
	return as, nil
}
