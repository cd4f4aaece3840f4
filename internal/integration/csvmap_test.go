package integration_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
	_ "time/tzdata" // Australia/Sydney for the daylight-saving cases, whatever the machine has
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/integration"
)

var csvUpdate = flag.Bool("update-csv", false, "rewrite testdata/csv/*.golden from the reader's output")

// csvZone is the clinic's zone of most cases: a fixed +11:00 (Sydney in summer), so that
// expected instants do not depend on the zone database.
var csvZone = time.FixedZone("AEDT", 11*60*60)

func csvUTC(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func csvPtr[T any](v T) *T { return &v }

// csvOutcome is a row as the tests compare it: the invariants every row keeps (ControlID,
// At, Bulk, one record of the file's kind) are checked by csvReadAll instead.
type csvOutcome struct {
	Line        int
	Err         string
	Patient     *integration.PatientRecord
	Appointment *integration.AppointmentRecord
	Recall      *integration.RecallRecord
}

// csvReadAll reads a whole file, checking each row's invariants; a header error is
// returned as its text.
func csvReadAll(t testing.TB, input string, loc *time.Location) (integration.CSVKind, []csvOutcome, string) {
	t.Helper()
	r, err := integration.NewCSVReader(strings.NewReader(input), loc)
	if err != nil {
		var ce *integration.CSVError
		if !errors.As(err, &ce) || ce.Line != 1 || ce.Column != "" {
			t.Fatalf("header error %v is not a *CSVError for line 1", err)
		}
		return "", nil, err.Error()
	}
	var out []csvOutcome
	prev := 1
	for {
		row, ok := r.Next()
		if !ok {
			break
		}
		csvCheckRow(t, r.Kind(), row, prev)
		prev = row.Line
		o := csvOutcome{Line: row.Line, Patient: row.Mapped.Patient, Appointment: row.Mapped.Appointment, Recall: row.Mapped.Recall}
		if row.Err != nil {
			o.Err = row.Err.Error()
		}
		out = append(out, o)
	}
	if _, ok := r.Next(); ok {
		t.Fatal("Next returned a row after reporting the end")
	}
	return r.Kind(), out, ""
}

// csvCheckRow checks what holds for every row: numbering, the control id, exactly one
// record of the file's kind or a *CSVError naming a column of that kind, values within
// their bounds, and a documented reason.
func csvCheckRow(t testing.TB, kind integration.CSVKind, row integration.CSVRow, prev int) {
	t.Helper()
	m := row.Mapped
	if row.Line <= prev {
		t.Fatalf("line %d after line %d", row.Line, prev)
	}
	if want := "csv:" + strconv.Itoa(row.Line); m.ControlID != want {
		t.Fatalf("line %d: ControlID %q, want %q", row.Line, m.ControlID, want)
	}
	if !m.At.IsZero() || m.Type != (integration.Mapped{}).Type || m.Merge != nil || m.Results != nil {
		t.Fatalf("line %d: Mapped sets more than a CSV row says: %+v", row.Line, m)
	}
	records := 0
	for _, set := range []bool{m.Patient != nil, m.Appointment != nil, m.Recall != nil} {
		if set {
			records++
		}
	}
	if row.Err != nil {
		var ce *integration.CSVError
		if !errors.As(row.Err, &ce) || ce.Line != row.Line {
			t.Fatalf("line %d: error %v is not a *CSVError of its line", row.Line, row.Err)
		}
		if ce.Column != "" && !slices.Contains(integration.CSVColumns(kind), ce.Column) {
			t.Fatalf("line %d: error names column %q, not a %s column", row.Line, ce.Column, kind)
		}
		if records != 0 || m.Bulk {
			t.Fatalf("line %d: rejected row carries a record", row.Line)
		}
		if ce.Err == nil {
			csvDocumented(t, ce.Reason)
		}
		return
	}
	if records != 1 || !m.Bulk {
		t.Fatalf("line %d: %d records, Bulk %v; want one, true", row.Line, records, m.Bulk)
	}
	text := func(col, v string, max int, lines bool) {
		t.Helper()
		if utf8.RuneCountInString(v) > max || !utf8.ValidString(v) || v != strings.TrimSpace(v) {
			t.Fatalf("line %d: %s is unbounded, not UTF-8 or not trimmed", row.Line, col)
		}
		for _, r := range v {
			if r < 0x20 && !(lines && r == '\n') || r >= 0x7f && r < 0xa0 {
				t.Fatalf("line %d: %s holds a control character", row.Line, col)
			}
		}
	}
	id := func(col, v string) {
		t.Helper()
		if v == "" {
			t.Fatalf("line %d: %s is empty", row.Line, col)
		}
		text(col, v, integration.MaxIDLength, false)
	}
	date := func(col, v string) {
		t.Helper()
		if d, err := time.Parse(time.DateOnly, v); err != nil || d.Format(time.DateOnly) != v {
			t.Fatalf("line %d: %s is not a date", row.Line, col)
		}
	}
	switch kind {
	case integration.CSVPatients:
		p := m.Patient
		if p == nil {
			t.Fatalf("line %d: no patient", row.Line)
		}
		id("external_id", p.ExternalID)
		text("given_name", p.GivenName, integration.MaxNameLength, false)
		text("family_name", p.FamilyName, integration.MaxNameLength, false)
		if p.GivenName == "" && p.FamilyName == "" {
			t.Fatalf("line %d: a patient without a name", row.Line)
		}
		if p.BirthDate != "" {
			date("birth_date", p.BirthDate)
		}
		text("mobile", p.Mobile, 50, false)
		text("email", p.Email, 254, false)
		if p.Language != "" && (len(p.Language) != 2 || strings.ToLower(p.Language) != p.Language) {
			t.Fatalf("line %d: language is not ISO 639-1", row.Line)
		}
		if p.Relatives != nil {
			t.Fatalf("line %d: relatives from a CSV row", row.Line)
		}
	case integration.CSVAppointments:
		a := m.Appointment
		if a == nil {
			t.Fatalf("line %d: no appointment", row.Line)
		}
		id("appointment_id", a.ExternalID)
		id("patient_id", a.PatientExternalID)
		if a.FillerID != a.ExternalID || a.PlacerID != "" || a.Skip != "" || a.Patient.ExternalID != "" {
			t.Fatalf("line %d: ids or patient not as documented", row.Line)
		}
		if a.Start.Location() != time.UTC || a.End.Location() != time.UTC {
			t.Fatalf("line %d: times not in UTC", row.Line)
		}
		if d := a.End.Sub(a.Start); d < time.Minute || d > 24*time.Hour {
			t.Fatalf("line %d: appointment lasts %v", row.Line, d)
		}
		if !a.Status.Valid() {
			t.Fatalf("line %d: status %q", row.Line, a.Status)
		}
		want := map[clinic.Status]string{clinic.StatusCancelled: "S15", clinic.StatusNoShow: "S26", clinic.StatusExcusedAbsence: "S26"}[a.Status]
		if want == "" {
			want = "S12"
		}
		if a.Event != want {
			t.Fatalf("line %d: event %s for status %s", row.Line, a.Event, a.Status)
		}
		text("practitioner_id", a.Resource.Practitioner.ID, integration.MaxIDLength, false)
		text("practitioner_name", a.Resource.Practitioner.Name, integration.MaxNameLength, false)
		text("location", a.Resource.Location, integration.MaxNameLength, false)
		text("reason_code", a.Reason.Code, 100, false)
		text("reason", a.Reason.Text, 200, false)
		text("note", a.Note, integration.MaxCommentsLength, true)
	case integration.CSVRecalls:
		r := m.Recall
		if r == nil {
			t.Fatalf("line %d: no recall", row.Line)
		}
		id("recall_id", r.ExternalID)
		id("patient_id", r.PatientExternalID)
		date("due", r.Due)
		text("reason", r.Reason, 200, false)
		text("practitioner_id", r.Doctor.ID, integration.MaxIDLength, false)
		text("practitioner_name", r.Doctor.Name, integration.MaxNameLength, false)
		if !slices.Contains([]string{integration.RecallActive, integration.RecallCompleted, integration.RecallCancelled}, r.Status) {
			t.Fatalf("line %d: recall status %q", row.Line, r.Status)
		}
	default:
		t.Fatalf("kind %q", kind)
	}
}

// csvDoc is docs/csv-import.md with every run of digits read as N, as csvDocumented
// compares it.
var csvDoc = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "csv-import.md"))
	return csvDigitsAsN(string(b)), err
})

