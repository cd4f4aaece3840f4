package integration_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// siu builds an SIU message of the test world's feed: appointment filler id filler (placer
// placer), for patient ext (named when family is not empty), with Dr Sam Example (AIP-3
// id doctor), reason text reason, at local time start (yyyymmddhhmm, Sydney) for 15
// minutes, filler status status.
func siu(event, control, when, placer, filler, ext, family, doctor, reason, start, status string) string {
	pid := "PID|1||" + ext + "^^^MD^MR"
	if family != "" {
		pid += "||" + family + "^Alex||19900101|F|||||^PRN^CP^^^^^^^^^0412 000 111"
	}
	sch := []string{"SCH", placer, filler, "", "", "", "", "^" + reason, "", "15", "MIN"}
	if start != "" {
		sch = append(sch, "^^15^"+start)
	} else {
		sch = append(sch, "")
	}
	for len(sch) < 25 {
		sch = append(sch, "")
	}
	sch = append(sch, status)
	return "MSH|^~\\&|MD|PMSTEST|TIDINGS|TIDINGS|" + when + "||SIU^" + event + "^SIU_S12|" + control + "|P|2.4\n" +
		strings.Join(sch, "|") + "\n" + pid + "\nRGS|1|A\nAIP|1|A|" + doctor + "^Example^Sam|D\n"
}

