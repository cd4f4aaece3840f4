package integration_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/hl7"
	"github.com/tidings-health/tidings/internal/integration"
)

// mapZone is the zone the tests read times without an offset in: a fixed +11:00 (Sydney
// in summer), so the expected instants do not depend on the machine's zone database.
var mapZone = time.FixedZone("AEDT", 11*60*60)

func mapPtr[T any](v T) *T { return &v }

func mapUTC(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// mapSampleDirs are where the test messages are: the hl7 package's samples and this package's.
var mapSampleDirs = []string{filepath.Join("..", "hl7", "testdata"), filepath.Join("testdata", "map")}

func mapSample(t testing.TB, name string) string {
	t.Helper()
	for _, dir := range mapSampleDirs {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			return string(b)
		}
	}
	t.Fatalf("no sample %s", name)
	return ""
}

func mapParse(t testing.TB, raw string) *hl7.Message {
	t.Helper()
	m, err := hl7.Parse([]byte(raw))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := hl7.Validate(m); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	return m
}

func mapProfile(p clinic.SoftwareProfile) integration.Profile { return integration.DefaultProfile(p) }

// Text surgery on sample messages (segments end with CR).

func mapSegs(msg string) []string { return strings.Split(strings.TrimRight(msg, "\r"), "\r") }

func mapJoin(ss []string) string { return strings.Join(ss, "\r") + "\r" }

// mapWithField sets field n (raw text) of the occ-th segment named seg, adding empty fields.
func mapWithField(msg, seg string, occ, n int, raw string) string {
	ss := mapSegs(msg)
	for i, s := range ss {
		if !strings.HasPrefix(s, seg+"|") && s != seg {
			continue
		}
		if occ--; occ > 0 {
			continue
		}
		parts := strings.Split(s, "|")
		idx := n
		if seg == "MSH" {
			idx = n - 1
		}
		for len(parts) <= idx {
			parts = append(parts, "")
		}
		parts[idx] = raw
		ss[i] = strings.Join(parts, "|")
		return mapJoin(ss)
	}
	panic("no segment " + seg)
}

// mapInsertAfter puts lines after the occ-th segment named seg.
func mapInsertAfter(msg, seg string, occ int, lines ...string) string {
	ss := mapSegs(msg)
	for i, s := range ss {
		if strings.HasPrefix(s, seg+"|") {
			if occ--; occ == 0 {
				return mapJoin(slices.Concat(ss[:i+1], lines, ss[i+1:]))
			}
		}
	}
	panic("no segment " + seg)
}

func mapWithout(msg string, names ...string) string {
	var out []string
	for _, s := range mapSegs(msg) {
		name, _, _ := strings.Cut(s, "|")
		if !slices.Contains(names, name) {
			out = append(out, s)
		}
	}
	return mapJoin(out)
}

