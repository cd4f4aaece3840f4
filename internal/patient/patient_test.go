package patient_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// world is the storetest fixture (whose database is synced, HL7 v2) plus a builtin database
// with a clinic in France, and another organisation.
type world struct {
	db      *store.DB
	svc     *patient.Service
	f       storetest.Fixture
	builtin clinic.Database
	other   storetest.Fixture
}

func newWorld(t *testing.T) world {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, nil)
	w := world{db: db, svc: patient.New(db), f: storetest.Seed(t, db, "acme"), other: storetest.Seed(t, db, "globex")}
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		if w.builtin, err = tx.Directory().CreateDatabase(ctx, w.f.Org.ID, clinic.Database{Name: "Tidings records", Kind: clinic.KindBuiltin,
			Profile: clinic.ProfileGeneric, RespectOptOut: true}); err != nil {
			return err
		}
		_, err = tx.Directory().CreateClinic(ctx, w.f.Org.ID, clinic.Clinic{DatabaseID: w.builtin.ID, Slug: "paris", Name: "Marais",
			Zone: "Europe/Paris", Region: "FR"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w world) staff(r clinic.Role) clinic.Actor {
	return clinic.Actor{Kind: clinic.ActorStaff, OrgID: w.f.Org.ID, Role: r, UserID: 5, Label: "user:5"}
}

func (w world) token() clinic.Actor {
	return clinic.TokenActor(clinic.Token{ID: 3, OrgID: w.f.Org.ID, Role: clinic.RoleAdministrator})
}

func str(s string) *string { return &s }
func id64(n int64) *int64  { return &n }

// create makes a patient of the builtin database as reception does.
func (w world) create(t *testing.T, given string) clinic.Patient {
	t.Helper()
	p, err := w.svc.Create(context.Background(), w.staff(clinic.RoleReception), patient.Input{DatabaseID: id64(int64(w.builtin.ID)),
		GivenName: str(given), FamilyName: str("Martin"), Mobile: str("06 12 34 56 78"), BirthDate: str("1980-12-09")})
	if err != nil {
		t.Fatalf("create %s: %v", given, err)
	}
	return p
}

// fieldNames lists the fields of a validation error.
func fieldNames(err error) []string {
	var out []string
	for _, f := range clinic.FieldsOf(err) {
		out = append(out, f.Field)
	}
	return out
}

// TestPatientOwnership: staff create and edit every field of a builtin database's patients,
// but only what Tidings owns of a synced database's (its clinical software owns the rest,
// and its next update would undo a change made here); integrations write both (ADM-7).
func TestPatientOwnership(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	own := w.create(t, "Léa")
	if own.Mobile != "+33612345678" || own.Version != 1 {
		t.Errorf("created with mobile %q at version %d: want the French number in E.164, version 1", own.Mobile, own.Version)
	}
	synced := w.f.Patient
	recep, manager := w.staff(clinic.RoleReception), w.staff(clinic.RoleAppointmentManager)
	tests := []struct {
		name   string
		run    func() (clinic.Patient, error)
		err    error
		fields []string
	}{
		{"staff create a patient of a synced database", func() (clinic.Patient, error) {
			return w.svc.Create(ctx, recep, patient.Input{DatabaseID: id64(int64(w.f.Database.ID)), GivenName: str("A"), FamilyName: str("B")})
		}, clinic.ErrInvalid, []string{"database_id"}},
		{"a token creates one (an integration)", func() (clinic.Patient, error) {
			return w.svc.Create(ctx, w.token(), patient.Input{DatabaseID: id64(int64(w.f.Database.ID)), GivenName: str("A"), FamilyName: str("B")})
		}, nil, nil},
		{"staff edit a builtin patient's every field", func() (clinic.Patient, error) {
			return w.svc.UpdateIfVersion(ctx, recep, own.ID, own.Version, patient.Input{GivenName: str("Léa-Rose"), FamilyName: str("Martin"),
				BirthDate: str(""), Mobile: str("+61412345678"), Email: str("lea@example.fr"), Language: str("fr")})
		}, nil, nil},
		{"staff edit the clinical software's fields of a synced patient", func() (clinic.Patient, error) {
			return w.svc.Update(ctx, manager, synced.ID, patient.Input{GivenName: str("Ada"), Mobile: str("0412 345 679"), Language: str("fr")})
		}, clinic.ErrInvalid, []string{"given_name", "mobile"}},
		{"staff set a synced patient's language", func() (clinic.Patient, error) {
			return w.svc.UpdateIfVersion(ctx, manager, synced.ID, synced.Version, patient.Input{Language: str("fr")})
		}, nil, nil},
		{"a token writes the clinical software's values", func() (clinic.Patient, error) {
			return w.svc.Update(ctx, w.token(), synced.ID, patient.Input{GivenName: str("Grace M.")})
		}, nil, nil},
		{"a form shown before someone else saved", func() (clinic.Patient, error) {
			return w.svc.UpdateIfVersion(ctx, recep, own.ID, own.Version, patient.Input{GivenName: str("Lea")})
		}, clinic.ErrConflict, nil},
		{"a version that is not one", func() (clinic.Patient, error) {
			return w.svc.UpdateIfVersion(ctx, recep, own.ID, 0, patient.Input{GivenName: str("Lea")})
		}, clinic.ErrInvalid, []string{"version"}},
		{"a malformed birth date and e-mail, by field", func() (clinic.Patient, error) {
			return w.svc.Create(ctx, recep, patient.Input{DatabaseID: id64(int64(w.builtin.ID)), GivenName: str(" "), FamilyName: str("B"),
				BirthDate: str("09/12/1980"), Email: str("lea@"), Mobile: str("01 23 45 67 89")})
		}, clinic.ErrInvalid, []string{"given_name", "birth_date", "mobile", "email"}},
		{"a practitioner", func() (clinic.Patient, error) {
			return w.svc.Update(ctx, w.staff(clinic.RolePractitioner), own.ID, patient.Input{Language: str("en")})
		}, clinic.ErrForbidden, nil},
		{"another organisation's patient", func() (clinic.Patient, error) {
			return w.svc.Update(ctx, recep, w.other.Patient.ID, patient.Input{Language: str("en")})
		}, clinic.ErrNotFound, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.run()
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if d := cmp.Diff(tc.fields, fieldNames(err)); d != "" {
				t.Errorf("fields (-want +got):\n%s", d)
			}
			if err == nil && p.ID == 0 {
				t.Error("no patient returned")
			}
		})
	}
	// What the staff edit saved: every field, the version moved on.
	var got clinic.Patient
	err := w.db.View(ctx, func(tx *store.Tx) (err error) {
		got, err = tx.Patients().Patient(ctx, w.f.Org.ID, own.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Léa-Rose", "", "+61412345678", "lea@example.fr", "fr"}
	if d := cmp.Diff(want, []string{got.GivenName, got.BirthDate, got.Mobile, got.Email, got.Language}); d != "" || got.Version != 2 {
		t.Errorf("saved (-want +got):\n%s\nversion %d, want 2", d, got.Version)
	}
}

// TestSoftwareOwns: the language is Tidings' on every database; the rest is the clinical
// software's on a synced one.
func TestSoftwareOwns(t *testing.T) {
	for _, k := range clinic.DatabaseKinds() {
		for _, f := range []string{"given_name", "family_name", "birth_date", "mobile", "email", "external_id", "language"} {
			want := k != clinic.KindBuiltin && f != "language"
			if got := patient.SoftwareOwns(k, f); got != want {
				t.Errorf("SoftwareOwns(%s, %s) = %v, want %v", k, f, got, want)
			}
		}
	}
}