func (w *world) appointment(t *testing.T, ext string) (clinic.Appointment, bool) {
	t.Helper()
	var a clinic.Appointment
	var found bool
	if err := w.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		a, err = tx.Appointments().AppointmentByExternalID(context.Background(), w.fx.Org.ID, w.dbID, ext)
		if err == nil {
			found = true
		} else if errors.Is(err, clinic.ErrNotFound) {
			err = nil
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return a, found
}

func (w *world) events(t *testing.T, id clinic.AppointmentID) []string {
	t.Helper()
	var out []string
	if err := w.db.View(context.Background(), func(tx *store.Tx) error {
		es, err := tx.Appointments().AppointmentEvents(context.Background(), w.fx.Org.ID, id)
		for _, e := range es {
			out = append(out, string(e.Kind)+":"+string(e.Status))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func sydney(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("200601021504", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

// TestSIUBooksMovesAndCancels (SYN-1): an S12 books the appointment on the agenda whose
// practitioner it names, for the reason its type names, as a synced appointment; an S13
// moves it, an S15 cancels it, each with its event; a resent S13 changes nothing.
func TestSIUBooksMovesAndCancels(t *testing.T) {
	w := start(t)
	c := w.dial(t)
	if code, text := send(t, c, adt("A04", "P1", "20261201090000", "MRN1", "Nguyen", "Linh", "0412 345 678", "")); code != "AA" {
		t.Fatalf("A04: %s %s", code, text)
	}
	if code, text := send(t, c, siu("S12", "S1", "20261201091000", "", "APT1", "MRN1", "", "DR01", "Check-up", "202612081030", "Booked")); code != "AA" {
		t.Fatalf("S12: %s %s", code, text)
	}
	a, ok := w.appointment(t, "APT1")
	if !ok {
		t.Fatal("S12 booked nothing")
	}
	p, _ := w.patient(t, "MRN1")
	want := []any{w.agenda.ID, w.reasons[1].ID, p.ID, sydney(t, "202612081030"), sydney(t, "202612081045"), clinic.StatusBooked, clinic.BookedBySync}
	got := []any{a.AgendaID, a.ReasonID, a.PatientID, a.Start, a.End, a.Status, a.BookedBy}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("booked (-want +got):\n%s", diff)
	}
	move := siu("S13", "S2", "20261201100000", "", "APT1", "MRN1", "", "DR01", "Check-up", "202612081130", "Booked")
	for range 2 {
		if code, text := send(t, c, move); code != "AA" {
			t.Fatalf("S13: %s %s", code, text)
		}
	}
	if a, _ = w.appointment(t, "APT1"); !a.Start.Equal(sydney(t, "202612081130")) {
		t.Errorf("after S13 the appointment starts at %s", a.Start)
	}
	if code, text := send(t, c, siu("S15", "S3", "20261201110000", "", "APT1", "MRN1", "", "DR01", "Check-up", "", "")); code != "AA" {
		t.Fatalf("S15: %s %s", code, text)
	}
	if a, _ = w.appointment(t, "APT1"); a.Status != clinic.StatusCancelled {
		t.Errorf("after S15 the appointment is %s", a.Status)
	}
	if diff := cmp.Diff([]string{"booked:booked", "rescheduled:booked", "cancelled:cancelled"}, w.events(t, a.ID)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestSIUOutOfOrder (SYN-4): an S15 that overtakes its S12 books the appointment as
// cancelled (it carries the times), and the late S12, older, changes nothing: the
// appointment stays cancelled and is not booked twice.
func TestSIUOutOfOrder(t *testing.T) {
	w := start(t)
	c := w.dial(t)
	send(t, c, adt("A04", "P1", "20261201090000", "MRN1", "Nguyen", "Linh", "0412 345 678", ""))
	if code, text := send(t, c, siu("S15", "S2", "20261201110000", "", "APT2", "MRN1", "", "DR01", "Check-up", "202612081030", "")); code != "AA" {
		t.Fatalf("S15: %s %s", code, text)
	}
	if code, text := send(t, c, siu("S12", "S1", "20261201100000", "", "APT2", "MRN1", "", "DR01", "Check-up", "202612081030", "Booked")); code != "AA" {
		t.Fatalf("S12: %s %s", code, text)
	}
	a, ok := w.appointment(t, "APT2")
	if !ok || a.Status != clinic.StatusCancelled {
		t.Errorf("after S15 then an older S12: found %v, status %s; want a cancelled appointment", ok, a.Status)
	}
	if ok {
		if diff := cmp.Diff([]string{"booked:cancelled"}, w.events(t, a.ID)); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	}
}

// TestSIUUnmappedThenReprocessed (SYN-4): an appointment whose practitioner matches no agenda
// is refused naming AIP-3 and kept; once an administrator maps the practitioner's id, the
// quarantined message re-processes into the appointment.
func TestSIUUnmappedThenReprocessed(t *testing.T) {
	w := start(t)
	c := w.dial(t)
	send(t, c, adt("A04", "P1", "20261201090000", "MRN1", "Nguyen", "Linh", "0412 345 678", ""))
	msg := strings.Replace(siu("S12", "S1", "20261201091000", "", "APT3", "MRN1", "", "LOCUM7", "Check-up", "202612081030", ""), "^Example^Sam", "^Locum^Lee", 1)
	code, text := send(t, c, msg)
	if code != "AE" || !strings.Contains(text, "AIP-3") {
		t.Fatalf("unmapped practitioner: %s %q, want AE naming AIP-3", code, text)
	}
	qs := w.quarantined(t)
	if len(qs) != 1 {
		t.Fatalf("%d in quarantine, want 1", len(qs))
	}
	admin := clinic.SystemActor(w.fx.Org.ID, "test")
	if _, err := w.svc.SetMapping(context.Background(), admin, w.dbID, store.MapPractitioner, "LOCUM7", int64(w.agenda.ID)); err != nil {
		t.Fatal(err)
	}
	result, reason, err := w.svc.Reprocess(context.Background(), admin, qs[0].ID)
	if err != nil || result != store.SyncApplied {
		t.Fatalf("reprocess: %s %q %v", result, reason, err)
	}
	if a, ok := w.appointment(t, "APT3"); !ok || a.AgendaID != w.agenda.ID {
		t.Errorf("after the mapping: found %v on agenda %d, want agenda %d", ok, a.AgendaID, w.agenda.ID)
	}
}

// TestSIUEchoOfWriteBack (SYN-5): an appointment booked in Tidings and echoed by the clinical
// software with Tidings' placer id is updated, not booked a second time, and takes the
// software's id.
func TestSIUEchoOfWriteBack(t *testing.T) {
	w := start(t)
	c := w.dial(t)
	send(t, c, adt("A04", "P1", "20261201090000", "MRN1", "Nguyen", "Linh", "0412 345 678", ""))
	p, _ := w.patient(t, "MRN1")
	bk := booking.New(w.db)
	staff := clinic.SystemActor(w.fx.Org.ID, "staff-test")
	booked, err := bk.Book(context.Background(), staff, booking.Request{ReasonID: w.reasons[0].ID, AgendaID: w.agenda.ID, PatientID: p.ID,
		Start: sydney(t, "202612081000"), AllowOutsideHours: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	placer := booking.PlacerID(booked.Appointment.ID)
	if code, text := send(t, c, siu("S12", "E1", "20261201093000", placer, "PMS-77", "MRN1", "", "DR01", "Standard consultation", "202612081000", "Booked")); code != "AA" {
		t.Fatalf("echo: %s %s", code, text)
	}
	a, ok := w.appointment(t, "PMS-77")
	if !ok || a.ID != booked.Appointment.ID || a.BookedBy != clinic.BookedByStaff {
		t.Errorf("echo: found %v, id %d (want %d), booked by %s (want staff)", ok, a.ID, booked.Appointment.ID, a.BookedBy)
	}
	var n int
	if err := w.db.View(context.Background(), func(tx *store.Tx) error {
		as, err := tx.Appointments().ListAppointments(context.Background(), w.fx.Org.ID, store.AppointmentFilter{PatientID: p.ID}, store.Page{Limit: 10})
		n = len(as)
		return err
	}); err != nil || n != 1 {
		t.Errorf("the patient has %d appointments (err %v), want 1", n, err)
	}
}

// TestSIUNewPatientAndMerge (SYN-1): an S12 for a patient Tidings does not know creates them
// from its PID; an A40 then merges them into another record, and the appointment moves with
// them through the one merge use case.
func TestSIUNewPatientAndMerge(t *testing.T) {
	w := start(t)
	c := w.dial(t)
	send(t, c, adt("A04", "P1", "20261201090000", "MRN1", "Nguyen", "Linh", "0412 345 678", ""))
	if code, text := send(t, c, siu("S12", "S1", "20261201091000", "", "APT5", "MRN-DUP", "Nguyen", "DR01", "Check-up", "202612081030", "")); code != "AA" {
		t.Fatalf("S12 for a new patient: %s %s", code, text)
	}
	dup, ok := w.patient(t, "MRN-DUP")
	if !ok {
		t.Fatal("the S12 created no patient")
	}
	a40 := "MSH|^~\\&|MD|PMSTEST|TIDINGS|TIDINGS|20261201100000||ADT^A40^ADT_A39|M1|P|2.4\nEVN|A40|20261201100000\n" +
		"PID|1||MRN1^^^MD^MR||Nguyen^Linh||19800412|F\nMRG|MRN-DUP^^^MD^MR\n"
	for range 2 {
		if code, text := send(t, c, a40); code != "AA" {
			t.Fatalf("A40: %s %s", code, text)
		}
	}
	kept, _ := w.patient(t, "MRN1")
	a, _ := w.appointment(t, "APT5")
	if a.PatientID != kept.ID {
		t.Errorf("after the A40 the appointment is patient %d's, want %d", a.PatientID, kept.ID)
	}
	if dup, _ = w.patient(t, "MRN-DUP"); dup.MergedInto != kept.ID {
		t.Errorf("the removed record is merged into %d, want %d", dup.MergedInto, kept.ID)
	}
	// An A40 whose survivor Tidings has not had is kept for later.
	unknown := strings.ReplaceAll(strings.ReplaceAll(a40, "MRN1", "MRN-NEW"), "|M1|", "|M2|")
	if code, _ := send(t, c, unknown); code != "AE" {
		t.Errorf("A40 with an unknown survivor: %s, want AE", code)
	}
}
