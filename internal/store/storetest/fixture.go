package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// Fixture is a minimal organisation: one database, clinic, practitioner, agenda, reason and
// patient, for tests that need something to point at.
type Fixture struct {
	Org          clinic.Organisation
	Database     clinic.Database
	Clinic       clinic.Clinic
	Practitioner clinic.Practitioner
	Agenda       clinic.Agenda
	Reason       clinic.Reason
	Patient      clinic.Patient
}

// Seed creates a Fixture under the organisation slug.
func Seed(t testing.TB, db *store.DB, slug string) Fixture {
	t.Helper()
	var f Fixture
	ctx := context.Background()
	err := db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if f.Org, err = tx.Directory().CreateOrganisation(ctx, clinic.Organisation{Slug: slug, Name: "Org " + slug}); err != nil {
			return err
		}
		org := f.Org.ID
		if f.Database, err = tx.Directory().CreateDatabase(ctx, org, clinic.Database{Name: "PMS", Kind: clinic.KindHL7v2, Profile: clinic.ProfileZedmed, RespectOptOut: true}); err != nil {
			return err
		}
		if f.Clinic, err = tx.Directory().CreateClinic(ctx, org, clinic.Clinic{DatabaseID: f.Database.ID, Slug: "main", Name: "Main St", Zone: "Australia/Sydney", Region: "AU"}); err != nil {
			return err
		}
		// The clinic's patient portal is on and takes bookings, so that patients' online
		// bookings can be tested; tests of the switches turn them off.
		if err := tx.Portal().SavePortalSettings(ctx, store.PortalSettings{ClinicID: f.Clinic.ID, OrgID: org, Slug: slug + "-main", Enabled: true,
			OnlineBooking: true, ButtonSize: "medium", ButtonColour: "#0b5cad"}); err != nil {
			return err
		}
		if f.Practitioner, err = tx.Directory().CreatePractitioner(ctx, org, clinic.Practitioner{Name: "Dr Ada Lovelace", Title: "GP"}); err != nil {
			return err
		}
		pid := f.Practitioner.ID
		if f.Agenda, err = tx.Directory().CreateAgenda(ctx, org, clinic.Agenda{ClinicID: f.Clinic.ID, PractitionerID: &pid, Name: "Dr Lovelace", Active: true}); err != nil {
			return err
		}
		if f.Reason, err = tx.Directory().CreateReason(ctx, org, clinic.Reason{ClinicID: f.Clinic.ID, Name: "Standard consult", Duration: 15 * time.Minute,
			Notifications: true, OnlineBookable: true, AgendaIDs: []clinic.AgendaID{f.Agenda.ID}}); err != nil {
			return err
		}
		f.Patient, err = tx.Patients().CreatePatient(ctx, org, clinic.Patient{DatabaseID: f.Database.ID, ExternalID: "P1", GivenName: "Grace", FamilyName: "Hopper",
			BirthDate: "1980-12-09", Mobile: "+61412345678", Email: "grace@example.com", Language: "en"})
		return err
	})
	if err != nil {
		t.Fatalf("seed %s: %v", slug, err)
	}
	return f
}

// Count runs a COUNT(*) query (with $1… placeholders) and returns the count: tests that
// assert "nothing changed" read the table itself rather than trust the code under test.
func Count(t testing.TB, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	ctx := context.Background()
	err := db.Update(ctx, func(tx *store.Tx) error {
		switch raw := tx.Raw().(type) {
		case *sql.Tx:
			return raw.QueryRowContext(ctx, sqliteQuery(query), args...).Scan(&n)
		case pgx.Tx:
			return raw.QueryRow(ctx, query, args...).Scan(&n)
		}
		return fmt.Errorf("unknown driver transaction %T", tx.Raw())
	})
	if err != nil {
		t.Fatalf("count %q: %v", query, err)
	}
	return n
}

// sqliteQuery turns $1 placeholders into SQLite's ?1.
func sqliteQuery(q string) string { return strings.ReplaceAll(q, "$", "?") }
