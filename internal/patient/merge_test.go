package patient_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
)

// TestMergeRefusals: who may merge, and the pairs of records that are not merged here: the
// same record, another database's, another organisation's, a synced database's (its clinical
// software merges them) and a record merged already (ADM-7).
func TestMergeRefusals(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	a, b, done := w.create(t, "Léa"), w.create(t, "Lea"), w.create(t, "L.")
	admin := w.staff(clinic.RoleAdministrator)
	if _, err := w.svc.Merge(ctx, admin, a.ID, done.ID); err != nil {
		t.Fatal(err)
	}
	var syncedTwin clinic.Patient
	err := w.db.Update(ctx, func(tx *store.Tx) (err error) {
		syncedTwin, err = tx.Patients().CreatePatient(ctx, w.f.Org.ID, clinic.Patient{DatabaseID: w.f.Database.ID, GivenName: "Grace", FamilyName: "Hopper", Language: "en"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		actor        clinic.Actor
		keep, remove clinic.PatientID
		err          error
		fields       []string
	}{
		{"reception", w.staff(clinic.RoleReception), a.ID, b.ID, clinic.ErrForbidden, nil},
		{"a practitioner", w.staff(clinic.RolePractitioner), a.ID, b.ID, clinic.ErrForbidden, nil},
		{"a patient", clinic.PatientActor(w.f.Org.ID, a.ID, b.ID), a.ID, b.ID, clinic.ErrForbidden, nil},
		{"the same record", admin, a.ID, a.ID, clinic.ErrInvalid, []string{"remove"}},
		{"a record of another database", admin, a.ID, w.f.Patient.ID, clinic.ErrInvalid, []string{"remove"}},
		{"another organisation's record", admin, a.ID, w.other.Patient.ID, clinic.ErrNotFound, nil},
		{"another organisation's record kept", admin, w.other.Patient.ID, a.ID, clinic.ErrNotFound, nil},
		{"a synced database's records", admin, w.f.Patient.ID, syncedTwin.ID, patient.ErrSyncedMerge, nil},
		{"a synced database's records, by a token", w.token(), w.f.Patient.ID, syncedTwin.ID, patient.ErrSyncedMerge, nil},
		{"a record merged already", admin, b.ID, done.ID, patient.ErrMerged, nil},
		{"into a record merged already", admin, done.ID, b.ID, patient.ErrMerged, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.svc.Merge(ctx, tc.actor, tc.keep, tc.remove)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if d := cmp.Diff(tc.fields, fieldNames(err)); d != "" {
				t.Errorf("fields (-want +got):\n%s", d)
			}
		})
	}
	// None of the refusals merged anything.
	err = w.db.View(ctx, func(tx *store.Tx) error {
		ps, err := tx.Patients().PatientsByIDs(ctx, w.f.Org.ID, []clinic.PatientID{a.ID, b.ID, w.f.Patient.ID, syncedTwin.ID})
		for id, p := range ps {
			if p.MergedInto != 0 {
				t.Errorf("patient %d was merged by a refused call", id)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMerge: a merge moves the record removed's appointments, relatives, consent and
// switch to the record kept, marks it merged rather than deleting it, and audits both
// records; what the audit log said before stays (ADM-2, ADM-7, CON-3, CON-7).
func TestMerge(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	keep, remove, sister := w.create(t, "Léa"), w.create(t, "Lea"), w.create(t, "Inès")
	manager := w.staff(clinic.RoleAppointmentManager)
	org := w.f.Org.ID
	rel := "spouse"
	for _, pair := range [][2]clinic.PatientID{{keep.ID, sister.ID}, {remove.ID, sister.ID}, {keep.ID, remove.ID}} {
		if _, err := w.svc.LinkRelative(ctx, manager, pair[0], patient.RelativeInput{RelativeID: id64(int64(pair[1])), Relationship: &rel}); err != nil {
			t.Fatal(err)
		}
	}
	off, no := false, false
	if _, err := w.svc.SetNotifications(ctx, manager, remove.ID, &off); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.RecordConsent(ctx, manager, remove.ID, patient.ConsentInput{Channel: str("email"), Purpose: str("recall"), OptIn: &no}); err != nil {
		t.Fatal(err)
	}
	var appt clinic.Appointment
	var clinicID clinic.ClinicID
	err := w.db.Update(ctx, func(tx *store.Tx) error {
		cs, err := tx.Directory().ClinicsOfDatabase(ctx, org, w.builtin.ID)
		if err != nil {
			return err
		}
		clinicID = cs[0].ID
		pid := w.f.Practitioner.ID
		ag, err := tx.Directory().CreateAgenda(ctx, org, clinic.Agenda{ClinicID: clinicID, PractitionerID: &pid, Name: "Dr L", Active: true})
		if err != nil {
			return err
		}
		rs, err := tx.Directory().CreateReason(ctx, org, clinic.Reason{ClinicID: clinicID, Name: "Consultation", Duration: 15 * time.Minute, AgendaIDs: []clinic.AgendaID{ag.ID}})
		if err != nil {
			return err
		}
		start := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
		appt, err = tx.Appointments().CreateAppointment(ctx, org, clinic.Appointment{ClinicID: clinicID, AgendaID: ag.ID, ReasonID: rs.ID, PatientID: remove.ID,
			Start: start, End: start.Add(15 * time.Minute), Status: clinic.StatusBooked, BookedBy: clinic.BookedByStaff})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	res, err := w.svc.Merge(ctx, manager, keep.ID, remove.ID)
	if err != nil {
		t.Fatal(err)
	}
	moved := map[string]int{}
	for _, m := range res.Moved {
		if m.Count > 0 {
			moved[m.Ref.Key()] = m.Count
		}
	}
	// remove's link to sister is dropped (keep has it); keep–remove is dropped both ways. The
	// consent records are the switch-free choice (1).
	wantMoved := map[string]int{"appointments.patient_id": 1, "consent_records.patient_id": 1}
	if d := cmp.Diff(wantMoved, moved); d != "" {
		t.Errorf("moved (-want +got):\n%s", d)
	}
	if !res.SwitchedOff || !res.Kept.NotificationsOff {
		t.Error("the record removed had notifications switched off; the record kept does not")
	}
	if res.Kept.GivenName != "Léa" {
		t.Errorf("the record kept is now %q: its details must stay", res.Kept.GivenName)
	}
	err = w.db.View(ctx, func(tx *store.Tx) error {
		a, err := tx.Appointments().Appointment(ctx, org, appt.ID)
		if err != nil {
			return err
		}
		if a.PatientID != keep.ID {
			t.Errorf("the appointment belongs to %d, want %d", a.PatientID, keep.ID)
		}
		rels, err := tx.Patients().Relatives(ctx, org, keep.ID)
		if err != nil {
			return err
		}
		if len(rels) != 1 || rels[0].Patient.ID != sister.ID {
			t.Errorf("relatives of the record kept: %+v, want the sister once", rels)
		}
		rels, err = tx.Patients().Relatives(ctx, org, sister.ID)
		if err != nil {
			return err
		}
		if len(rels) != 1 || rels[0].Patient.ID != keep.ID {
			t.Errorf("relatives of the sister: %+v, want the record kept once", rels)
		}
		recs, err := tx.Consent().ConsentRecords(ctx, org, []clinic.PatientID{keep.ID})
		if err != nil {
			return err
		}
		if len(recs) != 1 || recs[0].OptIn {
			t.Errorf("consent records of the record kept: %+v, want the opt-out made on the other", recs)
		}
		rm, err := tx.Patients().Patient(ctx, org, remove.ID)
		if err != nil {
			return err
		}
		if rm.MergedInto != keep.ID {
			t.Errorf("the record removed is merged into %d, want %d", rm.MergedInto, keep.ID)
		}
		log, err := tx.AuditTrail().AuditLog(ctx, org, store.AuditFilter{}, store.Page{Limit: 100})
		if err != nil {
			return err
		}
		var merges []string
		notificationRows := 0
		for _, e := range log {
			if e.Action == "patient.merge" {
				merges = append(merges, fmt.Sprintf("%s %d", e.Actor, e.PatientID))
			}
			if e.Action == "patient.notifications" && e.PatientID == remove.ID {
				notificationRows++
			}
		}
		want := []string{fmt.Sprintf("user:5 %d", remove.ID), fmt.Sprintf("user:5 %d", keep.ID)}
		if d := cmp.Diff(want, merges); d != "" {
			t.Errorf("merge audit rows, newest first (-want +got):\n%s", d)
		}
		if notificationRows != 1 {
			t.Errorf("the switch's audit row of the record removed: %d rows, want it kept as written", notificationRows)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The record merged is changed no more.
	if _, err := w.svc.Update(ctx, manager, remove.ID, patient.Input{Language: str("en")}); !errors.Is(err, patient.ErrMerged) {
		t.Errorf("updating the merged record: %v, want ErrMerged", err)
	}
	if _, err := w.svc.RecordConsent(ctx, manager, remove.ID, patient.ConsentInput{Channel: str("sms"), Purpose: str("recall"), OptIn: &no}); !errors.Is(err, patient.ErrMerged) {
		t.Errorf("recording consent of the merged record: %v, want ErrMerged", err)
	}
	if _, err := w.svc.LinkRelative(ctx, manager, sister.ID, patient.RelativeInput{RelativeID: id64(int64(remove.ID)), Relationship: &rel}); !errors.Is(err, clinic.ErrInvalid) {
		t.Errorf("linking the merged record: %v, want a field error", err)
	}
}