func TestMapHL7Samples(t *testing.T) {
	bp, md, zm, opt, gen := mapProfile(clinic.ProfileBestPractice), mapProfile(clinic.ProfileMedicalDirector),
		mapProfile(clinic.ProfileZedmed), mapProfile(clinic.ProfileOptomate), mapProfile(clinic.ProfileGeneric)
	a04 := &integration.PatientRecord{ExternalID: "100234", GivenName: "JANE", FamilyName: "CITIZEN", BirthDate: "1984-07-12",
		Mobile: "0491 570 156", Email: "jane.citizen@example.com"}
	a08protected := &integration.PatientRecord{ExternalID: "200901", GivenName: "PAT", FamilyName: "PARENT", BirthDate: "1980-01-01",
		Mobile: "+61 4 91570123", Email: "pat.parent@example.org", Language: "en", OptOut: mapPtr(true),
		Relatives: []integration.Relative{{FamilyName: "PARENT", GivenName: "KID", Relationship: "CHD", RelationshipText: "Child",
			Phone: "0491570124", ExternalID: "200902"}}}
	a08bp := *a08protected
	a08bp.OptOut = nil
	john := integration.PatientRecord{ExternalID: "200777", GivenName: "JOHN", FamilyName: "O'SAMPLE", BirthDate: "1970-03-05"}
	grace := integration.Practitioner{ID: "0123456A", Name: "GRACE GP"}
	harriet := integration.Practitioner{ID: "0234567B", Name: "HARRIET HEALTH"}
	const notTaken, notActioned = "filing category is not one the software profile takes", "not actioned"
	bpActioned := []integration.ResultRecord{
		{PatientExternalID: "100234", ExternalID: "LAB200", Test: "Full blood count", Performed: mapUTC("2026-03-09T22:30:00Z"),
			Category: "Investigation report", Doctor: grace, Action: "Non-urgent appointment", ActionedBy: grace,
			ActionedAt: mapUTC("2026-03-11T22:55:00Z"), Taken: true, Outcome: integration.OutcomeTemplate,
			Template: integration.TemplateNonUrgentAppointment},
		{PatientExternalID: "100234", ExternalID: "LAB201", Test: "Specialist letter", Performed: mapUTC("2026-03-09T13:00:00Z"),
			Category: "Correspondence in", Doctor: grace, Action: "Return urgently", ActionedBy: grace,
			ActionedAt: mapUTC("2026-03-11T22:56:00Z"), State: integration.StateNotified, Taken: true, Outcome: integration.OutcomeManual},
		{PatientExternalID: "100234", ExternalID: "ORD102", Test: "Skin lesion photograph", Performed: mapUTC("2026-03-09T13:00:00Z"),
			Category: "Clinical photograph", Doctor: grace, Action: "Non-urgent appointment", ActionedBy: grace,
			ActionedAt: mapUTC("2026-03-11T22:57:00Z"), Skip: notTaken},
	}
	untaken := integration.ResultRecord{PatientExternalID: "100234", ExternalID: "IMG-300", Test: "Chest X-ray",
		Performed: mapUTC("2026-03-10T13:00:00Z"), Category: "Imaging report", Action: "Non-urgent appointment",
		ActionedAt: mapUTC("2026-03-11T23:00:00Z"), Skip: notTaken}
	untakenGeneric := untaken
	untakenGeneric.Skip, untakenGeneric.Taken = "", true
	untakenGeneric.Outcome, untakenGeneric.Template = integration.OutcomeTemplate, integration.TemplateNonUrgentAppointment
	unactioned := []integration.ResultRecord{
		{PatientExternalID: "200777", ExternalID: "QML-9003", Test: "Thyroid function", Performed: mapUTC("2026-03-08T21:00:00Z"),
			Category: "CH", Skip: notTaken},
		{PatientExternalID: "200777", ExternalID: "QML-9004", Test: "Vitamin B12", Performed: mapUTC("2026-03-08T21:00:00Z"),
			Category: "Result", Skip: notActioned},
	}
	unactionedGeneric := slices.Clone(unactioned)
	unactionedGeneric[0].Skip = notActioned

	tests := []struct {
		file string
		prof integration.Profile
		want integration.Mapped
	}{
		{"adt_a04.hl7", bp, integration.Mapped{Type: hl7.MessageType{Code: "ADT", Trigger: "A04", Structure: "ADT_A01"},
			ControlID: "BP20260301093015001", At: mapUTC("2026-02-28T22:30:15Z"), Patient: a04}},
		{"adt_a08.hl7", md, integration.Mapped{Type: hl7.MessageType{Code: "ADT", Trigger: "A08"}, ControlID: "MD000045870",
			At: mapUTC("2026-03-01T23:15:00Z"), Patient: &integration.PatientRecord{ExternalID: "200777", GivenName: "JOHN",
				FamilyName: "O'SAMPLE", BirthDate: "1970-03-05", Mobile: "0491 570 006",
				Relatives: []integration.Relative{{FamilyName: "O'SAMPLE", GivenName: "MARY", Relationship: "SPO",
					RelationshipText: "Spouse", Phone: "0491 570 157"}}}}},
		{"adt_a08_protected.hl7", md, integration.Mapped{Type: hl7.MessageType{Code: "ADT", Trigger: "A08", Structure: "ADT_A01"},
			ControlID: "MD000046001", At: mapUTC("2026-03-04T23:59:59Z"), Patient: a08protected}},
		{"adt_a08_protected.hl7", bp, integration.Mapped{Type: hl7.MessageType{Code: "ADT", Trigger: "A08", Structure: "ADT_A01"},
			ControlID: "MD000046001", At: mapUTC("2026-03-04T23:59:59Z"), Patient: &a08bp}},
		{"adt_a31_publicity.hl7", zm, integration.Mapped{Type: hl7.MessageType{Code: "ADT", Trigger: "A31"}, ControlID: "ZM-900001",
			At: mapUTC("2026-03-05T21:59:00Z"), Patient: &integration.PatientRecord{ExternalID: "300999", GivenName: "MAI",
				FamilyName: "NGUYEN", BirthDate: "1945-03-15", Mobile: "0491 570 125", Email: "mai.nguyen@example.net",
				Language: "vi", OptOut: mapPtr(true), Deceased: true}}},
		{"adt_a40.hl7", md, integration.Mapped{Type: hl7.MessageType{Code: "ADT", Trigger: "A40", Structure: "ADT_A39"},
			ControlID: "MD000045871", At: mapUTC("2026-03-02T03:15:00Z"),
			Merge: &integration.MergeRecord{SurvivorID: "200777", RemovedID: "200555"}}},
		{"siu_s12.hl7", zm, integration.Mapped{Type: hl7.MessageType{Code: "SIU", Trigger: "S12", Structure: "SIU_S12"},
			ControlID: "ZM-7781234", At: mapUTC("2026-03-02T21:01:02Z"), Appointment: &integration.AppointmentRecord{
				Event: "S12", ExternalID: "APT-55012", PlacerID: "APT-55012", FillerID: "APT-55012", PatientExternalID: "300123",
				Patient: integration.PatientRecord{ExternalID: "300123", GivenName: "ALEX", FamilyName: "EXAMPLE",
					BirthDate: "2001-09-20", Mobile: "0491570006"},
				Start: mapUTC("2026-03-09T23:30:00Z"), End: mapUTC("2026-03-09T23:45:00Z"), Status: clinic.StatusBooked,
				Resource: integration.Resource{Practitioner: integration.Practitioner{ID: "DRX", Name: "XAVIER DOCTOR"}, Location: "ROOM3"},
				Reason:   integration.Coded{Code: "STD", Text: "Standard consult"},
				Note:     "Please bring your Medicare card & referral letter."}}},
		{"siu_s15_cancel.hl7", zm, integration.Mapped{Type: hl7.MessageType{Code: "SIU", Trigger: "S15", Structure: "SIU_S12"},
			ControlID: "ZM-7781300", At: mapUTC("2026-03-06T23:15:00Z"), Appointment: &integration.AppointmentRecord{
				Event: "S15", ExternalID: "APT-55013", PlacerID: "TID-42", FillerID: "APT-55013", PatientExternalID: "300123",
				Patient:  integration.PatientRecord{ExternalID: "300123", GivenName: "ALEX", FamilyName: "EXAMPLE", BirthDate: "2001-09-20"},
				Status:   clinic.StatusCancelled,
				Resource: integration.Resource{Practitioner: integration.Practitioner{ID: "DRX", Name: "XAVIER DOCTOR"}},
				Reason:   integration.Coded{Code: "STD", Text: "Standard consult"}}}},
		{"siu_s26_noshow.hl7", md, integration.Mapped{Type: hl7.MessageType{Code: "SIU", Trigger: "S26"}, ControlID: "MD000046100",
			At: mapUTC("2026-03-10T00:30:00Z"), Appointment: &integration.AppointmentRecord{
				Event: "S26", ExternalID: "77001", PlacerID: "77001", FillerID: "77001", PatientExternalID: "200777", Patient: john,
				Start: mapUTC("2026-03-09T23:00:00Z"), End: mapUTC("2026-03-10T00:00:00Z"), Status: clinic.StatusNoShow,
				Resource: integration.Resource{Practitioner: harriet, Location: "ROOM 2"},
				Reason:   integration.Coded{Code: "LONG", Text: "Long consultation"}}}},
		{"siu_s14_ais.hl7", zm, integration.Mapped{Type: hl7.MessageType{Code: "SIU", Trigger: "S14", Structure: "SIU_S12"},
			ControlID: "ZM-7781400", At: mapUTC("2026-03-11T05:00:00Z"), Appointment: &integration.AppointmentRecord{
				Event: "S14", ExternalID: "APT-55020", FillerID: "APT-55020", PatientExternalID: "300124",
				Patient: integration.PatientRecord{ExternalID: "300124", GivenName: "ROBIN", FamilyName: "SAMPLE",
					BirthDate: "1999-01-01", Mobile: "0491570127"},
				Start: mapUTC("2026-03-11T03:00:00Z"), End: mapUTC("2026-03-11T03:30:00Z"), Status: clinic.StatusSeen,
				Resource: integration.Resource{Practitioner: integration.Practitioner{ID: "NURSE1", Name: "Nurse Clinic"}, Location: "TREAT"},
				Reason:   integration.Coded{Code: "IMM", Text: "Immunisation"},
				Note:     "Interpreter booked.\nWheelchair access\nground floor"}}},
		{"oru_r01.hl7", opt, integration.Mapped{Type: hl7.MessageType{Code: "ORU", Trigger: "R01", Structure: "ORU_R01"},
			ControlID: "OPT000912", At: mapUTC("2026-03-04T06:12:33.1234Z"), Results: []integration.ResultRecord{{
				PatientExternalID: "400456", ExternalID: "RES5678", Test: "Eye examination", Performed: mapUTC("2026-03-04T05:30:00Z"),
				Category: "OPT", Skip: notActioned}}}},
		{"oru_bp_actioned.hl7", bp, integration.Mapped{Type: hl7.MessageType{Code: "ORU", Trigger: "R01", Structure: "ORU_R01"},
			ControlID: "BP20260312090000001", At: mapUTC("2026-03-11T23:00:00Z"), Results: bpActioned}},
		{"oru_bp_untaken.hl7", bp, integration.Mapped{Type: hl7.MessageType{Code: "ORU", Trigger: "R01", Structure: "ORU_R01"},
			ControlID: "BP20260312090000002", At: mapUTC("2026-03-11T23:00:00Z"), Results: []integration.ResultRecord{untaken}}},
		{"oru_bp_untaken.hl7", gen, integration.Mapped{Type: hl7.MessageType{Code: "ORU", Trigger: "R01", Structure: "ORU_R01"},
			ControlID: "BP20260312090000002", At: mapUTC("2026-03-11T23:00:00Z"), Results: []integration.ResultRecord{untakenGeneric}}},
		{"oru_md_discuss.hl7", md, integration.Mapped{Type: hl7.MessageType{Code: "ORU", Trigger: "R01", Structure: "ORU_R01"},
			ControlID: "MD000047001", At: mapUTC("2026-03-11T23:00:00Z"), Results: []integration.ResultRecord{{
				PatientExternalID: "200777", ExternalID: "QML-9001", Test: "Lipid studies", Performed: mapUTC("2026-03-08T21:00:00Z"),
				Category: "Result", Doctor: harriet, Action: "Discuss", ActionedBy: harriet, ActionedAt: mapUTC("2026-03-11T23:00:00Z"),
				Comments: "Fasting specimen.", Taken: true, Outcome: integration.OutcomeTemplate, Template: integration.TemplateDiscuss}}}},
		{"oru_md_discuss_comments.hl7", md, integration.Mapped{Type: hl7.MessageType{Code: "ORU", Trigger: "R01", Structure: "ORU_R01"},
			ControlID: "MD000047002", At: mapUTC("2026-03-11T23:00:00Z"), Results: []integration.ResultRecord{{
				PatientExternalID: "200777", ExternalID: "QML-9002", Test: "Iron studies", Performed: mapUTC("2026-03-08T21:00:00Z"),
				Category: "result", Doctor: harriet, Action: "discuss", ActionedBy: harriet, ActionedAt: mapUTC("2026-03-11T23:05:00Z"),
				Comments: "Please book to discuss iron tablets.\nBring your medication list.", HasComments: true,
				State: integration.StateDiscussed, Taken: true, Outcome: integration.OutcomeManual}}}},
		{"oru_unactioned.hl7", md, integration.Mapped{Type: hl7.MessageType{Code: "ORU", Trigger: "R01", Structure: "ORU_R01"},
			ControlID: "MD000047003", At: mapUTC("2026-03-11T23:00:00Z"), Results: unactioned}},
		{"oru_unactioned.hl7", gen, integration.Mapped{Type: hl7.MessageType{Code: "ORU", Trigger: "R01", Structure: "ORU_R01"},
			ControlID: "MD000047003", At: mapUTC("2026-03-11T23:00:00Z"), Results: unactionedGeneric}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".hl7")+"/"+string(tt.prof.Software), func(t *testing.T) {
			got, err := integration.MapHL7(mapParse(t, mapSample(t, tt.file)), tt.prof, mapZone)
			if err != nil {
				t.Fatalf("MapHL7: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("MapHL7 (-want +got):\n%s", diff)
			}
			if got.At.Location() != time.UTC {
				t.Errorf("At is in %v, want UTC", got.At.Location())
			}
		})
	}
}

