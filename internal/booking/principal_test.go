package booking_test

import (
	"errors"
	"testing"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"strings"
)

// TestPatientActor: a patient reaches their own appointments and those of the relatives
// they manage; anyone else's is "not found", never "forbidden" (ADM-3, upspin's rule), and
// what they may do is what the portal allows (book online, cancel or move within notice),
// never a staff action. Every change is audited with the patient as actor.
func TestPatientActor(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	var other, child clinic.Patient
	err := w.db.Update(ctx, func(tx *store.Tx) (err error) {
		if other, err = tx.Patients().CreatePatient(ctx, org, clinic.Patient{DatabaseID: w.f.Database.ID, GivenName: "Other", FamilyName: "Person"}); err != nil {
			return err
		}
		child, err = tx.Patients().CreatePatient(ctx, org, clinic.Patient{DatabaseID: w.f.Database.ID, GivenName: "Kid", FamilyName: "Person"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	parent := clinic.PatientActor(org, w.patient, child.ID)
	book := func(actor clinic.Actor, patient clinic.PatientID, day int) (clinic.Appointment, error) {
		res, err := w.svc.Book(ctx, actor, booking.Request{ReasonID: w.f.Reason.ID, AgendaID: w.f.Agenda.ID, PatientID: patient, Start: w.at(day, 9, 0)}, nil)
		return res.Appointment, err
	}
	// Online bookings for themselves and their child; not for a stranger.
	own, err := book(parent, w.patient, 10)
	if err != nil {
		t.Fatalf("book for oneself: %v", err)
	}
	if own.BookedBy != clinic.BookedByPatient {
		t.Errorf("booked_by = %s, want %s", own.BookedBy, clinic.BookedByPatient)
	}
	if _, err := book(parent, child.ID, 11); err != nil {
		t.Fatalf("book for a managed relative: %v", err)
	}
	if _, err := book(parent, other.ID, 12); !errors.Is(err, clinic.ErrInvalid) {
		t.Errorf("book for a stranger: %v, want a field error on patient_id", err)
	}
	// A stranger's appointment does not exist for this patient, whatever the action.
	theirs, err := book(clinic.SystemActor(org, "test"), other.ID, 12)
	if err != nil {
		t.Fatal(err)
	}
	ch := booking.Change{ID: theirs.ID, Version: theirs.Version}
	if _, err := w.svc.Cancel(ctx, parent, ch); !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("cancel a stranger's appointment: %v, want not found", err)
	}
	if _, err := w.svc.Reschedule(ctx, parent, ch, 0, w.at(12, 10, 0)); !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("move a stranger's appointment: %v, want not found", err)
	}
	// Staff actions are not the patient's.
	if _, err := w.svc.SetStatus(ctx, parent, booking.Change{ID: own.ID, Version: own.Version}, clinic.StatusArrived); err == nil {
		t.Error("a patient marked themselves arrived")
	}
	note := "hello"
	if _, err := w.svc.UpdateDetails(ctx, parent, own.ID, booking.DetailsInput{Note: &note, Version: &own.Version}); !errors.Is(err, clinic.ErrForbidden) {
		t.Errorf("a patient edited the note: %v, want forbidden", err)
	}
	// Their own cancellation, with notice, works and is audited as theirs.
	if _, err := w.svc.Cancel(ctx, parent, booking.Change{ID: own.ID, Version: own.Version}); err != nil {
		t.Fatalf("cancel one's own appointment: %v", err)
	}
	var log []store.AuditEntry
	w.db.View(ctx, func(tx *store.Tx) (err error) {
		log, err = tx.AuditTrail().AuditLog(ctx, org, store.AuditFilter{PatientID: w.patient}, store.Page{})
		return err
	})
	if len(log) == 0 || log[0].Action != "appointment.cancel" || log[0].ActorKind != string(clinic.ActorPatient) || log[0].Actor != parent.Label {
		t.Errorf("newest audit row of the patient = %+v, want appointment.cancel by %s (patient)", log, parent.Label)
	}
}

// TestStaffRoles: the use cases hold the fine-grained rules whatever the surface: a
// practitioner may mark attendance but not book, cancel or reinstate.
func TestStaffRoles(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	pract := clinic.Actor{Kind: clinic.ActorStaff, OrgID: org, Role: clinic.RolePractitioner, UserID: 7, Label: "user:7"}
	if _, err := w.svc.Book(ctx, pract, booking.Request{ReasonID: w.f.Reason.ID, AgendaID: w.f.Agenda.ID, PatientID: w.patient, Start: w.at(10, 9, 0)}, nil); !errors.Is(err, clinic.ErrForbidden) {
		t.Errorf("practitioner books: %v, want forbidden", err)
	}
	a, err := w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(6, 9, 0)}) // today: attendance may be marked
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Cancel(ctx, pract, booking.Change{ID: a.ID, Version: a.Version}); !errors.Is(err, clinic.ErrForbidden) {
		t.Errorf("practitioner cancels: %v, want forbidden", err)
	}
	arrived, err := w.svc.SetStatus(ctx, pract, booking.Change{ID: a.ID, Version: a.Version}, clinic.StatusArrived)
	if err != nil {
		t.Fatalf("practitioner marks arrival: %v", err)
	}
	// Back to booked (a mistaken click), then cancelled: no cancelling once arrived.
	back, err := w.svc.SetStatus(ctx, pract, booking.Change{ID: arrived.ID, Version: arrived.Version}, clinic.StatusBooked)
	if err != nil {
		t.Fatalf("practitioner undoes the arrival: %v", err)
	}
	cancelled, err := w.svc.Cancel(ctx, clinic.SystemActor(org, "test"), booking.Change{ID: back.ID, Version: back.Version})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SetStatus(ctx, pract, booking.Change{ID: cancelled.ID, Version: cancelled.Version}, clinic.StatusBooked); !errors.Is(err, clinic.ErrForbidden) {
		t.Errorf("practitioner reinstates: %v, want forbidden", err)
	}
}

