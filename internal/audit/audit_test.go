package audit_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestRecordEveryKind: rows are written for every kind of actor, from a request (with its
// id) or from a job or sync worker (without one), one per distinct patient (ADM-2).
func TestRecordEveryKind(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	f := storetest.Seed(t, db, "a")
	org, p := f.Org.ID, f.Patient.ID
	actors := []clinic.Actor{
		clinic.StaffActor(clinic.User{ID: 3, OrgID: org, Role: clinic.RoleReception}),
		clinic.TokenActor(clinic.Token{ID: 4, OrgID: org, Role: clinic.RoleAdministrator}),
		clinic.PatientActor(org, p),
		clinic.SystemActor(org, "sync"),
	}
	for i, a := range actors {
		c := ctx
		if i < 2 {
			c = audit.WithRequestID(ctx, "req-1")
		}
		if err := db.Update(c, func(tx *store.Tx) error { return audit.Record(c, tx, a, "patient.update", p, p) }); err != nil {
			t.Fatalf("%s: %v", a.Label, err)
		}
	}
	if err := db.Update(ctx, func(tx *store.Tx) error { return audit.Record(ctx, tx, clinic.Actor{Label: "nobody"}, "x") }); err == nil {
		t.Error("an actor without an organisation was recorded")
	}
	var got []store.AuditEntry
	db.View(ctx, func(tx *store.Tx) (err error) {
		got, err = tx.AuditTrail().AuditLog(ctx, org, store.AuditFilter{}, store.Page{})
		return err
	})
	want := []store.AuditEntry{
		{OrgID: org, Actor: "system:sync", ActorKind: "system", PatientID: p, Action: "patient.update"},
		{OrgID: org, Actor: "patient:" + strconv.FormatInt(int64(p), 10), ActorKind: "patient", PatientID: p, Action: "patient.update"},
		{OrgID: org, Actor: "token:4", ActorKind: "token", TokenID: 4, PatientID: p, Action: "patient.update", RequestID: "req-1"},
		{OrgID: org, Actor: "user:3", ActorKind: "staff", UserID: 3, PatientID: p, Action: "patient.update", RequestID: "req-1"},
	}
	if d := cmp.Diff(want, got, cmpopts.IgnoreFields(store.AuditEntry{}, "ID", "At")); d != "" {
		t.Errorf("audit rows (-want +got):\n%s", d)
	}
}