// TestMapHL7Variations covers rules the samples do not show, each as a small edit.
func TestMapHL7Variations(t *testing.T) {
	md, gen := mapProfile(clinic.ProfileMedicalDirector), mapProfile(clinic.ProfileGeneric)
	a04, a08, siu, oru := mapSample(t, "adt_a04.hl7"), mapSample(t, "adt_a08.hl7"), mapSample(t, "siu_s12.hl7"),
		mapSample(t, "oru_md_discuss.hl7")
	mapOK := func(t *testing.T, raw string, prof integration.Profile) integration.Mapped {
		t.Helper()
		got, err := integration.MapHL7(mapParse(t, raw), prof, mapZone)
		if err != nil {
			t.Fatalf("MapHL7: %v", err)
		}
		return got
	}

	t.Run("A01 and A05 read like A04", func(t *testing.T) {
		want := mapOK(t, a04, gen).Patient
		for _, ev := range []string{"A01", "A05", "A28"} {
			got := mapOK(t, mapWithField(a04, "MSH", 1, 9, "ADT^"+ev), gen)
			if diff := cmp.Diff(want, got.Patient); diff != "" {
				t.Errorf("%s (-A04 +got):\n%s", ev, diff)
			}
		}
	})
	t.Run("PID-3 type order", func(t *testing.T) {
		for ids, want := range map[string]string{
			"X1^^^A^MC~X2^^^A^PT~X3^^^A^PI~X4^^^A^MR": "X4",
			"X1^^^A^MC~X2^^^A^PT~X3^^^A^PI":           "X3",
			"X1^^^A^MC~X2^^^A^PT":                     "X2",
			"^^^A^MR~X1^^^A^MC~X2^^^A^NI":             "X1",
			`""~ X9 `:                                 "X9",
		} {
			if got := mapOK(t, mapWithField(a04, "PID", 1, 3, ids), gen).Patient.ExternalID; got != want {
				t.Errorf("PID-3 %q: id %q, want %q", ids, got, want)
			}
		}
	})
	t.Run("languages", func(t *testing.T) {
		for code, want := range map[string]string{"en": "en", "EN": "en", "en-AU": "en", "fre": "fr", "fra": "fr",
			"zho": "zh", "yue": "zh", "mri": "mi", "1201": "", "xx": "", "English": "", "": ""} {
			if got := mapOK(t, mapWithField(a04, "PID", 1, 15, code+"^Language"), gen).Patient.Language; got != want {
				t.Errorf("PID-15 %q: %q, want %q", code, got, want)
			}
		}
	})
	t.Run("opt-out", func(t *testing.T) {
		for pd1, want := range map[string]*bool{
			"PD1|||||||||||N":   mapPtr(true),
			"PD1|||||||||||F":   mapPtr(true),
			"PD1|||||||||||Y":   mapPtr(false),
			"PD1|||||||||||U":   nil,
			"PD1|||||||||||O":   nil,
			"PD1||||||||||||N":  mapPtr(false),
			"PD1|||||||||||N|N": mapPtr(false), // PD1-12 first
			"PD1|||||||||||Y|Y": mapPtr(true),
			`PD1||||||||||||""`: nil,
			"PD1":               nil,
		} {
			raw := mapInsertAfter(a04, "PID", 1, pd1)
			if got := mapOK(t, raw, md).Patient.OptOut; !cmp.Equal(got, want) {
				t.Errorf("%s: OptOut %v, want %v", pd1, mapFmtBool(got), mapFmtBool(want))
			}
			if got := mapOK(t, raw, mapProfile(clinic.ProfileBestPractice)).Patient.OptOut; got != nil {
				t.Errorf("%s, Best Practice: OptOut %v, want nil (not read)", pd1, *got)
			}
		}
	})
	t.Run("phones", func(t *testing.T) {
		for _, c := range []struct{ pid13, pid14, mobile, email string }{
			{"0491 570 156^PRN^CP", "", "0491 570 156", ""},
			{"^PRN^PH^^^2^55501234~^ORN^CP^^^04^91570156", "", "04 91570156", ""},
			{"^WPN^CP^^^^^^^^^0491000001~^PRN^CP^^^^^^^^^0491000002", "", "0491000002", ""},
			{"^WPN^CP^^^^^^^^^0491000001", "^WPN^CP^^^^^^^^^0491000003", "0491000001", ""},
			{"^PRN^PH^^^^^^^^^0255501234", "^WPN^CP^^^^^^^^^0491000003", "0491000003", ""},
			{"0255501234", "0491570156", "", ""},
			{"^NET^Internet^a@example.com~^PRN^CP^b@example.com^^^^^^^^0491", "", "0491", "a@example.com"},
			{"^PRN^CP^b@example.com^^^^^^^^0491", "", "0491", "b@example.com"},
			{"^PRN^PH^not an address", "", "", ""},
			{"a@example.com^NET^Internet", "", "", "a@example.com"},
		} {
			raw := mapWithField(mapWithField(a04, "PID", 1, 13, c.pid13), "PID", 1, 14, c.pid14)
			p := mapOK(t, raw, gen).Patient
			if p.Mobile != c.mobile || p.Email != c.email {
				t.Errorf("PID-13 %q PID-14 %q: mobile %q e-mail %q, want %q %q", c.pid13, c.pid14, p.Mobile, p.Email, c.mobile, c.email)
			}
		}
	})
	t.Run("legal name preferred", func(t *testing.T) {
		p := mapOK(t, mapWithField(a04, "PID", 1, 5, "NICK^JJ^^^^^N~CITIZEN^JANE^^^^^L"), gen).Patient
		if p.FamilyName != "CITIZEN" || p.GivenName != "JANE" {
			t.Errorf("name %q %q", p.FamilyName, p.GivenName)
		}
	})
	t.Run("explicit null and control characters", func(t *testing.T) {
		p := mapOK(t, mapWithField(mapWithField(a08, "PID", 1, 13, `""`), "PID", 1, 5, `O\X09\SAMPLE^ JOHN `), gen).Patient
		if p.Mobile != "" || p.FamilyName != "O SAMPLE" || p.GivenName != "JOHN" {
			t.Errorf("got mobile %q family %q given %q", p.Mobile, p.FamilyName, p.GivenName)
		}
	})
	t.Run("ISO 8859-1", func(t *testing.T) {
		latin := mapWithField(a04, "PID", 1, 5, "M\xdcLLER^Zo\xeb")
		if p := mapOK(t, latin, gen).Patient; p.FamilyName != "MÜLLER" || p.GivenName != "Zoë" {
			t.Errorf("undeclared: %q %q", p.FamilyName, p.GivenName)
		}
		declared := mapWithField(mapWithField(a04, "MSH", 1, 18, "8859/1"), "PID", 1, 5, "\xc3\x89MILE")
		if p := mapOK(t, declared, gen).Patient; p.FamilyName != "Ã MILE" { // U+0089 is a C1 control: a space
			t.Errorf("declared 8859/1: %q", p.FamilyName)
		}
		utf := mapWithField(a04, "PID", 1, 5, "ÉMILE^Zoë")
		if p := mapOK(t, utf, gen).Patient; p.FamilyName != "ÉMILE" || p.GivenName != "Zoë" {
			t.Errorf("UTF-8: %q %q", p.FamilyName, p.GivenName)
		}
	})
	t.Run("no PID-7 is no date of birth", func(t *testing.T) {
		if p := mapOK(t, mapWithField(a04, "PID", 1, 7, ""), gen).Patient; p.BirthDate != "" {
			t.Errorf("BirthDate %q", p.BirthDate)
		}
		if p := mapOK(t, mapWithField(a04, "PID", 1, 7, "19840712103000+1000"), gen).Patient; p.BirthDate != "1984-07-12" {
			t.Errorf("DTM date of birth: %q", p.BirthDate)
		}
	})
	t.Run("MSH-7 when no EVN-2", func(t *testing.T) {
		if got := mapOK(t, mapWithField(a04, "EVN", 1, 2, ""), gen).At; !got.Equal(mapUTC("2026-02-28T22:30:15Z")) {
			t.Errorf("At %v", got)
		}
		if got := mapOK(t, mapWithout(a04, "EVN"), gen).At; !got.Equal(mapUTC("2026-02-28T22:30:15Z")) {
			t.Errorf("At %v", got)
		}
	})
	t.Run("appointment statuses", func(t *testing.T) {
		for code, want := range map[string]clinic.Status{"": clinic.StatusBooked, "Booked": clinic.StatusBooked,
			"Overbook": clinic.StatusBooked, "CONFIRMED": clinic.StatusConfirmed, "Arrived": clinic.StatusArrived,
			"Started": clinic.StatusArrived, "Complete": clinic.StatusSeen, "Noshow": clinic.StatusNoShow,
			"Cancelled": clinic.StatusCancelled, "Deleted": clinic.StatusCancelled, "DC": clinic.StatusCancelled} {
			a := mapOK(t, mapWithField(siu, "SCH", 1, 25, code), gen).Appointment
			if a.Status != want || a.Skip != "" {
				t.Errorf("SCH-25 %q: %q (skip %q), want %q", code, a.Status, a.Skip, want)
			}
		}
		for _, code := range []string{"Pending", "Waitlist", "Blocked"} {
			a := mapOK(t, mapWithField(siu, "SCH", 1, 25, code), gen).Appointment
			if a.Status != "" || !strings.Contains(a.Skip, strings.ToLower(code)) {
				t.Errorf("SCH-25 %q: %q, skip %q", code, a.Status, a.Skip)
			}
		}
		for ev, want := range map[string]clinic.Status{"S13": clinic.StatusBooked, "S15": clinic.StatusCancelled,
			"S17": clinic.StatusCancelled, "S26": clinic.StatusNoShow} {
			if a := mapOK(t, mapWithField(siu, "MSH", 1, 9, "SIU^"+ev), gen).Appointment; a.Status != want || a.Event != ev {
				t.Errorf("%s: %q %q", ev, a.Event, a.Status)
			}
		}
	})
	t.Run("appointment times", func(t *testing.T) {
		noTQ := mapWithField(siu, "SCH", 1, 11, "")
		for _, c := range []struct {
			name       string
			raw        string
			start, end string
		}{
			{"SCH-11", siu, "2026-03-09T23:30:00Z", "2026-03-09T23:45:00Z"},
			{"SCH-11 start only, SCH-9", mapWithField(siu, "SCH", 1, 11, "^^^202603101030"), "2026-03-09T23:30:00Z", "2026-03-09T23:45:00Z"},
			{"AIP-6 and AIP-9", mapWithout(noTQ, "AIS"), "2026-03-09T23:30:00Z", "2026-03-09T23:45:00Z"},
			{"AIP-9 hours", mapWithField(mapWithField(noTQ, "AIP", 1, 9, "2"), "AIP", 1, 10, "HR"), "2026-03-09T23:30:00Z", "2026-03-10T01:30:00Z"},
			{"SCH-9 when no resource duration", mapWithField(noTQ, "AIP", 1, 9, ""), "2026-03-09T23:30:00Z", "2026-03-09T23:45:00Z"},
			{"no duration at all", mapWithField(mapWithField(noTQ, "AIP", 1, 9, ""), "SCH", 1, 9, ""), "2026-03-09T23:30:00Z", ""},
			{"TQ1", mapInsertAfter(noTQ, "SCH", 1, "TQ1|1||||||202603101100+1100|202603101120+1100"), "2026-03-10T00:00:00Z", "2026-03-10T00:20:00Z"},
			{"zero duration", mapWithField(siu, "SCH", 1, 11, "^^^202603101030^202603101030"), "2026-03-09T23:30:00Z", "2026-03-09T23:30:00Z"},
		} {
			a := mapOK(t, c.raw, gen).Appointment
			var wantEnd time.Time
			if c.end != "" {
				wantEnd = mapUTC(c.end)
			}
			if !a.Start.Equal(mapUTC(c.start)) || !a.End.Equal(wantEnd) {
				t.Errorf("%s: %v – %v, want %s – %s", c.name, a.Start, a.End, c.start, c.end)
			}
		}
	})
	t.Run("appointment ids", func(t *testing.T) {
		a := mapOK(t, mapWithField(siu, "SCH", 1, 2, ""), gen).Appointment
		if a.ExternalID != "APT-55012" || a.FillerID != "" || a.PlacerID != "APT-55012" {
			t.Errorf("placer only: %+v", a)
		}
		a = mapOK(t, mapWithField(siu, "SCH", 1, 1, "TID-9^TIDINGS"), gen).Appointment
		if a.ExternalID != "APT-55012" || a.PlacerID != "TID-9" {
			t.Errorf("echo: %q %q", a.ExternalID, a.PlacerID)
		}
	})
	t.Run("several patients in one ORU", func(t *testing.T) {
		raw := mapJoin(slices.Concat(mapSegs(oru), []string{"PID|2||500001^^^MD^MR||OTHER^PAT||19900101",
			"OBR|1||QML-9100|HB^Haemoglobin|||202603090800" + strings.Repeat("|", 17) + "Result",
			"ZRA|Nurse to advise||20260312100000"}))
		got := mapOK(t, raw, md).Results
		if len(got) != 2 || got[0].PatientExternalID != "200777" || got[1].PatientExternalID != "500001" {
			t.Fatalf("results %+v", got)
		}
		if got[1].Category != "Result" || !got[1].Taken || got[1].Outcome != integration.OutcomeManual {
			t.Errorf("second result %+v", got[1])
		}
	})
	t.Run("comments flag absent: comments decide", func(t *testing.T) {
		raw := mapWithField(oru, "ZRA", 1, 5, "")
		if r := mapOK(t, raw, md).Results[0]; !r.HasComments || r.Outcome != integration.OutcomeManual {
			t.Errorf("NTE after OBR, no ZRA-5: %+v", r)
		}
		raw = mapWithField(mapWithout(oru, "NTE"), "ZRA", 1, 5, "")
		if r := mapOK(t, raw, md).Results[0]; r.HasComments || r.Template != integration.TemplateDiscuss {
			t.Errorf("no NTE, no ZRA-5: %+v", r)
		}
	})
	t.Run("result states", func(t *testing.T) {
		for code, want := range map[string]integration.ResultState{"": integration.StateNone, "N": integration.StateNotified,
			"g": integration.StateGiven, "D": integration.StateDiscussed} {
			if r := mapOK(t, mapWithField(oru, "ZRA", 1, 4, code), md).Results[0]; r.State != want {
				t.Errorf("ZRA-4 %q: %q", code, r.State)
			}
		}
	})
	t.Run("bounds are inclusive", func(t *testing.T) {
		name := strings.Repeat("é", integration.MaxNameLength)
		if p := mapOK(t, mapWithField(a04, "PID", 1, 5, name+"^"+name), gen).Patient; p.FamilyName != name {
			t.Errorf("a %d-character name was not kept", integration.MaxNameLength)
		}
		raw := a08
		for i := 2; i <= integration.MaxRelatives; i++ {
			raw = mapInsertAfter(raw, "NK1", i-1, "NK1|"+strconv.Itoa(i)+"|KIN^NUMBER"+strconv.Itoa(i))
		}
		if p := mapOK(t, raw, gen).Patient; len(p.Relatives) != integration.MaxRelatives {
			t.Errorf("%d relatives, want %d", len(p.Relatives), integration.MaxRelatives)
		}
		raw = oru
		for i := 2; i <= integration.MaxResultGroups; i++ {
			raw += "OBR|" + strconv.Itoa(i) + "||R" + strconv.Itoa(i) + "|T^Test\r"
		}
		if r := mapOK(t, raw, md).Results; len(r) != integration.MaxResultGroups {
			t.Errorf("%d results, want %d", len(r), integration.MaxResultGroups)
		}
		comment := strings.Repeat("x", integration.MaxCommentsLength)
		raw = mapWithField(mapWithout(oru, "NTE"), "ZRA", 1, 5, "")
		raw = mapInsertAfter(raw, "ZRA", 1, "NTE|1||"+comment)
		if r := mapOK(t, raw, md).Results[0]; r.Comments != comment {
			t.Errorf("a %d-character comment was not kept", integration.MaxCommentsLength)
		}
	})
}

