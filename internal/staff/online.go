package staff

import (
	"context"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// MarkOnlineSeen records that the acting staff user has seen the appointments patients
// booked online at clinic cl up to at, the instant their list was read (a later one counts
// as now): the header's alert of new online bookings (the portal's staff alert, POR-1)
// then counts only those booked after it, for this user and this clinic. The mark only
// moves forward, so a list read earlier and recorded late changes nothing. It is the user's
// own reading position, neither patient data nor a setting, so it writes no audit row; the
// read of the list is audited by the page that shows it.
//
// Errors: clinic.ErrForbidden for an actor that is not a staff user or may not read the
// schedule; clinic.ErrNotFound when cl is not a clinic of the actor's organisation.
func MarkOnlineSeen(ctx context.Context, db *store.DB, actor clinic.Actor, cl clinic.ClinicID, at time.Time) error {
	if actor.Kind != clinic.ActorStaff || actor.UserID == 0 || !actor.Can(clinic.PermReadSchedule) {
		return fmt.Errorf("%s marks online bookings seen: %w", actor.Label, clinic.ErrForbidden)
	}
	return db.Update(ctx, func(tx *store.Tx) error {
		if at.After(tx.Now) {
			at = tx.Now
		}
		if err := tx.Staff().MarkOnlineSeen(ctx, actor.OrgID, actor.UserID, cl, at); err != nil {
			return fmt.Errorf("user %d: %w", actor.UserID, err)
		}
		return nil
	})
}