var csvDigitRun = regexp.MustCompile(`[0-9]+`)

func csvDigitsAsN(s string) string { return csvDigitRun.ReplaceAllString(s, "N") }

// csvDocumented fails unless the documentation gives a row's rejection reason word for word
// (numbers aside): every reason a clinic can meet is explained there. Being a fixed text,
// a documented reason cannot carry a value of the file.
func csvDocumented(t testing.TB, reason string) {
	t.Helper()
	doc, err := csvDoc()
	if err != nil {
		t.Fatalf("documentation: %v", err)
	}
	if !strings.Contains(doc, csvDigitsAsN(reason)) {
		t.Fatalf("reason %q is not in docs/csv-import.md", reason)
	}
}

// csvHeaderDocumented is csvDocumented for a header error, which lists several problems
// and names columns: each problem's fixed start must be documented.
func csvHeaderDocumented(t testing.TB, msg string) {
	t.Helper()
	reason := strings.TrimPrefix(msg, "line 1: ")
	for _, part := range strings.Split(reason, "; ") {
		if i := strings.Index(part, ": "); i >= 0 && !strings.HasPrefix(part, "the file is") {
			part = part[:i+1]
		}
		part = strings.NewReplacer("appointments files", "patients files", "recalls files", "patients files").Replace(part)
		csvDocumented(t, part)
	}
}

const (
	csvPatientHeader     = "external_id,given_name,family_name,birth_date,mobile,email,language,pms_opt_out,deceased\n"
	csvAppointmentHeader = "appointment_id,patient_id,start,end,duration_minutes,status,practitioner_id,practitioner_name,location,reason_code,reason,note\n"
	csvRecallHeader      = "recall_id,patient_id,due,reason,practitioner_id,practitioner_name,status\n"
)

// csvRowCase is one data row after a header, and what it reads as.
type csvRowCase struct {
	name string
	row  string
	want csvOutcome // Line is 2
}

func csvRunRows(t *testing.T, header string, cases []csvRowCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, got, herr := csvReadAll(t, header+tc.row+"\n", csvZone)
			if herr != "" {
				t.Fatalf("header: %s", herr)
			}
			tc.want.Line = 2
			if diff := cmp.Diff([]csvOutcome{tc.want}, got); diff != "" {
				t.Errorf("row %q (-want +got):\n%s", tc.row, diff)
			}
		})
	}
}

