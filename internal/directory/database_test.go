package directory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestUpdateDatabaseSharedConfirmation: changing respect_opt_out of a database two clinics
// share needs a confirmation (CON-2); a confirmation that names other clinics than those
// sharing it now (a stale prompt) is refused like none, and a refused save changes nothing.
func TestUpdateDatabaseSharedConfirmation(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	f := storetest.Seed(t, db, "a")
	svc := directory.New(db)
	admin := clinic.Actor{Kind: clinic.ActorStaff, OrgID: f.Org.ID, Role: clinic.RoleAdministrator, UserID: 1, Label: "user:1"}
	var second clinic.Clinic
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		second, err = tx.Directory().CreateClinic(ctx, f.Org.ID, clinic.Clinic{DatabaseID: f.Database.ID, Slug: "second", Name: "Second St",
			Zone: "Australia/Sydney", Region: "AU"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	off := false
	current := func() bool {
		t.Helper()
		var d clinic.Database
		if err := db.View(ctx, func(tx *store.Tx) (err error) {
			d, err = tx.Directory().Database(ctx, f.Org.ID, f.Database.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return d.RespectOptOut
	}
	tests := []struct {
		name      string
		confirmed []clinic.ClinicID
		confirm   bool
	}{
		{"no confirmation", nil, false},
		{"stale: one clinic named", []clinic.ClinicID{f.Clinic.ID}, true},
		{"stale: another clinic named", []clinic.ClinicID{f.Clinic.ID, second.ID + 100}, true},
	}
	for _, tc := range tests {
		_, err := svc.UpdateDatabase(ctx, admin, f.Database.ID, directory.DatabaseInput{RespectOptOut: &off, ConfirmShared: tc.confirm, Confirmed: tc.confirmed})
		var ce *clinic.ConflictError
		if !errors.As(err, &ce) || ce.Field != "confirm_shared" {
			t.Errorf("%s: %v, want a conflict on confirm_shared", tc.name, err)
		}
		if !current() {
			t.Errorf("%s: the setting changed", tc.name)
		}
	}
	if _, err := svc.UpdateDatabase(ctx, admin, f.Database.ID, directory.DatabaseInput{RespectOptOut: &off, ConfirmShared: true,
		Confirmed: []clinic.ClinicID{second.ID, f.Clinic.ID}}); err != nil {
		t.Fatalf("confirmed naming both clinics: %v", err)
	}
	if current() {
		t.Error("the confirmed change was not saved")
	}
}
