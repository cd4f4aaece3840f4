// Package audit records who read or changed patient data (ADM-2), for every kind of actor:
// staff in the dashboard, API tokens, patients in the portal, and the system (jobs, sync,
// webhooks). Use cases call Record inside their own write transaction, so the change and its
// audit row commit together; reads call Read before the answer leaves.
//
// An audit row carries identifiers only (actor, patient id, action, request id), never
// content. The request id travels in the context (WithRequestID) so a row written by a job
// or a sync worker simply has none.
//
// It imports the clinic vocabulary and the store, and nothing of the web surfaces.
package audit

import (
	"context"
	"fmt"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

type ctxKey struct{}

// WithRequestID returns ctx carrying the id of the request being served, so audit rows
// written on its behalf can be tied to the request's log line.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// RequestID returns the request id ctx carries, or "" outside a request (jobs, sync).
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(ctxKey{}).(string)
	return s
}

// Entries builds the rows for actor touching patients with action: one row per distinct
// patient, or one row without a patient when ids is empty.
func Entries(ctx context.Context, actor clinic.Actor, action string, ids ...clinic.PatientID) []store.AuditEntry {
	base := store.AuditEntry{OrgID: actor.OrgID, Actor: actor.Label, ActorKind: string(actor.Kind), UserID: actor.UserID,
		TokenID: actor.TokenID, Action: action, RequestID: RequestID(ctx)}
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

// Record writes actor's action inside tx, the transaction of the change it describes.
func Record(ctx context.Context, tx *store.Tx, actor clinic.Actor, action string, ids ...clinic.PatientID) error {
	if actor.OrgID == 0 {
		return fmt.Errorf("audit %s: actor %q has no organisation", action, actor.Label)
	}
	return tx.AuditTrail().Audit(ctx, actor.OrgID, Entries(ctx, actor, action, ids...))
}

// Read records a read of patient data in its own transaction. Callers read, call Read, and
// only then answer: if the row cannot be written, the data is not shown.
func Read(ctx context.Context, db *store.DB, actor clinic.Actor, action string, ids ...clinic.PatientID) error {
	err := db.Update(ctx, func(tx *store.Tx) error { return Record(ctx, tx, actor, action, ids...) })
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