func TestReadCSVPatients(t *testing.T) {
	long := strings.Repeat("é", integration.MaxNameLength)
	pat := func(p integration.PatientRecord) csvOutcome { return csvOutcome{Patient: &p} }
	rej := func(msg string) csvOutcome { return csvOutcome{Err: "line 2, " + msg} }
	csvRunRows(t, csvPatientHeader, []csvRowCase{
		{"every column", "P1,Ann,Lee,1984-03-05,0412 345 678,ann@example.org,en,no,",
			pat(integration.PatientRecord{ExternalID: "P1", GivenName: "Ann", FamilyName: "Lee", BirthDate: "1984-03-05",
				Mobile: "0412 345 678", Email: "ann@example.org", Language: "en", OptOut: csvPtr(false)})},
		{"values trimmed, empty ones empty", "  P2 , Bo ,,,, ,,,",
			pat(integration.PatientRecord{ExternalID: "P2", GivenName: "Bo"})},
		{"family name alone", "P3,,Lee,,,,,,", pat(integration.PatientRecord{ExternalID: "P3", FamilyName: "Lee"})},
		{"day-first date", "P4,Ann,,05/03/1984,,,,,", pat(integration.PatientRecord{ExternalID: "P4", GivenName: "Ann", BirthDate: "1984-03-05"})},
		{"day-first date, one digit", "P4,Ann,,5/3/1984,,,,,", pat(integration.PatientRecord{ExternalID: "P4", GivenName: "Ann", BirthDate: "1984-03-05"})},
		{"leap day", "P4,Ann,,29/02/2000,,,,,", pat(integration.PatientRecord{ExternalID: "P4", GivenName: "Ann", BirthDate: "2000-02-29"})},
		{"language with region", "P5,Ann,,,,,en-AU,,", pat(integration.PatientRecord{ExternalID: "P5", GivenName: "Ann", Language: "en"})},
		{"language of three letters", "P5,Ann,,,,,FRE,,", pat(integration.PatientRecord{ExternalID: "P5", GivenName: "Ann", Language: "fr"})},
		{"opt-out in French", "P6,Ann,,,,,,Oui,", pat(integration.PatientRecord{ExternalID: "P6", GivenName: "Ann", OptOut: csvPtr(true)})},
		{"opt-out as Excel writes it in French", "P6,Ann,,,,,,FAUX,VRAI",
			pat(integration.PatientRecord{ExternalID: "P6", GivenName: "Ann", OptOut: csvPtr(false), Deceased: true})},
		{"opt-out 1, deceased n", "P6,Ann,,,,,,1,n", pat(integration.PatientRecord{ExternalID: "P6", GivenName: "Ann", OptOut: csvPtr(true)})},
		{"Windows-1252", "P7,H\xe9l\xe8ne,\x8cuvray,,,,,,", pat(integration.PatientRecord{ExternalID: "P7", GivenName: "Hélène", FamilyName: "Œuvray"})},
		{"names at their bound", "P8," + long + "," + long + ",,,,,,",
			pat(integration.PatientRecord{ExternalID: "P8", GivenName: long, FamilyName: long})},

		{"no id", ",Ann,Lee,,,,,,", rej("column external_id: required")},
		{"no name", "P1, ,,1984-03-05,,,,,", rej("column family_name: given_name or family_name is required")},
		{"id too long", strings.Repeat("9", 101) + ",Ann,,,,,,,", rej("column external_id: longer than 100 characters")},
		{"name too long", "P1,Ann," + long + "é,,,,,,", rej("column family_name: longer than 100 characters")},
		{"tab in a name", "P1,An\tn,,,,,,,", rej("column given_name: control characters are not allowed")},
		{"C1 control in a name", "P1,An\u0085n,,,,,,,", rej("column given_name: control characters are not allowed")},
		{"undefined Windows-1252 byte", "P1,An\x81n,,,,,,,", rej("column given_name: control characters are not allowed")},
		{"no such day", "P1,Ann,,1984-02-30,,,,,", rej("column birth_date: not a date: write YYYY-MM-DD or DD/MM/YYYY")},
		{"month 13", "P1,Ann,,05/13/1984,,,,,", rej("column birth_date: not a date: write YYYY-MM-DD or DD/MM/YYYY")},
		{"two-digit year", "P1,Ann,,05/03/84,,,,,", rej("column birth_date: not a date: write YYYY-MM-DD or DD/MM/YYYY")},
		{"unpadded ISO date", "P1,Ann,,1984-3-5,,,,,", rej("column birth_date: not a date: write YYYY-MM-DD or DD/MM/YYYY")},
		{"date and time", "P1,Ann,,1984-03-05 00:00,,,,,", rej("column birth_date: not a date: write YYYY-MM-DD or DD/MM/YYYY")},
		{"mobile too long", "P1,Ann,,," + strings.Repeat("0", 51) + ",,,,", rej("column mobile: longer than 50 characters")},
		{"e-mail too long", "P1,Ann,,,," + strings.Repeat("a", 243) + "@example.org,,,", rej("column email: longer than 254 characters")},
		{"language by name", "P1,Ann,,,,,English,,", rej("column language: not an ISO 639-1 language code such as en or fr")},
		{"opt-out unknown", "P1,Ann,,,,,,maybe,", rej("column pms_opt_out: not one of true, false, yes, no, 1, 0, y, n, oui, non, vrai, faux")},
		{"deceased unknown", "P1,Ann,,,,,,,D", rej("column deceased: not one of true, false, yes, no, 1, 0, y, n, oui, non, vrai, faux")},
	})
}

