package integration_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/fhir"
	"github.com/tidings-health/tidings/internal/fhir/fhirtest"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/store"
)

// TestFHIRSyncMedplum (SYN-1, SYN-4, SYN-5, RES-1, RES-8): against a real FHIR server
// (Medplum's router), the sync reads patients, an appointment, an actioned result with the
// Task that actions it and a recall, and applies them; a second run reads only what changed
// since (a renamed patient); an appointment booked in Tidings is written to the server as
// an Appointment carrying Tidings' identifier, takes the server's id, and is matched, not
// duplicated, when the sync reads it back.
func TestFHIRSyncMedplum(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node.js FHIR server")
	}
	const token = "sync-test-token"
	base := fhirtest.StartMedplum(t, token)
	w := start(t)
	ctx := context.Background()
	org := w.fx.Org.ID
	admin := clinic.SystemActor(org, "test")

	// A fhir database with a clinic, Dr Sam Example's agenda and one reason.
	var sd seeded
	if err := w.db.Update(ctx, func(tx *store.Tx) (err error) {
		sd, err = seedDatabase(ctx, tx, org, clinic.KindFHIR, "sync-fhir", "Consultation")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	d, ag := sd.db, sd.agenda
	if err := w.svc.SetFHIRSettings(ctx, admin, d.ID, integration.FHIRSettingsInput{BaseURL: base, Auth: "bearer", Token: token, EveryMinutes: 5}); err != nil {
		t.Fatal(err)
	}

	// The clinic's server holds a patient, an appointment, a result with its action, a recall.
	hc := &http.Client{Timeout: 30 * time.Second}
	c, err := fhir.New(fhir.Config{Base: base, HTTP: hc, Auth: fhir.Bearer(token)})
	if err != nil {
		t.Fatal(err)
	}
	create := func(r fhir.Resource) string {
		t.Helper()
		id, _, err := c.Create(ctx, r)
		if err != nil {
			t.Fatalf("create %s: %v", r.ResourceType(), err)
		}
		return id
	}
	yes := true
	pid := create(fhir.Patient{Active: &yes, Name: []fhir.HumanName{{Use: "official", Family: "Nguyen", Given: []string{"Linh"}}},
		Telecom: []fhir.ContactPoint{{System: "phone", Use: "mobile", Value: "0412 345 678"}}, BirthDate: "1980-04-12"})
	start := sydney(t, "202612081030")
	create(fhir.Appointment{Status: "booked", Start: start, End: start.Add(15 * time.Minute), AppointmentType: &fhir.CodeableConcept{Text: "Consultation"},
		Participant: []fhir.AppointmentParticipant{{Actor: &fhir.Reference{Reference: "Patient/" + pid}, Status: "accepted"},
			{Actor: &fhir.Reference{Reference: "Practitioner/dr-sam", Display: "Dr Sam Example"}, Status: "accepted"}}})
	rid := create(fhir.DiagnosticReport{Status: "final", Code: fhir.CodeableConcept{Text: "Full blood count"}, Subject: &fhir.Reference{Reference: "Patient/" + pid},
		Category: []fhir.CodeableConcept{{Text: "Result"}}, EffectiveDateTime: "2026-11-30"})
	create(fhir.Task{Status: "completed", Intent: "order", Code: &fhir.CodeableConcept{Text: "Discuss"}, Focus: &fhir.Reference{Reference: "DiagnosticReport/" + rid},
		For: &fhir.Reference{Reference: "Patient/" + pid}, LastModified: "2026-12-01T09:00:00+11:00"})
	create(fhir.CommunicationRequest{Status: "active", Subject: &fhir.Reference{Reference: "Patient/" + pid}, OccurrenceDateTime: "2027-06-01",
		Payload: []fhir.CommunicationRequestPayload{{ContentString: "Skin check"}}})

	rep, err := w.svc.SyncFHIR(ctx, org, d.ID, hc)
	if err != nil {
		t.Fatalf("first sync: %v (%+v)", err, rep)
	}
	if rep.Counts["refused"] != 0 || rep.Read < 5 {
		t.Errorf("first sync: %+v", rep)
		for _, q := range w.quarantined(t) {
			t.Logf("refused %s: %s", q.MessageType, q.Reason)
		}
	}
	var p clinic.Patient
	var appts []clinic.Appointment
	var results []store.Result
	var recalls []store.Recall
	read := func() {
		t.Helper()
		if err := w.db.View(ctx, func(tx *store.Tx) error {
			var err error
			if p, err = tx.Patients().PatientByExternalID(ctx, org, d.ID, pid); err != nil {
				return err
			}
			if appts, err = tx.Appointments().ListAppointments(ctx, org, store.AppointmentFilter{PatientID: p.ID}, store.Page{Limit: 10}); err != nil {
				return err
			}
			if results, err = tx.Sync().ResultsOf(ctx, org, p.ID); err != nil {
				return err
			}
			recalls, err = tx.Sync().RecallsOf(ctx, org, p.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	read()
	if diff := cmp.Diff([]string{"Linh", "Nguyen", "+61412345678"}, []string{p.GivenName, p.FamilyName, p.Mobile}); diff != "" {
		t.Errorf("patient (-want +got):\n%s", diff)
	}
	if len(appts) != 1 || appts[0].AgendaID != ag.ID || !appts[0].Start.Equal(start) || appts[0].BookedBy != clinic.BookedBySync {
		t.Errorf("appointments: %+v", appts)
	}
	if len(results) != 1 || results[0].Action != "Discuss" || results[0].Test != "Full blood count" || results[0].Outcome != string(integration.OutcomeTemplate) {
		t.Errorf("results: %+v", results)
	}
	if len(recalls) != 1 || recalls[0].Due != "2027-06-01" {
		t.Errorf("recalls: %+v", recalls)
	}

	// Only what changed is read again.
	var pat fhir.Patient
	if err := c.Read(ctx, fhir.TypePatient, pid, &pat); err != nil {
		t.Fatal(err)
	}
	pat.Name[0].Given = []string{"Linh Mai"}
	if _, err := c.Update(ctx, fhir.TypePatient, pid, pat, ""); err != nil {
		t.Fatal(err)
	}
	if rep, err = w.svc.SyncFHIR(ctx, org, d.ID, hc); err != nil {
		t.Fatal(err)
	}
	if rep.Read != 1 {
		t.Errorf("second sync read %d resources, want 1 (the renamed patient): %+v", rep.Read, rep)
	}
	if read(); p.GivenName != "Linh Mai" {
		t.Errorf("after the rename: %q", p.GivenName)
	}

	// Booked in Tidings: written to the server, then read back as the same appointment.
	b, err := booking.New(w.db).Book(ctx, clinic.SystemActor(org, "staff-test"), booking.Request{ReasonID: sd.reasons[0].ID, AgendaID: ag.ID, PatientID: p.ID,
		Start: sydney(t, "202612091100"), AllowOutsideHours: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wbr := integration.NewWriteBacker(w.db, integration.WriteBackConfig{HTTP: hc})
	if _, err := wbr.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if wb := w.writeBack(t, b.Appointment.ID); wb.State != store.WriteBackSent {
		t.Fatalf("write-back: %+v", wb)
	}
	var onServer []fhir.Appointment
	if err := c.Search(ctx, fhir.TypeAppointment, url.Values{"identifier": {integration.FHIRAppointmentSystem + "|" + booking.PlacerID(b.Appointment.ID)}},
		func(raw json.RawMessage, typ string) error {
			var a fhir.Appointment
			if typ == fhir.TypeAppointment {
				if err := json.Unmarshal(raw, &a); err != nil {
					return err
				}
				onServer = append(onServer, a)
			}
			return nil
		}); err != nil {
		t.Fatal(err)
	}
	if len(onServer) != 1 || !onServer[0].Start.Equal(b.Appointment.Start) {
		t.Fatalf("on the server: %+v", onServer)
	}
	if _, err := w.svc.SyncFHIR(ctx, org, d.ID, hc); err != nil {
		t.Fatal(err)
	}
	if read(); len(appts) != 2 {
		t.Errorf("after reading its own appointment back the patient has %d appointments, want 2", len(appts))
	}
	for _, a := range appts {
		if a.ID == b.Appointment.ID && a.ExternalID != onServer[0].ID {
			t.Errorf("the written-back appointment's external id is %q, want the server's %q", a.ExternalID, onServer[0].ID)
		}
	}
}
