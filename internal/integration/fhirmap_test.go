package integration_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the DST cases below must not depend on the host's zone database
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/fhir"
	"github.com/tidings-health/tidings/internal/hl7"
	"github.com/tidings-health/tidings/internal/integration"
)

// fmDirs are where the FHIR test resources are: this package's, then the fhir package's
// (spec examples, used as fuzz seeds).
var fmDirs = []string{filepath.Join("testdata", "fhir"), filepath.Join("..", "fhir", "testdata")}

func fmZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func fmTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func fmPtr[T any](v T) *T { return &v }

func fmRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fmDirs[0], name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fmOp is one edit of a sample's JSON: set the value at a dotted path ("name.1.given.0"; a
// number indexes an array), or delete it.
type fmOp struct {
	path string
	v    any
	del  bool
}

func fmSet(path string, v any) fmOp { return fmOp{path: path, v: v} }
func fmDel(path string) fmOp        { return fmOp{path: path, del: true} }

// fmEdit returns sample name with ops applied.
func fmEdit(t testing.TB, name string, ops ...fmOp) json.RawMessage {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(fmRead(t, name), &doc); err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		keys := strings.Split(op.path, ".")
		var cur any = doc
		for i, k := range keys {
			last := i == len(keys)-1
			switch c := cur.(type) {
			case map[string]any:
				switch {
				case last && op.del:
					delete(c, k)
				case last:
					c[k] = op.v
				default:
					if _, ok := c[k]; !ok {
						c[k] = map[string]any{}
					}
					cur = c[k]
				}
			case []any:
				n, err := strconv.Atoi(k)
				if err != nil || n >= len(c) {
					t.Fatalf("edit %s: no element %s", op.path, k)
				}
				switch {
				case last && op.del:
					t.Fatalf("edit %s: delete an array element by setting the array", op.path)
				case last:
					c[n] = op.v
				default:
					cur = c[n]
				}
			default:
				t.Fatalf("edit %s: %s is not an object or array", op.path, k)
			}
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fmProfile(p clinic.SoftwareProfile) integration.Profile { return integration.DefaultProfile(p) }

var (
	fmGeneric = fmProfile(clinic.ProfileGeneric)
	fmMD      = fmProfile(clinic.ProfileMedicalDirector)
	fmBP      = fmProfile(clinic.ProfileBestPractice)
)

// fmIgnore leaves out the decoded resources, which are the input handed back.
var fmIgnore = cmpopts.IgnoreFields(integration.FHIRMapped{}, "Report", "Task")

func fmMap(t *testing.T, raw json.RawMessage, typ string, prof integration.Profile, loc *time.Location) integration.FHIRMapped {
	t.Helper()
	got, err := integration.MapFHIR(raw, typ, prof, loc)
	if err != nil {
		t.Fatalf("MapFHIR: %v", err)
	}
	return got
}

// The patient every sample is about.
var fmPatient = integration.PatientRecord{
	ExternalID: "pat-1001",
	FamilyName: "Exemple",
	GivenName:  "Camille Marie",
	BirthDate:  "1988-07-14",
	Mobile:     "0400 000 002",
	Email:      "camille@example.org",
	Language:   "fr",
	OptOut:     fmPtr(true),
	Relatives: []integration.Relative{{FamilyName: "Exemple", GivenName: "Dominique", Relationship: "MTH",
		RelationshipText: "mother", Phone: "02 9999 0001"}},
}

var fmDrMartin = integration.Practitioner{ID: "dr-martin", Name: "Dr Grace Martin"}

func TestMapFHIRSamples(t *testing.T) {
	sydney := fmZone(t, "Australia/Sydney")
	bpPatient := fmPatient
	bpPatient.OptOut = nil
	tests := []struct {
		name string
		file string
		typ  string
		prof integration.Profile
		loc  *time.Location
		want integration.FHIRMapped
	}{
		{
			name: "patient, generic profile reads the opt-out extension",
			file: "patient.json", typ: "Patient", prof: fmGeneric,
			want: integration.FHIRMapped{ResourceType: "Patient", Mapped: integration.Mapped{
				ControlID: "Patient/pat-1001/_history/7", At: fmTime("2026-03-01T21:15:00.5Z"), Patient: &fmPatient}},
		},
		{
			name: "patient, Best Practice does not read it (CON-4)",
			file: "patient.json", typ: "", prof: fmBP,
			want: integration.FHIRMapped{ResourceType: "Patient", Mapped: integration.Mapped{
				ControlID: "Patient/pat-1001/_history/7", At: fmTime("2026-03-01T21:15:00.5Z"), Patient: &bpPatient}},
		},
		{
			name: "consent about patient communications",
			file: "consent-optout.json", typ: "Consent", prof: fmGeneric,
			want: integration.FHIRMapped{ResourceType: "Consent", Mapped: integration.Mapped{
				ControlID: "Consent/consent-1/_history/1", At: fmTime("2026-03-04T09:00:00Z")},
				Consent: &integration.ConsentRecord{ExternalID: "consent-1", PatientExternalID: "pat-1001", OptOut: true}},
		},
		{
			name: "consent, profile without the opt-out flag",
			file: "consent-optout.json", typ: "Consent", prof: fmBP,
			want: integration.FHIRMapped{ResourceType: "Consent", Mapped: integration.Mapped{
				ControlID: "Consent/consent-1/_history/1", At: fmTime("2026-03-04T09:00:00Z")},
				Skip: "the software profile does not read the opt-out flag"},
		},
		{
			name: "appointment",
			file: "appointment.json", typ: "Appointment", prof: fmGeneric,
			want: integration.FHIRMapped{ResourceType: "Appointment", Mapped: integration.Mapped{
				ControlID: "Appointment/appt-501/_history/3", At: fmTime("2026-03-05T02:00:00Z"),
				Appointment: &integration.AppointmentRecord{
					Event: "S12", ExternalID: "appt-501", PlacerID: "tid-42", FillerID: "appt-501",
					PatientExternalID: "pat-1001",
					Start:             fmTime("2026-03-09T23:30:00Z"), End: fmTime("2026-03-09T23:45:00Z"),
					Status:   clinic.StatusBooked,
					Resource: integration.Resource{Practitioner: fmDrMartin, Location: "room-2"},
					Reason:   integration.Coded{Code: "FOLLOWUP", Text: "Follow-up"},
					Note:     "Bring the referral.\nFasting.",
				}}},
		},
		{
			name: "report without its task: not actioned",
			file: "diagnosticreport.json", typ: "DiagnosticReport", prof: fmMD,
			want: integration.FHIRMapped{ResourceType: "DiagnosticReport", Mapped: integration.Mapped{
				ControlID: "DiagnosticReport/rep-9001/_history/2", At: fmTime("2026-03-03T15:40:12.123Z"),
				Results: []integration.ResultRecord{{
					PatientExternalID: "pat-1001", ExternalID: "rep-9001",
					Test: "Lipid panel with direct LDL - Serum or Plasma", Performed: fmTime("2026-03-02T07:00:00Z"),
					Category: "Result", Doctor: fmDrMartin, Skip: "not actioned",
				}}}},
		},
		{
			name: "task actioning a report: left for the join",
			file: "task-action.json", typ: "Task", prof: fmMD,
			want: integration.FHIRMapped{ResourceType: "Task", Mapped: integration.Mapped{
				ControlID: "Task/task-77/_history/5", At: fmTime("2026-03-04T07:00:00Z")}, ActionFor: "rep-9001"},
		},
		{
			name: "recall task, due date in Sydney on the day DST ends",
			file: "task-recall.json", typ: "Task", prof: fmGeneric, loc: sydney,
			want: integration.FHIRMapped{ResourceType: "Task", Mapped: integration.Mapped{
				ControlID: "Task/recall-12", At: fmTime("2026-03-06T01:00:00Z"),
				Recall: &integration.RecallRecord{ExternalID: "recall-12", PatientExternalID: "pat-1001", Due: "2026-04-05",
					Reason: "Annual skin check", Doctor: fmDrMartin, Status: integration.RecallActive}}},
		},
		{
			name: "recall task in UTC (nil zone)",
			file: "task-recall.json", typ: "Task", prof: fmGeneric,
			want: integration.FHIRMapped{ResourceType: "Task", Mapped: integration.Mapped{
				ControlID: "Task/recall-12", At: fmTime("2026-03-06T01:00:00Z"),
				Recall: &integration.RecallRecord{ExternalID: "recall-12", PatientExternalID: "pat-1001", Due: "2026-04-04",
					Reason: "Annual skin check", Doctor: fmDrMartin, Status: integration.RecallActive}}},
		},
		{
			name: "communication request recall",
			file: "communicationrequest-recall.json", typ: "CommunicationRequest", prof: fmGeneric, loc: sydney,
			want: integration.FHIRMapped{ResourceType: "CommunicationRequest", Mapped: integration.Mapped{
				ControlID: "CommunicationRequest/cr-33/_history/1", At: fmTime("2026-03-07T03:00:00Z"),
				Recall: &integration.RecallRecord{ExternalID: "cr-33", PatientExternalID: "pat-1001", Due: "2026-09-01",
					Reason: "Cholesterol check", Doctor: fmDrMartin, Status: integration.RecallActive}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := fmMap(t, fmRead(t, tc.file), tc.typ, tc.prof, tc.loc)
			if d := cmp.Diff(tc.want, got, fmIgnore); d != "" {
				t.Errorf("MapFHIR (-want +got):\n%s", d)
			}
			if got.At.Location() != time.UTC {
				t.Errorf("At in %v, want UTC", got.At.Location())
			}
			switch got.ResourceType {
			case "DiagnosticReport":
				if got.Report == nil || got.Report.ID != "rep-9001" {
					t.Errorf("Report %+v, want the decoded report", got.Report)
				}
			case "Task":
				if (got.Task != nil) != (got.ActionFor != "") {
					t.Errorf("Task %v with ActionFor %q", got.Task != nil, got.ActionFor)
				}
			}
		})
	}
}

func TestMapFHIRPatientVariations(t *testing.T) {
	tests := []struct {
		name string
		ops  []fmOp
		prof integration.Profile
		edit func(p *integration.PatientRecord) // from fmPatient
	}{
		{name: "no extension: opt-out not stated", ops: []fmOp{fmDel("extension")},
			edit: func(p *integration.PatientRecord) { p.OptOut = nil }},
		{name: "extension false", ops: []fmOp{fmSet("extension.0.valueBoolean", false)},
			edit: func(p *integration.PatientRecord) { p.OptOut = fmPtr(false) }},
		{name: "usual name when no official one",
			ops:  []fmOp{fmSet("name", []any{map[string]any{"use": "old", "family": "Ancien"}, map[string]any{"use": "usual", "given": []any{"Cami"}}})},
			edit: func(p *integration.PatientRecord) { p.FamilyName, p.GivenName = "", "Cami" }},
		{name: "first name with a part, text-only names skipped",
			ops: []fmOp{fmSet("name", []any{map[string]any{"text": "Camille Exemple"},
				map[string]any{"family": " Exemple ", "given": []any{"", "Camille"}}, map[string]any{"family": "Other"}})},
			edit: func(p *integration.PatientRecord) { p.GivenName = "Camille" }},
		{name: "partial birth date is not kept", ops: []fmOp{fmSet("birthDate", "1988-07")},
			edit: func(p *integration.PatientRecord) { p.BirthDate = "" }},
		{name: "birth year is not kept", ops: []fmOp{fmSet("birthDate", "1988")},
			edit: func(p *integration.PatientRecord) { p.BirthDate = "" }},
		{name: "no birth date", ops: []fmOp{fmDel("birthDate")},
			edit: func(p *integration.PatientRecord) { p.BirthDate = "" }},
		{name: "a phone not marked mobile is not a mobile",
			ops: []fmOp{fmSet("telecom", []any{map[string]any{"system": "phone", "value": "0400 000 009"},
				map[string]any{"system": "phone", "value": "0400 000 008", "use": "home"}})},
			edit: func(p *integration.PatientRecord) { p.Mobile, p.Email = "", "" }},
		{name: "sms with use mobile is a mobile, unranked first wins",
			ops: []fmOp{fmSet("telecom", []any{map[string]any{"system": "sms", "value": "0400 000 007", "use": "mobile"},
				map[string]any{"system": "phone", "value": "0400 000 006", "use": "mobile"}})},
			edit: func(p *integration.PatientRecord) { p.Mobile, p.Email = "0400 000 007", "" }},
		{name: "only an old e-mail", ops: []fmOp{fmSet("telecom.4.use", "old")},
			edit: func(p *integration.PatientRecord) { p.Email = "" }},
		{name: "no preferred language: the first", ops: []fmOp{fmDel("communication.1.preferred")},
			edit: func(p *integration.PatientRecord) { p.Language = "en" }},
		{name: "three-letter language code", ops: []fmOp{fmSet("communication.1.language.coding.0.code", "fra")},
			edit: func(p *integration.PatientRecord) {}},
		{name: "unknown language", ops: []fmOp{fmSet("communication.1.language.coding.0.code", "x-klingon")},
			edit: func(p *integration.PatientRecord) { p.Language = "" }},
		{name: "deceasedBoolean", ops: []fmOp{fmSet("deceasedBoolean", true)},
			edit: func(p *integration.PatientRecord) { p.Deceased = true }},
		{name: "deceasedDateTime", ops: []fmOp{fmDel("deceasedBoolean"), fmSet("deceasedDateTime", "2026-02-01")},
			edit: func(p *integration.PatientRecord) { p.Deceased = true }},
		{name: "inactive patient still mapped", ops: []fmOp{fmSet("active", false)},
			edit: func(p *integration.PatientRecord) {}},
		{name: "contact role only, mobile before work number",
			ops: []fmOp{fmSet("contact.0.relationship", []any{map[string]any{"coding": []any{map[string]any{
				"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C", "display": "Emergency Contact"}}}}),
				fmSet("contact.0.telecom", []any{map[string]any{"system": "phone", "value": "02 9999 0001", "use": "work"},
					map[string]any{"system": "phone", "value": "0400 000 003", "use": "mobile"}})},
			edit: func(p *integration.PatientRecord) {
				p.Relatives = []integration.Relative{{FamilyName: "Exemple", GivenName: "Dominique", Relationship: "C",
					RelationshipText: "Emergency Contact", Phone: "0400 000 003"}}
			}},
		{name: "relationship as text only",
			ops: []fmOp{fmSet("contact.0.relationship", []any{map[string]any{"text": "Aunt"}}), fmDel("contact.0.telecom")},
			edit: func(p *integration.PatientRecord) {
				p.Relatives = []integration.Relative{{FamilyName: "Exemple", GivenName: "Dominique", RelationshipText: "Aunt"}}
			}},
		{name: "no relatives", ops: []fmOp{fmDel("contact")},
			edit: func(p *integration.PatientRecord) { p.Relatives = nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prof := tc.prof
			if prof.Software == "" {
				prof = fmGeneric
			}
			want := fmPatient
			want.Relatives = append([]integration.Relative(nil), fmPatient.Relatives...)
			tc.edit(&want)
			got := fmMap(t, fmEdit(t, "patient.json", tc.ops...), "Patient", prof, nil)
			if d := cmp.Diff(&want, got.Patient, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("Patient (-want +got):\n%s", d)
			}
		})
	}
}

func TestMapFHIRAppointmentVariations(t *testing.T) {
	start, end := fmTime("2026-03-09T23:30:00Z"), fmTime("2026-03-09T23:45:00Z")
	tests := []struct {
		name       string
		ops        []fmOp
		status     clinic.Status
		event      string
		skip       bool
		start, end time.Time
		check      func(t *testing.T, a *integration.AppointmentRecord)
	}{
		{name: "booked", status: clinic.StatusBooked, event: "S12", start: start, end: end},
		{name: "pending", ops: []fmOp{fmSet("status", "pending")}, status: clinic.StatusBooked, event: "S12", start: start, end: end},
		{name: "proposed with a start", ops: []fmOp{fmSet("status", "proposed")}, status: clinic.StatusBooked, event: "S12", start: start, end: end},
		{name: "proposed without a start", ops: []fmOp{fmSet("status", "proposed"), fmDel("start")}, event: "S14", skip: true},
		{name: "waitlist", ops: []fmOp{fmSet("status", "waitlist")}, event: "S14", skip: true, start: start, end: end},
		{name: "arrived", ops: []fmOp{fmSet("status", "arrived")}, status: clinic.StatusArrived, event: "S14", start: start, end: end},
		{name: "checked-in", ops: []fmOp{fmSet("status", "checked-in")}, status: clinic.StatusArrived, event: "S14", start: start, end: end},
		{name: "fulfilled", ops: []fmOp{fmSet("status", "fulfilled")}, status: clinic.StatusSeen, event: "S14", start: start, end: end},
		{name: "cancelled", ops: []fmOp{fmSet("status", "cancelled")}, status: clinic.StatusCancelled, event: "S15", start: start, end: end},
		{name: "cancelled without times", ops: []fmOp{fmSet("status", "cancelled"), fmDel("start")}, status: clinic.StatusCancelled, event: "S15"},
		{name: "noshow", ops: []fmOp{fmSet("status", "noshow")}, status: clinic.StatusNoShow, event: "S26", start: start, end: end},
		{name: "entered-in-error", ops: []fmOp{fmSet("status", "entered-in-error")}, status: clinic.StatusCancelled, event: "S17", start: start, end: end},
		{name: "end given wins over the duration", ops: []fmOp{fmSet("end", "2026-03-10T11:00:00+11:00")},
			status: clinic.StatusBooked, event: "S12", start: start, end: fmTime("2026-03-10T00:00:00Z")},
		{name: "no end, no duration", ops: []fmOp{fmDel("minutesDuration")}, status: clinic.StatusBooked, event: "S12", start: start},
		{name: "no patient participant", ops: []fmOp{fmSet("participant.0.actor.reference", "Group/g1")},
			event: "S14", skip: true, start: start, end: end},
		{name: "same patient twice", ops: []fmOp{fmSet("participant.1.actor", map[string]any{"reference": "Patient/pat-1001"})},
			status: clinic.StatusBooked, event: "S12", start: start, end: end,
			check: func(t *testing.T, a *integration.AppointmentRecord) {
				if a.Resource.Practitioner != fmDrMartin {
					t.Errorf("practitioner %+v", a.Resource.Practitioner)
				}
			}},
		{name: "reason from serviceType, location display, no placer",
			ops:    []fmOp{fmDel("appointmentType"), fmSet("participant.3.actor.display", "Room 2"), fmDel("identifier")},
			status: clinic.StatusBooked, event: "S12", start: start, end: end,
			check: func(t *testing.T, a *integration.AppointmentRecord) {
				want := integration.Coded{Code: "52", Text: "General Discussion"}
				if a.Reason != want || a.Resource.Location != "Room 2" || a.PlacerID != "" || a.ExternalID != "appt-501" {
					t.Errorf("reason %+v, location %q, placer %q, external %q", a.Reason, a.Resource.Location, a.PlacerID, a.ExternalID)
				}
			}},
		{name: "reason from reasonCode; practitioner by display only is not read",
			ops: []fmOp{fmDel("appointmentType"), fmDel("serviceType"),
				fmSet("reasonCode", []any{map[string]any{"text": "Skin check"}}),
				fmSet("participant.2.actor", map[string]any{"display": "Dr Grace Martin"})},
			status: clinic.StatusBooked, event: "S12", start: start, end: end,
			check: func(t *testing.T, a *integration.AppointmentRecord) {
				if want := (integration.Coded{Text: "Skin check"}); a.Reason != want || a.Resource.Practitioner != (integration.Practitioner{}) {
					t.Errorf("reason %+v, practitioner %+v", a.Reason, a.Resource.Practitioner)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := fmMap(t, fmEdit(t, "appointment.json", tc.ops...), "Appointment", fmGeneric, nil)
			a := got.Appointment
			if a == nil {
				t.Fatal("no appointment")
			}
			if a.Status != tc.status || a.Event != tc.event || (a.Skip != "") != tc.skip || !a.Start.Equal(tc.start) || !a.End.Equal(tc.end) {
				t.Errorf("status %q event %q skip %q start %v end %v; want %q %q skip %v %v %v",
					a.Status, a.Event, a.Skip, a.Start, a.End, tc.status, tc.event, tc.skip, tc.start, tc.end)
			}
			if tc.check != nil {
				tc.check(t, a)
			}
		})
	}
}

func TestMapFHIRResultJoin(t *testing.T) {
	var report fhir.DiagnosticReport
	if err := fhir.Decode(fmRead(t, "diagnosticreport.json"), &report); err != nil {
		t.Fatal(err)
	}
	actioned := integration.ResultRecord{
		PatientExternalID: "pat-1001", ExternalID: "rep-9001",
		Test: "Lipid panel with direct LDL - Serum or Plasma", Performed: fmTime("2026-03-02T07:00:00Z"),
		Category: "Result", Doctor: fmDrMartin,
		Action: "Discuss", ActionedBy: fmDrMartin, ActionedAt: fmTime("2026-03-03T21:05:00Z"),
		State: integration.StateNotified, Taken: true, Outcome: integration.OutcomeTemplate, Template: integration.TemplateDiscuss,
	}
	manual := func(r *integration.ResultRecord) { r.Outcome, r.Template = integration.OutcomeManual, "" }
	tests := []struct {
		name   string
		ops    []fmOp // on task-action.json
		noTask bool
		report func(r *fhir.DiagnosticReport)
		prof   integration.Profile
		edit   func(r *integration.ResultRecord) // from actioned
	}{
		{name: "actioned, no comments: the template (RES-2)", edit: func(r *integration.ResultRecord) {}},
		{name: "no task: not actioned", noTask: true, edit: func(r *integration.ResultRecord) {
			*r = integration.ResultRecord{PatientExternalID: r.PatientExternalID, ExternalID: r.ExternalID, Test: r.Test,
				Performed: r.Performed, Category: r.Category, Doctor: r.Doctor, Skip: "not actioned"}
		}},
		{name: "a note is a comment: manual", ops: []fmOp{fmSet("note", []any{map[string]any{"text": "Fasting next time.\r\nCall me."}})},
			edit: func(r *integration.ResultRecord) {
				manual(r)
				r.Comments, r.HasComments = "Fasting next time.\nCall me.", true
			}},
		{name: "a description other than the action is a comment",
			ops: []fmOp{fmSet("description", "Borderline LDL"), fmSet("note", []any{map[string]any{"text": "Recheck"}}),
				fmSet("input", []any{map[string]any{"type": map[string]any{"text": "message"}, "valueString": "Please book"}})},
			edit: func(r *integration.ResultRecord) {
				manual(r)
				r.Comments, r.HasComments = "Borderline LDL\nRecheck\nPlease book", true
			}},
		{name: "code text before display", ops: []fmOp{fmSet("code.text", "Return urgently")},
			edit: func(r *integration.ResultRecord) {
				manual(r)
				r.Action, r.Comments, r.HasComments = "Return urgently", "Discuss", true
			}},
		{name: "businessStatus when code has no words",
			ops:  []fmOp{fmDel("code.coding.0.display"), fmSet("businessStatus", map[string]any{"text": "Discuss"})},
			edit: func(r *integration.ResultRecord) {}},
		{name: "a bare code is still an action: manual for a code no rule names",
			ops:  []fmOp{fmDel("code.coding.0.display"), fmSet("code.coding.0.code", "notify-normal"), fmDel("description")},
			edit: func(r *integration.ResultRecord) { manual(r); r.Action = "notify-normal" }},
		{name: "cancelled task: not actioned", ops: []fmOp{fmSet("status", "cancelled")},
			edit: func(r *integration.ResultRecord) {
				*r = integration.ResultRecord{PatientExternalID: r.PatientExternalID, ExternalID: r.ExternalID, Test: r.Test,
					Performed: r.Performed, Category: r.Category, Doctor: r.Doctor, Skip: "not actioned"}
			}},
		{name: "state from an input, requester when no owner, authoredOn when no lastModified",
			ops: []fmOp{fmDel("extension"), fmDel("owner"), fmDel("lastModified"),
				fmSet("input", []any{map[string]any{"type": map[string]any{"coding": []any{map[string]any{"code": "result-state"}}}, "valueCode": "discussed"}})},
			edit: func(r *integration.ResultRecord) {
				r.State, r.ActionedBy = integration.StateDiscussed, integration.Practitioner{ID: "dr-other", Name: "Dr Other"}
				r.ActionedAt = fmTime("2026-03-03T21:00:00Z")
			}},
		{name: "owner an organisation: requester", ops: []fmOp{fmSet("owner", map[string]any{"reference": "Organization/o1", "display": "Clinic"})},
			edit: func(r *integration.ResultRecord) {
				r.ActionedBy = integration.Practitioner{ID: "dr-other", Name: "Dr Other"}
			}},
		{name: "category Best Practice does not take", prof: fmBP,
			edit: func(r *integration.ResultRecord) {
				r.Taken, r.Outcome, r.Template, r.Skip = false, "", "", "filing category is not one the software profile takes"
			}},
		{name: "preliminary report: not taken", report: func(d *fhir.DiagnosticReport) { d.Status = "preliminary" },
			edit: func(r *integration.ResultRecord) {
				r.Taken, r.Outcome, r.Template, r.Skip = false, "", "", "report status preliminary is not final, amended, corrected or appended"
			}},
		{name: "amended report, performer when no interpreter, no category for the generic profile", prof: fmGeneric,
			report: func(d *fhir.DiagnosticReport) {
				d.Status, d.ResultsInterpreter, d.Category = "amended", nil, nil
			},
			edit: func(r *integration.ResultRecord) {
				r.Doctor, r.Category = integration.Practitioner{ID: "dr-lab", Name: "Dr Lab"}, ""
			}},
		{name: "effectiveDateTime as a date, in the clinic's zone",
			report: func(d *fhir.DiagnosticReport) { d.EffectiveDateTime, d.EffectivePeriod = "2026-03-02", nil },
			edit:   func(r *integration.ResultRecord) { r.Performed = fmTime("2026-03-01T13:00:00Z") }},
	}
	sydney := fmZone(t, "Australia/Sydney")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prof := tc.prof
			if prof.Software == "" {
				prof = fmMD
			}
			rep := report
			if tc.report != nil {
				tc.report(&rep)
			}
			var task *fhir.Task
			wantAt, wantID := fmTime("2026-03-03T15:40:12.123Z"), "DiagnosticReport/rep-9001/_history/2"
			if !tc.noTask {
				task = new(fhir.Task)
				if err := fhir.Decode(fmEdit(t, "task-action.json", tc.ops...), task); err != nil {
					t.Fatal(err)
				}
				wantAt, wantID = fmTime("2026-03-04T07:00:00Z"), wantID+",Task/task-77/_history/5"
			}
			got, err := integration.MapFHIRResult(rep, task, prof, sydney)
			if err != nil {
				t.Fatalf("MapFHIRResult: %v", err)
			}
			want := actioned
			tc.edit(&want)
			if d := cmp.Diff([]integration.ResultRecord{want}, got.Results); d != "" {
				t.Errorf("Results (-want +got):\n%s", d)
			}
			if !got.At.Equal(wantAt) || got.ControlID != wantID || got.ResourceType != "DiagnosticReport" {
				t.Errorf("At %v ControlID %q type %q, want %v %q", got.At, got.ControlID, got.ResourceType, wantAt, wantID)
			}
		})
	}

	t.Run("refusals", func(t *testing.T) {
		tests := []struct {
			name   string
			ops    []fmOp
			code   hl7.ErrorCode
			reason string
		}{
			{"task about another report", []fmOp{fmSet("focus.reference", "DiagnosticReport/rep-1")}, hl7.CodeDataTypeError, "Task.focus: "},
			{"task about no report", []fmOp{fmDel("focus")}, hl7.CodeDataTypeError, "Task.focus: "},
			{"task for another patient", []fmOp{fmSet("for.reference", "Patient/pat-2")}, hl7.CodeDataTypeError, "Task.for: "},
			{"task without lastUpdated", []fmOp{fmDel("meta.lastUpdated")}, hl7.CodeRequiredFieldMissing, "Task.meta.lastUpdated: "},
			{"task without id", []fmOp{fmDel("id")}, hl7.CodeRequiredFieldMissing, "Task.id: "},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				raw := fmEdit(t, "task-action.json", tc.ops...)
				var task fhir.Task
				if err := fhir.Decode(raw, &task); err != nil {
					t.Fatal(err)
				}
				got, err := integration.MapFHIRResult(report, &task, fmMD, sydney)
				checkFHIRRefusal(t, raw, err, tc.code, tc.reason)
				if got.Results != nil || got.ResourceType != "DiagnosticReport" || !strings.HasPrefix(got.ControlID, "DiagnosticReport/rep-9001") {
					t.Errorf("refused result %+v", got)
				}
			})
		}
	})
}

