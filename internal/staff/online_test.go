package staff_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/staff"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestMarkOnlineSeen: a staff user who reads the schedule marks the online bookings of a
// clinic of their organisation seen, never later than now and never backwards; other
// actors may not, and another organisation's clinic is not found.
func TestMarkOnlineSeen(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 4, 7, 0, 0, 0, 0, time.UTC)
	db := storetest.Open(t, func() time.Time { return now })
	f := storetest.Seed(t, db, "a")
	other := storetest.Seed(t, db, "b")
	var u clinic.User
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		u, err = tx.Staff().CreateUser(ctx, f.Org.ID, clinic.User{Email: "rita@a.test", Role: clinic.RoleReception, PasswordHash: "h"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	me := clinic.StaffActor(u)
	seen := func() time.Time {
		t.Helper()
		var at time.Time
		if err := db.View(ctx, func(tx *store.Tx) (err error) {
			at, err = tx.Staff().OnlineSeen(ctx, f.Org.ID, u.ID, f.Clinic.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return at
	}
	if err := staff.MarkOnlineSeen(ctx, db, me, f.Clinic.ID, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := seen(); !got.Equal(now) {
		t.Errorf("a mark in the future: %v, want now (%v)", got, now)
	}
	if err := staff.MarkOnlineSeen(ctx, db, me, f.Clinic.ID, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := seen(); !got.Equal(now) {
		t.Errorf("an older mark moved it back: %v", got)
	}
	if err := staff.MarkOnlineSeen(ctx, db, me, other.Clinic.ID, now); !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("another organisation's clinic: %v, want not found", err)
	}
	for _, a := range []clinic.Actor{clinic.SystemActor(f.Org.ID, "test"), clinic.PatientActor(f.Org.ID, f.Patient.ID)} {
		if err := staff.MarkOnlineSeen(ctx, db, a, f.Clinic.ID, now); !errors.Is(err, clinic.ErrForbidden) {
			t.Errorf("%s: %v, want forbidden", a.Label, err)
		}
	}
}
