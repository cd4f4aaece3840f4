package booking

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/availability"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestLoadInPartsMatchesOneScan: a load whose busy intervals are read as several scans of
// consecutive stretches of the window finds every interval exactly once, including the ones
// that straddle a boundary between stretches, through a buffer or by lasting hours, and
// whatever the number of parts (the cold path uses GOMAXPROCS of them).
func TestLoadInPartsMatchesOneScan(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 5, 21, 0, 0, 0, time.UTC)
	db := storetest.Open(t, func() time.Time { return now })
	f := storetest.Seed(t, db, "parts")
	org := f.Org.ID
	from, to := now, now.Add(10*24*time.Hour)
	err := db.Update(ctx, func(tx *store.Tx) error {
		buffered, err := tx.Directory().CreateReason(ctx, org, clinic.Reason{ClinicID: f.Clinic.ID, Name: "Buffered", Duration: 30 * time.Minute,
			BufferAfter: 45 * time.Minute, AgendaIDs: []clinic.AgendaID{f.Agenda.ID}})
		if err != nil {
			return err
		}
		add := func(start time.Time, d time.Duration, reason clinic.ReasonID, status clinic.Status) error {
			_, err := tx.Appointments().CreateAppointment(ctx, org, clinic.Appointment{ClinicID: f.Clinic.ID, AgendaID: f.Agenda.ID, ReasonID: reason,
				PatientID: f.Patient.ID, Start: start, End: start.Add(d), Status: status, BookedBy: clinic.BookedBySync})
			return err
		}
		// Every 37 minutes over the window and a day either side, some buffered, some long
		// (they straddle every boundary of every split), one in five cancelled; synced, so
		// they may overlap.
		for i, s := 0, from.Add(-30*time.Hour); s.Before(to.Add(30 * time.Hour)); i, s = i+1, s.Add(37*time.Minute) {
			reason, d, status := f.Reason.ID, 15*time.Minute, clinic.StatusBooked
			if i%3 == 0 {
				reason, d = buffered.ID, 30*time.Minute
			}
			if i%7 == 0 {
				d = time.Duration(i%20+1) * time.Hour
			}
			if i%5 == 0 {
				status = clinic.StatusCancelled
			}
			if err := add(s, d, reason, status); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var agendas []clinic.Agenda
	if err := db.View(ctx, func(tx *store.Tx) (err error) {
		agendas, err = tx.Schedule().AgendasOffering(ctx, org, f.Reason.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	busy := func(parts int) map[availability.Interval]int {
		var loaded []loadedAgenda
		err := db.View(ctx, func(tx *store.Tx) (err error) {
			loaded, err = load(ctx, tx, org, agendas, time.UTC, from, to, parts)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		n := map[availability.Interval]int{}
		for _, iv := range loaded[0].busy {
			n[iv]++
		}
		return n
	}
	one := busy(1)
	if len(one) < 250 {
		t.Fatalf("only %d busy intervals seeded", len(one))
	}
	for parts := 2; parts <= 5; parts++ {
		if d := cmp.Diff(one, busy(parts)); d != "" {
			t.Errorf("%d parts (-one scan +parts):\n%s", parts, d)
		}
	}
}

// TestConcurrentColdReadersAgree: many requests on a cold cache at once, while bookings
// change agendas, each get the engine's answer for the data they read (the single-flight
// refill hands one load to all the readers waiting for an agenda).
func TestConcurrentColdReadersAgree(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 5, 21, 0, 0, 0, time.UTC)
	db := storetest.Open(t, func() time.Time { return now })
	f := storetest.Seed(t, db, "herd")
	org := f.Org.ID
	s := New(db)
	var hours []clinic.WorkingHours
	for d := time.Monday; d <= time.Friday; d++ {
		hours = append(hours, clinic.WorkingHours{Weekday: d, Start: 9 * 60, End: 17 * 60})
	}
	if err := db.Update(ctx, func(tx *store.Tx) error { return tx.Schedule().SetWorkingHours(ctx, org, f.Agenda.ID, hours) }); err != nil {
		t.Fatal(err)
	}
	q := Query{ReasonID: f.Reason.ID, From: now, To: now.Add(14 * 24 * time.Hour)}
	engine := func() []time.Time {
		var av Availability
		err := db.Update(ctx, func(tx *store.Tx) (err error) { av, err = s.AvailabilityTx(ctx, tx, org, q); return err })
		if err != nil {
			t.Fatal(err)
		}
		return av.Agendas[0].Slots
	}
	for round := 0; round < 5; round++ {
		s.ForgetCache()
		var wg sync.WaitGroup
		got := make([][]time.Time, 16)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				av, err := s.Availability(ctx, org, q)
				if err != nil {
					t.Error(err)
					return
				}
				got[i] = av.Agendas[0].Slots
			}()
		}
		wg.Wait()
		want := engine()
		for i := range got {
			if d := cmp.Diff(want, got[i]); d != "" {
				t.Fatalf("round %d reader %d (-engine +cached):\n%s", round, i, d)
			}
		}
		// A booking bumps the agenda: the next round's readers must see it.
		start := time.Date(2026, 3, 9+round, 23, 0, 0, 0, time.UTC) // 10:00 in Sydney
		if _, err := s.Book(ctx, clinic.SystemActor(org, "test"), Request{ReasonID: f.Reason.ID, AgendaID: f.Agenda.ID, PatientID: f.Patient.ID, Start: start}, nil); err != nil {
			t.Fatal(err)
		}
		if av, err := s.Availability(ctx, org, q); err != nil {
			t.Fatal(err)
		} else if d := cmp.Diff(engine(), av.Agendas[0].Slots); d != "" {
			t.Fatalf("after booking in round %d (-engine +cached):\n%s", round, d)
		}
	}
}
