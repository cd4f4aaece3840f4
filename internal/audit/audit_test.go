package audit_test

import (
	"context"
	"strconv"
	"testing"
	"time"

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

// TestChangeKeepsWhatChanged: a settings change stores only the fields whose values differ,
// in the setting's own field order; a creation has null befores and a deletion null afters
// (ADM-5, "before/after values on settings changes").
func TestChangeKeepsWhatChanged(t *testing.T) {
	type rules struct {
		Step   int      `json:"step_minutes"`
		Online bool     `json:"online"`
		Name   string   `json:"name"`
		Days   []string `json:"days"`
	}
	was := rules{Step: 15, Online: true, Name: "Dr Martin", Days: []string{"mon"}}
	now := rules{Step: 10, Online: true, Name: "Dr Martin", Days: []string{"mon", "tue"}}
	type fc struct{ Field, Before, After string }
	flat := func(d audit.ChangeDetail) []fc {
		var out []fc
		for _, c := range d.Changes {
			out = append(out, fc{c.Field, string(c.Before), string(c.After)})
		}
		return out
	}
	for _, tc := range []struct {
		name          string
		before, after any
		want          []fc
	}{
		{"edit", was, now, []fc{{"step_minutes", "15", "10"}, {"days", `["mon"]`, `["mon","tue"]`}}},
		{"unchanged", was, was, nil},
		{"create", nil, rules{Step: 5}, []fc{{"step_minutes", "null", "5"}, {"online", "null", "false"}, {"name", "null", `""`}}}, // days: null both sides
		{"delete", map[string]int{"b": 2, "a": 1}, nil, []fc{{"a", "1", "null"}, {"b", "2", "null"}}},
		{"scalar", 3, 4, []fc{{"value", "3", "4"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := audit.Diff("subject", tc.before, tc.after)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, flat(d)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}

	ctx := context.Background()
	db := storetest.Open(t, nil)
	f := storetest.Seed(t, db, "a")
	admin := clinic.StaffActor(clinic.User{ID: 3, OrgID: f.Org.ID, Role: clinic.RoleAdministrator})
	other := clinic.StaffActor(clinic.User{ID: 4, OrgID: f.Org.ID, Role: clinic.RoleAdministrator})
	err := db.Update(ctx, func(tx *store.Tx) error {
		if err := audit.Change(ctx, tx, admin, "clinic.booking_rules", "Clinic A", was, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, other, "agenda.hours")
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []store.AuditEntry
	db.View(ctx, func(tx *store.Tx) (err error) {
		got, err = tx.AuditTrail().AuditLog(ctx, f.Org.ID, store.AuditFilter{UserID: 3, Action: "clinic."}, store.Page{})
		return err
	})
	if len(got) != 1 || got[0].Action != "clinic.booking_rules" {
		t.Fatalf("filtered by user and action prefix: %+v", got)
	}
	want := `{"subject":"Clinic A","changes":[{"field":"step_minutes","before":15,"after":10},{"field":"days","before":["mon"],"after":["mon","tue"]}]}`
	if got[0].Detail != want {
		t.Errorf("detail\n got %s\nwant %s", got[0].Detail, want)
	}
	for _, tc := range []struct {
		name string
		f    store.AuditFilter
		n    int
	}{
		{"exact action", store.AuditFilter{Action: "agenda.hours"}, 1},
		{"prefix is not a wildcard", store.AuditFilter{Action: "clinic_"}, 0},
		{"prefix", store.AuditFilter{Action: "agenda."}, 1},
		{"user", store.AuditFilter{UserID: 4}, 1},
		{"from the future", store.AuditFilter{From: time.Now().Add(time.Hour)}, 0},
		{"until the future", store.AuditFilter{To: time.Now().Add(time.Hour)}, 2},
	} {
		var es []store.AuditEntry
		db.View(ctx, func(tx *store.Tx) (err error) {
			es, err = tx.AuditTrail().AuditLog(ctx, f.Org.ID, tc.f, store.Page{})
			return err
		})
		if len(es) != tc.n {
			t.Errorf("%s: %d rows, want %d", tc.name, len(es), tc.n)
		}
	}
}
