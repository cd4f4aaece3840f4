// Package audit records who read or changed patient data (ADM-2), for every kind of actor:
// staff in the dashboard, API tokens, patients in the portal, and the system (jobs, sync,
// webhooks). Use cases call Record inside their own write transaction, so the change and its
// audit row commit together; reads call Read before the answer leaves.
//
// An audit row carries identifiers only (actor, patient id, action, request id), never
// patient content; a settings change (Change) also carries the setting's values before and
// after, which are the clinic's configuration, not patient data. The request id travels in the context (WithRequestID) so a row written by a job
// or a sync worker simply has none.
//
// It imports the clinic vocabulary and the store, and nothing of the web surfaces.
package audit

import (
	"bytes"
	"context"
	"encoding/json"
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

// FieldChange is one field a settings change changed, with its values before and after
// (JSON null when the field did not exist on that side: a creation or a deletion).
type FieldChange struct {
	Field  string          `json:"field"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// ChangeDetail is what audit.Change stores in an entry's Detail.
type ChangeDetail struct {
	// Subject names what was changed in words a reader of the log understands
	// ("Dr Martin's agenda", "reason Vaccination"); never a patient.
	Subject string        `json:"subject"`
	Changes []FieldChange `json:"changes"`
}

// Change records a settings change with the values it changed (ADM-5: an administrator
// asks "who turned SMS off for this agenda, and what was it before?"). before and after are
// the setting as it was and as it is, any value encoding/json turns into an object (a
// struct, a map); nil stands for "did not exist", so a creation lists every field with a
// null before and a deletion every field with a null after. Only the fields whose JSON
// differs are kept, in field order. It must not be given patient data: patient records
// are audited by id with Record, and the log shows no content of theirs.
func Change(ctx context.Context, tx *store.Tx, actor clinic.Actor, action, subject string, before, after any) error {
	d, err := Diff(subject, before, after)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if actor.OrgID == 0 {
		return fmt.Errorf("audit %s: actor %q has no organisation", action, actor.Label)
	}
	es := Entries(ctx, actor, action)
	es[0].Detail = string(b)
	return tx.AuditTrail().Audit(ctx, actor.OrgID, es)
}

// Diff compares before and after field by field, as Change stores them.
func Diff(subject string, before, after any) (ChangeDetail, error) {
	d := ChangeDetail{Subject: subject, Changes: []FieldChange{}}
	b, order1, err := fields(before)
	if err != nil {
		return d, err
	}
	a, order2, err := fields(after)
	if err != nil {
		return d, err
	}
	null := json.RawMessage("null")
	seen := map[string]bool{}
	for _, k := range append(order1, order2...) {
		if seen[k] {
			continue
		}
		seen[k] = true
		x, okx := b[k]
		y, oky := a[k]
		if !okx {
			x = null
		}
		if !oky {
			y = null
		}
		if bytes.Equal(x, y) {
			continue
		}
		d.Changes = append(d.Changes, FieldChange{Field: k, Before: x, After: y})
	}
	return d, nil
}

// fields flattens v's JSON object into its top-level members, in the order encoding/json
// writes them (a struct's field order, a map's sorted keys). A value that is not an object
// is one member named "value".
func fields(v any) (map[string]json.RawMessage, []string, error) {
	if v == nil {
		return nil, nil, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, nil, err
	}
	if len(raw) == 0 || raw[0] != '{' {
		return map[string]json.RawMessage{"value": raw}, []string{"value"}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	m := map[string]json.RawMessage{}
	var order []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k, _ := t.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, nil, err
		}
		m[k] = val
		order = append(order, k)
	}
	return m, order, nil
}