func mapFmtBool(b *bool) string {
	if b == nil {
		return "nil"
	}
	return strconv.FormatBool(*b)
}

// mapRefusal is what a test expects of a *MapError.
type mapRefusal struct {
	code      hl7.ErrorCode
	segment   string
	occ       int // 0: not checked
	field     int
	component int // -1: not checked
}

func checkMapRefusal(t *testing.T, m *hl7.Message, err error, want mapRefusal) {
	t.Helper()
	var me *integration.MapError
	if !errors.As(err, &me) {
		t.Fatalf("error %v (%T), want a *MapError", err, err)
	}
	if me.Code != want.code || me.Segment != want.segment || me.Field != want.field ||
		(want.component >= 0 && me.Component != want.component) || (want.occ > 0 && me.ErrDetail().Occurrence != want.occ) {
		t.Errorf("refused with %d at %s[%d]-%d.%d (%q), want %d at %s[%d]-%d.%d", me.Code, me.Segment, me.Occurrence, me.Field,
			me.Component, me.Reason, want.code, want.segment, want.occ, want.field, want.component)
	}
	checkReasonIsSafe(t, m, me)
}

// checkReasonIsSafe: the reason names no value of the patient's (PID and NK1 values of four
// characters or more), and an ACK built from the error carries its code in ERR-3.
func checkReasonIsSafe(t *testing.T, m *hl7.Message, me *integration.MapError) {
	t.Helper()
	if me.Reason == "" || me.Error() != me.Reason {
		t.Errorf("Reason %q, Error %q", me.Reason, me.Error())
	}
	for _, name := range []string{"PID", "NK1", "PD1"} {
		for _, s := range m.Segments(name) {
			for n := 1; n <= s.NumFields(); n++ {
				for _, r := range s.Field(n) {
					for _, c := range r {
						for _, v := range c {
							if v = strings.TrimSpace(v); utf8.RuneCountInString(v) >= 4 && strings.Contains(me.Reason, v) {
								t.Errorf("reason %q quotes %s-%d", me.Reason, name, n)
							}
						}
					}
				}
			}
		}
	}
	ack := hl7.ACK(m, hl7.AckError, me.Error(), hl7.WithCause(me))
	if got := ack.Get("ERR-3.1"); got != strconv.Itoa(int(me.Code)) {
		t.Errorf("ACK ERR-3 %q, want %d", got, me.Code)
	}
	if me.Segment != "" && ack.Get("ERR-2.1") != me.Segment {
		t.Errorf("ACK ERR-2.1 %q, want %s", ack.Get("ERR-2.1"), me.Segment)
	}
}