func TestMapFHIRRecallVariations(t *testing.T) {
	lordHowe := fmZone(t, "Australia/Lord_Howe")
	tests := []struct {
		name string
		file string
		ops  []fmOp
		loc  *time.Location
		edit func(r *integration.RecallRecord)
	}{
		{name: "task: reasonCode before description", file: "task-recall.json",
			ops:  []fmOp{fmSet("reasonCode", map[string]any{"coding": []any{map[string]any{"code": "skin"}}})},
			edit: func(r *integration.RecallRecord) { r.Reason = "skin" }},
		{name: "task: code text Recall, due as a date", file: "task-recall.json",
			ops:  []fmOp{fmSet("code", map[string]any{"text": "Recall"}), fmSet("input.0.valueDateTime", "2026-10-04")},
			edit: func(r *integration.RecallRecord) { r.Due = "2026-10-04" }},
		{name: "task: Lord Howe's half-hour DST start", file: "task-recall.json", loc: lordHowe,
			ops:  []fmOp{fmSet("input.0.valueDateTime", "2026-10-03T13:45:00Z")},
			edit: func(r *integration.RecallRecord) { r.Due = "2026-10-04" }},
		{name: "task: completed without a due date", file: "task-recall.json",
			ops:  []fmOp{fmSet("status", "completed"), fmDel("input")},
			edit: func(r *integration.RecallRecord) { r.Status, r.Due = integration.RecallCompleted, "" }},
		{name: "task: rejected is cancelled", file: "task-recall.json", ops: []fmOp{fmSet("status", "rejected")},
			edit: func(r *integration.RecallRecord) { r.Status = integration.RecallCancelled }},
		{name: "task: on-hold is active, no requester", file: "task-recall.json", ops: []fmOp{fmSet("status", "on-hold"), fmDel("requester")},
			edit: func(r *integration.RecallRecord) { r.Doctor = integration.Practitioner{} }},
		{name: "request: payload when no reason code", file: "communicationrequest-recall.json", ops: []fmOp{fmDel("reasonCode")},
			edit: func(r *integration.RecallRecord) {
				r.ExternalID, r.Due, r.Reason = "cr-33", "2026-09-01", "Time for your cholesterol check."
			}},
		{name: "request: occurrencePeriod, revoked", file: "communicationrequest-recall.json",
			ops: []fmOp{fmDel("occurrenceDateTime"), fmSet("occurrencePeriod", map[string]any{"start": "2026-09-30T23:00:00Z"}), fmSet("status", "revoked")},
			edit: func(r *integration.RecallRecord) {
				r.ExternalID, r.Due, r.Reason, r.Status = "cr-33", "2026-10-01", "Cholesterol check", integration.RecallCancelled
			}},
		{name: "request: draft is active, requester by display", file: "communicationrequest-recall.json",
			ops: []fmOp{fmSet("status", "draft"), fmSet("requester", map[string]any{"display": "Dr Grace Martin"})},
			edit: func(r *integration.RecallRecord) {
				r.ExternalID, r.Due, r.Reason = "cr-33", "2026-09-01", "Cholesterol check"
				r.Doctor = integration.Practitioner{Name: "Dr Grace Martin"}
			}},
		{name: "request: completed", file: "communicationrequest-recall.json", ops: []fmOp{fmSet("status", "completed")},
			edit: func(r *integration.RecallRecord) {
				r.ExternalID, r.Due, r.Reason, r.Status = "cr-33", "2026-09-01", "Cholesterol check", integration.RecallCompleted
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loc := tc.loc
			if loc == nil {
				loc = fmZone(t, "Australia/Sydney")
			}
			want := integration.RecallRecord{ExternalID: "recall-12", PatientExternalID: "pat-1001", Due: "2026-04-05",
				Reason: "Annual skin check", Doctor: fmDrMartin, Status: integration.RecallActive}
			tc.edit(&want)
			got := fmMap(t, fmEdit(t, tc.file, tc.ops...), "", fmGeneric, loc)
			if d := cmp.Diff(&want, got.Recall); d != "" {
				t.Errorf("Recall (-want +got):\n%s", d)
			}
		})
	}
}

