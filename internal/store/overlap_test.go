package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// overlapWorld books on the fixture's agenda on 2 March 2026 (UTC).
type overlapWorld struct {
	t  *testing.T
	db *store.DB
	f  storetest.Fixture
}

func (w overlapWorld) at(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }

func (w overlapWorld) create(start time.Time, by clinic.BookedBy, st clinic.Status) (clinic.Appointment, error) {
	var a clinic.Appointment
	err := w.db.Update(ctx, func(tx *store.Tx) (err error) {
		a, err = tx.Appointments().CreateAppointment(ctx, w.f.Org.ID, clinic.Appointment{ClinicID: w.f.Clinic.ID, AgendaID: w.f.Agenda.ID, ReasonID: w.f.Reason.ID,
			PatientID: w.f.Patient.ID, Start: start, End: start.Add(15 * time.Minute), Status: st, BookedBy: by})
		return err
	})
	return a, err
}

func (w overlapWorld) update(a clinic.Appointment) (clinic.Appointment, error) {
	var got clinic.Appointment
	err := w.db.Update(ctx, func(tx *store.Tx) (err error) {
		got, err = tx.Appointments().UpdateAppointment(ctx, w.f.Org.ID, a)
		return err
	})
	return got, err
}

func (w overlapWorld) must(a clinic.Appointment, err error) clinic.Appointment {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

// TestSyncedOverlapsKept: the PMS is the record. A synced appointment is kept even where it
// overlaps others (synced or booked in Tidings); a Tidings booking into any busy time, synced
// or not, is refused with ErrSlotTaken; a status change in place is never refused.
func TestSyncedOverlapsKept(t *testing.T) {
	db := storetest.Open(t, fixedClock())
	w := overlapWorld{t: t, db: db, f: storetest.Seed(t, db, "acme")}
	bySync, staff, online := clinic.BookedBySync, clinic.BookedByStaff, clinic.BookedByPatient
	booked := clinic.StatusBooked

	// 9:00 booked in Tidings, then the PMS double-books it, twice.
	x := w.must(w.create(w.at(9, 0), staff, booked))
	y := w.must(w.create(w.at(9, 0), bySync, booked))
	w.must(w.create(w.at(9, 5), bySync, clinic.StatusConfirmed))

	// 10:00 is busy with a synced appointment only.
	s := w.must(w.create(w.at(10, 0), bySync, booked))

	refused := []struct {
		name  string
		start time.Time
		by    clinic.BookedBy
	}{
		{"staff onto a synced appointment", w.at(10, 0), staff},
		{"staff across the end of a synced appointment", w.at(9, 55), staff},
		{"online into the middle of a synced appointment", w.at(10, 10), online},
		{"staff onto a Tidings booking", w.at(9, 0), staff},
	}
	for _, tt := range refused {
		if _, err := w.create(tt.start, tt.by, booked); !errors.Is(err, store.ErrSlotTaken) || !errors.Is(err, clinic.ErrConflict) {
			t.Errorf("%s: err = %v, want ErrSlotTaken", tt.name, err)
		}
	}
	if _, err := w.create(w.at(10, 15), staff, booked); err != nil {
		t.Errorf("back to back with a synced appointment: %v", err)
	}

	// A status change in place claims nothing new: allowed beside the PMS's double booking.
	x.Status = clinic.StatusArrived
	x = w.must(w.update(x))
	// Moving a Tidings booking into synced busy time is refused.
	moved := x
	moved.Start, moved.End = w.at(10, 5), w.at(10, 20)
	if _, err := w.update(moved); !errors.Is(err, store.ErrSlotTaken) {
		t.Errorf("move onto a synced appointment: err = %v, want ErrSlotTaken", err)
	}
	// Reinstating a cancelled Tidings booking whose time the PMS has filled is refused.
	c := w.must(w.create(w.at(11, 0), staff, booked))
	c.Status = clinic.StatusCancelled
	c = w.must(w.update(c))
	w.must(w.create(w.at(11, 0), bySync, booked))
	c.Status = clinic.StatusBooked
	if _, err := w.update(c); !errors.Is(err, store.ErrSlotTaken) {
		t.Errorf("reinstate into synced time: err = %v, want ErrSlotTaken", err)
	}
	// The PMS may move its own appointment onto any time.
	s.Start, s.End = w.at(9, 0), w.at(9, 15)
	w.must(w.update(s))
	y.Status = clinic.StatusSeen
	w.must(w.update(y))

	err := db.View(ctx, func(tx *store.Tx) error {
		as, err := tx.Appointments().AppointmentsByTime(ctx, w.f.Org.ID, store.AppointmentFilter{AgendaID: w.f.Agenda.ID, From: w.at(0, 0), To: w.at(23, 0)})
		if err != nil {
			return err
		}
		var active, synced int
		for _, a := range as {
			if a.Status.Active() {
				active++
				if a.BookedBy == bySync {
					synced++
				}
			}
		}
		if active != 6 || synced != 4 {
			t.Errorf("active appointments = %d (%d synced), want 6 (4 synced): %+v", active, synced, as)
		}
		// Availability counts every active appointment as busy, synced ones included.
		busy, err := tx.Schedule().BusyIntervals(ctx, w.f.Org.ID, []clinic.AgendaID{w.f.Agenda.ID}, w.at(0, 0), w.at(23, 0))
		if err != nil {
			return err
		}
		if len(busy) != active {
			t.Errorf("busy intervals = %d, want one per active appointment (%d)", len(busy), active)
		}
		n, err := tx.Appointments().OverlappingAppointments(ctx, w.f.Org.ID)
		if err != nil || n != 0 {
			t.Errorf("overlapping Tidings bookings = %d, %v; want 0", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSyncedOverlapConstraint: on PostgreSQL the exclusion constraint refuses overlapping
// appointments booked in Tidings even past the store's check, and admits synced ones.
func TestSyncedOverlapConstraint(t *testing.T) {
	db := storetest.Open(t, fixedClock())
	if db.Dialect() != store.Postgres {
		t.Skip("the exclusion constraint is PostgreSQL's; SQLite relies on the single writer")
	}
	f := storetest.Seed(t, db, "acme")
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	insert := func(by clinic.BookedBy) error {
		_, err := db.SQLDB().ExecContext(ctx, `INSERT INTO appointments (organisation_id, clinic_id, agenda_id, reason_id, patient_id,
			starts_at, ends_at, status, booked_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'booked', $8, $6, $6)`,
			f.Org.ID, f.Clinic.ID, f.Agenda.ID, f.Reason.ID, f.Patient.ID, start, start.Add(15*time.Minute), by)
		return err
	}
	for _, by := range []clinic.BookedBy{clinic.BookedByStaff, clinic.BookedBySync, clinic.BookedBySync} {
		if err := insert(by); err != nil {
			t.Fatalf("%s appointment: %v", by, err)
		}
	}
	if err := insert(clinic.BookedByPatient); err == nil {
		t.Fatal("a second overlapping Tidings booking passed the exclusion constraint")
	}
}

// TestTidingsBookingSeesConcurrentSync races synced appointments against Tidings bookings
// for the same slots. Whatever the interleaving, a Tidings booking never takes time that an
// earlier synced appointment holds: every synced appointment overlapping a Tidings booking
// came after it (ids follow the agenda lock's order, which both take before inserting).
func TestTidingsBookingSeesConcurrentSync(t *testing.T) {
	db := storetest.Open(t, nil)
	w := overlapWorld{t: t, db: db, f: storetest.Seed(t, db, "acme")}
	const slots, rounds = 6, 12
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 6 {
		by := clinic.BookedByStaff
		if g%2 == 0 {
			by = clinic.BookedBySync
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				_, err := w.create(w.at(9, 0).Add(time.Duration((i+g)%slots)*15*time.Minute), by, clinic.StatusBooked)
				if err != nil && !(by != clinic.BookedBySync && errors.Is(err, store.ErrSlotTaken)) {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("%v", err)
	}
	db.View(ctx, func(tx *store.Tx) error {
		as, err := tx.Appointments().AppointmentsByTime(ctx, w.f.Org.ID, store.AppointmentFilter{AgendaID: w.f.Agenda.ID})
		if err != nil {
			t.Fatal(err)
		}
		var synced, tidings int
		for _, a := range as {
			if a.BookedBy == clinic.BookedBySync {
				synced++
				continue
			}
			tidings++
			for _, b := range as {
				if b.BookedBy == clinic.BookedBySync && b.Start.Before(a.End) && a.Start.Before(b.End) && b.ID < a.ID {
					t.Errorf("Tidings booking %d took the time of earlier synced appointment %d", a.ID, b.ID)
				}
			}
		}
		if synced != 3*rounds {
			t.Errorf("synced appointments = %d, want all %d", synced, 3*rounds)
		}
		if tidings > slots {
			t.Errorf("Tidings bookings = %d on %d slots", tidings, slots)
		}
		return nil
	})
}
