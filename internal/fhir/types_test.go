package fhir

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func readExample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestExamples decodes the spec's examples (and the synthetic Tidings ones) into the structs,
// checks every field the sync reads, then checks that encoding and decoding again keeps them.
func TestExamples(t *testing.T) {
	tests := []struct {
		file string
		got  Resource // a pointer to a zero struct to decode into
		want Resource
	}{
		{file: "patient-example.json", got: &Patient{}, want: &Patient{
			ID:   "example",
			Meta: Meta{VersionID: "3", LastUpdated: mustTime(t, "2019-11-01T09:29:23.356+11:00")},
			Identifier: []Identifier{{
				Use:      "usual",
				Type:     &CodeableConcept{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/v2-0203", Code: "MR"}}},
				System:   "urn:oid:1.2.36.146.595.217.0.1",
				Value:    "12345",
				Period:   &Period{Start: "2001-05-06"},
				Assigner: &Reference{Display: "Acme Healthcare"},
			}},
			Active: ptr(true),
			Name: []HumanName{
				{Use: "official", Family: "Chalmers", Given: []string{"Peter", "James"}},
				{Use: "usual", Given: []string{"Jim"}},
				{Use: "maiden", Family: "Windsor", Given: []string{"Peter", "James"}, Period: &Period{End: "2002"}},
			},
			Telecom: []ContactPoint{
				{Use: "home"},
				{System: "phone", Value: "(03) 5555 6473", Use: "work", Rank: 1},
				{System: "phone", Value: "(03) 3410 5613", Use: "mobile", Rank: 2},
				{System: "phone", Value: "(03) 5555 8834", Use: "old", Period: &Period{End: "2014"}},
			},
			Gender:    "male",
			BirthDate: "1974-12-25",
			Contact: []PatientContact{{
				Relationship: []CodeableConcept{{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/v2-0131", Code: "N"}}}},
				Name:         &HumanName{Family: "du Marché", Given: []string{"Bénédicte"}},
				Telecom:      []ContactPoint{{System: "phone", Value: "+33 (237) 998327"}},
				Gender:       "female",
				Period:       &Period{Start: "2012"},
			}},
		}},
		{file: "patient-tidings.json", got: &Patient{}, want: &Patient{
			ID:   "tidings-synthetic-1",
			Meta: Meta{VersionID: "7", LastUpdated: mustTime(t, "2026-03-02T08:15:00.5Z")},
			Extension: []Extension{
				{URL: OptOutExtensionURL, ValueBoolean: ptr(true)},
				{URL: "http://hl7.org/fhir/StructureDefinition/patient-nationality", Extension: []Extension{{URL: "code"}}},
			},
			Identifier: []Identifier{{System: "https://pms.clinic.example/patient-number", Value: "P-000042"}},
			Active:     ptr(true),
			Name:       []HumanName{{Use: "official", Family: "Exemple", Given: []string{"Camille"}}},
			Telecom: []ContactPoint{
				{System: "phone", Value: "+33 6 12 34 56 78", Use: "mobile"},
				{System: "email", Value: "camille.exemple@example.org"},
			},
			Gender:    "female",
			BirthDate: "1988-07",
			Contact: []PatientContact{{
				Relationship: []CodeableConcept{{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/v3-RoleCode", Code: "MTH", Display: "mother"}}}},
				Name:         &HumanName{Family: "Exemple", Given: []string{"Dominique"}},
				Telecom:      []ContactPoint{{System: "phone", Value: "+33 6 98 76 54 32", Use: "mobile"}},
			}},
			Communication: []PatientCommunication{{
				Language:  CodeableConcept{Coding: []Coding{{System: "urn:ietf:bcp:47", Code: "fr-FR", Display: "French (France)"}}, Text: "français"},
				Preferred: ptr(true),
			}},
		}},
		{file: "appointment-example.json", got: &Appointment{}, want: &Appointment{
			ID:              "example",
			Status:          "booked",
			ServiceCategory: []CodeableConcept{{Coding: []Coding{{System: "http://example.org/service-category", Code: "gp", Display: "General Practice"}}}},
			ServiceType:     []CodeableConcept{{Coding: []Coding{{Code: "52", Display: "General Discussion"}}}},
			AppointmentType: &CodeableConcept{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/v2-0276", Code: "FOLLOWUP", Display: "A follow up visit from a previous appointment"}}},
			Description:     "Discussion on the results of your recent MRI",
			Start:           mustTime(t, "2013-12-10T09:00:00Z"),
			End:             mustTime(t, "2013-12-10T11:00:00Z"),
			Created:         "2013-10-10",
			Comment:         "Further expand on the results of the MRI and determine the next actions that may be appropriate.",
			Participant: []AppointmentParticipant{
				{Actor: &Reference{Reference: "Patient/example", Display: "Peter James Chalmers"}, Required: "required", Status: "accepted"},
				{
					Type:     []CodeableConcept{{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", Code: "ATND"}}}},
					Actor:    &Reference{Reference: "Practitioner/example", Display: "Dr Adam Careful"},
					Required: "required", Status: "accepted",
				},
				{Actor: &Reference{Reference: "Location/1", Display: "South Wing, second floor"}, Required: "required", Status: "accepted"},
			},
		}},
		{file: "diagnosticreport-example.json", got: &DiagnosticReport{}, want: &DiagnosticReport{
			ID:                "101",
			Identifier:        []Identifier{{System: "http://acme.com/lab/reports", Value: "5234342"}},
			Status:            "final",
			Category:          []CodeableConcept{{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/v2-0074", Code: "HM"}}}},
			Code:              CodeableConcept{Coding: []Coding{{System: "http://loinc.org", Code: "58410-2", Display: "Complete blood count (hemogram) panel - Blood by Automated count"}}, Text: "Complete Blood Count"},
			Subject:           &Reference{Reference: "Patient/pat2"},
			EffectiveDateTime: "2011-03-04T08:30:00+11:00",
			Issued:            mustTime(t, "2011-03-04T11:45:33+11:00"),
			Performer:         []Reference{{Reference: "Organization/1832473e-2fe0-452d-abe9-3cdb9879522f", Display: "Acme Laboratory, Inc"}},
			Result:            []Reference{{Reference: "#r1"}, {Reference: "#r2"}},
		}},
		{file: "diagnosticreport-tidings.json", got: &DiagnosticReport{}, want: &DiagnosticReport{
			ID:                 "tidings-result-1",
			Meta:               Meta{VersionID: "2", LastUpdated: mustTime(t, "2026-03-03T16:40:12.123+01:00")},
			Identifier:         []Identifier{{System: "https://lab.example/reports", Value: "R-2026-0001"}},
			BasedOn:            []Reference{{Reference: "ServiceRequest/lipid-2026"}},
			Status:             "final",
			Category:           []CodeableConcept{{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/v2-0074", Code: "CH", Display: "Chemistry"}}}},
			Code:               CodeableConcept{Coding: []Coding{{System: "http://loinc.org", Code: "57698-3", Display: "Lipid panel with direct LDL - Serum or Plasma"}}},
			Subject:            &Reference{Reference: "Patient/tidings-synthetic-1"},
			EffectivePeriod:    &Period{Start: "2026-03-02T08:00:00+01:00", End: "2026-03-02T08:10:00+01:00"},
			Issued:             mustTime(t, "2026-03-03T16:40:00+01:00"),
			Performer:          []Reference{{Reference: "Organization/lab", Display: "Laboratoire Exemple"}},
			ResultsInterpreter: []Reference{{Reference: "Practitioner/dr-martin", Display: "Dr Martin"}},
			Conclusion:         "Normal lipid profile.",
		}},
		{file: "task-example.json", got: &Task{}, want: &Task{
			ID:             "example1",
			Identifier:     []Identifier{{Use: "official", System: "http:/goodhealth.org/identifiers", Value: "20170201-001"}},
			BasedOn:        []Reference{{Display: "General Wellness Careplan"}},
			Status:         "in-progress",
			BusinessStatus: &CodeableConcept{Text: "waiting for specimen"},
			Intent:         "order",
			Priority:       "routine",
			Code:           &CodeableConcept{Text: "Lipid Panel"},
			Description:    "Create order for getting specimen, Set up inhouse testing,  generate order for any sendouts and submit with specimen",
			Focus:          &Reference{Reference: "ServiceRequest/lipid", Display: "Lipid Panel Request"},
			For:            &Reference{Reference: "Patient/example", Display: "Peter James Chalmers"},
			AuthoredOn:     "2016-10-31T08:25:05+10:00",
			LastModified:   "2016-10-31T09:45:05+10:00",
			Requester:      &Reference{Reference: "Practitioner/example", Display: "Dr Adam Careful"},
			Owner:          &Reference{Reference: "Practitioner/example", Display: "Clinical Laboratory @ Acme Hospital"},
			Note:           []Annotation{{Text: "This is an example to demonstrate using task for actioning a servicerequest and to illustrate how to populate many of the task elements - this is the parent task that will be broken into subtask to grab the specimen and a sendout lab test "}},
		}},
		{file: "communicationrequest-example.json", got: &CommunicationRequest{}, want: &CommunicationRequest{
			ID:         "example",
			Identifier: []Identifier{{System: "http://www.jurisdiction.com/insurer/123456", Value: "ABC123"}},
			Status:     "active",
			Category:   []CodeableConcept{{Coding: []Coding{{System: "http://acme.org/messagetypes", Code: "Reminder"}}, Text: "Reminder"}},
			Priority:   "routine",
			Medium:     []CodeableConcept{{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode", Code: "SMSWRIT", Display: "SMS"}}}},
			Subject:    &Reference{Reference: "Patient/example"},
			Recipient:  []Reference{{Reference: "Patient/example"}},
			Payload: []CommunicationRequestPayload{
				{ContentString: "Please schedule your annual check-up: it is due this month."},
				{ContentReference: &Reference{Display: "Recall letter"}},
			},
			OccurrenceDateTime: "2016-06-10T11:01:10-08:00",
			AuthoredOn:         "2016-06-10T11:01:10-08:00",
			Requester:          &Reference{Reference: "Practitioner/example"},
			ReasonCode:         []CodeableConcept{{Coding: []Coding{{System: "http://snomed.info/sct", Code: "410410006", Display: "Screening health check"}}}},
		}},
		{file: "consent-example-notThem.json", got: &Consent{}, want: &Consent{
			ID:       "consent-example-notThem",
			Status:   "active",
			Scope:    CodeableConcept{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/consentscope", Code: "patient-privacy"}}},
			Category: []CodeableConcept{{Coding: []Coding{{System: "http://loinc.org", Code: "59284-0"}}}},
			Patient:  &Reference{Reference: "Patient/f001", Display: "P. van de Heuvel"},
			DateTime: "2015-11-18",
			Provision: &ConsentProvision{Type: "deny", Action: []CodeableConcept{
				{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/consentaction", Code: "access"}}},
				{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/consentaction", Code: "correct"}}},
			}},
		}},
		{file: "consent-tidings-optout.json", got: &Consent{}, want: &Consent{
			ID:       "tidings-optout-1",
			Meta:     Meta{VersionID: "1", LastUpdated: mustTime(t, "2026-03-01T10:00:00Z")},
			Status:   "active",
			Scope:    CodeableConcept{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/consentscope", Code: "patient-privacy"}}},
			Category: []CodeableConcept{{Coding: []Coding{{System: ConsentCategorySystem, Code: ConsentCategoryCode, Display: "Patient communications"}}}},
			Patient:  &Reference{Reference: "Patient/tidings-synthetic-1"},
			DateTime: "2026-03-01",
			Provision: &ConsentProvision{
				Type:   "deny",
				Period: &Period{Start: "2026-03-01"},
				Provision: []ConsentProvision{{Type: "permit", Action: []CodeableConcept{
					{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/consentaction", Code: "use"}}},
				}}},
			},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			raw := readExample(t, tc.file)
			if err := Decode(raw, tc.got); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("decoded (-want +got):\n%s", diff)
			}

			// What we send back is what we read, with resourceType first.
			out, err := json.Marshal(tc.got)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			prefix := `{"resourceType":"` + tc.want.ResourceType() + `",`
			if !bytes.HasPrefix(out, []byte(prefix)) {
				t.Errorf("Marshal = %.80s…, want it to start with %s", out, prefix)
			}
			again := newLike(tc.want)
			if err := Decode(out, again); err != nil {
				t.Fatalf("Decode of our own JSON: %v", err)
			}
			if diff := cmp.Diff(tc.want, again); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// newLike returns a pointer to a zero struct of r's type.
func newLike(r Resource) Resource {
	switch r.(type) {
	case *Patient:
		return &Patient{}
	case *Appointment:
		return &Appointment{}
	case *DiagnosticReport:
		return &DiagnosticReport{}
	case *Task:
		return &Task{}
	case *CommunicationRequest:
		return &CommunicationRequest{}
	case *Consent:
		return &Consent{}
	}
	panic("newLike: unexpected type")
}

func TestMarshalOmitsEmpty(t *testing.T) {
	tests := []struct {
		in   Resource
		want string
	}{
		{in: Patient{}, want: `{"resourceType":"Patient"}`},
		{in: &Appointment{Status: "booked", MinutesDuration: 15}, want: `{"resourceType":"Appointment","status":"booked","minutesDuration":15}`},
		{in: Consent{Status: "active"}, want: `{"resourceType":"Consent","status":"active"}`},
		{in: DiagnosticReport{Status: "final"}, want: `{"resourceType":"DiagnosticReport","status":"final"}`},
		{in: OperationOutcome{Issue: []OperationOutcomeIssue{{Severity: "error", Code: "invalid"}}}, want: `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid"}]}`},
	}
	for _, tc := range tests {
		got, err := json.Marshal(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("Marshal(%T) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestDecodeErrorQuotesNoData(t *testing.T) {
	tests := []struct {
		name, json, secret string
	}{
		{name: "bad instant", json: `{"resourceType":"Appointment","start":"10 December 2013 at Jane Doe's"}`, secret: "Jane"},
		{name: "number for string", json: `{"resourceType":"Patient","birthDate":19741225}`, secret: "19741225"},
		{name: "syntax", json: `{"resourceType":"Patient","name":[{"family":"Chalmers"}`, secret: "Chalmers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p Patient
			var a Appointment
			var target Resource = &p
			if strings.Contains(tc.json, "Appointment") {
				target = &a
			}
			err := Decode([]byte(tc.json), target)
			if err == nil {
				t.Fatal("Decode succeeded")
			}
			if strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error %q quotes %q", err, tc.secret)
			}
		})
	}
}

func TestDateTime(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	tests := []struct {
		in      DateTime
		want    time.Time
		wantErr bool
	}{
		{in: "2024", want: time.Date(2024, 1, 1, 0, 0, 0, 0, paris)},
		{in: "2024-05", want: time.Date(2024, 5, 1, 0, 0, 0, 0, paris)},
		{in: "2024-05-17", want: time.Date(2024, 5, 17, 0, 0, 0, 0, paris)},
		{in: "2024-05-17T09:30:00+02:00", want: time.Date(2024, 5, 17, 7, 30, 0, 0, time.UTC)},
		{in: "2024-05-17T09:30:00.250Z", want: time.Date(2024, 5, 17, 9, 30, 0, 250e6, time.UTC)},
		{in: "2024-05-17T09:30:00", wantErr: true}, // FHIR requires the zone with a time
		{in: "17/05/2024", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range tests {
		got, err := tc.in.Time(paris)
		if (err != nil) != tc.wantErr {
			t.Errorf("%q.Time: error %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if err != nil && strings.Contains(err.Error(), string(tc.in)) && tc.in != "" {
			t.Errorf("%q.Time: error %q quotes the value", tc.in, err)
		}
		if !got.Equal(tc.want) {
			t.Errorf("%q.Time = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestFormatInstant(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{in: time.Date(2024, 5, 17, 9, 30, 0, 0, time.UTC), want: "2024-05-17T09:30:00.000Z"},
		{in: time.Date(2024, 5, 17, 9, 30, 0, 500e6, time.UTC), want: "2024-05-17T09:30:00.500Z"},
		{in: time.Date(2024, 5, 17, 9, 30, 0, 123400e3, time.UTC), want: "2024-05-17T09:30:00.1234Z"},
		{in: time.Date(2024, 5, 17, 9, 30, 0, 1, time.UTC), want: "2024-05-17T09:30:00.000000001Z"},
		{in: time.Date(2024, 5, 17, 11, 30, 0, 0, time.FixedZone("CEST", 2*3600)), want: "2024-05-17T09:30:00.000Z"},
	}
	for _, tc := range tests {
		if got := formatInstant(tc.in); got != tc.want {
			t.Errorf("formatInstant(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
