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

// AuditTx records a read by the caller of ctx inside tx: a page writes the audit rows of
// everything it showed in one transaction before it is sent. Writes are audited by their use
// case, in the transaction of the write.
func AuditTx(ctx context.Context, tx *store.Tx, action string, ids ...clinic.PatientID) error {
	return audit.Record(ctx, tx, MustActor(ctx), action, ids...)
}
