package booking_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestPortalRules: a patient's online booking obeys the portal's switches and each rule,
// on the server, whatever page sent it (POR-1, POR-2): the portal off, bookings off, past
// the horizon, inside the minimum notice, at an unrounded start, a reason not bookable
// online, a reason for new or for existing patients only, a slot just taken. Each refusal
// names its field and changes nothing.
func TestPortalRules(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	me := clinic.PatientActor(org, w.patient)
	set := func(f func(*store.PortalSettings)) {
		t.Helper()
		err := w.db.Update(ctx, func(tx *store.Tx) error {
			s, _, err := tx.Portal().PortalSettingsOf(ctx, org, w.f.Clinic.ID)
			if err != nil {
				return err
			}
			f(&s)
			return tx.Portal().SavePortalSettings(ctx, s)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	reason := func(f func(*clinic.Reason)) {
		t.Helper()
		err := w.db.Update(ctx, func(tx *store.Tx) error {
			r, err := tx.Directory().Reason(ctx, org, w.f.Reason.ID)
			if err != nil {
				return err
			}
			f(&r)
			_, err = tx.Directory().UpdateReason(ctx, org, r)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Someone else holds 10 March at 9:00 on the first agenda.
	if _, err := w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(10, 9, 0)}); err != nil {
		t.Fatal(err)
	}
	other := w.f.Patient
	err := w.db.Update(ctx, func(tx *store.Tx) (err error) {
		other, err = tx.Patients().CreatePatient(ctx, org, clinic.Patient{DatabaseID: w.f.Database.ID, GivenName: "Seen", FamilyName: "Before"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		before  func()
		start   time.Time
		agenda  clinic.AgendaID
		patient clinic.PatientID
		field   string // the field the refusal names
		is      error
	}{
		{name: "portal off", before: func() { set(func(s *store.PortalSettings) { s.Enabled = false }) }, start: w.at(11, 9, 0), field: "portal", is: clinic.ErrConflict},
		{name: "bookings off", before: func() { set(func(s *store.PortalSettings) { s.OnlineBooking = false }) }, start: w.at(11, 9, 0), field: "portal", is: clinic.ErrConflict},
		{name: "past the horizon", start: w.at(31, 9, 0).AddDate(0, 0, 30), is: booking.ErrNotAvailable},
		{name: "inside the minimum notice", start: w.at(6, 9, 30), is: booking.ErrNotAvailable},
		{name: "unrounded start", start: w.at(11, 9, 7), is: booking.ErrNotAvailable},
		{name: "not bookable online", before: func() { reason(func(r *clinic.Reason) { r.OnlineBookable = false }) }, start: w.at(11, 9, 0), field: "reason_id", is: clinic.ErrInvalid},
		{name: "existing patients only", before: func() { reason(func(r *clinic.Reason) { r.OnlineFor = clinic.OnlineForExisting }) }, start: w.at(11, 9, 0),
			field: "reason_id", is: clinic.ErrInvalid},
		{name: "slot just taken", start: w.at(10, 9, 0), agenda: w.f.Agenda.ID, is: booking.ErrNotAvailable},
		{name: "another's record", start: w.at(11, 9, 0), patient: other.ID, field: "patient_id", is: clinic.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set(func(s *store.PortalSettings) { s.Enabled, s.OnlineBooking = true, true })
			reason(func(r *clinic.Reason) { r.OnlineBookable, r.OnlineFor = true, clinic.OnlineForAll })
			if tc.before != nil {
				tc.before()
			}
			n0 := storetest.Count(t, w.db, `SELECT COUNT(*) FROM appointments`)
			p := tc.patient
			if p == 0 {
				p = w.patient
			}
			_, err := w.svc.Book(ctx, me, booking.Request{ReasonID: w.f.Reason.ID, AgendaID: tc.agenda, PatientID: p, Start: tc.start}, nil)
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			if tc.field != "" && !hasField(err, tc.field) {
				t.Errorf("err = %v, want it to name %s", err, tc.field)
			}
			if n1 := storetest.Count(t, w.db, `SELECT COUNT(*) FROM appointments`); n1 != n0 {
				t.Errorf("%d appointments after a refusal, %d before", n1, n0)
			}
		})
	}
	// New patients only: a patient seen before is refused, a new one books.
	reason(func(r *clinic.Reason) { r.OnlineFor = clinic.OnlineForNew })
	seen, err := w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(4, 9, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SetStatus(ctx, clinic.SystemActor(org, "test"), booking.Change{ID: seen.ID, Version: seen.Version}, clinic.StatusSeen); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Book(ctx, me, booking.Request{ReasonID: w.f.Reason.ID, PatientID: w.patient, Start: w.at(11, 9, 0)}, nil); !hasField(err, "reason_id") {
		t.Errorf("a patient seen before booked a reason for new patients: %v", err)
	}
	newcomer := clinic.PatientActor(org, other.ID)
	if _, err := w.svc.Book(ctx, newcomer, booking.Request{ReasonID: w.f.Reason.ID, PatientID: other.ID, Start: w.at(11, 9, 0)}, nil); err != nil {
		t.Errorf("a new patient could not book a reason for new patients: %v", err)
	}
}

// TestLateCancellation (POR-3): with a fee window longer than the notice to cancel online,
// a patient's cancellation inside the window is allowed and marked late; outside it, not.
func TestLateCancellation(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	err := w.db.Update(ctx, func(tx *store.Tx) error {
		s, _, err := tx.Portal().PortalSettingsOf(ctx, org, w.f.Clinic.ID)
		if err != nil {
			return err
		}
		s.LateFeeCents, s.LateFeeWindow = 5000, 96*time.Hour // the notice to cancel online is 24 h
		return tx.Portal().SavePortalSettings(ctx, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	me := clinic.PatientActor(org, w.patient)
	for _, tc := range []struct {
		name string
		day  int
		late bool
	}{{"inside the fee window", 9, true}, {"outside it", 16, false}} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(tc.day, 9, 0)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.Cancel(ctx, me, booking.Change{ID: a.ID, Version: a.Version}); err != nil {
				t.Fatal(err)
			}
			var evs []store.AppointmentEvent
			w.db.View(ctx, func(tx *store.Tx) (err error) {
				evs, err = tx.Appointments().AppointmentEvents(ctx, org, a.ID)
				return err
			})
			last := evs[len(evs)-1]
			if last.Kind != store.EventCancelled || last.Late != tc.late {
				t.Errorf("last event %s late=%v, want cancelled late=%v", last.Kind, last.Late, tc.late)
			}
		})
	}
}

func hasField(err error, field string) bool {
	var v *clinic.ValidationError
	if errors.As(err, &v) {
		return clinic.HasField(v.Fields, field)
	}
	var c *clinic.ConflictError
	return errors.As(err, &c) && c.Field == field
}

// TestSyncedNotChangedOnline: an appointment from the clinical software cannot be cancelled
// or moved by the patient online, whatever the page sent (the use case refuses it).
func TestSyncedNotChangedOnline(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	res, err := w.svc.Book(ctx, clinic.SystemActor(org, "sync"), booking.Request{ReasonID: w.f.Reason.ID, AgendaID: w.f.Agenda.ID, PatientID: w.patient,
		Start: w.at(16, 9, 0), BookedBy: clinic.BookedBySync}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := res.Appointment
	me := clinic.PatientActor(org, w.patient)
	if _, err := w.svc.Cancel(ctx, me, booking.Change{ID: a.ID, Version: a.Version}); !hasField(err, "appointment") {
		t.Errorf("a patient cancelled a synced appointment online: %v", err)
	}
	if _, err := w.svc.Reschedule(ctx, me, booking.Change{ID: a.ID, Version: a.Version}, 0, w.at(16, 10, 0)); !errors.Is(err, clinic.ErrConflict) {
		t.Errorf("a patient moved a synced appointment online: %v", err)
	}
}