func TestMapHL7Refusals(t *testing.T) {
	a04, a08, a40, siu := mapSample(t, "adt_a04.hl7"), mapSample(t, "adt_a08.hl7"), mapSample(t, "adt_a40.hl7"),
		mapSample(t, "siu_s12.hl7")
	oru, bp := mapSample(t, "oru_md_discuss.hl7"), mapSample(t, "oru_bp_actioned.hl7")
	long := func(n int) string { return strings.Repeat("a", n) }
	manyNK1 := a08
	for i := 2; i <= integration.MaxRelatives+1; i++ {
		manyNK1 = mapInsertAfter(manyNK1, "NK1", i-1, "NK1|"+strconv.Itoa(i)+"|KIN^NUMBER"+strconv.Itoa(i))
	}
	manyOBR := oru
	for i := 2; i <= integration.MaxResultGroups+1; i++ {
		manyOBR += "OBR|" + strconv.Itoa(i) + "||R" + strconv.Itoa(i) + "|T^Test\r"
	}
	tests := []struct {
		name string
		raw  string
		want mapRefusal
	}{
		{"MSH-7 missing", mapWithField(mapWithout(a04, "EVN"), "MSH", 1, 7, ""), mapRefusal{101, "MSH", 1, 7, 0}},
		{"MSH-7 bad", mapWithField(mapWithout(a04, "EVN"), "MSH", 1, 7, "yesterday"), mapRefusal{102, "MSH", 1, 7, 0}},
		{"EVN-2 bad", mapWithField(a04, "EVN", 1, 2, "2026-03-01"), mapRefusal{102, "EVN", 1, 2, 0}},
		{"ORU^R30", mapWithField(oru, "MSH", 1, 9, "ORU^R30"), mapRefusal{201, "MSH", 1, 9, 2}},
		{"SIU^S16", mapWithField(siu, "MSH", 1, 9, "SIU^S16"), mapRefusal{201, "MSH", 1, 9, 2}},
		{"ADT^A34", mapWithField(a04, "MSH", 1, 9, "ADT^A34"), mapRefusal{201, "MSH", 1, 9, 2}},
		{"ORM^O01", mapWithField(a04, "MSH", 1, 9, "ORM^O01"), mapRefusal{200, "MSH", 1, 9, 1}},
		{"ADT two PIDs", mapInsertAfter(a04, "PID", 1, "PID|2||999^^^BPS^MR||OTHER^ONE"), mapRefusal{207, "PID", 2, 0, 0}},
		{"ADT no name", mapWithField(a04, "PID", 1, 5, "^^^^MS"), mapRefusal{101, "PID", 1, 5, 0}},
		{"PID-7 year only", mapWithField(a04, "PID", 1, 7, "1984"), mapRefusal{102, "PID", 1, 7, 0}},
		{"PID-7 month only", mapWithField(a04, "PID", 1, 7, "198407"), mapRefusal{102, "PID", 1, 7, 0}},
		{"PID-3 too long", mapWithField(a04, "PID", 1, 3, long(integration.MaxIDLength+1)+"^^^BPS^MR"), mapRefusal{102, "PID", 1, 3, 0}},
		{"family name too long", mapWithField(a04, "PID", 1, 5, long(integration.MaxNameLength+1)+"^JANE"), mapRefusal{102, "PID", 1, 5, 1}},
		{"given name too long", mapWithField(a04, "PID", 1, 5, "CITIZEN^"+long(integration.MaxNameLength+1)), mapRefusal{102, "PID", 1, 5, 2}},
		{"mobile too long", mapWithField(a04, "PID", 1, 13, long(60)+"^PRN^CP"), mapRefusal{102, "PID", 1, 13, 0}},
		{"e-mail too long", mapWithField(a04, "PID", 1, 13, "^NET^Internet^"+long(250)+"@example.com"), mapRefusal{102, "PID", 1, 13, 4}},
		{"too many relatives", manyNK1, mapRefusal{207, "NK1", integration.MaxRelatives + 1, 0, 0}},
		{"relative name too long", mapWithField(a08, "NK1", 1, 2, long(integration.MaxNameLength+1)), mapRefusal{102, "NK1", 1, 2, 1}},
		{"A40 same ids", mapWithField(a40, "MRG", 1, 1, "200777^^^MD^MR"), mapRefusal{102, "MRG", 1, 1, 0}},
		{"A40 two MRGs", mapInsertAfter(a40, "MRG", 1, "MRG|200556^^^MD^MR"), mapRefusal{207, "MRG", 2, 0, 0}},
		{"A40 MRG-1 null", mapWithField(a40, "MRG", 1, 1, `""`), mapRefusal{101, "MRG", 1, 1, 0}},
		{"SIU two PIDs", mapInsertAfter(siu, "PID", 1, "PID|2||300124^^^ZEDMED^MR||OTHER^ONE"), mapRefusal{207, "PID", 2, 0, 0}},
		{"SCH-2 too long", mapWithField(siu, "SCH", 1, 2, long(integration.MaxIDLength+1)), mapRefusal{102, "SCH", 1, 2, 1}},
		{"SCH-25 unknown", mapWithField(siu, "SCH", 1, 25, "MAYBE"), mapRefusal{103, "SCH", 1, 25, 1}},
		{"S12 without start", mapWithField(mapWithField(mapWithout(siu, "AIP", "AIS", "AIG", "AIL"), "SCH", 1, 11, ""), "SCH", 1, 9, ""),
			mapRefusal{101, "SCH", 1, 11, 4}},
		{"start to the day", mapWithField(siu, "SCH", 1, 11, "^^^20260310"), mapRefusal{102, "SCH", 1, 11, 4}},
		{"end before start", mapWithField(siu, "SCH", 1, 11, "^^^202603101030^202603101000"), mapRefusal{102, "SCH", 1, 11, 5}},
		{"end unreadable", mapWithField(siu, "SCH", 1, 11, "^^^202603101030^soon"), mapRefusal{102, "SCH", 1, 11, 5}},
		{"AIS start unreadable", mapInsertAfter(mapWithField(siu, "SCH", 1, 11, ""), "RGS", 1, "AIS|1|A|STD|10:30"), mapRefusal{102, "AIS", 1, 4, 0}},
		{"duration not a number", mapWithField(mapWithField(siu, "SCH", 1, 11, "^^^202603101030"), "SCH", 1, 9, "15.5"), mapRefusal{102, "SCH", 1, 9, 0}},
		{"duration units unknown", mapWithField(mapWithField(siu, "SCH", 1, 11, "^^^202603101030"), "SCH", 1, 10, "FORTNIGHT"), mapRefusal{103, "SCH", 1, 10, 0}},
		{"duration over a week", mapWithField(mapWithField(siu, "SCH", 1, 11, "^^^202603101030"), "SCH", 1, 9, "10081"), mapRefusal{102, "SCH", 1, 9, 0}},
		{"note too long", mapInsertAfter(siu, "NTE", 1, "NTE|2||"+long(integration.MaxCommentsLength)), mapRefusal{102, "NTE", 2, 3, 0}},
		{"ORU too many OBRs", manyOBR, mapRefusal{207, "OBR", integration.MaxResultGroups + 1, 0, 0}},
		{"OBR before PID", mapJoin(slices.Concat(mapSegs(oru)[:1], []string{"OBR|1||X1|T^Test"}, mapSegs(oru)[1:])), mapRefusal{100, "OBR", 1, 0, 0}},
		{"OBR without ids", mapWithField(mapWithField(bp, "OBR", 2, 2, ""), "OBR", 2, 3, ""), mapRefusal{101, "OBR", 2, 3, 0}},
		{"OBR-3 too long", mapWithField(oru, "OBR", 1, 3, long(integration.MaxIDLength+1)), mapRefusal{102, "OBR", 1, 3, 1}},
		{"OBR-4 too long", mapWithField(oru, "OBR", 1, 4, "X^"+long(integration.MaxTestLength+1)), mapRefusal{102, "OBR", 1, 4, 2}},
		{"OBR-7 bad", mapWithField(oru, "OBR", 1, 7, "last week"), mapRefusal{102, "OBR", 1, 7, 0}},
		{"OBR-7 year only", mapWithField(oru, "OBR", 1, 7, "2026"), mapRefusal{102, "OBR", 1, 7, 0}},
		{"ZRA outside a group", mapInsertAfter(oru, "PID", 1, "ZRA|Discuss"), mapRefusal{100, "ZRA", 1, 0, 0}},
		{"ZRA twice", mapInsertAfter(oru, "ZRA", 1, "ZRA|Discuss"), mapRefusal{100, "ZRA", 2, 0, 0}},
		{"ZRA-3 bad", mapWithField(oru, "ZRA", 1, 3, "today"), mapRefusal{102, "ZRA", 1, 3, 0}},
		{"ZRA-4 unknown", mapWithField(oru, "ZRA", 1, 4, "X"), mapRefusal{103, "ZRA", 1, 4, 0}},
		{"ZRA-5 unknown", mapWithField(oru, "ZRA", 1, 5, "MAYBE"), mapRefusal{103, "ZRA", 1, 5, 0}},
		{"ZRA-1 too long", mapWithField(oru, "ZRA", 1, 1, long(101)), mapRefusal{102, "ZRA", 1, 1, 0}},
		{"ZRA-6 too long", mapWithField(oru, "ZRA", 1, 6, long(101)), mapRefusal{102, "ZRA", 1, 6, 0}},
		{"second group's ZRA", mapWithField(bp, "ZRA", 2, 4, "X"), mapRefusal{103, "ZRA", 2, 4, 0}},
		{"comments too long", mapInsertAfter(oru, "ZRA", 1, "NTE|1||"+long(integration.MaxCommentsLength-10)),
			mapRefusal{102, "NTE", 2, 3, 0}},
		{"ORU PID-7 of a second patient", oru + "PID|2||500001^^^MD^MR||OTHER^PAT||19901301\r", mapRefusal{102, "PID", 2, 7, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mapParse(t, tt.raw)
			got, err := integration.MapHL7(m, mapProfile(clinic.ProfileGeneric), mapZone)
			checkMapRefusal(t, m, err, tt.want)
			if got.Patient != nil || got.Merge != nil || got.Appointment != nil || got.Results != nil {
				t.Errorf("a refused message still mapped to %+v", got)
			}
			if got.ControlID != m.ControlID() {
				t.Errorf("ControlID %q, want the message's", got.ControlID)
			}
		})
	}
}

