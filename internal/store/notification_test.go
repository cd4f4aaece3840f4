package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestNextDue: the earliest due time of a planned notification, read back as a time on both
// databases (on SQLite an aggregate over the column came back as text that did not scan, and
// the dispatcher slept a full second while reminders fell due); zero when none is planned.
func TestNextDue(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	f := storetest.Seed(t, db, "nextdue")
	next := func() time.Time {
		t.Helper()
		var got time.Time
		if err := db.View(ctx, func(tx *store.Tx) (err error) {
			got, err = tx.Notifications().NextDue(ctx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := next(); !got.IsZero() {
		t.Errorf("nothing planned: %s, want zero", got)
	}
	start := time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)
	if err := db.Update(ctx, func(tx *store.Tx) error {
		a, err := tx.Appointments().CreateAppointment(ctx, f.Org.ID, clinic.Appointment{ClinicID: f.Clinic.ID, AgendaID: f.Agenda.ID, ReasonID: f.Reason.ID,
			PatientID: f.Patient.ID, Start: start, End: start.Add(15 * time.Minute), Status: clinic.StatusBooked, BookedBy: clinic.BookedByStaff})
		if err != nil {
			return err
		}
		var ns []store.Notification
		for _, d := range []time.Duration{24 * time.Hour, 2 * time.Hour} {
			ns = append(ns, store.Notification{ClinicID: f.Clinic.ID, PatientID: f.Patient.ID, AppointmentID: a.ID, Kind: "reminder", Purpose: "reminder",
				Channel: "sms", Offset: "x", Due: start.Add(-d).Add(123 * time.Millisecond)})
		}
		_, err = tx.Notifications().PlanNotifications(ctx, f.Org.ID, ns)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := next(), start.Add(-24*time.Hour).Add(123*time.Millisecond); !got.Equal(want) {
		t.Errorf("next due %s, want %s", got, want)
	}
}