func TestMapFHIRIgnored(t *testing.T) {
	tests := []struct {
		name string
		file string
		ops  []fmOp
		prof integration.Profile
		skip string
	}{
		{"consent about privacy", "consent-optout.json", []fmOp{fmDel("category")}, fmGeneric, "Consent is not about patient communications"},
		{"task neither action nor recall", "task-recall.json", []fmOp{fmSet("code", map[string]any{"text": "Call lab"})}, fmGeneric,
			"Task is neither a result action (focus a DiagnosticReport) nor a recall (code recall)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := fmMap(t, fmEdit(t, tc.file, tc.ops...), "", tc.prof, nil)
			if got.Skip != tc.skip || got.Patient != nil || got.Consent != nil || got.Recall != nil || got.ActionFor != "" || got.ControlID == "" {
				t.Errorf("got %+v, want only Skip %q", got, tc.skip)
			}
		})
	}
	t.Run("consent no longer active reads as not opted out", func(t *testing.T) {
		got := fmMap(t, fmEdit(t, "consent-optout.json", fmSet("status", "inactive")), "Consent", fmGeneric, nil)
		if want := (&integration.ConsentRecord{ExternalID: "consent-1", PatientExternalID: "pat-1001"}); !cmp.Equal(got.Consent, want) {
			t.Errorf("Consent %+v, want %+v", got.Consent, want)
		}
	})
}