// TestMapHL7Corpus: every map-level file of the malformed corpus is refused, with a code and
// a place that fit the fault index.tsv names.
func TestMapHL7Corpus(t *testing.T) {
	dir := filepath.Join("..", "hl7", "testdata", "malformed")
	f, err := os.Open(filepath.Join(dir, "index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Rules on the reason column, first match wins; a new kind of fault fails the test until
	// it has a rule.
	rules := []struct {
		contains string
		want     mapRefusal
	}{
		{"trigger decodes to an unknown event", mapRefusal{201, "MSH", 1, 9, 2}},
		{"not handled", mapRefusal{0, "MSH", 1, 9, -1}}, // 200 or 201, checked below
		{"without PID-3", mapRefusal{101, "PID", 1, 3, 0}},
		{"PID-3", mapRefusal{101, "PID", 1, 3, 0}},
		{"PID-7", mapRefusal{102, "PID", 1, 7, 0}},
		{"without MRG-1", mapRefusal{101, "MRG", 1, 1, 0}},
		{"without MRG", mapRefusal{100, "MRG", 1, 0, 0}},
		{"without PID", mapRefusal{100, "PID", 1, 0, 0}},
		{"without SCH", mapRefusal{100, "SCH", 1, 0, 0}},
		{"without OBR", mapRefusal{100, "OBR", 1, 0, 0}},
		{"without appointment id", mapRefusal{101, "SCH", 1, 2, 0}},
		{"unparseable appointment start", mapRefusal{102, "SCH", 1, 11, 4}},
	}
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 || cols[1] != "map" {
			continue
		}
		n++
		file, reason := cols[0], cols[2]
		t.Run(strings.TrimSuffix(file, ".hl7"), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			m := mapParse(t, string(raw))
			i := slices.IndexFunc(rules, func(r struct {
				contains string
				want     mapRefusal
			}) bool {
				return strings.Contains(reason, r.contains)
			})
			if i < 0 {
				t.Fatalf("no rule for the corpus reason %q", reason)
			}
			want := rules[i].want
			for _, p := range clinic.SoftwareProfiles() {
				_, err := integration.MapHL7(m, mapProfile(p), mapZone)
				if want.code == 0 { // unsupported: 201 when the message code is one Tidings reads
					want.code, want.component = hl7.CodeUnsupportedMessageType, 1
					if slices.Contains([]string{"ADT", "SIU", "ORU"}, m.Type().Code) {
						want.code, want.component = hl7.CodeUnsupportedEventCode, 2
					}
				}
				checkMapRefusal(t, m, err, want)
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 60 {
		t.Errorf("%d map-level corpus files, want at least 60", n)
	}
}

func TestMapErrorDetail(t *testing.T) {
	var d hl7.Detailer = &integration.MapError{Code: hl7.CodeDataTypeError, Segment: "PID", Field: 7, Reason: "PID-7 bad"}
	want := hl7.ErrDetail{Segment: "PID", Occurrence: 1, Field: 7, Code: hl7.CodeDataTypeError, Severity: "E"}
	if diff := cmp.Diff(want, d.ErrDetail()); diff != "" {
		t.Errorf("ErrDetail (-want +got):\n%s", diff)
	}
	d = &integration.MapError{Code: hl7.CodeUnsupportedMessageType, Reason: "x"}
	if got := d.ErrDetail(); got.Occurrence != 0 || got.Segment != "" {
		t.Errorf("no segment: %+v", got)
	}
	if _, err := integration.MapHL7(nil, mapProfile(clinic.ProfileGeneric), nil); err == nil {
		t.Error("MapHL7(nil) did not fail")
	}
}

// TestMapHL7NeverPanics: messages of every handled type, with random values in PID, PD1,
// NK1, SCH, the AI* segments, OBR, NTE and ZRA, map or are refused with a *MapError whose
// reason quotes none of the values; what maps keeps the documented invariants. The fields
// the mapping needs are well formed most of the time, so that the random values reach every
// rule rather than stopping at the first required field.
func TestMapHL7NeverPanics(t *testing.T) {
	types := []string{"ADT^A04", "ADT^A08", "ADT^A31", "ADT^A40", "SIU^S12", "SIU^S14", "SIU^S15", "SIU^S26", "ORU^R01", "ADT^A99", "MFN^M02"}
	marked := rapid.StringMatching(`zqx[a-zA-Z0-9 @.+-]{0,12}`) // marked patient data: never in a reason
	value := rapid.OneOf(
		marked,
		rapid.StringMatching(`[0-9]{0,14}([.][0-9]{1,4})?([+-][0-9]{4})?`),
		rapid.SampledFrom([]string{"", `""`, "MR", "PI", "PT", "CP", "PRN", "ORN", "NET", "Internet", "Y", "N", "F", "U", "G", "D",
			"MIN", "H", "Booked", "Waitlist", "Complete", "Discuss", "Result", "eng", "en", "L", "202603101030", "19840712", "15"}),
		rapid.String(),
	)
	field := func(t *rapid.T, label string) hl7.Field {
		f := hl7.Field{}
		for range rapid.IntRange(0, 3).Draw(t, label+"reps") {
			r := hl7.Repetition{}
			for range rapid.IntRange(1, 12).Draw(t, label+"comps") {
				c := hl7.Component{}
				for range rapid.IntRange(1, 3).Draw(t, label+"subs") {
					c = append(c, value.Draw(t, label))
				}
				r = append(r, c)
			}
			f = append(f, r)
		}
		return f
	}
	// usually is true eight times in ten: a key field is mostly well formed.
	usually := func(t *rapid.T, label string) bool { return rapid.IntRange(0, 9).Draw(t, label) < 8 }
	dtm := func(t *rapid.T, label string, least hl7.Precision) string {
		at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rapid.IntRange(0, 60*24*60).Draw(t, label)) * time.Minute)
		p := hl7.Precision(rapid.IntRange(int(least), int(hl7.PrecisionSecond)).Draw(t, label+"precision"))
		v := hl7.FormatTime(at.In(mapZone), p)
		if p >= hl7.PrecisionHour && rapid.Bool().Draw(t, label+"local") {
			v = v[:len(v)-len("+1100")] // no offset: read in the clinic's zone
		}
		return v
	}
	segment := func(t *rapid.T, m *hl7.Message, name string, maxField int, key map[int]func() hl7.Field) {
		fields := make([]hl7.Field, rapid.IntRange(0, maxField).Draw(t, name+"fields"))
		for i := range fields {
			if rapid.Bool().Draw(t, name+"set") {
				fields[i] = field(t, name)
			}
		}
		for n := 1; n <= maxField; n++ {
			gen, ok := key[n]
			if !ok || !usually(t, name+"key") {
				continue
			}
			for len(fields) < n {
				fields = append(fields, nil)
			}
			fields[n-1] = gen()
		}
		if _, err := m.AddSegment(name, fields...); err != nil {
			t.Fatalf("AddSegment %s: %v", name, err)
		}
	}
	id := func(t *rapid.T, label string) func() hl7.Field {
		return func() hl7.Field {
			return hl7.Components(marked.Draw(t, label), "", "", "PMS", rapid.SampledFrom([]string{"MR", "PI", "PT", "MC", ""}).Draw(t, label+"type"))
		}
	}
	text := func(t *rapid.T, label string, values ...string) func() hl7.Field {
		return func() hl7.Field { return hl7.Text(rapid.SampledFrom(values).Draw(t, label)) }
	}
	maybeTime := func(t *rapid.T, label string, least hl7.Precision) func() hl7.Field {
		return func() hl7.Field {
			if rapid.Bool().Draw(t, label+"empty") {
				return nil
			}
			return hl7.Text(dtm(t, label, least))
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		m, err := hl7.NewMessage(hl7.StandardDelimiters())
		if err != nil {
			t.Fatal(err)
		}
		typ := rapid.SampledFrom(types).Draw(t, "type")
		code, trigger, _ := strings.Cut(typ, "^")
		msh7 := dtm(t, "msh7", hl7.PrecisionMinute)
		if !usually(t, "msh7ok") {
			msh7 = value.Draw(t, "msh7")
		}
		for _, kv := range [][2]string{{"MSH-7", msh7}, {"MSH-9.1", code}, {"MSH-9.2", trigger}, {"MSH-10", "C1"}, {"MSH-12", "2.5"}} {
			if err := m.Set(kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
		}
		if rapid.Bool().Draw(t, "evn") {
			segment(t, m, "EVN", 3, map[int]func() hl7.Field{2: maybeTime(t, "evn2", hl7.PrecisionMinute)})
		}
		if code == "SIU" {
			segment(t, m, "SCH", 26, map[int]func() hl7.Field{
				2: id(t, "sch2"),
				11: func() hl7.Field {
					end := ""
					if rapid.Bool().Draw(t, "hasend") {
						end = dtm(t, "end", hl7.PrecisionMinute)
					}
					return hl7.Components("", "", "", dtm(t, "start", hl7.PrecisionMinute), end)
				},
				25: text(t, "sch25", "", "Booked", "Confirmed", "Complete", "Noshow", "Cancelled", "Waitlist", "Arrived"),
			})
			for range rapid.IntRange(0, 2).Draw(t, "schnotes") {
				segment(t, m, "NTE", 3, nil)
			}
		}
		pids := 1
		if !usually(t, "onepid") {
			pids = rapid.SampledFrom([]int{0, 2}).Draw(t, "pids")
		}
		for range pids {
			segment(t, m, "PID", 31, map[int]func() hl7.Field{
				3: id(t, "pid3"),
				5: func() hl7.Field { return hl7.Components(marked.Draw(t, "family"), marked.Draw(t, "given")) },
				7: maybeTime(t, "dob", hl7.PrecisionDay),
			})
			if rapid.Bool().Draw(t, "pd1") {
				segment(t, m, "PD1", 13, map[int]func() hl7.Field{11: text(t, "pd111", "", "N", "F", "Y", "U"), 12: text(t, "pd112", "", "Y", "N")})
			}
			for range rapid.IntRange(0, 2).Draw(t, "nk1s") {
				segment(t, m, "NK1", 34, nil)
			}
			if code == "ADT" && usually(t, "mrg") {
				segment(t, m, "MRG", 2, map[int]func() hl7.Field{1: id(t, "mrg1")})
			}
			if code != "ORU" {
				continue
			}
			for range rapid.IntRange(0, 3).Draw(t, "obrs") {
				segment(t, m, "OBR", 33, map[int]func() hl7.Field{
					3:  id(t, "obr3"),
					7:  maybeTime(t, "obr7", hl7.PrecisionDay),
					24: text(t, "obr24", "", "LAB", "Result", "Investigation report"),
				})
				for range rapid.IntRange(0, 2).Draw(t, "obrnotes") {
					segment(t, m, "NTE", 3, nil)
				}
				if rapid.Bool().Draw(t, "obx") {
					segment(t, m, "OBX", 6, nil)
				}
				if usually(t, "zra") {
					segment(t, m, "ZRA", 7, map[int]func() hl7.Field{
						1: text(t, "zra1", "", "Discuss", "Non-urgent appointment", "Return urgently", "custom"),
						3: maybeTime(t, "zra3", hl7.PrecisionMinute),
						4: text(t, "zra4", "", "N", "G", "D"),
						5: text(t, "zra5", "", "Y", "N"),
						6: text(t, "zra6", "", "Result", "Investigation report", "Correspondence in", "Other"),
					})
					for range rapid.IntRange(0, 2).Draw(t, "zranotes") {
						segment(t, m, "NTE", 3, nil)
					}
				}
			}
		}
		if code == "SIU" {
			for _, s := range []struct {
				name       string
				max, start int
			}{{"TQ1", 9, 7}, {"AIS", 9, 4}, {"AIG", 13, 8}, {"AIL", 11, 6}, {"AIP", 11, 6}} {
				if rapid.Bool().Draw(t, s.name) {
					segment(t, m, s.name, s.max, map[int]func() hl7.Field{s.start: maybeTime(t, s.name, hl7.PrecisionMinute)})
				}
			}
		}
		prof := mapProfile(rapid.SampledFrom(clinic.SoftwareProfiles()).Draw(t, "profile"))
		got, err := integration.MapHL7(m, prof, mapZone)
		if err != nil {
			var me *integration.MapError
			if !errors.As(err, &me) {
				t.Fatalf("error %v (%T), want a *MapError", err, err)
			}
			if me.Reason == "" || strings.Contains(me.Reason, "zqx") || me.ErrDetail().Code != me.Code ||
				me.Code.Text() == hl7.CodeApplicationError.Text() && me.Code != hl7.CodeApplicationError {
				t.Fatalf("bad refusal %+v", me)
			}
			return
		}
		set := 0
		for _, b := range []bool{got.Patient != nil, got.Merge != nil, got.Appointment != nil, got.Results != nil} {
			if b {
				set++
			}
		}
		if set != 1 || got.At.Location() != time.UTC || got.At.IsZero() {
			t.Fatalf("mapped %+v", got)
		}
		checkPatient := func(p integration.PatientRecord) {
			if p.ExternalID == "" || utf8.RuneCountInString(p.ExternalID) > integration.MaxIDLength ||
				utf8.RuneCountInString(p.FamilyName) > integration.MaxNameLength || len(p.Relatives) > integration.MaxRelatives {
				t.Fatalf("patient %+v", p)
			}
			if p.BirthDate != "" {
				if _, err := time.Parse(time.DateOnly, p.BirthDate); err != nil {
					t.Fatalf("BirthDate %q", p.BirthDate)
				}
			}
			if p.OptOut != nil && !prof.ReadsOptOut {
				t.Fatalf("OptOut read for %s", prof.Software)
			}
			for _, s := range []string{p.ExternalID, p.FamilyName, p.GivenName, p.Mobile, p.Email} {
				if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\n\t") || s != strings.TrimSpace(s) {
					t.Fatalf("unclean value %q", s)
				}
			}
		}
		switch {
		case got.Patient != nil:
			checkPatient(*got.Patient)
		case got.Merge != nil:
			if got.Merge.SurvivorID == "" || got.Merge.RemovedID == "" || got.Merge.SurvivorID == got.Merge.RemovedID {
				t.Fatalf("merge %+v", got.Merge)
			}
		case got.Appointment != nil:
			a := got.Appointment
			checkPatient(a.Patient)
			if a.ExternalID == "" || (a.Skip == "") != a.Status.Valid() || (!a.End.IsZero() && a.End.Before(a.Start)) {
				t.Fatalf("appointment %+v", a)
			}
		default:
			if len(got.Results) == 0 || len(got.Results) > integration.MaxResultGroups {
				t.Fatalf("%d results", len(got.Results))
			}
			for _, r := range got.Results {
				if r.Taken != (r.Skip == "") || r.Taken != r.Outcome.Valid() || (r.Outcome == integration.OutcomeTemplate) != (r.Template != "") ||
					utf8.RuneCountInString(r.Comments) > integration.MaxCommentsLength || r.ExternalID == "" || r.PatientExternalID == "" {
					t.Fatalf("result %+v", r)
				}
			}
		}
	})
}

// FuzzMapHL7: whatever parses maps or is refused with a *MapError, never a panic.
func FuzzMapHL7(f *testing.F) {
	for _, dir := range mapSampleDirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.hl7"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("MSH|^~\\&|||||20260310||ORU^R01|1||2.5\rPID|||1\rZRA|x\rOBR|1||2\rNTE|1||\\X00\\\rZRA|Discuss||||Y\r"))
	f.Add([]byte("MSH|^~\\&|||||20260310||SIU^S12|1||2.5\rSCH|1||||||||-1|D|^^^202603101030\rPID|||1\r"))
	profiles := []integration.Profile{mapProfile(clinic.ProfileGeneric), mapProfile(clinic.ProfileBestPractice)}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := hl7.Parse(data)
		if err != nil {
			return
		}
		for _, p := range profiles {
			if _, err := integration.MapHL7(m, p, mapZone); err != nil {
				var me *integration.MapError
				if !errors.As(err, &me) || me.Reason == "" {
					t.Fatalf("error %v (%T)", err, err)
				}
			}
		}
	})
}
