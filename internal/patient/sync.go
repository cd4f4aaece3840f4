package patient

import (
	"context"
	"errors"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// The outcomes of SyncTx.
const (
	SyncCreated   = "created"
	SyncUpdated   = "updated"
	SyncUnchanged = "unchanged"
)

// SyncTx writes the clinical software's record of a patient of database db, found by its
// external id: created when new, updated otherwise, through the same normalisation as every
// other writer (names bounded, E.164 mobile, checked e-mail). The PMS opt-out value is
// stored beside the Tidings-side consent, never over it (CON-3), and its change is recorded
// in the consent history. It runs in the caller's transaction, so that the sync can apply a
// batch of messages in one commit (group commit) and acknowledge each only after it; the
// caller orders the messages (store.Sync.Advance).
//
// A record the software sends again as Tidings has it already is left alone (SyncUnchanged):
// no write, no audit row, and the opt-out flag's read time stays that of the last change, so
// a nightly import of 50,000 unchanged rows costs reads only.
//
// It is Create or Update, in the caller's transaction, for the record the clinical
// software's id names. Errors: those of Create and Update (ErrMerged for a record merged
// into another).
func SyncTx(ctx context.Context, tx *store.Tx, actor clinic.Actor, db clinic.DatabaseID, externalID string, in Input) (p clinic.Patient, outcome string, err error) {
	p, err = tx.Patients().PatientByExternalID(ctx, actor.OrgID, db, externalID)
	switch {
	case errors.Is(err, clinic.ErrNotFound):
		dbID, ext := int64(db), externalID
		in.DatabaseID, in.ExternalID = &dbID, &ext
		p, err = createTx(ctx, tx, actor, in)
		return p, SyncCreated, err
	case err != nil:
		return p, "", err
	}
	in.DatabaseID, in.ExternalID = nil, nil
	if p.MergedInto == 0 && allow(actor, "update patient", in) == nil {
		q := p
		if Normalise(ctx, tx, actor.OrgID, in, &q, false) == nil && samePatient(p, q) {
			return p, SyncUnchanged, nil
		}
	}
	p, err = updateTx(ctx, tx, actor, p.ID, 0, in)
	return p, SyncUpdated, err
}

// samePatient reports whether a and b hold the same record, times aside.
func samePatient(a, b clinic.Patient) bool {
	a.PMSOptOutReadAt, b.PMSOptOutReadAt = nil, nil
	a.UpdatedAt = b.UpdatedAt
	return a == b
}