func TestReadCSVAppointments(t *testing.T) {
	appt := func(a integration.AppointmentRecord) csvOutcome {
		a.FillerID = a.ExternalID
		if a.Status == "" {
			a.Status = clinic.StatusBooked
		}
		if a.Event == "" {
			a.Event = "S12"
		}
		return csvOutcome{Appointment: &a}
	}
	rej := func(msg string) csvOutcome { return csvOutcome{Err: "line 2, " + msg} }
	at930, at945 := csvUTC("2026-03-04T22:30:00Z"), csvUTC("2026-03-04T22:45:00Z")
	plain := func(start, end string) string { return "A1,P1," + start + "," + end }
	csvRunRows(t, csvAppointmentHeader, []csvRowCase{
		{"every column", "A1,P1,2026-03-05 09:30,2026-03-05 09:45,,,DR1,Dr Jane Smith,Room 2,SKIN,Skin check,Bring results",
			appt(integration.AppointmentRecord{ExternalID: "A1", PatientExternalID: "P1", Start: at930, End: at945,
				Resource: integration.Resource{Practitioner: integration.Practitioner{ID: "DR1", Name: "Dr Jane Smith"}, Location: "Room 2"},
				Reason:   integration.Coded{Code: "SKIN", Text: "Skin check"}, Note: "Bring results"})},
		{"T separator and duration", plain("2026-03-05T09:30", ",15,,,,,,,"),
			appt(integration.AppointmentRecord{ExternalID: "A1", PatientExternalID: "P1", Start: at930, End: at945})},
		{"seconds and fraction", plain("2026-03-05 09:30:00.000", "2026-03-05 09:45:00,,,,,,,,"),
			appt(integration.AppointmentRecord{ExternalID: "A1", PatientExternalID: "P1", Start: at930, End: at945})},
		{"day-first, one-digit hour", plain("5/03/2026 9:30", "5/03/2026 9:45,,,,,,,,"),
			appt(integration.AppointmentRecord{ExternalID: "A1", PatientExternalID: "P1", Start: at930, End: at945})},
		{"RFC 3339 with an offset", plain("2026-03-05T09:30:00+10:00", "2026-03-04T23:45:00Z,,,,,,,,"),
			appt(integration.AppointmentRecord{ExternalID: "A1", PatientExternalID: "P1", Start: csvUTC("2026-03-04T23:30:00Z"), End: csvUTC("2026-03-04T23:45:00Z")})},
		{"end as a time alone", plain("2026-03-05 09:30", "09:45,,,,,,,,"),
			appt(integration.AppointmentRecord{ExternalID: "A1", PatientExternalID: "P1", Start: at930, End: at945})},
		{"end and duration agree", plain("2026-03-05 09:30", "09:45,15,,,,,,,"),
			appt(integration.AppointmentRecord{ExternalID: "A1", PatientExternalID: "P1", Start: at930, End: at945})},
		{"a whole day", plain("2026-03-05 00:00", ",1440,,,,,,,"),
			appt(integration.AppointmentRecord{ExternalID: "A1", PatientExternalID: "P1", Start: csvUTC("2026-03-04T13:00:00Z"), End: csvUTC("2026-03-05T13:00:00Z")})},
		{"cancelled", plain("2026-03-05 09:30", ",15,Cancelled,,,,,,"),
			appt(integration.AppointmentRecord{ExternalID: "A1", PatientExternalID: "P1", Start: at930, End: at945, Status: clinic.StatusCancelled, Event: "S15"})},
		{"canceled", plain("2026-03-05 09:30", ",15,canceled,,,,,,"),
			appt(integration.AppointmentRecord{ExternalID: "A1", PatientExternalID: "P1", Start: at930, End: at945, Status: clinic.StatusCancelled, Event: "S15"})},
		{"no-show", plain("2026-03-05 09:30", ",15,No-Show,,,,,,"),
			appt(integration.AppointmentRecord{ExternalID: "A1", PatientExternalID: "P1", Start: at930, End: at945, Status: clinic.StatusNoShow, Event: "S26"})},
		{"excused absence", plain("2026-03-05 09:30", ",15,excused absence,,,,,,"),
			appt(integration.AppointmentRecord{ExternalID: "A1", PatientExternalID: "P1", Start: at930, End: at945, Status: clinic.StatusExcusedAbsence, Event: "S26"})},
		{"seen", plain("2026-03-05 09:30", ",15,seen,,,,,,"),
			appt(integration.AppointmentRecord{ExternalID: "A1", PatientExternalID: "P1", Start: at930, End: at945, Status: clinic.StatusSeen})},
		{"note over lines, with a tab", plain("2026-03-05 09:30", ",15,,,,,,,\"Fasting.\r\nBring\tresults\""),
			appt(integration.AppointmentRecord{ExternalID: "A1", PatientExternalID: "P1", Start: at930, End: at945, Note: "Fasting.\nBring results"})},

		{"no id", ",P1,2026-03-05 09:30,,15,,,,,,,", rej("column appointment_id: required")},
		{"no patient", "A1,,2026-03-05 09:30,,15,,,,,,,", rej("column patient_id: required")},
		{"no start", plain("", ",15,,,,,,,"), rej("column start: required")},
		{"start without a time", plain("2026-03-05", ",15,,,,,,,"),
			rej("column start: not a date and time: write YYYY-MM-DD HH:MM, DD/MM/YYYY HH:MM or RFC 3339")},
		{"start at hour 24", plain("2026-03-05 24:00", ",15,,,,,,,"),
			rej("column start: not a date and time: write YYYY-MM-DD HH:MM, DD/MM/YYYY HH:MM or RFC 3339")},
		{"start as a time alone", plain("09:30", ",15,,,,,,,"),
			rej("column start: not a date and time: write YYYY-MM-DD HH:MM, DD/MM/YYYY HH:MM or RFC 3339")},
		{"offset without colon", plain("2026-03-05T09:30+1000", ",15,,,,,,,"),
			rej("column start: not a date and time: write YYYY-MM-DD HH:MM, DD/MM/YYYY HH:MM or RFC 3339")},
		{"month-first", plain("03/25/2026 09:30", ",15,,,,,,,"),
			rej("column start: not a date and time: write YYYY-MM-DD HH:MM, DD/MM/YYYY HH:MM or RFC 3339")},
		{"neither end nor duration", plain("2026-03-05 09:30", ",,,,,,,,"), rej("column end: end or duration_minutes is required")},
		{"end unreadable", plain("2026-03-05 09:30", "9h45,,,,,,,,"),
			rej("column end: not a date and time: write YYYY-MM-DD HH:MM, DD/MM/YYYY HH:MM, RFC 3339 or HH:MM")},
		{"end before start", plain("2026-03-05 09:30", "09:15,,,,,,,,"), rej("column end: not at least one minute after start")},
		{"end at start", plain("2026-03-05 09:30", "2026-03-05 09:30,,,,,,,,"), rej("column end: not at least one minute after start")},
		{"end a day and a minute on", plain("2026-03-05 09:30", "2026-03-06 09:31,,,,,,,,"), rej("column end: more than 24 hours after start")},
		{"duration 0", plain("2026-03-05 09:30", ",0,,,,,,,"), rej("column duration_minutes: not a whole number of minutes from 1 to 1440")},
		{"duration 1441", plain("2026-03-05 09:30", ",1441,,,,,,,"), rej("column duration_minutes: not a whole number of minutes from 1 to 1440")},
		{"duration decimal", plain("2026-03-05 09:30", ",15.5,,,,,,,"), rej("column duration_minutes: not a whole number of minutes from 1 to 1440")},
		{"duration negative", plain("2026-03-05 09:30", ",-15,,,,,,,"), rej("column duration_minutes: not a whole number of minutes from 1 to 1440")},
		{"end and duration disagree", plain("2026-03-05 09:30", "09:45,20,,,,,,,"), rej("column duration_minutes: does not agree with end")},
		{"unknown status", plain("2026-03-05 09:30", ",15,pending,,,,,,"), rej("column status: " + clinic.StatusReason)},
		{"practitioner id too long", plain("2026-03-05 09:30", ",15,,"+strings.Repeat("D", 101)+",,,,,"), rej("column practitioner_id: longer than 100 characters")},
		{"practitioner name too long", plain("2026-03-05 09:30", ",15,,,"+strings.Repeat("D", 101)+",,,,"), rej("column practitioner_name: longer than 100 characters")},
		{"location too long", plain("2026-03-05 09:30", ",15,,,,"+strings.Repeat("L", 101)+",,,"), rej("column location: longer than 100 characters")},
		{"reason code too long", plain("2026-03-05 09:30", ",15,,,,,"+strings.Repeat("C", 101)+",,"), rej("column reason_code: longer than 100 characters")},
		{"reason too long", plain("2026-03-05 09:30", ",15,,,,,,"+strings.Repeat("R", 201)+","), rej("column reason: longer than 200 characters")},
		{"note too long", plain("2026-03-05 09:30", ",15,,,,,,,"+strings.Repeat("N", 2001)), rej("column note: longer than 2000 characters")},
		{"note with a control character", plain("2026-03-05 09:30", ",15,,,,,,,a\x07b"),
			rej("column note: control characters other than line breaks and tabs are not allowed")},
	})
}

