package store

import (
	"context"
	"encoding/json"
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
	// Detail is what a settings change changed, as audit.Change writes it (a JSON object
	// with the subject and each field's before and after values); "" for everything else.
	// It never holds patient data: changes of patient records are audited by id only.
	Detail string
}

// Audit records entries in one statement whatever their number (a day grid audits a read
// of each of its 200 patients): the rows travel as one JSON parameter, so the statement's
// text, its parse and its parameters stay the same size, where a VALUES list of 10
// parameters a row cost the day page a third of its time.
// Only the use-case packages and the audit package call it (TestStoreWritesOnlyFromUseCases).
// Errors: those of the driver, translated (errors.go).
func (tx AuditTrail) Audit(ctx context.Context, org clinic.OrgID, entries []AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	type entry struct {
		Actor     string `json:"actor"`
		Kind      string `json:"kind"`
		UserID    *int64 `json:"user_id"`
		TokenID   *int64 `json:"token_id"`
		PatientID *int64 `json:"patient_id"`
		Action    string `json:"action"`
		RequestID string `json:"request_id"`
		Detail    string `json:"detail"`
	}
	ref := func(v int64) *int64 {
		if v == 0 {
			return nil
		}
		return &v
	}
	rows := make([]entry, len(entries))
	for i, e := range entries {
		kind := e.ActorKind
		if kind == "" && e.TokenID != 0 {
			kind = "token"
		} else if kind == "" {
			kind = "staff"
		}
		rows[i] = entry{Actor: e.Actor, Kind: kind, UserID: ref(int64(e.UserID)), TokenID: ref(int64(e.TokenID)), PatientID: ref(int64(e.PatientID)),
			Action: e.Action, RequestID: e.RequestID, Detail: e.Detail}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	cols := [][2]string{{"actor", "text"}, {"kind", "text"}, {"user_id", "bigint"}, {"token_id", "bigint"}, {"patient_id", "bigint"},
		{"action", "text"}, {"request_id", "text"}, {"detail", "text"}}
	// Nothing reads the rows back before the commit, which carries them (execLater).
	return tx.execLater(ctx, "audit", `INSERT INTO audit_log (organisation_id, actor, actor_kind, user_id, token_id, patient_id, action, at, request_id, detail)
		SELECT $2, v.actor, v.kind, v.user_id, v.token_id, v.patient_id, v.action, $3, v.request_id, v.detail FROM `+tx.jsonRows(cols),
		string(b), org, tx.Now)
}

func zeroNil[T ~int64](v T) any {
	if v == 0 {
		return nil
	}
	return int64(v)
}

// AuditFilter narrows AuditLog; zero fields do not filter.
type AuditFilter struct {
	PatientID clinic.PatientID
	UserID    clinic.UserID
	// Action matches one action exactly ("appointment.cancel"), or every action under a
	// prefix when it ends with a dot ("appointment.").
	Action string
	// From and To bound the entries' time, [From, To).
	From, To time.Time
}

// AuditLog lists org's audit entries, newest first; Page.After is an id to continue below.
func (tx AuditTrail) AuditLog(ctx context.Context, org clinic.OrgID, f AuditFilter, p Page) ([]AuditEntry, error) {
	before := p.After
	if before <= 0 {
		before = 1<<63 - 1
	}
	var b strings.Builder
	b.WriteString(`SELECT id, organisation_id, actor, actor_kind, user_id, token_id, patient_id, action, at, request_id, detail
		FROM audit_log WHERE organisation_id = $1 AND id < $2`)
	args := []any{org, before, p.Size()}
	add := func(cond string, v any) {
		args = append(args, v)
		fmt.Fprintf(&b, " AND "+cond, len(args))
	}
	if f.PatientID != 0 {
		add("patient_id = $%d", int64(f.PatientID))
	}
	if f.UserID != 0 {
		add("user_id = $%d", int64(f.UserID))
	}
	if a, ok := strings.CutSuffix(f.Action, "."); ok && a != "" {
		// A prefix: escape LIKE's wildcards so an action name is matched literally.
		r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
		add(`action LIKE $%d ESCAPE '\'`, r.Replace(f.Action)+"%")
	} else if f.Action != "" {
		add("action = $%d", f.Action)
	}
	if !f.From.IsZero() {
		add("at >= $%d", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("at < $%d", f.To.UTC())
	}
	b.WriteString(" ORDER BY id DESC LIMIT $3")
	return collect(ctx, tx, func(r row) (AuditEntry, error) {
		var e AuditEntry
		var uid, tid, pid *int64
		err := r.Scan(&e.ID, &e.OrgID, &e.Actor, &e.ActorKind, &uid, &tid, &pid, &e.Action, &e.At, &e.RequestID, &e.Detail)
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
	}, b.String(), args...)
}

// AuditUsers lists every staff account of org, disabled ones included (their entries stay
// in the log), ordered by name then id: the audit page's "by user" filter and the names of
// its actors come from this one statement.
//
// Errors: none of its own.
func (tx AuditTrail) AuditUsers(ctx context.Context, org clinic.OrgID) ([]clinic.User, error) {
	us, err := collect(ctx, tx, scanUser, `SELECT `+userCols+` FROM users WHERE organisation_id = $1 ORDER BY name, id`, org)
	if err != nil {
		return nil, fmt.Errorf("audit users: %w", err)
	}
	return us, nil
}

// AuditTokens reads the API tokens of org named by ids, revoked ones included, in one
// statement: the audit page names the tokens that acted ("API token Sync bridge"). Ids of
// other organisations are absent from the result.
//
// Errors: none of its own.
func (tx AuditTrail) AuditTokens(ctx context.Context, org clinic.OrgID, ids []clinic.TokenID) (map[clinic.TokenID]clinic.Token, error) {
	out := make(map[clinic.TokenID]clinic.Token, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ts, err := collect(ctx, tx, func(r row) (clinic.Token, error) {
		var t clinic.Token
		err := r.Scan(&t.ID, &t.OrgID, &t.Name, &t.Role, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
		return t, err
	}, `SELECT id, organisation_id, name, role, created_at, last_used_at, revoked_at FROM api_tokens
		WHERE organisation_id = $1 AND id IN (`+idList(ids)+`)`, org)
	if err != nil {
		return nil, fmt.Errorf("audit tokens: %w", err)
	}
	for _, t := range ts {
		out[t.ID] = t
	}
	return out, nil
}
