package patient

import (
	"context"
	"errors"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// SyncTx writes the clinical software's record of a patient of database db, found by its
// external id: created when new, updated otherwise, through the same normalisation as every
// other writer (names bounded, E.164 mobile, checked e-mail). The PMS opt-out value is
// stored beside the Tidings-side consent, never over it (CON-3), and its change is recorded
// in the consent history. It runs in the caller's transaction, so that the sync can apply a
// batch of messages in one commit (group commit) and acknowledge each only after it; the
// caller orders the messages (store.Sync.Advance).
//
// It is Create or Update, in the caller's transaction, for the record the clinical
// software's id names. Errors: those of Create and Update (ErrMerged for a record merged
// into another).
func SyncTx(ctx context.Context, tx *store.Tx, actor clinic.Actor, db clinic.DatabaseID, externalID string, in Input) (p clinic.Patient, created bool, err error) {
	p, err = tx.Patients().PatientByExternalID(ctx, actor.OrgID, db, externalID)
	switch {
	case errors.Is(err, clinic.ErrNotFound):
		dbID, ext := int64(db), externalID
		in.DatabaseID, in.ExternalID = &dbID, &ext
		p, err = createTx(ctx, tx, actor, in)
		return p, err == nil, err
	case err != nil:
		return p, false, err
	}
	in.DatabaseID, in.ExternalID = nil, nil
	p, err = updateTx(ctx, tx, actor, p.ID, 0, in)
	return p, false, err
}