// checkFHIRRefusal: err is a *MapError with code, a reason starting with the element path
// wantReason, and no value of raw's (house rule 6).
func checkFHIRRefusal(t *testing.T, raw []byte, err error, code hl7.ErrorCode, wantReason string) {
	t.Helper()
	var me *integration.MapError
	if !errors.As(err, &me) {
		t.Fatalf("error %v (%T), want a *MapError", err, err)
	}
	if me.Code != code || !strings.HasPrefix(me.Reason, wantReason) || me.Error() != me.Reason {
		t.Errorf("refused with %d %q, want %d %q…", me.Code, me.Reason, code, wantReason)
	}
	if me.Segment != "" || me.Field != 0 {
		t.Errorf("HL7 place %s-%d set on a FHIR refusal", me.Segment, me.Field)
	}
	var doc any
	if json.Unmarshal(raw, &doc) != nil {
		return
	}
	fmLeaves(doc, "", func(key, v string) {
		switch key {
		case "resourceType", "status", "system", "use", "url", "valueCode", "intent", "code":
			return // codes, not patient data
		}
		if v = strings.TrimSpace(v); utf8.RuneCountInString(v) >= 4 && strings.Contains(me.Reason, v) {
			t.Errorf("reason %q quotes the value of %s", me.Reason, key)
		}
	})
}