// TestSyncedAppointmentsStayThePMSs: only the sync may book "from the clinical software"
// (such appointments may overlap others), and Tidings neither moves nor reinstates one (it
// would take time the store does not check for a synced appointment).
func TestSyncedAppointmentsStayThePMSs(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	staff := clinic.Actor{Kind: clinic.ActorStaff, OrgID: org, Role: clinic.RoleAdministrator, UserID: 1, Label: "user:1"}
	req := booking.Request{ReasonID: w.f.Reason.ID, AgendaID: w.f.Agenda.ID, PatientID: w.patient, Start: w.at(10, 9, 0), BookedBy: clinic.BookedBySync}
	if _, err := w.svc.Book(ctx, staff, req, nil); !errors.Is(err, clinic.ErrInvalid) {
		t.Errorf("staff books as the sync: %v, want a field error on booked_by", err)
	}
	res, err := w.svc.Book(ctx, clinic.SystemActor(org, "sync"), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := res.Appointment
	if _, err := w.svc.Reschedule(ctx, staff, booking.Change{ID: a.ID, Version: a.Version}, 0, w.at(10, 10, 0)); !errors.Is(err, clinic.ErrConflict) {
		t.Errorf("move a synced appointment: %v, want a conflict", err)
	}
	cancelled, err := w.svc.Cancel(ctx, staff, booking.Change{ID: a.ID, Version: a.Version})
	if err != nil {
		t.Fatalf("cancel a synced appointment: %v", err)
	}
	if _, err := w.svc.SetStatus(ctx, staff, booking.Change{ID: cancelled.ID, Version: cancelled.Version}, clinic.StatusBooked); !errors.Is(err, clinic.ErrConflict) {
		t.Errorf("reinstate a synced appointment: %v, want a conflict", err)
	}
	if got := booking.Actions(staff, cancelled, booking.BeforeTheDay); len(got.Statuses) != 0 || got.Move {
		t.Errorf("actions offered on a cancelled synced appointment: %+v", got)
	}
}

// TestNoteKeepsLines: a note is written over several lines, whatever the surface; it is
// trimmed and bounded.
func TestNoteKeepsLines(t *testing.T) {
	w := setup(t)
	a, err := w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(10, 9, 0), Note: "  Bring scans\n\tfasting  "})
	if err != nil {
		t.Fatal(err)
	}
	if a.Note != "Bring scans\n\tfasting" {
		t.Errorf("note = %q", a.Note)
	}
	if _, err := w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(10, 10, 0), Note: strings.Repeat("x", booking.MaxNote+1)}); !errors.Is(err, clinic.ErrInvalid) {
		t.Errorf("a note of %d characters: %v, want a field error", booking.MaxNote+1, err)
	}
}