func TestReadCSVRecalls(t *testing.T) {
	rec := func(r integration.RecallRecord) csvOutcome {
		if r.Status == "" {
			r.Status = integration.RecallActive
		}
		return csvOutcome{Recall: &r}
	}
	rej := func(msg string) csvOutcome { return csvOutcome{Err: "line 2, " + msg} }
	csvRunRows(t, csvRecallHeader, []csvRowCase{
		{"every column", "R1,P1,2026-09-01,Annual skin check,DR1,Jane Smith,",
			rec(integration.RecallRecord{ExternalID: "R1", PatientExternalID: "P1", Due: "2026-09-01", Reason: "Annual skin check",
				Doctor: integration.Practitioner{ID: "DR1", Name: "Jane Smith"}})},
		{"day-first due", "R1,P1,1/9/2026,,,,Active", rec(integration.RecallRecord{ExternalID: "R1", PatientExternalID: "P1", Due: "2026-09-01"})},
		{"completed", "R1,P1,2026-09-01,,,,Completed",
			rec(integration.RecallRecord{ExternalID: "R1", PatientExternalID: "P1", Due: "2026-09-01", Status: integration.RecallCompleted})},
		{"canceled", "R1,P1,2026-09-01,,,,canceled",
			rec(integration.RecallRecord{ExternalID: "R1", PatientExternalID: "P1", Due: "2026-09-01", Status: integration.RecallCancelled})},

		{"no id", ",P1,2026-09-01,,,,", rej("column recall_id: required")},
		{"no patient", "R1,,2026-09-01,,,,", rej("column patient_id: required")},
		{"no due date", "R1,P1,,,,,", rej("column due: required")},
		{"due not a date", "R1,P1,2026-09-31,,,,", rej("column due: not a date: write YYYY-MM-DD or DD/MM/YYYY")},
		{"reason too long", "R1,P1,2026-09-01," + strings.Repeat("R", 201) + ",,,", rej("column reason: longer than 200 characters")},
		{"unknown status", "R1,P1,2026-09-01,,,,done", rej("column status: must be one of active, completed, cancelled")},
	})
}

