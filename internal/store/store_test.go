package store_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

var ctx = context.Background()

func fixedClock() func() time.Time {
	t := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	return func() time.Time { return t }
}

// TestMigrationFoldersAgree keeps the two dialects' migrations numbered alike (house rule 10);
// TestMigratedSchemasAgree (schema_test.go) checks that they build the same schema.
func TestMigrationFoldersAgree(t *testing.T) {
	names := func(dir string) []string {
		var out []string
		err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				out = append(out, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(out)
		return out
	}
	lite, pg := names(filepath.Join("migrations", "sqlite")), names(filepath.Join("migrations", "postgres"))
	if len(lite) == 0 {
		t.Fatal("no migrations found")
	}
	if d := cmp.Diff(lite, pg); d != "" {
		t.Errorf("migration folders differ (-sqlite +postgres):\n%s", d)
	}
}

func TestParseDSN(t *testing.T) {
	tests := []struct {
		name, dsn string
		dialect   store.Dialect
		bad       bool
	}{
		{"file path", "./data/tidings.db", store.SQLite, false},
		{"sqlite scheme", "sqlite:/tmp/x.db", store.SQLite, false},
		{"postgres", "postgres://u@localhost:5432/db", store.Postgres, false},
		{"postgresql", "postgresql://u:pw@localhost/db?sslmode=disable", store.Postgres, false},
		{"mysql refused", "mysql://localhost/db", "", true},
		{"empty", "", "", true},
		{"postgres without host", "postgres://", "", true},
		{"empty sqlite", "sqlite:", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _, err := store.ParseDSN(tt.dsn)
			if tt.bad {
				if !errors.Is(err, store.ErrBadDSN) {
					t.Fatalf("err = %v, want ErrBadDSN", err)
				}
				return
			}
			if err != nil || d != tt.dialect {
				t.Fatalf("got %q, %v; want %q", d, err, tt.dialect)
			}
		})
	}
}

func TestParseDSNRedactsPassword(t *testing.T) {
	_, _, err := store.ParseDSN("postgres://user:s3cret@localhost:notaport/db")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("err = %v: want an error without the password", err)
	}
}

func TestOpenUnwritableDir(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes anywhere; use a path under a regular file instead.
		f := filepath.Join(t.TempDir(), "file")
		os.WriteFile(f, nil, 0o600)
		_, err := store.Open(ctx, store.Config{DSN: filepath.Join(f, "sub", "x.db")})
		if !errors.Is(err, store.ErrUnreachable) {
			t.Fatalf("err = %v, want ErrUnreachable", err)
		}
		return
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o500)
	_, err := store.Open(ctx, store.Config{DSN: filepath.Join(dir, "x.db")})
	if !errors.Is(err, store.ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
}

