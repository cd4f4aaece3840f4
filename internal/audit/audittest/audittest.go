// Package audittest reads back, in tests, the settings changes audit.Change recorded, so
// that each use-case package checks its before/after values the same way (ADM-5).
package audittest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// Change is one audit row of a settings change, decoded.
type Change struct {
	Action  string
	Subject string
	Changes []string // "field: before → after", the values in JSON
}

// Lines is e's detail as "field: before → after" lines; nil for a row without one. A
// detail that is not audit.Change's JSON fails the test.
func Lines(t testing.TB, e store.AuditEntry) []string {
	t.Helper()
	if e.Detail == "" {
		return nil
	}
	return decode(t, e).Changes
}

func decode(t testing.TB, e store.AuditEntry) Change {
	t.Helper()
	var d audit.ChangeDetail
	if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
		t.Errorf("row %d (%s) has no change detail: %q", e.ID, e.Action, e.Detail)
		return Change{Action: e.Action}
	}
	c := Change{Action: e.Action, Subject: d.Subject}
	for _, f := range d.Changes {
		c.Changes = append(c.Changes, f.Field+": "+string(f.Before)+" → "+string(f.After))
	}
	return c
}

// ChangesSince reads the audit rows org gained after row id since (at most 500), oldest
// first, decoded; every detail as stored, concatenated, for checks that a secret never
// reached the log; and the newest row's id, to pass as since next time. A row without a
// change detail fails the test.
func ChangesSince(t testing.TB, db *store.DB, org clinic.OrgID, since int64) ([]Change, string, int64) {
	t.Helper()
	ctx := context.Background()
	var es []store.AuditEntry
	if err := db.View(ctx, func(tx *store.Tx) (err error) {
		es, err = tx.AuditTrail().AuditLog(ctx, org, store.AuditFilter{}, store.Page{Limit: 500})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var out []Change
	var raw strings.Builder
	last := since
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		if e.ID <= since {
			continue
		}
		last = max(last, e.ID)
		raw.WriteString(e.Detail)
		out = append(out, decode(t, e))
	}
	return out, raw.String(), last
}