// TestReadCSVDaylightSaving: a local time that does not exist, or exists twice, in the
// clinic's zone is refused rather than moved by an hour; an offset settles it.
func TestReadCSVDaylightSaving(t *testing.T) {
	sydney, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Fatal(err)
	}
	in := csvAppointmentHeader +
		"A1,P1,2026-10-04 02:30,,15,,,,,,,\n" + // clocks go from 02:00 to 03:00
		"A2,P1,2026-04-05 02:30,,15,,,,,,,\n" + // clocks go from 03:00 back to 02:00
		"A3,P1,2026-04-05T02:30+10:00,,15,,,,,,,\n" +
		"A4,P1,2026-04-05 01:30,,15,,,,,,,\n" +
		"A5,P1,2026-04-05 01:30,02:30,,,,,,,,\n"
	_, got, herr := csvReadAll(t, in, sydney)
	if herr != "" {
		t.Fatal(herr)
	}
	appt := func(line int, id, start string) csvOutcome {
		s := csvUTC(start)
		return csvOutcome{Line: line, Appointment: &integration.AppointmentRecord{Event: "S12", ExternalID: id, FillerID: id, PatientExternalID: "P1",
			Start: s, End: s.Add(15 * time.Minute), Status: clinic.StatusBooked}}
	}
	want := []csvOutcome{
		{Line: 2, Err: "line 2, column start: a time that does not exist in the clinic's time zone (the clocks go forward then)"},
		{Line: 3, Err: "line 3, column start: a time that happens twice in the clinic's time zone (the clocks go back then): add the offset"},
		appt(4, "A3", "2026-04-04T16:30:00Z"),
		appt(5, "A4", "2026-04-04T14:30:00Z"),
		{Line: 6, Err: "line 6, column end: a time that happens twice in the clinic's time zone (the clocks go back then): add the offset"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestReadCSVFile: what is about the file rather than a value — delimiters, encodings,
// quoting, line numbers, blank and repeated rows — row by row.
func TestReadCSVFile(t *testing.T) {
	ok := func(line int, id, given string) csvOutcome {
		return csvOutcome{Line: line, Patient: &integration.PatientRecord{ExternalID: id, GivenName: given}}
	}
	bad := func(line int, msg string) csvOutcome {
		return csvOutcome{Line: line, Err: "line " + strconv.Itoa(line) + msg}
	}
	tooLong := strings.Repeat("x", integration.MaxCSVLineBytes)
	for _, tc := range []struct {
		name, in string
		want     []csvOutcome
	}{
		{"French Excel: BOM, semicolons, CRLF, no final line break",
			"\ufeffExternal ID;Given Name\r\nP1;Ann\r\nP2;\"Bo; Jr\"",
			[]csvOutcome{ok(2, "P1", "Ann"), ok(3, "P2", "Bo; Jr")}},
		{"quoted values, quotes doubled", "external_id,given_name\n\"P,1\",\"Ann \"\"Annie\"\"\"\n\"P2\",\"\"\"\"\n",
			[]csvOutcome{ok(2, "P,1", `Ann "Annie"`), ok(3, "P2", `"`)}},
		{"blank rows skipped but counted", "external_id,given_name\n\nP1,Ann\n , \n,\nP2,Bob\n\n",
			[]csvOutcome{ok(3, "P1", "Ann"), ok(6, "P2", "Bob")}},
		{"a value over lines keeps its row on one number", "external_id,given_name\nP1,\"Ann\nMarie\"\nP2,Bob\n",
			[]csvOutcome{bad(2, ", column given_name: control characters are not allowed"), ok(3, "P2", "Bob")}},
		{"wrong number of values", "external_id,given_name\nP1\nP2,Bob,x\nP3,Cy\n",
			[]csvOutcome{
				bad(2, ": the row has a different number of values than the header has columns (1, not 2)"),
				bad(3, ": the row has a different number of values than the header has columns (3, not 2)"),
				ok(4, "P3", "Cy")}},
		{"bare quote", "external_id,given_name\nP1,O\"Neil\nP2,Bob\n",
			[]csvOutcome{bad(2, `: not valid CSV: a quote (") inside a value that does not start with one`), ok(3, "P2", "Bob")}},
		{"text after a closing quote", "external_id,given_name\nP1,\"O\"Neil\nP2,Bob\n",
			[]csvOutcome{bad(2, ": not valid CSV: text after the closing quote of a value"), ok(3, "P2", "Bob")}},
		{"quote never closed: the rows after are read again", "external_id,given_name\nP1,\"Ann\nP2,Bob\nP3,Cy\n",
			[]csvOutcome{bad(2, ": not valid CSV: a quoted value is not closed"), ok(3, "P2", "Bob"), ok(4, "P3", "Cy")}},
		{"quote closed lines later: the rows between are read again", "external_id,given_name\nP1,\"Ann\nP2,Bob\nP3,\"Cy\"\nP4,Di\n",
			[]csvOutcome{bad(2, ": not valid CSV: a quoted value is not closed"), ok(3, "P2", "Bob"), ok(4, "P3", "Cy"), ok(5, "P4", "Di")}},
		{"a value over lines that leaves the row too wide", "external_id,given_name\nP1,\"Ann\nP2\",x\nP3,Cy\n",
			[]csvOutcome{
				bad(2, ": the row has a different number of values than the header has columns (3, not 2)"),
				bad(3, `: not valid CSV: a quote (") inside a value that does not start with one`),
				ok(4, "P3", "Cy")}},
		{"a row over the limit", "external_id,given_name\nP1," + tooLong + "\nP2,Bob\n",
			[]csvOutcome{bad(2, ": the row is longer than 65536 bytes"), ok(3, "P2", "Bob")}},
		{"a row at the limit", "external_id,given_name\nP1," + tooLong[3:] + "\r\n",
			[]csvOutcome{bad(2, ", column given_name: longer than 100 characters")}},
		{"a quoted value over the limit", "external_id,given_name\nP1,\"" + tooLong[:40000] + "\n" + tooLong[:40000] + "\"\nP2,Bob\n",
			[]csvOutcome{
				bad(2, ": the row is longer than 65536 bytes"),
				bad(3, `: not valid CSV: a quote (") inside a value that does not start with one`),
				ok(4, "P2", "Bob")}},
		{"repeated ids", "external_id,given_name\nP1,Ann\nP2,\nP2,Bob\nP1,Ann\n",
			[]csvOutcome{
				ok(2, "P1", "Ann"),
				bad(3, ", column given_name: given_name or family_name is required"),
				bad(4, ", column external_id: repeats the id of line 3"),
				bad(5, ", column external_id: repeats the id of line 2")}},
		{"a trailing column with no name", "external_id,given_name,\nP1,Ann,\nP2,Bob,x\n",
			[]csvOutcome{ok(2, "P1", "Ann"), bad(3, ": a value in column 3, which has no name in the header")}},
		{"columns in any order", "given_name,external_id\nAnn,P1\n", []csvOutcome{ok(2, "P1", "Ann")}},
		{"header alone", "external_id,given_name\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind, got, herr := csvReadAll(t, tc.in, csvZone)
			if herr != "" {
				t.Fatalf("header: %s", herr)
			}
			if kind != integration.CSVPatients {
				t.Errorf("kind %q", kind)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadCSVHeader(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		kind         integration.CSVKind
		err          string
	}{
		{"patients", "external_id,family_name", integration.CSVPatients, ""},
		{"patients, names normalised", " External ID ; GIVEN-NAME;birth  date;PMS opt-out", integration.CSVPatients, ""},
		{"appointments with a duration", "appointment_id,patient_id,start,duration_minutes", integration.CSVAppointments, ""},
		{"appointments with an end", "Appointment ID,Patient ID,Start,End,Status,Note", integration.CSVAppointments, ""},
		{"recalls", "recall_id,patient_id,due,status", integration.CSVRecalls, ""},

		{"empty file", "", "", "line 1: the file is empty: the first line must be the header"},
		{"UTF-16", "\xff\xfee\x00x\x00", "", "line 1: the file is UTF-16: save it as CSV UTF-8"},
		{"data, no header", "P1,Ann,Lee,1984-03-05", "",
			"line 1: none of the columns is one Tidings reads: the first line must be the header"},
		{"only shared columns", "patient_id,status", "",
			"line 1: the columns do not say what the file holds: patients need external_id, appointments appointment_id and start, recalls recall_id and due"},
		{"two kinds at once", "external_id,given_name,appointment_id,start", "",
			"line 1: the columns mix files: patients (external_id, given_name) and appointments (appointment_id, start)"},
		{"typos", "external_id,given_name,mobil,Surname,Nom (famille)", "",
			`line 1: columns that patients files do not have: "mobil" (column 3), "surname" (column 4), column 5`},
		{"a column of another kind", "external_id,patient_id,given_name", "",
			`line 1: columns that patients files do not have: "patient_id" (column 2)`},
		{"a column of two other kinds", "appointment_id,patient_id,start,end,due", "",
			"line 1: the columns mix files: appointments (appointment_id, start, end) and recalls (due)"},
		{"duplicate", "external_id,given_name,Given Name", "", "line 1: duplicate columns: given_name (columns 2 and 3)"},
		{"missing", "given_name,email", "", "line 1: missing columns: external_id"},
		{"missing alternatives", "appointment_id,location", "", "line 1: missing columns: patient_id, start, end or duration_minutes"},
		{"missing names", "external_id,email", "", "line 1: missing columns: given_name or family_name"},
		{"several problems", "recall_id,due,due,reson", "",
			`line 1: columns that recalls files do not have: "reson" (column 4); duplicate columns: due (columns 2 and 3); missing columns: patient_id`},
		{"bad quoting", "external_id,\"given_name", "", "line 1: header: not valid CSV: a quoted value is not closed"},
		{"too long", "external_id," + strings.Repeat("x", integration.MaxCSVLineBytes), "", "line 1: header: the row is longer than 65536 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind, _, herr := csvReadAll(t, tc.header+"\n", csvZone)
			if tc.header == "" {
				kind, _, herr = csvReadAll(t, "", csvZone)
			}
			if herr != tc.err || kind != tc.kind {
				t.Fatalf("got kind %q, error %q; want %q, %q", kind, herr, tc.kind, tc.err)
			}
			if herr != "" {
				csvHeaderDocumented(t, herr)
			}
		})
	}
}

// TestReadCSVColumnsDocumented: every column of every kind is in docs/csv-import.md, and
// the kinds' lists are what the docs' tables say.
func TestReadCSVColumnsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "csv-import.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []integration.CSVKind{integration.CSVPatients, integration.CSVAppointments, integration.CSVRecalls} {
		cols := integration.CSVColumns(kind)
		if len(cols) == 0 {
			t.Fatalf("no columns for %s", kind)
		}
		// The header made of every column reads as the kind.
		r, err := integration.NewCSVReader(strings.NewReader(strings.Join(cols, ",")+"\n"), nil)
		if err != nil || r.Kind() != kind {
			t.Fatalf("%s: header of every column: %v", kind, err)
		}
		for _, c := range cols {
			if !bytes.Contains(doc, []byte("| `"+c+"` |")) {
				t.Errorf("%s column %s is not in a table of docs/csv-import.md", kind, c)
			}
		}
	}
	if integration.CSVColumns("invoices") != nil {
		t.Error("columns for an unknown kind")
	}
}

// TestReadCSVLimits: a row past MaxCSVRows, and a read error, end reading with a final row
// that says so, and Err says the file was not read to its end.
func TestReadCSVLimits(t *testing.T) {
	t.Run("rows", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("external_id,given_name\n")
		for i := range integration.MaxCSVRows {
			fmt.Fprintf(&b, "P%d,A\n", i)
		}
		b.WriteString("\n\n") // blank rows past the limit are not rows
		r, err := integration.NewCSVReader(strings.NewReader(b.String()), nil)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for row, ok := r.Next(); ok; row, ok = r.Next() {
			if row.Err != nil {
				t.Fatalf("row %d: %v", row.Line, row.Err)
			}
			n++
		}
		if n != integration.MaxCSVRows || r.Err() != nil {
			t.Fatalf("%d rows, Err %v", n, r.Err())
		}

		b.WriteString("P-last,Z\nP-after,Y\n")
		r, err = integration.NewCSVReader(strings.NewReader(b.String()), nil)
		if err != nil {
			t.Fatal(err)
		}
		var last integration.CSVRow
		n = 0
		for row, ok := r.Next(); ok; row, ok = r.Next() {
			last = row
			n++
		}
		want := fmt.Sprintf("line %d: more than 200000 rows after the header: split the file", integration.MaxCSVRows+4)
		if n != integration.MaxCSVRows+1 || last.Err == nil || last.Err.Error() != want || r.Err() != last.Err {
			t.Fatalf("%d rows, last %v, Err %v; want %s", n, last.Err, r.Err(), want)
		}
		csvDocumented(t, strings.TrimPrefix(want, fmt.Sprintf("line %d: ", integration.MaxCSVRows+4)))
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("connection reset")
		r, err := integration.NewCSVReader(io.MultiReader(strings.NewReader("external_id,given_name\nP1,Ann\nP2,B"), iotest.ErrReader(boom)), nil)
		if err != nil {
			t.Fatal(err)
		}
		var rows []integration.CSVRow
		for row, ok := r.Next(); ok; row, ok = r.Next() {
			rows = append(rows, row)
		}
		if len(rows) != 2 || rows[0].Err != nil || !errors.Is(rows[1].Err, boom) || !errors.Is(r.Err(), boom) ||
			rows[1].Err.Error() != "line 3: reading stopped: connection reset" {
			t.Fatalf("rows %+v, Err %v", rows, r.Err())
		}
		if _, err := integration.NewCSVReader(iotest.ErrReader(boom), nil); !errors.Is(err, boom) {
			t.Fatalf("header read error: %v", err)
		}
	})
}

// TestReadCSVGolden reads the files of testdata/csv (as clinics write them: French Excel
// in Windows-1252, a hand-edited file with broken quotes, …) and compares the outcome of
// every row with its .golden file; -update-csv rewrites them.
func TestReadCSVGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "csv", "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := csvGolden(t, string(in))
			golden := strings.TrimSuffix(f, ".csv") + ".golden"
			if *csvUpdate {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update-csv to write it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// csvGolden renders a file's outcome: its kind, then one JSON line per row.
func csvGolden(t *testing.T, in string) string {
	kind, rows, herr := csvReadAll(t, in, csvZone)
	if herr != "" {
		return "header: " + herr + "\n"
	}
	var b strings.Builder
	b.WriteString("kind: " + string(kind) + "\n")
	for _, r := range rows {
		var v any = map[string]any{"line": r.Line, "rejected": r.Err}
		switch {
		case r.Patient != nil:
			v = map[string]any{"line": r.Line, "patient": r.Patient}
		case r.Appointment != nil:
			v = map[string]any{"line": r.Line, "appointment": r.Appointment}
		case r.Recall != nil:
			v = map[string]any{"line": r.Line, "recall": r.Recall}
		}
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// FuzzReadCSV reads anything without panicking, keeps every row's invariants (see
// csvCheckRow), and — given a patients header followed by fuzzed rows that encoding/csv
// reads without error — splits the rows as encoding/csv does.
func FuzzReadCSV(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "csv", "*.csv"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
	}
	for _, s := range []string{
		"P1,Ann,Lee\n\"P2\",\"B\"\"o\",\"x\ny\"\n,,\n\nP3,\"Cy\"x,z\n",
		"P1,\"Ann\nP2,Bob,Lee\nP3,Cy,\"Young\"\n",
		"P1,Ann,Lee\r\nP1,Ann,Lee\r\n \"P4\",a,b\r",
		"P1,H\xe9l\xe8ne,\x81\n\"\"\"\",\"\",\"\n",
	} {
		f.Add([]byte(s), true)
	}
	f.Add([]byte("\ufeffappointment_id;patient_id;start;end;duration_minutes;note\nA1;P1;5/03/2026 9:30;10:00;30;\"a\r\nb\"\n"), false)
	f.Add([]byte("recall_id,patient_id,due,status,,\nR1,P1,2026-09-01,,,\n"), false)
	const header = "external_id,given_name,family_name\n"
	f.Fuzz(func(t *testing.T, data []byte, withHeader bool) {
		in := data
		if withHeader {
			in = append([]byte(header), data...)
		}
		r, err := integration.NewCSVReader(bytes.NewReader(in), csvZone)
		if err != nil {
			var ce *integration.CSVError
			if withHeader || !errors.As(err, &ce) || ce.Line != 1 || ce.Column != "" {
				t.Fatalf("header error %v", err)
			}
			for _, name := range regexp.MustCompile(`"([^"]*)" \(column`).FindAllStringSubmatch(ce.Reason, -1) {
				if !regexp.MustCompile(`^[a-z0-9_]{1,40}$`).MatchString(name[1]) {
					t.Fatalf("header error names a column that may be data: %q", name[1])
				}
			}
			return
		}
		var rows []integration.CSVRow
		prev := 1
		for row, ok := r.Next(); ok; row, ok = r.Next() {
			csvCheckRow(t, r.Kind(), row, prev)
			prev = row.Line
			rows = append(rows, row)
		}
		if r.Err() != nil {
			t.Fatalf("Err %v reading from memory", r.Err())
		}
		if lines := bytes.Count(in, []byte("\n")) + 1; len(rows) >= lines {
			t.Fatalf("%d rows from %d lines", len(rows), lines)
		}
		if !withHeader || len(in) > integration.MaxCSVLineBytes {
			return
		}
		cr := csv.NewReader(bytes.NewReader(in))
		cr.FieldsPerRecord = -1
		records, err := cr.ReadAll()
		if err != nil {
			return
		}
		var want [][]string
		for _, rec := range records[1:] {
			if slices.ContainsFunc(rec, func(v string) bool { return strings.TrimSpace(v) != "" }) {
				want = append(want, rec)
			}
		}
		for i, row := range rows {
			if i >= len(want) {
				t.Fatalf("row %d (line %d) beyond encoding/csv's %d rows", i, row.Line, len(want))
			}
			rec := want[i]
			var ce *integration.CSVError
			if errors.As(row.Err, &ce) {
				switch {
				case ce.Column != "":
				case strings.HasPrefix(ce.Reason, "the row has a different number"):
					if len(rec) == 3 {
						t.Fatalf("line %d: rejected for its width, encoding/csv reads 3 values", row.Line)
					}
					if slices.ContainsFunc(rec, func(v string) bool { return strings.Contains(v, "\n") }) {
						return // its lines are read again: rows no longer align
					}
				default:
					t.Fatalf("line %d: %v; encoding/csv reads it", row.Line, row.Err)
				}
				continue
			}
			p := row.Mapped.Patient
			for j, got := range []string{p.ExternalID, p.GivenName, p.FamilyName} {
				if v := rec[j]; utf8.ValidString(v) && got != strings.TrimSpace(v) {
					t.Fatalf("line %d value %d: %q, encoding/csv reads %q", row.Line, j+1, got, v)
				}
			}
		}
		if len(rows) != len(want) {
			t.Fatalf("%d rows, encoding/csv reads %d", len(rows), len(want))
		}
	})
}

// BenchmarkReadCSV reads 50,000 generated rows of each kind (the 50,000-row file),
// reporting the time per row: the reader's share of the one-minute import.
func BenchmarkReadCSV(b *testing.B) {
	const rows = 50_000
	gen := map[string]func(i int) string{
		"patients": func(i int) string {
			return fmt.Sprintf("P%06d,Given%d,Family%d,%02d/%02d/19%02d,04%08d,p%d@example.org,en,no,\n", i, i, i, i%28+1, i%12+1, i%100, i, i)
		},
		"appointments": func(i int) string {
			return fmt.Sprintf("A%06d,P%06d,2026-%02d-%02d %02d:%02d,,15,booked,DR%d,Dr Jane Smith,Room %d,SC,Skin check,\"Note, with a comma\"\n",
				i, i%20000, i%12+1, i%28+1, 8+i%10, i%4*15, i%7, i%5)
		},
		"recalls": func(i int) string {
			return fmt.Sprintf("R%06d,P%06d,2026-%02d-%02d,Annual skin check,DR%d,Jane Smith,active\n", i, i%20000, i%12+1, i%28+1, i%7)
		},
	}
	headers := map[string]string{"patients": csvPatientHeader, "appointments": csvAppointmentHeader, "recalls": csvRecallHeader}
	for _, kind := range []string{"patients", "appointments", "recalls"} {
		var buf bytes.Buffer
		buf.WriteString(headers[kind])
		for i := range rows {
			buf.WriteString(gen[kind](i))
		}
		data := buf.Bytes()
		b.Run(kind, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := integration.NewCSVReader(bytes.NewReader(data), csvZone)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for row, ok := r.Next(); ok; row, ok = r.Next() {
					if row.Err != nil {
						b.Fatal(row.Err)
					}
					n++
				}
				if n != rows {
					b.Fatalf("%d rows", n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		})
	}
}
