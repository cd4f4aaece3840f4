package web

import (
	"context"
	"fmt"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// AuditEntries builds the audit rows for the caller of ctx touching patients with action
// (ADM-2): one row per patient, or one row without a patient when ids is empty.
func AuditEntries(ctx context.Context, action string, ids ...clinic.PatientID) []store.AuditEntry {
	a := MustActor(ctx)
	base := store.AuditEntry{OrgID: a.OrgID, Actor: a.Label, UserID: a.UserID, TokenID: a.TokenID, Action: action, RequestID: RequestID(ctx)}
	if len(ids) == 0 {
		return []store.AuditEntry{base}
	}
	out := make([]store.AuditEntry, 0, len(ids))
	seen := make(map[clinic.PatientID]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		e := base
		e.PatientID = id
		out = append(out, e)
	}
	return out
}

// AuditTx records the caller's action inside an existing write transaction, so the write
// and its audit row commit together.
func AuditTx(ctx context.Context, tx *store.Tx, action string, ids ...clinic.PatientID) error {
	return tx.Audit(ctx, MustActor(ctx).OrgID, AuditEntries(ctx, action, ids...))
}

// AuditRead records a read of patient data in its own transaction. Handlers call it after
// reading and before answering: if the audit row cannot be written, the data is not shown.
func AuditRead(ctx context.Context, db *store.DB, action string, ids ...clinic.PatientID) error {
	err := db.Update(ctx, func(tx *store.Tx) error { return AuditTx(ctx, tx, action, ids...) })
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
