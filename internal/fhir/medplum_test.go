package fhir

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tidings-health/tidings/internal/fhir/fhirtest"
)

// startMedplum runs the real peer (fhirtest.StartMedplum) with a bearer token and returns
// its FHIR base URL.
func startMedplum(t *testing.T, token string) string {
	t.Helper()
	return fhirtest.StartMedplum(t, token)
}

// countingTransport counts the requests of a test's Client.
type countingTransport struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func TestMedplumPeer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node.js FHIR server")
	}
	base := startMedplum(t, "medplum-test-token")
	counter := &countingTransport{next: http.DefaultTransport}
	hc := &http.Client{Transport: counter, Timeout: 30 * time.Second}
	c, err := New(Config{Base: base, HTTP: hc, Auth: Bearer("medplum-test-token"), PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	const mrn = "https://pms.clinic.example/patient-number"

	// Patients, one opted out, created through our client.
	var patients []Patient
	for i := range 5 {
		p := Patient{
			Identifier:    []Identifier{{System: mrn, Value: fmt.Sprintf("P-%03d", i)}},
			Active:        ptr(true),
			Name:          []HumanName{{Use: "official", Family: fmt.Sprintf("Synthetic%d", i), Given: []string{"Camille"}}},
			Telecom:       []ContactPoint{{System: "phone", Value: fmt.Sprintf("+3361234560%d", i), Use: "mobile"}},
			BirthDate:     "1990-0" + strconv.Itoa(i+1),
			Communication: []PatientCommunication{{Language: CodeableConcept{Coding: []Coding{{System: "urn:ietf:bcp:47", Code: "fr"}}}, Preferred: ptr(true)}},
		}
		if i == 3 {
			p.Extension = []Extension{{URL: OptOutExtensionURL, ValueBoolean: ptr(true)}}
		}
		id, version, err := c.Create(ctx, p)
		if err != nil {
			t.Fatalf("Create Patient: %v", err)
		}
		if id == "" || version == "" {
			t.Fatalf("Create Patient = %q, %q; want an id and a version", id, version)
		}
		p.ID = id
		patients = append(patients, p)
	}

	// Appointments booked in Tidings, written back with conditional create.
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	type written struct {
		id, version string
		appt        Appointment
	}
	var appts []written
	for i := range 4 {
		a := Appointment{
			Identifier:      []Identifier{{System: "https://tidings.health/fhir/appointment-id", Value: fmt.Sprintf("tid-%d", i)}},
			Status:          "booked",
			ServiceType:     []CodeableConcept{{Coding: []Coding{{System: "https://pms.clinic.example/reason", Code: "consult"}}}},
			ReasonCode:      []CodeableConcept{{Text: "Consultation"}},
			Description:     "Consultation",
			Start:           start.Add(time.Duration(i) * time.Hour),
			End:             start.Add(time.Duration(i)*time.Hour + 15*time.Minute),
			MinutesDuration: 15,
			Comment:         "Booked online",
			Participant: []AppointmentParticipant{
				{Actor: &Reference{Reference: "Patient/" + patients[i].ID}, Status: "accepted", Required: "required"},
				{Actor: &Reference{Reference: "Practitioner/dr-martin"}, Status: "accepted"},
			},
		}
		id, version, created, err := c.CreateIfNoneExist(ctx, a, a.Identifier[0])
		if err != nil || !created {
			t.Fatalf("CreateIfNoneExist Appointment = %v, created %v", err, created)
		}
		appts = append(appts, written{id, version, a})
	}

	// Results and the doctor's action on them.
	var reports []string
	for i := range 3 {
		r := DiagnosticReport{
			Identifier:         []Identifier{{System: "https://lab.example/reports", Value: fmt.Sprintf("R-%d", i)}},
			Status:             "final",
			Category:           []CodeableConcept{{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/v2-0074", Code: "CH"}}}},
			Code:               CodeableConcept{Coding: []Coding{{System: "http://loinc.org", Code: "57698-3"}}},
			Subject:            &Reference{Reference: "Patient/" + patients[i].ID},
			EffectiveDateTime:  "2026-03-01T08:00:00+01:00",
			Issued:             time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC),
			ResultsInterpreter: []Reference{{Reference: "Practitioner/dr-martin"}},
			Conclusion:         "Normal.",
		}
		id, _, err := c.Create(ctx, r)
		if err != nil {
			t.Fatalf("Create DiagnosticReport: %v", err)
		}
		reports = append(reports, id)
	}
	for i := range 2 {
		task := Task{
			Status:         "requested",
			Intent:         "order",
			Code:           &CodeableConcept{Coding: []Coding{{System: "https://tidings.health/fhir/CodeSystem/result-action", Code: "notify-normal"}}},
			BusinessStatus: &CodeableConcept{Text: "no action needed"},
			Focus:          &Reference{Reference: "DiagnosticReport/" + reports[i]},
			For:            &Reference{Reference: "Patient/" + patients[i].ID},
			Owner:          &Reference{Reference: "Practitioner/dr-martin"},
			Note:           []Annotation{{Text: "Tell the patient the result is normal."}},
			Input:          []TaskParameter{{Type: CodeableConcept{Text: "message"}, ValueString: "Your result is normal."}},
		}
		if _, _, err := c.Create(ctx, task); err != nil {
			t.Fatalf("Create Task: %v", err)
		}
	}

	// The first sync: everything, in pages of 2, in _lastUpdated order.
	syncAll := func(typ string, since time.Time) (raws []json.RawMessage, cursor time.Time, pages int) {
		t.Helper()
		before := counter.n.Load()
		var last time.Time
		cursor, err := c.Since(ctx, typ, since, nil, func(raw json.RawMessage, got string) error {
			if got != typ {
				t.Errorf("Since(%s) gave a %s", typ, got)
			}
			var p probe
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatal(err)
			}
			lu := mustTime(t, p.Meta.LastUpdated)
			if lu.Before(last) {
				t.Errorf("Since(%s): %s came after %s, not sorted by _lastUpdated", typ, p.Meta.LastUpdated, last)
			}
			last = lu
			raws = append(raws, raw)
			return nil
		})
		if err != nil {
			t.Fatalf("Since(%s): %v", typ, err)
		}
		return raws, cursor, int(counter.n.Load() - before)
	}

	rawPatients, patientCursor, pages := syncAll(TypePatient, time.Time{})
	t.Logf("Medplum at %s: %d Patients in %d pages, cursor %s", base, len(rawPatients), pages, patientCursor.Format(time.RFC3339Nano))
	if len(rawPatients) != 5 || pages != 3 {
		t.Errorf("Patient sync: %d resources in %d pages, want 5 in 3", len(rawPatients), pages)
	}
	ignoreServerFields := cmpopts.IgnoreFields(Meta{}, "VersionID", "LastUpdated")
	for i, raw := range rawPatients {
		var got Patient
		if err := Decode(raw, &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(patients[i], got, ignoreServerFields); diff != "" {
			t.Errorf("Patient %d from Medplum (-created +synced):\n%s", i, diff)
		}
		if set, v := OptOut(&got); set != (i == 3) || v != (i == 3) {
			t.Errorf("Patient %d: OptOut = %v, %v", i, set, v)
		}
	}

	rawAppts, apptCursor, pages := syncAll(TypeAppointment, time.Time{})
	if len(rawAppts) != 4 || pages != 2 {
		t.Errorf("Appointment sync: %d resources in %d pages, want 4 in 2", len(rawAppts), pages)
	}
	for i, raw := range rawAppts {
		var got Appointment
		if err := Decode(raw, &got); err != nil {
			t.Fatal(err)
		}
		want := appts[i].appt
		want.ID = appts[i].id
		if diff := cmp.Diff(want, got, ignoreServerFields); diff != "" {
			t.Errorf("Appointment %d from Medplum (-written +synced):\n%s", i, diff)
		}
		if got.Meta.VersionID != appts[i].version {
			t.Errorf("Appointment %d version %q, Create said %q", i, got.Meta.VersionID, appts[i].version)
		}
	}
	if rawReports, _, _ := syncAll(TypeDiagnosticReport, time.Time{}); len(rawReports) != 3 {
		t.Errorf("DiagnosticReport sync: %d, want 3", len(rawReports))
	} else {
		var r DiagnosticReport
		if err := Decode(rawReports[0], &r); err != nil || r.Conclusion != "Normal." || !r.Issued.Equal(time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)) {
			t.Errorf("DiagnosticReport = %+v, %v", r, err)
		}
	}
	if rawTasks, _, _ := syncAll(TypeTask, time.Time{}); len(rawTasks) != 2 {
		t.Errorf("Task sync: %d, want 2", len(rawTasks))
	} else {
		var task Task
		if err := Decode(rawTasks[1], &task); err != nil || task.Focus.Reference != "DiagnosticReport/"+reports[1] || task.Input[0].ValueString != "Your result is normal." {
			t.Errorf("Task = %+v, %v", task, err)
		}
	}

	// A retried write-back finds the appointment it already made.
	retry := appts[2]
	id, version, created, err := c.CreateIfNoneExist(ctx, retry.appt, retry.appt.Identifier[0])
	if err != nil || created || id != retry.id || version != retry.version {
		t.Errorf("repeated CreateIfNoneExist = %q, %q, created %v, %v; want %q, %q, not created", id, version, created, err, retry.id, retry.version)
	}
	var matches []string
	if err := c.Search(ctx, TypeAppointment, url.Values{"identifier": {"https://tidings.health/fhir/appointment-id|tid-2"}}, collect(t, &matches)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Appointment/" + retry.id}, matches); diff != "" {
		t.Errorf("appointments with the identifier (-want +got):\n%s", diff)
	}

	// Cancel one with If-Match; a write from a stale version is refused.
	cancelled := appts[1].appt
	cancelled.ID, cancelled.Status = appts[1].id, "cancelled"
	newVersion, err := c.Update(ctx, TypeAppointment, appts[1].id, cancelled, appts[1].version)
	if err != nil || newVersion == "" || newVersion == appts[1].version {
		t.Fatalf("Update = %q, %v; want a new version", newVersion, err)
	}
	_, err = c.Update(ctx, TypeAppointment, appts[1].id, cancelled, appts[1].version)
	if !IsConflict(err) {
		t.Errorf("stale Update = %v, want a conflict (412)", err)
	}
	if err != nil && strings.Contains(err.Error(), "Synthetic") {
		t.Errorf("error %q has patient data", err)
	}

	// The next sync sees only the cancelled appointment.
	rawAppts, _, _ = syncAll(TypeAppointment, apptCursor)
	if len(rawAppts) != 1 {
		t.Fatalf("incremental Appointment sync: %d resources, want 1", len(rawAppts))
	}
	var got Appointment
	if err := Decode(rawAppts[0], &got); err != nil || got.ID != appts[1].id || got.Status != "cancelled" || got.Meta.VersionID != newVersion {
		t.Errorf("incremental sync got %s %s v%s (%v), want %s cancelled v%s", got.ID, got.Status, got.Meta.VersionID, err, appts[1].id, newVersion)
	}

	// Read, and a missing resource.
	var p Patient
	if err := c.Read(ctx, TypePatient, patients[0].ID, &p); err != nil || p.Name[0].Family != "Synthetic0" {
		t.Errorf("Read = %+v, %v", p, err)
	}
	if err := c.Read(ctx, TypePatient, "no-such-patient", &p); !IsNotFound(err) {
		t.Errorf("Read of a missing patient = %v, want not found", err)
	} else if !strings.Contains(err.Error(), "not-found") {
		t.Errorf("error %q lacks the OperationOutcome issue code", err)
	}

	// Without the token the peer refuses, and a Bearer does not retry.
	bad, err := New(Config{Base: base, HTTP: hc, Auth: Bearer("wrong")})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Read(ctx, TypePatient, patients[0].ID, &p); err == nil || IsRetryable(err) {
		t.Errorf("Read with a wrong token = %v, want a permanent error", err)
	}
}
