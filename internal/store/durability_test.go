package store_test

import (
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// BenchmarkCommittedBooking measures acknowledged writes: each iteration commits one
// booking and its event in its own transaction, with the synchronous setting users get
// (FULL on SQLite, so every commit waits for the disk). The booking hammer in internal/cli
// mostly measures refused attempts; this is the cost of the ones that succeed.
func BenchmarkCommittedBooking(b *testing.B) {
	db := storetest.Open(b, nil)
	f := storetest.Seed(b, db, "acme")
	start := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := range b.N {
		s := start.Add(time.Duration(i) * 15 * time.Minute)
		err := db.Update(ctx, func(tx *store.Tx) error {
			a, err := tx.Appointments().CreateAppointment(ctx, f.Org.ID, clinic.Appointment{ClinicID: f.Clinic.ID, AgendaID: f.Agenda.ID, ReasonID: f.Reason.ID,
				PatientID: f.Patient.ID, Start: s, End: s.Add(15 * time.Minute), Status: clinic.StatusBooked, BookedBy: clinic.BookedByStaff})
			if err != nil {
				return err
			}
			return tx.Appointments().RecordEvent(ctx, f.Org.ID, store.AppointmentEvent{AppointmentID: a.ID, Kind: store.EventBooked, Status: a.Status, Actor: "bench"})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}

// TestSQLiteWritesAreDurable: the writer commits with synchronous=FULL in WAL mode, so an
// acknowledged booking, consent change or STOP survives a power loss.
func TestSQLiteWritesAreDurable(t *testing.T) {
	db, err := store.Open(ctx, store.Config{DSN: t.TempDir() + "/tidings.db"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	var sync int
	if err := db.SQLDB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := db.SQLDB().QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || sync != 2 {
		t.Errorf("writer: journal_mode=%s synchronous=%d, want wal and 2 (FULL)", mode, sync)
	}
}