// fmLeaves calls f with every string of a decoded JSON value and the key it is under.
func fmLeaves(v any, key string, f func(key, v string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			fmLeaves(x, k, f)
		}
	case []any:
		for _, x := range v {
			fmLeaves(x, key, f)
		}
	case string:
		f(key, v)
	}
}

func TestMapFHIRRefusals(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	many := make([]any, 21)
	for i := range many {
		many[i] = map[string]any{"name": map[string]any{"family": "Kin"}}
	}
	tests := []struct {
		name   string
		file   string
		typ    string
		ops    []fmOp
		code   hl7.ErrorCode
		reason string
	}{
		// Every resource.
		{"no lastUpdated", "patient.json", "Patient", []fmOp{fmDel("meta.lastUpdated")}, hl7.CodeRequiredFieldMissing, "Patient.meta.lastUpdated: is missing"},
		{"no meta", "appointment.json", "Appointment", []fmOp{fmDel("meta")}, hl7.CodeRequiredFieldMissing, "Appointment.meta.lastUpdated: "},
		{"lastUpdated not an instant", "patient.json", "Patient", []fmOp{fmSet("meta.lastUpdated", "2026-03-02")}, hl7.CodeDataTypeError, "Patient: cannot be decoded"},
		{"no id", "consent-optout.json", "Consent", []fmOp{fmDel("id")}, hl7.CodeRequiredFieldMissing, "Consent.id: is missing"},
		{"id not a FHIR id", "patient.json", "Patient", []fmOp{fmSet("id", "Exemple Camille")}, hl7.CodeDataTypeError, "Patient.id: "},
		{"versionId not a FHIR id", "patient.json", "Patient", []fmOp{fmSet("meta.versionId", "7/8")}, hl7.CodeDataTypeError, "Patient.meta.versionId: "},
		{"unknown resource type", "patient.json", "", []fmOp{fmSet("resourceType", "Observation")}, hl7.CodeUnsupportedMessageType, "resourceType: Observation resources are not handled"},
		{"no resource type at all", "patient.json", "", []fmOp{fmDel("resourceType")}, hl7.CodeRequiredFieldMissing, "resourceType: is missing"},
		{"type asked for differs", "patient.json", "Appointment", nil, hl7.CodeUnsupportedMessageType, "resourceType: is not the resource type asked for"},
		{"wrong JSON type", "patient.json", "Patient", []fmOp{fmSet("name", "Exemple")}, hl7.CodeDataTypeError, "Patient: cannot be decoded"},
		{"deceasedBoolean not a boolean", "patient.json", "Patient", []fmOp{fmSet("deceasedBoolean", "yes")}, hl7.CodeDataTypeError, "Patient: cannot be decoded"},
		// Patient.
		{"no name", "patient.json", "Patient", []fmOp{fmSet("name", []any{map[string]any{"text": "Camille Exemple"}})}, hl7.CodeRequiredFieldMissing, "Patient.name: "},
		{"only an old name", "patient.json", "Patient", []fmOp{fmSet("name", []any{map[string]any{"use": "old", "family": "Ancien"}})}, hl7.CodeRequiredFieldMissing, "Patient.name: "},
		{"control character in a family name", "patient.json", "Patient", []fmOp{fmSet("name.1.family", "Exem\u0007ple")}, hl7.CodeDataTypeError, "Patient.name[1].family: holds a control character"},
		{"line break in a given name", "patient.json", "Patient", []fmOp{fmSet("name.1.given.1", "Marie\nClaire")}, hl7.CodeDataTypeError, "Patient.name[1].given[1]: "},
		{"C1 control character", "patient.json", "Patient", []fmOp{fmSet("name.1.family", "Exem\u0085ple")}, hl7.CodeDataTypeError, "Patient.name[1].family: "},
		{"family name too long", "patient.json", "Patient", []fmOp{fmSet("name.1.family", long(101))}, hl7.CodeDataTypeError, "Patient.name[1].family: is longer than 100 characters"},
		{"given names too long together", "patient.json", "Patient", []fmOp{fmSet("name.1.given", []any{long(60), long(60)})}, hl7.CodeDataTypeError, "Patient.name[1].given: is longer"},
		{"birth date not a date", "patient.json", "Patient", []fmOp{fmSet("birthDate", "1988-13-01")}, hl7.CodeDataTypeError, "Patient.birthDate: "},
		{"birth date with a time", "patient.json", "Patient", []fmOp{fmSet("birthDate", "1988-07-14T10:00:00Z")}, hl7.CodeDataTypeError, "Patient.birthDate: "},
		{"mobile on two lines", "patient.json", "Patient", []fmOp{fmSet("telecom.2.value", "0400\n000 002")}, hl7.CodeDataTypeError, "Patient.telecom[2].value: "},
		{"mobile too long", "patient.json", "Patient", []fmOp{fmSet("telecom.2.value", strings.Repeat("4", 51))}, hl7.CodeDataTypeError, "Patient.telecom[2].value: is longer than 50"},
		{"e-mail too long", "patient.json", "Patient", []fmOp{fmSet("telecom.4.value", strings.Repeat("a", 250)+"@b.co")}, hl7.CodeDataTypeError, "Patient.telecom[4].value: is longer than 254"},
		{"21 contacts", "patient.json", "Patient", []fmOp{fmSet("contact", many)}, hl7.CodeApplicationError, "Patient.contact[20]: "},
		{"relationship code with a control character", "patient.json", "Patient", []fmOp{fmSet("contact.0.relationship.1.coding.0.code", "M\u0000TH")}, hl7.CodeDataTypeError, "Patient.contact[0].relationship[1].coding[0].code: "},
		{"relative's name too long", "patient.json", "Patient", []fmOp{fmSet("contact.0.name.given.0", long(101))}, hl7.CodeDataTypeError, "Patient.contact[0].name.given[0]: "},
		{"relative's phone too long", "patient.json", "Patient", []fmOp{fmSet("contact.0.telecom.0.value", strings.Repeat("2", 51))}, hl7.CodeDataTypeError, "Patient.contact[0].telecom[0].value: "},
		// Consent.
		{"consent without patient", "consent-optout.json", "Consent", []fmOp{fmDel("patient")}, hl7.CodeRequiredFieldMissing, "Consent.patient: "},
		{"consent patient not a FHIR id", "consent-optout.json", "Consent", []fmOp{fmSet("patient.reference", "Patient/a b")}, hl7.CodeDataTypeError, "Consent.patient.reference: "},
		// Appointment.
		{"no status", "appointment.json", "Appointment", []fmOp{fmDel("status")}, hl7.CodeRequiredFieldMissing, "Appointment.status: is missing"},
		{"unknown status", "appointment.json", "Appointment", []fmOp{fmSet("status", "confirmed")}, hl7.CodeTableValueNotFound, "Appointment.status: "},
		{"booked without a start", "appointment.json", "Appointment", []fmOp{fmDel("start")}, hl7.CodeRequiredFieldMissing, "Appointment.start: is missing"},
		{"pending without a start", "appointment.json", "Appointment", []fmOp{fmSet("status", "pending"), fmDel("start")}, hl7.CodeRequiredFieldMissing, "Appointment.start: "},
		{"start without a zone", "appointment.json", "Appointment", []fmOp{fmSet("start", "2026-03-10T10:30:00")}, hl7.CodeDataTypeError, "Appointment: cannot be decoded"},
		{"end before start", "appointment.json", "Appointment", []fmOp{fmSet("end", "2026-03-10T10:00:00+11:00")}, hl7.CodeDataTypeError, "Appointment.end: is before"},
		{"negative duration", "appointment.json", "Appointment", []fmOp{fmSet("minutesDuration", -5)}, hl7.CodeDataTypeError, "Appointment.minutesDuration: "},
		{"duration over a week", "appointment.json", "Appointment", []fmOp{fmSet("minutesDuration", 10081)}, hl7.CodeDataTypeError, "Appointment.minutesDuration: "},
		{"a second patient", "appointment.json", "Appointment", []fmOp{fmSet("participant.1.actor.reference", "Patient/pat-2")}, hl7.CodeApplicationError, "Appointment.participant[1].actor: is a second patient"},
		{"patient reference to no FHIR id", "appointment.json", "Appointment", []fmOp{fmSet("participant.0.actor.reference", "Patient/")}, hl7.CodeDataTypeError, "Appointment.participant[0].actor.reference: "},
		{"Tidings' id with a control character", "appointment.json", "Appointment", []fmOp{fmSet("identifier.1.value", "tid\t42")}, hl7.CodeDataTypeError, "Appointment.identifier[1].value: "},
		{"practitioner name too long", "appointment.json", "Appointment", []fmOp{fmSet("participant.2.actor.display", long(101))}, hl7.CodeDataTypeError, "Appointment.participant[2].actor.display: "},
		{"location with a control character", "appointment.json", "Appointment", []fmOp{fmSet("participant.3.actor.display", "Room\u001b2")}, hl7.CodeDataTypeError, "Appointment.participant[3].actor.display: "},
		{"reason text too long", "appointment.json", "Appointment", []fmOp{fmSet("appointmentType.text", long(201))}, hl7.CodeDataTypeError, "Appointment.appointmentType.text: is longer than 200"},
		{"reason code too long", "appointment.json", "Appointment", []fmOp{fmSet("appointmentType.coding.0.code", long(101))}, hl7.CodeDataTypeError, "Appointment.appointmentType.coding[0].code: "},
		{"note with a NUL", "appointment.json", "Appointment", []fmOp{fmSet("comment", "Bring\u0000it")}, hl7.CodeDataTypeError, "Appointment.comment: holds a control character"},
		{"note too long", "appointment.json", "Appointment", []fmOp{fmSet("comment", long(2001))}, hl7.CodeDataTypeError, "Appointment.comment: makes the comments longer than 2000"},
		// DiagnosticReport.
		{"report without status", "diagnosticreport.json", "DiagnosticReport", []fmOp{fmDel("status")}, hl7.CodeRequiredFieldMissing, "DiagnosticReport.status: "},
		{"report with an unknown status", "diagnosticreport.json", "DiagnosticReport", []fmOp{fmSet("status", "done")}, hl7.CodeTableValueNotFound, "DiagnosticReport.status: "},
		{"report about a group", "diagnosticreport.json", "DiagnosticReport", []fmOp{fmSet("subject.reference", "Group/g1")}, hl7.CodeRequiredFieldMissing, "DiagnosticReport.subject: "},
		{"performed to the month", "diagnosticreport.json", "DiagnosticReport", []fmOp{fmSet("effectivePeriod.start", "2026-03")}, hl7.CodeDataTypeError, "DiagnosticReport.effectivePeriod.start: is not given to the day"},
		{"performed without a zone", "diagnosticreport.json", "DiagnosticReport", []fmOp{fmSet("effectiveDateTime", "2026-03-02T08:00:00")}, hl7.CodeDataTypeError, "DiagnosticReport.effectiveDateTime: "},
		{"test name too long", "diagnosticreport.json", "DiagnosticReport", []fmOp{fmSet("code.text", long(201))}, hl7.CodeDataTypeError, "DiagnosticReport.code.text: is longer than 200"},
		{"category too long", "diagnosticreport.json", "DiagnosticReport", []fmOp{fmSet("category.0.text", long(101))}, hl7.CodeDataTypeError, "DiagnosticReport.category[0].text: "},
		{"interpreter's name with a control character", "diagnosticreport.json", "DiagnosticReport", []fmOp{fmSet("resultsInterpreter.0.display", "Dr\u0001Martin")}, hl7.CodeDataTypeError, "DiagnosticReport.resultsInterpreter[0].display: "},
		// Task, result action.
		{"action task without status", "task-action.json", "Task", []fmOp{fmDel("status")}, hl7.CodeRequiredFieldMissing, "Task.status: "},
		{"action task with an unknown status", "task-action.json", "Task", []fmOp{fmSet("status", "done")}, hl7.CodeTableValueNotFound, "Task.status: "},
		{"action too long", "task-action.json", "Task", []fmOp{fmSet("code.coding.0.display", long(101))}, hl7.CodeDataTypeError, "Task.code.coding[0].display: "},
		{"actioned time unreadable", "task-action.json", "Task", []fmOp{fmSet("lastModified", "yesterday")}, hl7.CodeDataTypeError, "Task.lastModified: "},
		{"unknown result state", "task-action.json", "Task", []fmOp{fmSet("extension.0.valueCode", "read")}, hl7.CodeTableValueNotFound, "Task.extension[0].valueCode: "},
		{"result state without a code", "task-action.json", "Task", []fmOp{fmDel("extension.0.valueCode")}, hl7.CodeRequiredFieldMissing, "Task.extension[0].valueCode: "},
		{"comments too long", "task-action.json", "Task", []fmOp{fmSet("note", []any{map[string]any{"text": long(1500)}, map[string]any{"text": long(600)}})}, hl7.CodeDataTypeError, "Task.note[1].text: makes the comments longer"},
		{"focus not a FHIR id", "task-action.json", "Task", []fmOp{fmSet("focus.reference", "DiagnosticReport/rep 9001")}, hl7.CodeDataTypeError, "Task.focus.reference: "},
		// Task, recall.
		{"recall without due input", "task-recall.json", "Task", []fmOp{fmDel("input")}, hl7.CodeRequiredFieldMissing, "Task.input: "},
		{"recall due to the month", "task-recall.json", "Task", []fmOp{fmSet("input.0.valueDateTime", "2026-04")}, hl7.CodeDataTypeError, "Task.input[0].valueDateTime: is not given to the day"},
		{"recall due input without a value", "task-recall.json", "Task", []fmOp{fmDel("input.0.valueDateTime")}, hl7.CodeRequiredFieldMissing, "Task.input[0].valueDateTime: "},
		{"recall for nobody", "task-recall.json", "Task", []fmOp{fmDel("for")}, hl7.CodeRequiredFieldMissing, "Task.for: "},
		{"recall with an unknown status", "task-recall.json", "Task", []fmOp{fmSet("status", "open")}, hl7.CodeTableValueNotFound, "Task.status: "},
		{"recall reason too long", "task-recall.json", "Task", []fmOp{fmSet("description", long(201))}, hl7.CodeDataTypeError, "Task.description: is longer than 200"},
		// CommunicationRequest.
		{"request status unknown", "communicationrequest-recall.json", "CommunicationRequest", []fmOp{fmSet("status", "unknown")}, hl7.CodeTableValueNotFound, "CommunicationRequest.status: "},
		{"request without status", "communicationrequest-recall.json", "CommunicationRequest", []fmOp{fmDel("status")}, hl7.CodeRequiredFieldMissing, "CommunicationRequest.status: "},
		{"request without subject", "communicationrequest-recall.json", "CommunicationRequest", []fmOp{fmDel("subject")}, hl7.CodeRequiredFieldMissing, "CommunicationRequest.subject: "},
		{"active request without a due date", "communicationrequest-recall.json", "CommunicationRequest", []fmOp{fmDel("occurrenceDateTime")}, hl7.CodeRequiredFieldMissing, "CommunicationRequest.occurrence[x]: "},
		{"request due unreadable", "communicationrequest-recall.json", "CommunicationRequest", []fmOp{fmSet("occurrenceDateTime", "2026-09-31")}, hl7.CodeDataTypeError, "CommunicationRequest.occurrenceDateTime: "},
		{"request payload too long", "communicationrequest-recall.json", "CommunicationRequest", []fmOp{fmDel("reasonCode"), fmSet("payload.0.contentString", long(201))}, hl7.CodeDataTypeError, "CommunicationRequest.payload[0].contentString: "},
		{"requester's name too long", "communicationrequest-recall.json", "CommunicationRequest", []fmOp{fmSet("requester.display", long(101))}, hl7.CodeDataTypeError, "CommunicationRequest.requester.display: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := fmEdit(t, tc.file, tc.ops...)
			got, err := integration.MapFHIR(raw, tc.typ, fmGeneric, time.UTC)
			checkFHIRRefusal(t, raw, err, tc.code, tc.reason)
			if got.Patient != nil || got.Appointment != nil || got.Results != nil || got.Recall != nil || got.Consent != nil ||
				got.ActionFor != "" || got.Task != nil || got.Report != nil || !got.At.IsZero() {
				t.Errorf("refused resource still mapped: %+v", got)
			}
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		raw := []byte(`{"resourceType":"Patient","name":[{"family":"Exemple"`)
		_, err := integration.MapFHIR(raw, "Patient", fmGeneric, nil)
		checkFHIRRefusal(t, raw, err, hl7.CodeDataTypeError, "Patient: cannot be decoded")
	})
	t.Run("a refusal keeps the type and version for the logs", func(t *testing.T) {
		got, err := integration.MapFHIR(fmEdit(t, "patient.json", fmSet("birthDate", "1988-02-30")), "Patient", fmGeneric, nil)
		if err == nil || got.ResourceType != "Patient" || got.ControlID != "Patient/pat-1001/_history/7" {
			t.Errorf("got %q %q, %v", got.ResourceType, got.ControlID, err)
		}
	})
}

