package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestOnlineBookings: the header's count of a clinic's appointments booked online counts
// patients' bookings only, after the window's start and after the user's own mark for
// that clinic; the mark only moves forward and is per user and per clinic; the list is the
// latest booked first, within the window.
func TestOnlineBookings(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clock := storetest.NewClock(t0)
	db := storetest.Open(t, clock.Now)
	f := storetest.Seed(t, db, "a")
	b := storetest.Seed(t, db, "b")
	org := f.Org.ID
	var ann, bob, other clinic.User
	var second clinic.Clinic
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		if ann, err = tx.Staff().CreateUser(ctx, org, clinic.User{Email: "ann@a.test", Role: clinic.RoleReception, PasswordHash: "h"}); err != nil {
			return err
		}
		if bob, err = tx.Staff().CreateUser(ctx, org, clinic.User{Email: "bob@a.test", Role: clinic.RoleReception, PasswordHash: "h"}); err != nil {
			return err
		}
		if other, err = tx.Staff().CreateUser(ctx, b.Org.ID, clinic.User{Email: "other@b.test", Role: clinic.RoleReception, PasswordHash: "h"}); err != nil {
			return err
		}
		second, err = tx.Directory().CreateClinic(ctx, org, clinic.Clinic{DatabaseID: f.Database.ID, Slug: "second", Name: "Second", Zone: "Australia/Sydney"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// One booking a day, booked at 00:00 on days 1–4 (days 2 and 3 by patients online, day
	// 4 by staff), each for a day in the next month.
	var booked []clinic.Appointment
	for day, by := range []clinic.BookedBy{clinic.BookedByPatient, clinic.BookedByPatient, clinic.BookedByPatient, clinic.BookedByStaff} {
		clock.Set(t0.Add(time.Duration(day) * 24 * time.Hour))
		start := time.Date(2026, 4, 1+day, 0, 0, 0, 0, time.UTC)
		err := db.Update(ctx, func(tx *store.Tx) error {
			a, err := tx.Appointments().CreateAppointment(ctx, org, clinic.Appointment{ClinicID: f.Clinic.ID, AgendaID: f.Agenda.ID, ReasonID: f.Reason.ID,
				PatientID: f.Patient.ID, Start: start, End: start.Add(15 * time.Minute), Status: clinic.StatusBooked, BookedBy: by})
			booked = append(booked, a)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	count := func(u clinic.UserID, cl clinic.ClinicID, since time.Time) int {
		t.Helper()
		var n int
		err := db.View(ctx, func(tx *store.Tx) (err error) {
			n, err = tx.Appointments().CountOnlineSince(ctx, org, cl, u, since)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	mark := func(u clinic.UserID, cl clinic.ClinicID, at time.Time) {
		t.Helper()
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.Staff().MarkOnlineSeen(ctx, org, u, cl, at) }); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(ann.ID, f.Clinic.ID, t0.Add(-time.Hour)); n != 3 {
		t.Errorf("no mark: %d, want the 3 online bookings", n)
	}
	if n := count(ann.ID, f.Clinic.ID, t0); n != 2 {
		t.Errorf("since day 1 at 00:00: %d, want 2 (a booking at that instant is not after it)", n)
	}
	mark(ann.ID, f.Clinic.ID, t0.Add(36*time.Hour)) // day 2, 12:00
	if n := count(ann.ID, f.Clinic.ID, t0.Add(-time.Hour)); n != 1 {
		t.Errorf("after ann's mark: %d, want 1", n)
	}
	mark(ann.ID, f.Clinic.ID, t0) // an older mark changes nothing
	if n := count(ann.ID, f.Clinic.ID, t0.Add(-time.Hour)); n != 1 {
		t.Errorf("after an older mark: %d, want still 1", n)
	}
	if n := count(bob.ID, f.Clinic.ID, t0.Add(-time.Hour)); n != 3 {
		t.Errorf("bob, who never looked: %d, want 3", n)
	}
	if n := count(ann.ID, second.ID, t0.Add(-time.Hour)); n != 0 {
		t.Errorf("another clinic: %d, want 0", n)
	}
	mark(ann.ID, second.ID, t0.Add(96*time.Hour))
	if n := count(ann.ID, f.Clinic.ID, t0.Add(-time.Hour)); n != 1 {
		t.Errorf("a mark for another clinic cleared this one's: %d, want 1", n)
	}
	// Another organisation's user and clinic leave no mark here.
	mark(other.ID, f.Clinic.ID, t0.Add(96*time.Hour))
	if err := db.Update(ctx, func(tx *store.Tx) error { return tx.Staff().MarkOnlineSeen(ctx, org, ann.ID, b.Clinic.ID, t0) }); !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("marked another organisation's clinic: %v, want not found", err)
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		if seen, err := tx.Staff().OnlineSeen(ctx, org, ann.ID, f.Clinic.ID); err != nil || !seen.Equal(t0.Add(36*time.Hour)) {
			t.Errorf("ann's mark: %v %v, want day 2 at 12:00", seen, err)
		}
		if seen, err := tx.Staff().OnlineSeen(ctx, org, bob.ID, f.Clinic.ID); err != nil || !seen.IsZero() {
			t.Errorf("bob's mark: %v %v, want none", seen, err)
		}
		if seen, err := tx.Staff().OnlineSeen(ctx, b.Org.ID, other.ID, f.Clinic.ID); err != nil || !seen.IsZero() {
			t.Errorf("the other organisation's user: %v %v, want no mark", seen, err)
		}
		as, err := tx.Appointments().OnlineBookings(ctx, org, f.Clinic.ID, t0, 10)
		if err != nil {
			return err
		}
		var got []clinic.AppointmentID
		for _, a := range as {
			got = append(got, a.ID)
		}
		if d := cmp.Diff([]clinic.AppointmentID{booked[2].ID, booked[1].ID}, got); d != "" {
			t.Errorf("online bookings after day 1 (-want +got):\n%s", d)
		}
		if as, err = tx.Appointments().OnlineBookings(ctx, org, f.Clinic.ID, t0.Add(-time.Hour), 1); err != nil || len(as) != 1 || as[0].ID != booked[2].ID {
			t.Errorf("limit 1: %v %v, want the latest booked", as, err)
		}
		if as, err = tx.Appointments().OnlineBookings(ctx, b.Org.ID, f.Clinic.ID, t0.Add(-time.Hour), 10); err != nil || len(as) != 0 {
			t.Errorf("another organisation reads this clinic's: %v %v", as, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
