package patient

import (
	"context"
	"errors"
	"fmt"

	"github.com/tidings-health/tidings/internal/audit"
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
// Errors: clinic.ErrForbidden, *clinic.ValidationError naming the field, ErrMerged for a
// record merged into another, clinic.ErrNotFound for a database of another organisation.
func SyncTx(ctx context.Context, tx *store.Tx, actor clinic.Actor, db clinic.DatabaseID, externalID string, in Input) (p clinic.Patient, created bool, err error) {
	if err := allow(actor, "sync patient", in); err != nil {
		return p, false, err
	}
	if _, err := tx.Directory().Database(ctx, actor.OrgID, db); err != nil {
		return p, false, err
	}
	p, err = tx.Patients().PatientByExternalID(ctx, actor.OrgID, db, externalID)
	switch {
	case errors.Is(err, clinic.ErrNotFound):
		dbID, ext := int64(db), externalID
		in.DatabaseID, in.ExternalID = &dbID, &ext
		p = clinic.Patient{}
		if err := Normalise(ctx, tx, actor.OrgID, in, &p, true); err != nil {
			return p, false, err
		}
		if p, err = tx.Patients().CreatePatient(ctx, actor.OrgID, p); err != nil {
			return p, false, err
		}
		if in.PMSOptOut != nil {
			if err := recordPMS(ctx, tx, actor, p); err != nil {
				return p, false, err
			}
		}
		return p, true, audit.Record(ctx, tx, actor, "patient.create", p.ID)
	case err != nil:
		return p, false, err
	}
	if p.MergedInto != 0 {
		return p, false, fmt.Errorf("sync patient %d merged into %d: %w", p.ID, p.MergedInto, ErrMerged)
	}
	in.DatabaseID, in.ExternalID = nil, nil
	wasOut := p.PMSOptOut
	if err := Normalise(ctx, tx, actor.OrgID, in, &p, false); err != nil {
		return p, false, err
	}
	if p, err = tx.Patients().UpdatePatient(ctx, actor.OrgID, p); err != nil {
		return p, false, err
	}
	if in.PMSOptOut != nil && p.PMSOptOut != wasOut {
		if err := recordPMS(ctx, tx, actor, p); err != nil {
			return p, false, err
		}
	}
	return p, false, audit.Record(ctx, tx, actor, "patient.update", p.ID)
}