// fmTypes are the resource types MapFHIR handles.
var fmTypes = []string{fhir.TypePatient, fhir.TypeAppointment, fhir.TypeDiagnosticReport, fhir.TypeTask,
	fhir.TypeCommunicationRequest, fhir.TypeConsent}

// FuzzMapFHIR: any JSON, read as one of the resource types (typ picks it), is mapped or
// refused with a *MapError, never a panic; what is mapped keeps the rules (UTC times, bounded
// one-line strings); read as a Task that decodes, it joins the sample report without a panic
// too. Each seed file is added under its own resourceType.
func FuzzMapFHIR(f *testing.F) {
	typeOf := func(b []byte) uint8 {
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		_ = json.Unmarshal(b, &head)
		for i, typ := range fmTypes {
			if typ == head.ResourceType {
				return uint8(i)
			}
		}
		return 0
	}
	for _, dir := range fmDirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(typeOf(b), b)
		}
	}
	f.Add(uint8(0), []byte(`{"resourceType":"Patient","id":"a","meta":{"lastUpdated":"2026-01-01T00:00:00Z"},"name":[{"given":["\u0085"]}]}`))
	f.Add(uint8(1), []byte(`{"id":"a","meta":{"lastUpdated":"2026-01-01T00:00:00Z"},"status":"noshow","participant":[{"actor":{"reference":"x/Patient/_history/1"}}]}`))
	f.Add(uint8(2), []byte(`{"id":"a","meta":{"lastUpdated":"2026-01-01T00:00:00Z"},"status":"final","subject":{"reference":"Patient/b"},"effectiveDateTime":"2026"}`))
	f.Add(uint8(3), []byte(`{"id":"a","meta":{"lastUpdated":"2026-01-01T00:00:00Z"},"status":"ready","focus":{"reference":"DiagnosticReport/rep-9001"},"note":[{"text":"\r\r\t"}]}`))
	f.Add(uint8(4), []byte(`null`))
	f.Add(uint8(5), []byte(`[]`))
	var report fhir.DiagnosticReport
	b, err := os.ReadFile(filepath.Join(fmDirs[0], "diagnosticreport.json"))
	if err != nil {
		f.Fatal(err)
	}
	if err := fhir.Decode(b, &report); err != nil {
		f.Fatal(err)
	}
	profiles := []integration.Profile{fmGeneric, fmBP}
	zone := time.FixedZone("AEDT", 11*60*60)
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		typ := fmTypes[int(which)%len(fmTypes)]
		for _, p := range profiles {
			got, err := integration.MapFHIR(data, typ, p, zone)
			if err != nil {
				var me *integration.MapError
				if !errors.As(err, &me) || me.Reason == "" {
					t.Fatalf("%s: error %v (%T)", typ, err, err)
				}
				continue
			}
			fmCheckMapped(t, typ, got)
		}
		var task fhir.Task
		if typ == fhir.TypeTask && json.Unmarshal(data, &task) == nil {
			if got, err := integration.MapFHIRResult(report, &task, fmGeneric, zone); err == nil {
				fmCheckMapped(t, fhir.TypeDiagnosticReport, got)
			}
		}
	})
}

