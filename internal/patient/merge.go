package patient

import (
	"context"
	"errors"
	"fmt"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// ErrSyncedMerge refuses a merge of two records of a synced clinical database: the clinical
// software merges its own records (in HL7 v2, an A40 message), and a merge made in Tidings
// would be undone by its next update. It is a *clinic.ConflictError (409).
var ErrSyncedMerge = &clinic.ConflictError{Field: "database_id",
	Reason: "records of a synced clinical database are merged in the clinical software; a merge made here would be undone by its next update"}

// MergeResult is what a merge did: the record kept as it is now, the rows it took over
// per reference (store.PatientRefs' order; MergeKeep references count 0), and whether the
// record kept had its notifications switched off because the other one had (SwitchedOff).
type MergeResult struct {
	Kept        clinic.Patient
	Moved       []store.RefCount
	SwitchedOff bool
}

// allowMerge checks who may merge: staff and tokens that may write patients and change their
// consent (a merge carries one record's consent history and switch into another, which
// changes who is messaged: appointment managers and administrators), and the system.
func allowMerge(actor clinic.Actor) error {
	if actor.Kind == clinic.ActorPatient {
		return fmt.Errorf("merge patients: patients do not merge records: %w", clinic.ErrForbidden)
	}
	for _, p := range []clinic.Permission{clinic.PermWritePatients, clinic.PermPatientConsent} {
		if !actor.Can(p) {
			return fmt.Errorf("merge patients: %s needs %s: %w", actor.Label, p, clinic.ErrForbidden)
		}
	}
	return nil
}

// MergeProblem says why keep and remove, as read, cannot be merged: nil when they can. db is
// their database (keep's). The dashboard asks it before offering the confirmation, and
// Merge asks it again in its transaction, so both say the same.
func MergeProblem(keep, remove clinic.Patient, db clinic.Database) error {
	switch {
	case keep.ID == remove.ID:
		return clinic.Invalid("remove", "must be another record than the one kept")
	case keep.MergedInto != 0:
		return fmt.Errorf("keep patient %d merged into %d: %w", keep.ID, keep.MergedInto, ErrMerged)
	case remove.MergedInto != 0:
		return fmt.Errorf("remove patient %d merged into %d: %w", remove.ID, remove.MergedInto, ErrMerged)
	case keep.DatabaseID != remove.DatabaseID:
		return clinic.Invalid("remove", "must be a record of the same clinical database")
	case db.Kind != clinic.KindBuiltin:
		return fmt.Errorf("merge patients of database %d (%s): %w", db.ID, db.Kind, ErrSyncedMerge)
	}
	return nil
}

// Merge merges patient record remove into keep, two records of one person in a builtin
// database (ADM-7), in one transaction: every row that refers to remove (appointments,
// relatives, consent history and decisions, notifications, inbound SMS, push subscriptions,
// records merged into it earlier: store.PatientRefs) now refers to keep; relatives' links
// are deduplicated and the link between the two records dropped; if remove's notifications
// were switched off, keep's are too (CON-7: a switch staff turned off stays off for the
// appointments that move). keep's details stay as they are. remove is not deleted but marked
// merged into keep, so links to it still resolve, and leaves lists and searches. The audit
// log is history and is not rewritten; a "patient.merge" row is written for each record.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound for either record (another
// organisation's too); *clinic.ValidationError on "remove" for the same record or another
// database's; ErrMerged when either is merged already; ErrSyncedMerge for a synced database.
func (s *Service) Merge(ctx context.Context, actor clinic.Actor, keep, remove clinic.PatientID) (MergeResult, error) {
	var res MergeResult
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if err := allowMerge(actor); err != nil {
			return err
		}
		if keep == remove {
			return clinic.Invalid("remove", "must be another record than the one kept")
		}
		var err error
		res, err = mergeTx(ctx, tx, actor, keep, remove, false)
		return err
	})
	return res, err
}

// MergeSyncTx is Merge for the clinical software's own merge of two of its records (HL7
// ADT^A40): the record the software knows as removedExt moves into survivorExt's, with
// everything that refers to it, in the caller's transaction. It is the same merge as the
// dashboard's, but for a synced database, which only its software may merge (ErrSyncedMerge
// keeps staff from it). A removed record Tidings never had, or one merged into the survivor
// already, is nothing to do: merged is false.
//
// Errors: clinic.ErrNotFound when the survivor is unknown (its ADT has not come); ErrMerged
// when either record is merged into a third.
func MergeSyncTx(ctx context.Context, tx *store.Tx, actor clinic.Actor, db clinic.DatabaseID, survivorExt, removedExt string) (res MergeResult, merged bool, err error) {
	if err := allowMerge(actor); err != nil {
		return res, false, err
	}
	org := actor.OrgID
	r, err := tx.Patients().PatientByExternalID(ctx, org, db, removedExt)
	if errors.Is(err, clinic.ErrNotFound) {
		return res, false, nil
	} else if err != nil {
		return res, false, err
	}
	k, err := tx.Patients().PatientByExternalID(ctx, org, db, survivorExt)
	if err != nil {
		return res, false, fmt.Errorf("merge survivor: %w", err)
	}
	if r.MergedInto == k.ID {
		return res, false, nil
	}
	res, err = mergeTx(ctx, tx, actor, k.ID, r.ID, true)
	return res, err == nil, err
}

// mergeTx merges remove into keep in tx; synced allows a synced database's records (the
// software's own merge).
func mergeTx(ctx context.Context, tx *store.Tx, actor clinic.Actor, keep, remove clinic.PatientID, synced bool) (MergeResult, error) {
	var res MergeResult
	org := actor.OrgID
	k, err := tx.Patients().Patient(ctx, org, keep)
	if err != nil {
		return res, err
	}
	r, err := tx.Patients().Patient(ctx, org, remove)
	if err != nil {
		return res, err
	}
	db, err := tx.Directory().Database(ctx, org, k.DatabaseID)
	if err != nil {
		return res, err
	}
	if err := MergeProblem(k, r, db); err != nil && !(synced && errors.Is(err, ErrSyncedMerge)) {
		return res, err
	}
	if res.Moved, err = tx.Patients().UpdatePatientReferences(ctx, org, r.ID, k.ID); err != nil {
		return res, err
	}
	if err := tx.Patients().MarkPatientMerged(ctx, org, r.ID, k.ID); err != nil {
		return res, err
	}
	if r.NotificationsOff && !k.NotificationsOff {
		k.NotificationsOff, res.SwitchedOff = true, true
		if k, err = tx.Patients().UpdatePatient(ctx, org, k); err != nil {
			return res, err
		}
		if err := audit.Record(ctx, tx, actor, "patient.notifications", k.ID); err != nil {
			return res, err
		}
	}
	if res.Kept, err = tx.Patients().Patient(ctx, org, k.ID); err != nil {
		return res, err
	}
	return res, audit.Record(ctx, tx, actor, "patient.merge", k.ID, r.ID)
}
