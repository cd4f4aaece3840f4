package web

import (
	"context"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// AuditRead records a read of patient data by the caller of ctx (see audit.Read). Writes
// are audited by the use cases, inside their own transaction.
func AuditRead(ctx context.Context, db *store.DB, action string, ids ...clinic.PatientID) error {
	return audit.Read(ctx, db, MustActor(ctx), action, ids...)
}

// AuditTx records the caller's action inside tx.
//
// Deprecated: writes are audited by their use case; this remains for reads that page.
func AuditTx(ctx context.Context, tx *store.Tx, action string, ids ...clinic.PatientID) error {
	return audit.Record(ctx, tx, MustActor(ctx), action, ids...)
}