// fmCheckMapped checks what every mapped resource keeps: its type, a version order in UTC,
// and one-line strings within their bounds.
func fmCheckMapped(t *testing.T, typ string, got integration.FHIRMapped) {
	t.Helper()
	if got.ResourceType != typ || !strings.HasPrefix(got.ControlID, typ+"/") || got.At.IsZero() || got.At.Location() != time.UTC {
		t.Fatalf("%s: type %q control id %q at %v", typ, got.ResourceType, got.ControlID, got.At)
	}
	line := func(what, v string, max int) {
		if utf8.RuneCountInString(v) > max || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 }) ||
			v != strings.TrimSpace(v) {
			t.Fatalf("%s: %s breaks its rule", typ, what)
		}
	}
	if p := got.Patient; p != nil {
		line("ExternalID", p.ExternalID, integration.MaxIDLength)
		line("FamilyName", p.FamilyName, integration.MaxNameLength)
		line("GivenName", p.GivenName, integration.MaxNameLength)
		line("Mobile", p.Mobile, 50)
		line("Email", p.Email, 254)
		if p.FamilyName == "" && p.GivenName == "" {
			t.Fatalf("%s: patient without a name", typ)
		}
		if len(p.Relatives) > integration.MaxRelatives {
			t.Fatalf("%s: %d relatives", typ, len(p.Relatives))
		}
		for _, r := range p.Relatives {
			line("relative", r.FamilyName+r.GivenName+r.Relationship+r.RelationshipText+r.Phone, 5*integration.MaxNameLength)
		}
	}
	if a := got.Appointment; a != nil {
		line("PlacerID", a.PlacerID, integration.MaxIDLength)
		line("Location", a.Resource.Location, integration.MaxNameLength)
		line("Practitioner", a.Resource.Practitioner.Name, integration.MaxNameLength)
		line("Reason", a.Reason.Text, 200)
		if utf8.RuneCountInString(a.Note) > integration.MaxCommentsLength {
			t.Fatalf("%s: note too long", typ)
		}
		if a.Skip == "" && (a.Status == "" || a.PatientExternalID == "") {
			t.Fatalf("%s: taken appointment without status or patient", typ)
		}
		if !a.End.IsZero() && a.End.Before(a.Start) || a.Start.Location() != time.UTC || a.End.Location() != time.UTC {
			t.Fatalf("%s: start %v end %v", typ, a.Start, a.End)
		}
	}
	for _, r := range got.Results {
		line("Test", r.Test, integration.MaxTestLength)
		line("Action", r.Action, 100)
		line("Category", r.Category, 100)
		if utf8.RuneCountInString(r.Comments) > integration.MaxCommentsLength || r.Taken == (r.Skip != "") || r.PatientExternalID == "" {
			t.Fatalf("%s: result breaks its rules", typ)
		}
	}
	if r := got.Recall; r != nil {
		if r.PatientExternalID == "" || (r.Status == integration.RecallActive && r.Due == "") {
			t.Fatalf("%s: recall without patient or due date", typ)
		}
		if r.Due != "" {
			if _, err := time.Parse(time.DateOnly, r.Due); err != nil {
				t.Fatalf("%s: due %v", typ, err)
			}
		}
	}
}