func TestOpenUnreachablePostgres(t *testing.T) {
	_, err := store.Open(ctx, store.Config{DSN: "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"})
	if !errors.Is(err, store.ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
}

func TestMigrationsCurrent(t *testing.T) {
	db := storetest.Open(t, nil)
	ok, err := db.MigrationsCurrent(ctx)
	if err != nil || !ok {
		t.Fatalf("MigrationsCurrent = %v, %v", ok, err)
	}
	// Migrating twice is a no-op.
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	db := storetest.Open(t, fixedClock())
	f := storetest.Seed(t, db, "acme")
	ignore := cmpopts.IgnoreFields(clinic.Patient{}, "CreatedAt", "UpdatedAt")
	err := db.View(ctx, func(tx *store.Tx) error {
		p, err := tx.Patients().Patient(ctx, f.Org.ID, f.Patient.ID)
		if err != nil {
			return err
		}
		if d := cmp.Diff(f.Patient, p, ignore); d != "" {
			t.Errorf("patient (-want +got):\n%s", d)
		}
		if !p.CreatedAt.Equal(fixedClock()()) {
			t.Errorf("created_at = %v", p.CreatedAt)
		}
		r, err := tx.Directory().Reason(ctx, f.Org.ID, f.Reason.ID)
		if err != nil {
			return err
		}
		if d := cmp.Diff(f.Reason, r, cmpopts.IgnoreFields(clinic.Reason{}, "CreatedAt", "UpdatedAt")); d != "" {
			t.Errorf("reason (-want +got):\n%s", d)
		}
		a, err := tx.Directory().Agenda(ctx, f.Org.ID, f.Agenda.ID)
		if err != nil {
			return err
		}
		if a.PractitionerID == nil || *a.PractitionerID != f.Practitioner.ID {
			t.Errorf("agenda practitioner = %v", a.PractitionerID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTenantScoping(t *testing.T) {
	db := storetest.Open(t, nil)
	a := storetest.Seed(t, db, "a")
	b := storetest.Seed(t, db, "b")
	err := db.View(ctx, func(tx *store.Tx) error {
		checks := map[string]error{}
		_, checks["patient"] = tx.Patients().Patient(ctx, a.Org.ID, b.Patient.ID)
		_, checks["clinic"] = tx.Directory().Clinic(ctx, a.Org.ID, b.Clinic.ID)
		_, checks["database"] = tx.Directory().Database(ctx, a.Org.ID, b.Database.ID)
		_, checks["agenda"] = tx.Directory().Agenda(ctx, a.Org.ID, b.Agenda.ID)
		_, checks["reason"] = tx.Directory().Reason(ctx, a.Org.ID, b.Reason.ID)
		_, checks["practitioner"] = tx.Directory().Practitioner(ctx, a.Org.ID, b.Practitioner.ID)
		for name, err := range checks {
			if !errors.Is(err, clinic.ErrNotFound) {
				t.Errorf("%s of b read as a: err = %v, want ErrNotFound", name, err)
			}
		}
		ps, err := tx.Patients().ListPatients(ctx, a.Org.ID, store.PatientFilter{}, store.Page{})
		if err != nil {
			return err
		}
		if len(ps) != 1 || ps[0].ID != a.Patient.ID {
			t.Errorf("a's patients = %v", ps)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A write naming b's records from a fails as not found, and writes nothing.
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Patients().CreatePatient(ctx, a.Org.ID, clinic.Patient{DatabaseID: b.Database.ID, GivenName: "X", FamilyName: "Y", Language: "en"})
		return err
	})
	if !errors.Is(err, clinic.ErrNotFound) {
		t.Fatalf("patient in another org's database: err = %v, want ErrNotFound", err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		p := b.Patient
		p.GivenName = "Hijacked"
		_, err := tx.Patients().UpdatePatient(ctx, a.Org.ID, p)
		return err
	})
	if !errors.Is(err, clinic.ErrNotFound) {
		t.Fatalf("update b's patient as a: err = %v", err)
	}
}

func TestErrorTranslation(t *testing.T) {
	db := storetest.Open(t, nil)
	f := storetest.Seed(t, db, "acme")
	err := db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Directory().CreateOrganisation(ctx, clinic.Organisation{Slug: "acme", Name: "dup"})
		return err
	})
	if !errors.Is(err, clinic.ErrConflict) {
		t.Errorf("duplicate slug: %v, want ErrConflict", err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Patients().CreatePatient(ctx, f.Org.ID, clinic.Patient{DatabaseID: f.Database.ID, ExternalID: "P1", GivenName: "A", FamilyName: "B", Language: "en"})
		return err
	})
	if !errors.Is(err, clinic.ErrConflict) {
		t.Errorf("duplicate external id: %v, want ErrConflict", err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Directory().CreateAgenda(ctx, f.Org.ID, clinic.Agenda{ClinicID: 999999, Name: "x"})
		return err
	})
	if !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("missing clinic: %v, want ErrNotFound", err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Directory().CreateReason(ctx, f.Org.ID, clinic.Reason{ClinicID: f.Clinic.ID, Name: "x", Duration: time.Minute})
		return err
	})
	if !errors.Is(err, clinic.ErrInvalid) {
		t.Errorf("check constraint: %v, want ErrInvalid", err)
	}
}

func TestUpdateRollsBack(t *testing.T) {
	db := storetest.Open(t, nil)
	f := storetest.Seed(t, db, "acme")
	boom := errors.New("boom")
	err := db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Patients().CreatePatient(ctx, f.Org.ID, clinic.Patient{DatabaseID: f.Database.ID, GivenName: "Half", FamilyName: "Written", Language: "en"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	db.View(ctx, func(tx *store.Tx) error {
		ps, _ := tx.Patients().ListPatients(ctx, f.Org.ID, store.PatientFilter{Name: "written"}, store.Page{})
		if len(ps) != 0 {
			t.Errorf("rolled back patient is visible: %v", ps)
		}
		return nil
	})
}

func TestPatientSearchAndPaging(t *testing.T) {
	db := storetest.Open(t, nil)
	f := storetest.Seed(t, db, "acme")
	names := [][2]string{{"Zoé", "Dupré"}, {"Marc", "Dupont"}, {"Anne", "Martin"}, {"Jean", "Dupré"}}
	db.Update(ctx, func(tx *store.Tx) error {
		for i, n := range names {
			_, err := tx.Patients().CreatePatient(ctx, f.Org.ID, clinic.Patient{DatabaseID: f.Database.ID, GivenName: n[0], FamilyName: n[1], Language: "fr",
				Email: []string{"a@x.fr", "b@x.fr", "c@x.fr", "A@X.fr"}[i]})
			if err != nil {
				t.Fatal(err)
			}
		}
		return nil
	})
	tests := []struct {
		name   string
		filter store.PatientFilter
		want   []string
	}{
		{"family prefix folds accents", store.PatientFilter{Name: "DUPRE"}, []string{"Zoé", "Jean"}},
		{"family prefix", store.PatientFilter{Name: "dup"}, []string{"Zoé", "Marc", "Jean"}},
		{"given then family", store.PatientFilter{Name: "marc dup"}, []string{"Marc"}},
		{"family then given", store.PatientFilter{Name: "dupre zo"}, []string{"Zoé"}},
		{"given alone", store.PatientFilter{Name: "anne"}, []string{"Anne"}},
		{"wildcards are literal", store.PatientFilter{Name: "%"}, []string{"Grace", "Zoé", "Marc", "Anne", "Jean"}},
		{"email case-insensitive", store.PatientFilter{Email: "a@x.FR"}, []string{"Zoé", "Jean"}},
		{"external id", store.PatientFilter{ExternalID: "P1"}, []string{"Grace"}},
		{"mobile", store.PatientFilter{Mobile: "+61412345678"}, []string{"Grace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			db.View(ctx, func(tx *store.Tx) error {
				ps, err := tx.Patients().ListPatients(ctx, f.Org.ID, tt.filter, store.Page{})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range ps {
					got = append(got, p.GivenName)
				}
				return nil
			})
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	// Paging by two walks every patient exactly once.
	var seen []clinic.PatientID
	page := store.Page{Limit: 2}
	for {
		var ps []clinic.Patient
		db.View(ctx, func(tx *store.Tx) (err error) {
			ps, err = tx.Patients().ListPatients(ctx, f.Org.ID, store.PatientFilter{}, page)
			return err
		})
		for _, p := range ps {
			seen = append(seen, p.ID)
		}
		if len(ps) < 2 {
			break
		}
		page.After = int64(ps[len(ps)-1].ID)
	}
	if len(seen) != 5 {
		t.Errorf("paged through %d patients, want 5", len(seen))
	}
}

func TestRelatives(t *testing.T) {
	db := storetest.Open(t, nil)
	f := storetest.Seed(t, db, "acme")
	var child clinic.Patient
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		child, err = tx.Patients().CreatePatient(ctx, f.Org.ID, clinic.Patient{DatabaseID: f.Database.ID, GivenName: "Kid", FamilyName: "Hopper", Language: "en", Mobile: f.Patient.Mobile})
		if err != nil {
			return err
		}
		return tx.Patients().LinkRelatives(ctx, f.Org.ID, f.Patient.ID, child.ID, clinic.RelParent)
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(ctx, func(tx *store.Tx) error {
		rs, err := tx.Patients().Relatives(ctx, f.Org.ID, child.ID)
		if err != nil || len(rs) != 1 || rs[0].Patient.ID != f.Patient.ID || rs[0].Relationship != clinic.RelParent {
			t.Errorf("child's relatives = %+v, %v; want the parent", rs, err)
		}
		rs, err = tx.Patients().Relatives(ctx, f.Org.ID, f.Patient.ID)
		if err != nil || len(rs) != 1 || rs[0].Patient.ID != child.ID || rs[0].Relationship != clinic.RelChild {
			t.Errorf("parent's relatives = %+v, %v; want the child", rs, err)
		}
		return nil
	})
}

func TestAppointmentOverlapAndCAS(t *testing.T) {
	db := storetest.Open(t, fixedClock())
	f := storetest.Seed(t, db, "acme")
	start := time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC)
	book := func(s time.Time, st clinic.Status) (clinic.Appointment, error) {
		var a clinic.Appointment
		err := db.Update(ctx, func(tx *store.Tx) (err error) {
			a, err = tx.Appointments().CreateAppointment(ctx, f.Org.ID, clinic.Appointment{ClinicID: f.Clinic.ID, AgendaID: f.Agenda.ID, ReasonID: f.Reason.ID,
				PatientID: f.Patient.ID, Start: s, End: s.Add(15 * time.Minute), Status: st, BookedBy: clinic.BookedByStaff})
			return err
		})
		return a, err
	}
	first, err := book(start, clinic.StatusBooked)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := book(start.Add(10*time.Minute), clinic.StatusBooked); !errors.Is(err, clinic.ErrConflict) {
		t.Errorf("overlapping booking: %v, want ErrConflict", err)
	}
	if _, err := book(start.Add(15*time.Minute), clinic.StatusBooked); err != nil {
		t.Errorf("back-to-back booking: %v", err)
	}
	if _, err := book(start, clinic.StatusCancelled); err != nil {
		t.Errorf("a cancelled appointment holds no slot: %v", err)
	}
	// Compare-and-swap: the second writer with the stale version loses.
	upd := first
	upd.Status = clinic.StatusArrived
	var got clinic.Appointment
	if err := db.Update(ctx, func(tx *store.Tx) (err error) {
		got, err = tx.Appointments().UpdateAppointment(ctx, f.Org.ID, upd)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.Status != clinic.StatusArrived {
		t.Errorf("after update: version %d status %s", got.Version, got.Status)
	}
	stale := first
	stale.Status = clinic.StatusCancelled
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Appointments().UpdateAppointment(ctx, f.Org.ID, stale)
		return err
	})
	if !errors.Is(err, clinic.ErrConflict) {
		t.Errorf("stale update: %v, want ErrConflict", err)
	}
	db.View(ctx, func(tx *store.Tx) error {
		as, err := tx.Appointments().AppointmentsByTime(ctx, f.Org.ID, store.AppointmentFilter{AgendaID: f.Agenda.ID, From: start, To: start.Add(time.Hour)})
		if err != nil || len(as) != 3 {
			t.Errorf("appointments in the hour = %d, %v; want 3", len(as), err)
		}
		if len(as) > 0 && !as[0].Start.Equal(start) {
			t.Errorf("first start = %v", as[0].Start)
		}
		return nil
	})
}

func TestAuditLog(t *testing.T) {
	db := storetest.Open(t, fixedClock())
	a := storetest.Seed(t, db, "a")
	b := storetest.Seed(t, db, "b")
	err := db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.AuditTrail().Audit(ctx, a.Org.ID, []store.AuditEntry{{Actor: "user:1", UserID: 1, PatientID: a.Patient.ID, Action: "patient.read", RequestID: "r1"},
			{Actor: "token:2", TokenID: 2, Action: "patient.list", RequestID: "r2"},
			{Actor: "system:sync", ActorKind: "system", PatientID: a.Patient.ID, Action: "patient.update"}}); err != nil {
			return err
		}
		var many []store.AuditEntry
		for range 250 {
			many = append(many, store.AuditEntry{Actor: "user:9", UserID: 9, PatientID: b.Patient.ID, Action: "patient.list", RequestID: "r3"})
		}
		return tx.AuditTrail().Audit(ctx, b.Org.ID, many)
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(ctx, func(tx *store.Tx) error {
		es, err := tx.AuditTrail().AuditLog(ctx, a.Org.ID, store.AuditFilter{}, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		want := []store.AuditEntry{ // the kind is inferred for staff and tokens when not given
			{OrgID: a.Org.ID, Actor: "system:sync", ActorKind: "system", PatientID: a.Patient.ID, Action: "patient.update", At: fixedClock()()},
			{OrgID: a.Org.ID, Actor: "token:2", ActorKind: "token", TokenID: 2, Action: "patient.list", RequestID: "r2", At: fixedClock()()},
			{OrgID: a.Org.ID, Actor: "user:1", ActorKind: "staff", UserID: 1, PatientID: a.Patient.ID, Action: "patient.read", RequestID: "r1", At: fixedClock()()},
		}
		if d := cmp.Diff(want, es, cmpopts.IgnoreFields(store.AuditEntry{}, "ID")); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
		es, _ = tx.AuditTrail().AuditLog(ctx, b.Org.ID, store.AuditFilter{PatientID: b.Patient.ID}, store.Page{Limit: 500})
		if len(es) != 250 {
			t.Errorf("b's entries = %d, want 250", len(es))
		}
		return nil
	})
}
