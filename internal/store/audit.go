package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// AuditEntry is one read or write of patient data (ADM-2). It carries identifiers
// only: what was touched is named by the action and the patient's id, never by content.
type AuditEntry struct {
	ID        int64
	OrgID     clinic.OrgID
	Actor     string // "user:12", "token:3", "patient:9", "system:sync"
	ActorKind string // staff, token, patient, system (clinic.ActorKind)
	UserID    clinic.UserID
	TokenID   clinic.TokenID
	PatientID clinic.PatientID // 0 when the action concerned no single patient
	Action    string           // e.g. "patient.read", "appointment.update"
	At        time.Time
	RequestID string
}

// Audit records entries in one statement (a list page touches many patients at once).
// Only the use-case packages and the audit package call it (TestStoreWritesOnlyFromUseCases).
// Errors: those of the driver, translated (errors.go).
func (tx AuditTrail) Audit(ctx context.Context, org clinic.OrgID, entries []AuditEntry) error {
	const batch = 100
	for len(entries) > 0 {
		n := min(len(entries), batch)
		var b strings.Builder
		b.WriteString(`INSERT INTO audit_log (organisation_id, actor, actor_kind, user_id, token_id, patient_id, action, at, request_id) VALUES `)
		args := make([]any, 0, n*9)
		for i, e := range entries[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			k := len(args)
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8, k+9)
			kind := e.ActorKind
			if kind == "" && e.TokenID != 0 {
				kind = "token"
			} else if kind == "" {
				kind = "staff"
			}
			args = append(args, org, e.Actor, kind, zeroNil(e.UserID), zeroNil(e.TokenID), zeroNil(e.PatientID), e.Action, tx.Now, e.RequestID)
		}
		if _, err := tx.q.exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		entries = entries[n:]
	}
	return nil
}

func zeroNil[T ~int64](v T) any {
	if v == 0 {
		return nil
	}
	return int64(v)
}

// AuditFilter narrows AuditLog.
type AuditFilter struct {
	PatientID clinic.PatientID
}

// AuditLog lists org's audit entries, newest first; Page.After is an id to continue below.
func (tx AuditTrail) AuditLog(ctx context.Context, org clinic.OrgID, f AuditFilter, p Page) ([]AuditEntry, error) {
	before := p.After
	if before <= 0 {
		before = 1<<63 - 1
	}
	return collect(ctx, tx, func(r row) (AuditEntry, error) {
		var e AuditEntry
		var uid, tid, pid *int64
		err := r.Scan(&e.ID, &e.OrgID, &e.Actor, &e.ActorKind, &uid, &tid, &pid, &e.Action, &e.At, &e.RequestID)
		if uid != nil {
			e.UserID = clinic.UserID(*uid)
		}
		if tid != nil {
			e.TokenID = clinic.TokenID(*tid)
		}
		if pid != nil {
			e.PatientID = clinic.PatientID(*pid)
		}
		return e, err
	}, `SELECT id, organisation_id, actor, actor_kind, user_id, token_id, patient_id, action, at, request_id FROM audit_log
		WHERE organisation_id = $1 AND id < $2 AND (CAST($4 AS BIGINT) = 0 OR patient_id = $4) ORDER BY id DESC LIMIT $3`,
		org, before, p.Size(), int64(f.PatientID))
}
