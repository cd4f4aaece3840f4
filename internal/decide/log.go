package decide

import (
	"context"
	"fmt"
	"strings"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/store"
)

// Decided is one real decision to record: the message and what the engine said of it, and
// the notification it was about (0 until notifications are stored).
type Decided struct {
	Message        Message
	Decision       consent.Decision
	NotificationID int64
}

// LogTx stores decisions in the caller's transaction (CON-9), with the sentence the
// communication log shows (in English, as of tx.Now; the catalog translates it when shown)
// and the trace, one rule per line. The notification work calls it in the transaction that
// records the send or the skip, so no decision is lost and none is stored for a send that
// rolled back.
func LogTx(ctx context.Context, tx *store.Tx, org clinic.OrgID, ds []Decided) error {
	rows := make([]store.Decision, len(ds))
	for i, d := range ds {
		rows[i] = store.Decision{PatientID: d.Message.PatientID, NotificationID: d.NotificationID, Purpose: string(d.Message.Purpose),
			Channel: string(d.Message.Channel), Allowed: d.Decision.Allowed, Outcome: string(d.Decision.Outcome), Rule: d.Decision.Rule,
			Text: d.Decision.Text(tx.Now), Trace: strings.Join(d.Decision.Lines(), "\n")}
	}
	return tx.Consent().RecordDecisions(ctx, org, rows)
}

// Log reads a patient's decision log, newest first, for the communication log (staff who may
// read patients; a patient for their own and their relatives'). The read is audited.
//
// Errors: clinic.ErrNotFound for a patient of another organisation (or another patient's).
func Log(ctx context.Context, db *store.DB, actor clinic.Actor, id clinic.PatientID, p store.Page) ([]store.Decision, error) {
	if !actor.Reaches(id) || (actor.Kind != clinic.ActorPatient && !actor.Can(clinic.PermReadPatients)) {
		return nil, fmt.Errorf("patient %d: %w", id, clinic.ErrNotFound)
	}
	var out []store.Decision
	err := db.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.Patients().Patient(ctx, actor.OrgID, id); err != nil {
			return err
		}
		var err error
		out, err = tx.Consent().Decisions(ctx, actor.OrgID, id, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, audit.Read(ctx, db, actor, ActionLogRead, id)
}

// ActionLogRead is the audit action of a read of a patient's decision log, also written by
// a page that shows it with the rest of the patient file.
const ActionLogRead = "patient.decisions"
