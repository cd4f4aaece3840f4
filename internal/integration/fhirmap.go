package integration

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/fhir"
	"github.com/tidings-health/tidings/internal/hl7"
)

// This file maps FHIR R4 resources, as a clinic's FHIR server returns them to the sync, to the
// records the HL7 mapping produces (SYN-1), so that one set of use cases applies both. It is
// pure like MapHL7: no I/O, no clock. docs/fhir-mapping.md has every rule; the reasons of its
// refusals name elements ("Patient.name[0].family"), never values.

// FHIRAppointmentSystem is the identifier system of the id Tidings gives an appointment it
// writes back to a clinic's FHIR server (SYN-5). An Appointment that carries it is Tidings'
// own booking coming back, so its value is the AppointmentRecord's PlacerID, as SCH-1 is for
// HL7: the caller recognises the echo by it.
const FHIRAppointmentSystem = "https://tidings.health/fhir/appointment-id"

// FHIRResultStateURL is the Task extension (valueCode notified, given or discussed) by which
// a clinic's FHIR server says how far the clinic got telling the patient about a result
// (RES-5). FHIR R4 has no element for it, as HL7 v2 has no field (hence ZRA-4); a Task input
// whose type is "result-state" is read the same way, for servers that cannot add extensions.
const FHIRResultStateURL = "https://tidings.health/fhir/StructureDefinition/result-state"

// FHIRMapped is what one FHIR resource says, in Tidings' terms. The embedded Mapped holds
// what an HL7 message would give — Patient, Appointment, Results or Recall — with At from
// meta.lastUpdated (the order of updates, SYN-4) and ControlID naming the resource version
// ("Patient/123/_history/4"); Mapped.Type stays zero, since it is an HL7 message type.
// FHIR needs three things more: the Consent resource (an opt-out that is not a Patient
// update), the join of a result and the Task that actions it, and resources that carry
// nothing for Tidings, which are not errors.
type FHIRMapped struct {
	Mapped
	// ResourceType is the resource's type, e.g. "Patient": what ControlID starts with.
	ResourceType string
	// Skip says why the resource carries nothing for Tidings to apply (a Consent about
	// something else, a Task that is neither a result action nor a recall); "" otherwise.
	// An appointment or result that is not taken says so in its own Skip instead.
	Skip string
	// Consent is what a Consent about patient communications says (CON-1), when the
	// profile reads the opt-out flag.
	Consent *ConsentRecord
	// ActionFor is, for a Task whose focus is a DiagnosticReport, that report's id: the Task
	// is the doctor's action on it (RES-1), and the caller reads the report and calls
	// MapFHIRResult with both. Task is the decoded Task, so it need not be decoded again.
	ActionFor string
	Task      *fhir.Task
	// Report is, for a DiagnosticReport, the decoded report, for the caller to join with its
	// Task through MapFHIRResult; Results then holds the report read without a Task.
	Report *fhir.DiagnosticReport
}

// ConsentRecord is what one Consent resource says about a patient's opt-out from patient
// communications (CON-1). It is a record of its own, not a PatientRecord, because it says
// nothing about the patient's name or numbers, which a PatientRecord would clear; and
// because a patient may have several Consents, the caller keeps one state per Consent
// (ExternalID) and opts the patient out while any of them denies.
type ConsentRecord struct {
	ExternalID        string // the Consent's id
	PatientExternalID string // the Patient's id, from Consent.patient
	OptOut            bool   // fhir.ConsentDenies: active, deny, about patient communications
}

// MapFHIR maps one resource of a FHIR search (raw JSON; typ is its resource type, or "" to
// read it from the JSON) to Tidings' terms, using prof for the opt-out flag and results and
// loc for dates without a zone (the clinic's zone; nil is UTC). It handles Patient,
// Appointment, DiagnosticReport, Task, CommunicationRequest and Consent, and refuses, with a
// *MapError, another type and a resource missing what its type needs (see
// docs/fhir-mapping.md); the returned FHIRMapped then still has ResourceType and, when the
// id was readable, ControlID, for the caller's logs. It is pure: no I/O, no clock.
func MapFHIR(raw json.RawMessage, typ string, prof Profile, loc *time.Location) (FHIRMapped, error) {
	if loc == nil {
		loc = time.UTC
	}
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	if err := fhir.Decode(raw, &head); err != nil {
		return FHIRMapped{}, fhirDecodeFailure(typ, err)
	}
	switch {
	case typ == "" && head.ResourceType == "":
		return FHIRMapped{}, fhirElem("resourceType").fail(hl7.CodeRequiredFieldMissing, "is missing")
	case typ == "":
		typ = head.ResourceType
	case head.ResourceType != "" && head.ResourceType != typ:
		return FHIRMapped{}, fhirElem("resourceType").fail(hl7.CodeUnsupportedMessageType, "is not the resource type asked for")
	}
	out := FHIRMapped{ResourceType: typ}
	var err error
	switch typ {
	case fhir.TypePatient:
		err = out.patient(raw, prof)
	case fhir.TypeConsent:
		err = out.consent(raw, prof)
	case fhir.TypeAppointment:
		err = out.appointment(raw)
	case fhir.TypeDiagnosticReport:
		err = out.report(raw, prof, loc)
	case fhir.TypeTask:
		err = out.task(raw, loc)
	case fhir.TypeCommunicationRequest:
		err = out.communicationRequest(raw, loc)
	default:
		name := "this resource type is"
		if fhirIsTypeName(typ) {
			name = typ + " resources are"
		}
		return FHIRMapped{}, fhirElem("resourceType").fail(hl7.CodeUnsupportedMessageType, name+" not handled by Tidings")
	}
	if err != nil {
		return FHIRMapped{ResourceType: out.ResourceType, Mapped: Mapped{ControlID: out.ControlID}}, err
	}
	return out, nil
}

// MapFHIRResult maps a DiagnosticReport with the Task that actions it (task.focus is the
// report; nil when the doctor has not acted yet) to one ResultRecord in Results. The result
// changes when either resource does, so At is the later of their meta.lastUpdated (SYN-4: a
// new action on an old report is still newer) and ControlID names both versions
// ("DiagnosticReport/1/_history/2,Task/7/_history/3"). A Task about another report or
// another patient is refused rather than joined. Of several Tasks on one report, the
// caller passes the one last updated. Pure, as MapFHIR.
func MapFHIRResult(report fhir.DiagnosticReport, task *fhir.Task, prof Profile, loc *time.Location) (FHIRMapped, error) {
	if loc == nil {
		loc = time.UTC
	}
	out := FHIRMapped{ResourceType: fhir.TypeDiagnosticReport}
	fail := func(err error) (FHIRMapped, error) {
		return FHIRMapped{ResourceType: out.ResourceType, Mapped: Mapped{ControlID: out.ControlID}}, err
	}
	if err := out.header(report.ID, report.Meta); err != nil {
		return fail(err)
	}
	r, err := fhirResult(&report, prof, loc, func(r *ResultRecord) error {
		if task == nil {
			return nil
		}
		th := FHIRMapped{ResourceType: fhir.TypeTask}
		if err := th.header(task.ID, task.Meta); err != nil {
			return err
		}
		out.ControlID += "," + th.ControlID
		if th.At.After(out.At) {
			out.At = th.At
		}
		focus, err := fhirRef(task.Focus, fhir.TypeDiagnosticReport, "Task.focus")
		if err != nil {
			return err
		}
		if focus != report.ID {
			return fhirElem("Task.focus").fail(hl7.CodeDataTypeError, "is not a reference to this DiagnosticReport")
		}
		who, err := fhirRef(task.For, fhir.TypePatient, "Task.for")
		if err != nil {
			return err
		}
		if who != "" && who != r.PatientExternalID {
			return fhirElem("Task.for").fail(hl7.CodeDataTypeError, "is not the DiagnosticReport's subject")
		}
		return fhirTaskAction(task, loc, r)
	})
	if err != nil {
		return fail(err)
	}
	out.Results = []ResultRecord{r}
	return out, nil
}

// fhirDecodeFailure refuses JSON that does not decode into the resource's struct. The reason is
// fhir.DecodeError's, which never quotes the JSON.
func fhirDecodeFailure(typ string, err error) *MapError {
	what := "resource"
	if fhirIsTypeName(typ) {
		what = typ
	}
	var de *fhir.DecodeError
	msg := "is not valid JSON"
	if errors.As(err, &de) {
		msg = "cannot be decoded (" + de.Error() + ")"
	}
	return fhirElem(what).fail(hl7.CodeDataTypeError, msg)
}

// fhirIsTypeName: a FHIR resource type's shape (ASCII letters, at most 40), safe to name in a
// reason.
func fhirIsTypeName(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// fhirElem is the path of a FHIR element as reasons name it, in FHIRPath's form:
// "Patient.name[0].family".
type fhirElem string

func (e fhirElem) dot(name string) fhirElem { return e + "." + fhirElem(name) }

func (e fhirElem) at(i int) fhirElem { return e + "[" + fhirElem(strconv.Itoa(i)) + "]" }

// fail refuses with code (the HL7 error code of the same kind of fault: 101 missing, 102 a
// bad value, 103 an unknown code, 200 a type not handled, 207 more than Tidings takes) and a
// reason that starts with the element's path.
func (e fhirElem) fail(code hl7.ErrorCode, what string) *MapError {
	return &MapError{Code: code, Reason: string(e) + ": " + what}
}

// fhirDecode decodes raw into v, refusing as fhirDecodeFailure.
func fhirDecode(raw json.RawMessage, typ string, v any) error {
	if err := fhir.Decode(raw, v); err != nil {
		return fhirDecodeFailure(typ, err)
	}
	return nil
}

// header reads what every resource needs: an id (the record's external id), and
// meta.lastUpdated, the order updates of one record are applied in (SYN-4). It sets
// ControlID and At.
func (m *FHIRMapped) header(id string, meta fhir.Meta) error {
	e := fhirElem(m.ResourceType)
	switch {
	case id == "":
		return e.dot("id").fail(hl7.CodeRequiredFieldMissing, "is missing")
	case !isFHIRID(id):
		return e.dot("id").fail(hl7.CodeDataTypeError, "is not a FHIR id (1 to 64 letters, digits, '-' and '.')")
	}
	m.ControlID = m.ResourceType + "/" + id
	if meta.VersionID != "" {
		if !isFHIRID(meta.VersionID) {
			return e.dot("meta.versionId").fail(hl7.CodeDataTypeError, "is not a FHIR id (1 to 64 letters, digits, '-' and '.')")
		}
		m.ControlID += "/_history/" + meta.VersionID
	}
	if meta.LastUpdated.IsZero() {
		return e.dot("meta.lastUpdated").fail(hl7.CodeRequiredFieldMissing,
			"is missing: it orders the updates of one record")
	}
	m.At = meta.LastUpdated.UTC()
	return nil
}

// isFHIRID reports whether s has the shape of FHIR's id type: 1 to 64 of A-Z a-z 0-9 - and
// '.'. Ids are safe to log (house rule 6) only because nothing else gets through.
func isFHIRID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// fhirLine reads a one-line string element: surrounding white space trimmed, then refused when
// it is not UTF-8, holds a control character (a line break included: a name or number on two
// lines is not one Tidings can use) or is longer than max characters. A refusal is never a
// truncation, since a cut name or identifier would be a wrong one.
func fhirLine(v string, max int, e fhirElem) (string, error) {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) {
		return "", e.fail(hl7.CodeDataTypeError, "is not valid UTF-8")
	}
	for _, r := range v {
		if isControl(r) {
			return "", e.fail(hl7.CodeDataTypeError, "holds a control character")
		}
	}
	if utf8.RuneCountInString(v) > max {
		return "", e.fail(hl7.CodeDataTypeError, "is longer than "+strconv.Itoa(max)+" characters")
	}
	return v, nil
}

// fhirText reads free text (a note, a comment): line breaks kept as "\n" (CR LF and CR read as
// LF), tabs as spaces, any other control character refused, surrounding white space trimmed.
// Its length is bounded by the caller, on the text it joins.
func fhirText(v string, e fhirElem) (string, error) {
	if !utf8.ValidString(v) {
		return "", e.fail(hl7.CodeDataTypeError, "is not valid UTF-8")
	}
	v = strings.ReplaceAll(v, "\r\n", "\n")
	var b strings.Builder
	for _, r := range v {
		switch {
		case r == '\r':
			r = '\n'
		case r == '\t':
			r = ' '
		case r != '\n' && isControl(r):
			return "", e.fail(hl7.CodeDataTypeError, "holds a control character")
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String()), nil
}

// fhirTextBuf joins free texts by newlines, bounded by MaxCommentsLength.
type fhirTextBuf struct {
	parts []string
	n     int
}

func (b *fhirTextBuf) add(v string, e fhirElem) error {
	t, err := fhirText(v, e)
	if err != nil || t == "" {
		return err
	}
	b.n += utf8.RuneCountInString(t) + 1
	if b.n-1 > MaxCommentsLength {
		return e.fail(hl7.CodeDataTypeError, "makes the comments longer than "+strconv.Itoa(MaxCommentsLength)+" characters")
	}
	b.parts = append(b.parts, t)
	return nil
}

func (b *fhirTextBuf) String() string { return strings.Join(b.parts, "\n") }

// fhirParseRef splits a literal reference — "Patient/123", an absolute URL ending so, either
// with "/_history/4" — into the type and id it points at; "" for anything else (a contained
// "#p1", a display alone).
func fhirParseRef(s string) (typ, id string) {
	if i := strings.Index(s, "/_history/"); i >= 0 {
		s = s[:i]
	}
	j := strings.LastIndexByte(s, '/')
	if j <= 0 {
		return "", ""
	}
	rest := s[:j]
	return rest[strings.LastIndexByte(rest, '/')+1:], s[j+1:]
}

// fhirRef returns the id of the resource of type typ that r points at; "" when r is nil or
// points at something else. A reference to typ whose id is not a FHIR id is refused: it
// points at nothing Tidings could find.
func fhirRef(r *fhir.Reference, typ string, e fhirElem) (string, error) {
	if r == nil {
		return "", nil
	}
	t, id := fhirParseRef(r.Reference)
	if t != typ {
		return "", nil
	}
	if !isFHIRID(id) {
		return "", e.dot("reference").fail(hl7.CodeDataTypeError, "does not end in a FHIR id")
	}
	return id, nil
}

// fhirPractitioner reads a reference as a practitioner: Practitioner/<id> gives the id and the
// display as name. With displayOnly, a reference with a display and no literal reference
// (and no type, or type Practitioner) gives the name alone. Anything else — an
// Organization, a PractitionerRole, a CareTeam — is not one (ok false): Tidings does not read
// those resources, and a laboratory's name is not a doctor's.
func fhirPractitioner(r *fhir.Reference, displayOnly bool, e fhirElem) (p Practitioner, ok bool, err error) {
	if r == nil {
		return p, false, nil
	}
	id, err := fhirRef(r, "Practitioner", e)
	if err != nil {
		return p, false, err
	}
	if id == "" && !(displayOnly && strings.TrimSpace(r.Reference) == "" && (r.Type == "" || r.Type == "Practitioner")) {
		return p, false, nil
	}
	name, err := fhirLine(r.Display, MaxNameLength, e.dot("display"))
	if err != nil {
		return p, false, err
	}
	if id == "" && name == "" {
		return p, false, nil
	}
	return Practitioner{ID: id, Name: name}, true, nil
}

// fhirFirstPractitioner is the first of refs that names a practitioner (fhirPractitioner).
func fhirFirstPractitioner(refs []fhir.Reference, displayOnly bool, e fhirElem) (Practitioner, bool, error) {
	for i := range refs {
		p, ok, err := fhirPractitioner(&refs[i], displayOnly, e.at(i))
		if err != nil || ok {
			return p, ok, err
		}
	}
	return Practitioner{}, false, nil
}

// fhirWords is a concept's words: its text, else the display of its first coding that has
// one; with the path of what was taken. "" when it has neither.
func fhirWords(c *fhir.CodeableConcept, e fhirElem) (string, fhirElem) {
	if c == nil {
		return "", e
	}
	if strings.TrimSpace(c.Text) != "" {
		return c.Text, e.dot("text")
	}
	for i, cd := range c.Coding {
		if strings.TrimSpace(cd.Display) != "" {
			return cd.Display, e.dot("coding").at(i).dot("display")
		}
	}
	return "", e
}

// fhirCode is the code of a concept's first coding that has one, with its path.
func fhirCode(c *fhir.CodeableConcept, e fhirElem) (string, fhirElem) {
	if c == nil {
		return "", e
	}
	for i, cd := range c.Coding {
		if strings.TrimSpace(cd.Code) != "" {
			return cd.Code, e.dot("coding").at(i).dot("code")
		}
	}
	return "", e
}

// fhirConceptName is what a concept is called: its words, else its code.
func fhirConceptName(c *fhir.CodeableConcept, e fhirElem) (string, fhirElem) {
	if v, at := fhirWords(c, e); v != "" {
		return v, at
	}
	return fhirCode(c, e)
}

// fhirCoded reads a concept as a Coded: the code of its first coding with one, and its text,
// else that display of its codings.
func fhirCoded(c *fhir.CodeableConcept, e fhirElem) (Coded, error) {
	var out Coded
	var err error
	code, codeAt := fhirCode(c, e)
	if out.Code, err = fhirLine(code, maxCodeLength, codeAt); err != nil {
		return Coded{}, err
	}
	text, textAt := fhirWords(c, e)
	if out.Text, err = fhirLine(text, maxTextLength, textAt); err != nil {
		return Coded{}, err
	}
	return out, nil
}

// fhirDateKind is how precise a FHIR date or dateTime is.
type fhirDateKind int

const (
	fhirCoarse   fhirDateKind = iota // a year or a month
	fhirDay                          // a date
	fhirWithTime                     // a date with a time and zone
)

// fhirDate reads a FHIR date or dateTime (loc for a date, which has no zone), refusing one
// that is not valid; the error names e, never the value.
func fhirDate(d fhir.DateTime, loc *time.Location, e fhirElem) (time.Time, fhirDateKind, error) {
	s := string(d)
	t, err := d.Time(loc)
	if err != nil {
		return time.Time{}, 0, e.fail(hl7.CodeDataTypeError, "is not a valid FHIR date or dateTime")
	}
	switch {
	case strings.Contains(s, "T"):
		return t, fhirWithTime, nil
	case len(s) == len(time.DateOnly):
		return t, fhirDay, nil
	}
	return t, fhirCoarse, nil
}

// fhirDayTime reads a date or dateTime at least to the day, in UTC.
func fhirDayTime(d fhir.DateTime, loc *time.Location, e fhirElem) (time.Time, error) {
	t, k, err := fhirDate(d, loc, e)
	if err != nil {
		return t, err
	}
	if k < fhirDay {
		return time.Time{}, e.fail(hl7.CodeDataTypeError, "is not given to the day")
	}
	return t.UTC(), nil
}

// fhirCivilDate reads a date or dateTime at least to the day as the civil date it falls on in
// loc (a date is that date).
func fhirCivilDate(d fhir.DateTime, loc *time.Location, e fhirElem) (string, error) {
	t, k, err := fhirDate(d, loc, e)
	switch {
	case err != nil:
		return "", err
	case k < fhirDay:
		return "", e.fail(hl7.CodeDataTypeError, "is not given to the day")
	case k == fhirDay:
		return string(d), nil
	}
	return t.In(loc).Format(time.DateOnly), nil
}

// Patient.

// patient maps a Patient to a PatientRecord. Like an ADT message, a Patient is the whole
// record: an element it leaves out reads as "", which clears the value.
func (m *FHIRMapped) patient(raw json.RawMessage, prof Profile) error {
	var p fhir.Patient
	if err := fhirDecode(raw, m.ResourceType, &p); err != nil {
		return err
	}
	// deceased[x] is not in fhir.Patient.
	var x struct {
		DeceasedBoolean  *bool  `json:"deceasedBoolean"`
		DeceasedDateTime string `json:"deceasedDateTime"`
	}
	if err := fhirDecode(raw, m.ResourceType, &x); err != nil {
		return err
	}
	if err := m.header(p.ID, p.Meta); err != nil {
		return err
	}
	e := fhirElem("Patient")
	rec := PatientRecord{ExternalID: p.ID}
	var err error
	if i := fhirPickName(p.Name); i >= 0 {
		if rec.FamilyName, rec.GivenName, err = fhirName(p.Name[i], e.dot("name").at(i)); err != nil {
			return err
		}
	}
	if rec.FamilyName == "" && rec.GivenName == "" {
		return e.dot("name").fail(hl7.CodeRequiredFieldMissing, "is missing (no name with a family or given name)")
	}
	if rec.BirthDate, err = fhirBirthDate(p.BirthDate, e.dot("birthDate")); err != nil {
		return err
	}
	if i := fhirPickTelecom(p.Telecom, fhirIsMobile); i >= 0 {
		if rec.Mobile, err = fhirLine(p.Telecom[i].Value, maxPhoneLength, e.dot("telecom").at(i).dot("value")); err != nil {
			return err
		}
	}
	if i := fhirPickTelecom(p.Telecom, fhirIsEmail); i >= 0 {
		if rec.Email, err = fhirLine(p.Telecom[i].Value, maxEmailLength, e.dot("telecom").at(i).dot("value")); err != nil {
			return err
		}
	}
	rec.Language = fhirLanguage(p.Communication)
	if prof.ReadsOptOut {
		if set, v := fhir.OptOut(&p); set {
			rec.OptOut = &v
		}
	}
	for i, c := range p.Contact {
		if i >= MaxRelatives {
			return e.dot("contact").at(i).fail(hl7.CodeApplicationError,
				"is one contact more than the "+strconv.Itoa(MaxRelatives)+" Tidings keeps")
		}
		r, err := fhirRelative(c, e.dot("contact").at(i))
		if err != nil {
			return err
		}
		if r != (Relative{}) {
			rec.Relatives = append(rec.Relatives, r)
		}
	}
	rec.Deceased = (x.DeceasedBoolean != nil && *x.DeceasedBoolean) || strings.TrimSpace(x.DeceasedDateTime) != ""
	m.Patient = &rec
	return nil
}

// fhirHasName reports whether n has a family or a given name (a name given only as text is not
// split into parts by guessing).
func fhirHasName(n fhir.HumanName) bool {
	if strings.TrimSpace(n.Family) != "" {
		return true
	}
	for _, g := range n.Given {
		if strings.TrimSpace(g) != "" {
			return true
		}
	}
	return false
}

// fhirPickName chooses the name with use official, else usual, else the first; names with use
// old, and names without a family or given name, never. -1 when none is left.
func fhirPickName(names []fhir.HumanName) int {
	best, bestRank := -1, 3
	for i, n := range names {
		if n.Use == "old" || !fhirHasName(n) {
			continue
		}
		rank := 2
		switch n.Use {
		case "official":
			rank = 0
		case "usual":
			rank = 1
		}
		if rank < bestRank {
			best, bestRank = i, rank
		}
	}
	return best
}

// fhirName reads a name's family and its given names joined by spaces.
func fhirName(n fhir.HumanName, e fhirElem) (family, given string, err error) {
	if family, err = fhirLine(n.Family, MaxNameLength, e.dot("family")); err != nil {
		return "", "", err
	}
	var parts []string
	for j, g := range n.Given {
		v, err := fhirLine(g, MaxNameLength, e.dot("given").at(j))
		if err != nil {
			return "", "", err
		}
		if v != "" {
			parts = append(parts, v)
		}
	}
	given = strings.Join(parts, " ")
	if utf8.RuneCountInString(given) > MaxNameLength {
		return "", "", e.dot("given").fail(hl7.CodeDataTypeError, "is longer than "+strconv.Itoa(MaxNameLength)+" characters")
	}
	return family, given, nil
}

// fhirBirthDate keeps a full date (YYYY-MM-DD); a year or a month alone is "" (not a day
// anyone can check a caller against), and anything else is refused.
func fhirBirthDate(v string, e fhirElem) (string, error) {
	if v == "" {
		return "", nil
	}
	if strings.Contains(v, "T") {
		return "", e.fail(hl7.CodeDataTypeError, "is not a FHIR date")
	}
	_, k, err := fhirDate(fhir.DateTime(v), time.UTC, e)
	switch {
	case err != nil:
		return "", e.fail(hl7.CodeDataTypeError, "is not a FHIR date")
	case k < fhirDay:
		return "", nil
	}
	return v, nil
}

func fhirIsMobile(c fhir.ContactPoint) bool {
	return (c.System == "phone" || c.System == "sms") && c.Use == "mobile"
}

func fhirIsEmail(c fhir.ContactPoint) bool { return c.System == "email" && c.Use != "old" }

func fhirIsPhone(c fhir.ContactPoint) bool {
	return (c.System == "phone" || c.System == "sms") && c.Use != "old"
}

// fhirPickTelecom returns the index of the contact point, among those want accepts that have a
// value, with the lowest rank (1 is the most preferred; unranked ones come after ranked
// ones), the first of equals; -1 when none.
func fhirPickTelecom(cps []fhir.ContactPoint, want func(fhir.ContactPoint) bool) int {
	best := -1
	for i, c := range cps {
		if !want(c) || strings.TrimSpace(c.Value) == "" {
			continue
		}
		if best < 0 || fhirRankBefore(c.Rank, cps[best].Rank) {
			best = i
		}
	}
	return best
}

func fhirRankBefore(a, b int) bool {
	switch {
	case a <= 0:
		return false
	case b <= 0:
		return true
	}
	return a < b
}

// fhirLanguage is the language of the communication marked preferred, else the first: the
// first of its codings that isoLanguage knows ("fr-FR" is "fr"); "" otherwise.
func fhirLanguage(cs []fhir.PatientCommunication) string {
	pick := -1
	for i, c := range cs {
		if c.Preferred != nil && *c.Preferred {
			pick = i
			break
		}
	}
	if pick < 0 && len(cs) > 0 {
		pick = 0
	}
	if pick < 0 {
		return ""
	}
	for _, cd := range cs[pick].Language.Coding {
		if l := isoLanguage(strings.TrimSpace(cd.Code)); l != "" {
			return l
		}
	}
	return ""
}

// Relationship code systems that say how a contact is related (HL7 table 0063's concepts),
// preferred to the contact-role codes (table 0131: emergency contact, next of kin).
const (
	fhirV3RoleCode = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
	fhirV2Table63  = "http://terminology.hl7.org/CodeSystem/v2-0063"
)

// fhirRelative reads a Patient.contact; a contact without a person's name (an organisation) is
// the zero Relative, skipped.
func fhirRelative(c fhir.PatientContact, e fhirElem) (Relative, error) {
	var r Relative
	var err error
	if c.Name == nil || !fhirHasName(*c.Name) {
		return Relative{}, nil
	}
	if r.FamilyName, r.GivenName, err = fhirName(*c.Name, e.dot("name")); err != nil {
		return r, err
	}
	// The code: a relationship (v3 RoleCode, table 0063) before a contact role (table 0131:
	// emergency contact, next of kin), else the first code.
	family := func(system string) bool { return system == fhirV3RoleCode || system == fhirV2Table63 }
	ci, cj := -1, -1
	for i, rel := range c.Relationship {
		for j, cd := range rel.Coding {
			if strings.TrimSpace(cd.Code) == "" {
				continue
			}
			if ci < 0 || family(cd.System) && !family(c.Relationship[ci].Coding[cj].System) {
				ci, cj = i, j
			}
		}
	}
	if ci >= 0 {
		at := e.dot("relationship").at(ci)
		cd := c.Relationship[ci].Coding[cj]
		if r.Relationship, err = fhirLine(cd.Code, maxCodeLength, at.dot("coding").at(cj).dot("code")); err != nil {
			return r, err
		}
		text, textAt := c.Relationship[ci].Text, at.dot("text")
		if strings.TrimSpace(text) == "" {
			text, textAt = cd.Display, at.dot("coding").at(cj).dot("display")
		}
		if r.RelationshipText, err = fhirLine(text, MaxNameLength, textAt); err != nil {
			return r, err
		}
	} else if len(c.Relationship) > 0 {
		at := e.dot("relationship").at(0)
		if r.RelationshipText, err = fhirLine(c.Relationship[0].Text, MaxNameLength, at.dot("text")); err != nil {
			return r, err
		}
	}
	i := fhirPickTelecom(c.Telecom, fhirIsMobile)
	if i < 0 {
		i = fhirPickTelecom(c.Telecom, fhirIsPhone)
	}
	if i >= 0 {
		if r.Phone, err = fhirLine(c.Telecom[i].Value, maxPhoneLength, e.dot("telecom").at(i).dot("value")); err != nil {
			return r, err
		}
	}
	return r, nil
}

// Consent.

// consent maps a Consent about patient communications to a ConsentRecord, when the profile
// reads the opt-out flag (CON-1, CON-4). Other Consents (privacy, treatment, research) are
// skipped: reading them as opt-outs would be wrong both ways (see internal/fhir).
func (m *FHIRMapped) consent(raw json.RawMessage, prof Profile) error {
	var c fhir.Consent
	if err := fhirDecode(raw, m.ResourceType, &c); err != nil {
		return err
	}
	if err := m.header(c.ID, c.Meta); err != nil {
		return err
	}
	about := c.Scope.Has(fhir.ConsentCategorySystem, fhir.ConsentCategoryCode)
	for _, cat := range c.Category {
		about = about || cat.Has(fhir.ConsentCategorySystem, fhir.ConsentCategoryCode)
	}
	switch {
	case !about:
		m.Skip = "Consent is not about patient communications"
		return nil
	case !prof.ReadsOptOut:
		m.Skip = "the software profile does not read the opt-out flag"
		return nil
	}
	pid, err := fhirRef(c.Patient, fhir.TypePatient, "Consent.patient")
	if err != nil {
		return err
	}
	if pid == "" {
		return fhirElem("Consent.patient").fail(hl7.CodeRequiredFieldMissing, "is not a reference to a Patient")
	}
	m.Consent = &ConsentRecord{ExternalID: c.ID, PatientExternalID: pid, OptOut: fhir.ConsentDenies(&c)}
	return nil
}

// Appointment.

// appointment maps an Appointment. The Event is the SIU trigger an HL7 feed would have sent
// for the same state, so that one applier serves both.
func (m *FHIRMapped) appointment(raw json.RawMessage) error {
	var a fhir.Appointment
	if err := fhirDecode(raw, m.ResourceType, &a); err != nil {
		return err
	}
	if err := m.header(a.ID, a.Meta); err != nil {
		return err
	}
	e := fhirElem("Appointment")
	rec := &AppointmentRecord{ExternalID: a.ID, FillerID: a.ID}
	var err error
	for i, id := range a.Identifier {
		if id.System != FHIRAppointmentSystem || strings.TrimSpace(id.Value) == "" {
			continue
		}
		if rec.PlacerID, err = fhirLine(id.Value, MaxIDLength, e.dot("identifier").at(i).dot("value")); err != nil {
			return err
		}
		break
	}
	needsStart := true
	switch a.Status {
	case "booked", "pending", "proposed":
		rec.Status, rec.Event = clinic.StatusBooked, "S12"
		if a.Status == "proposed" && a.Start.IsZero() {
			rec.Status, rec.Event, needsStart = "", "S14", false
			rec.Skip = "status proposed without a start is a request, not a booked appointment"
		}
	case "arrived", "checked-in":
		rec.Status, rec.Event = clinic.StatusArrived, "S14"
	case "fulfilled":
		rec.Status, rec.Event = clinic.StatusSeen, "S14"
	case "cancelled":
		rec.Status, rec.Event, needsStart = clinic.StatusCancelled, "S15", false
	case "noshow":
		rec.Status, rec.Event, needsStart = clinic.StatusNoShow, "S26", false
	case "entered-in-error":
		rec.Status, rec.Event, needsStart = clinic.StatusCancelled, "S17", false
	case "waitlist":
		rec.Event, needsStart = "S14", false
		rec.Skip = "status waitlist is not a booked appointment"
	case "":
		return e.dot("status").fail(hl7.CodeRequiredFieldMissing, "is missing")
	default:
		return e.dot("status").fail(hl7.CodeTableValueNotFound, "is not a FHIR R4 appointment status")
	}
	if a.Start.IsZero() && needsStart {
		return e.dot("start").fail(hl7.CodeRequiredFieldMissing, "is missing")
	}
	if a.MinutesDuration < 0 || a.MinutesDuration > int(maxDuration/time.Minute) {
		return e.dot("minutesDuration").fail(hl7.CodeDataTypeError, "is not a whole number of minutes from 0 to a week")
	}
	if !a.Start.IsZero() {
		rec.Start = a.Start.UTC()
		switch {
		case !a.End.IsZero():
			rec.End = a.End.UTC()
			if rec.End.Before(rec.Start) {
				return e.dot("end").fail(hl7.CodeDataTypeError, "is before Appointment.start")
			}
		case a.MinutesDuration > 0:
			rec.End = rec.Start.Add(time.Duration(a.MinutesDuration) * time.Minute)
		}
	}
	for i, p := range a.Participant {
		pe := e.dot("participant").at(i).dot("actor")
		if p.Actor == nil {
			continue
		}
		switch t, _ := fhirParseRef(p.Actor.Reference); t {
		case fhir.TypePatient:
			id, err := fhirRef(p.Actor, fhir.TypePatient, pe)
			if err != nil {
				return err
			}
			if rec.PatientExternalID != "" && id != rec.PatientExternalID {
				return pe.fail(hl7.CodeApplicationError, "is a second patient: one patient per appointment is supported")
			}
			rec.PatientExternalID = id
		case "Practitioner":
			if rec.Resource.Practitioner != (Practitioner{}) {
				continue
			}
			if rec.Resource.Practitioner, _, err = fhirPractitioner(p.Actor, false, pe); err != nil {
				return err
			}
		case "Location":
			if rec.Resource.Location != "" {
				continue
			}
			id, err := fhirRef(p.Actor, "Location", pe)
			if err != nil {
				return err
			}
			if rec.Resource.Location, err = fhirLine(p.Actor.Display, MaxNameLength, pe.dot("display")); err != nil {
				return err
			}
			if rec.Resource.Location == "" {
				rec.Resource.Location = id
			}
		}
	}
	if rec.PatientExternalID == "" && rec.Skip == "" {
		rec.Status, rec.Event = "", "S14"
		rec.Skip = "no participant is a Patient"
	}
	type source struct {
		c *fhir.CodeableConcept
		e fhirElem
	}
	reasons := []source{{a.AppointmentType, e.dot("appointmentType")}}
	if len(a.ServiceType) > 0 {
		reasons = append(reasons, source{&a.ServiceType[0], e.dot("serviceType").at(0)})
	}
	if len(a.ReasonCode) > 0 {
		reasons = append(reasons, source{&a.ReasonCode[0], e.dot("reasonCode").at(0)})
	}
	for _, r := range reasons {
		if rec.Reason, err = fhirCoded(r.c, r.e); err != nil {
			return err
		}
		if rec.Reason != (Coded{}) {
			break
		}
	}
	var note fhirTextBuf
	if err := note.add(a.Comment, e.dot("comment")); err != nil {
		return err
	}
	rec.Note = note.String()
	m.Appointment = rec
	return nil
}

// DiagnosticReport and Task: results (RES-1, RES-2, RES-5).

// report maps a DiagnosticReport read on its own, as not actioned: its Task, read by the
// caller, is joined through MapFHIRResult.
func (m *FHIRMapped) report(raw json.RawMessage, prof Profile, loc *time.Location) error {
	var d fhir.DiagnosticReport
	if err := fhirDecode(raw, m.ResourceType, &d); err != nil {
		return err
	}
	if err := m.header(d.ID, d.Meta); err != nil {
		return err
	}
	r, err := fhirResult(&d, prof, loc, nil)
	if err != nil {
		return err
	}
	m.Results, m.Report = []ResultRecord{r}, &d
	return nil
}

// fhirResult reads a report into a ResultRecord; action, when not nil, reads the doctor's
// action into it before the profile decides, as a ZRA does for HL7 (hl7map.go's result).
func fhirResult(d *fhir.DiagnosticReport, prof Profile, loc *time.Location, action func(*ResultRecord) error) (ResultRecord, error) {
	e := fhirElem("DiagnosticReport")
	r := ResultRecord{ExternalID: d.ID}
	var err error
	final := false
	switch d.Status {
	case "final", "amended", "corrected", "appended":
		final = true
	case "registered", "partial", "preliminary", "cancelled", "entered-in-error", "unknown":
	case "":
		return r, e.dot("status").fail(hl7.CodeRequiredFieldMissing, "is missing")
	default:
		return r, e.dot("status").fail(hl7.CodeTableValueNotFound, "is not a FHIR R4 report status")
	}
	if r.PatientExternalID, err = fhirRef(d.Subject, fhir.TypePatient, e.dot("subject")); err != nil {
		return r, err
	}
	if r.PatientExternalID == "" {
		return r, e.dot("subject").fail(hl7.CodeRequiredFieldMissing, "is not a reference to a Patient")
	}
	test, testAt := fhirConceptName(&d.Code, e.dot("code"))
	if r.Test, err = fhirLine(test, MaxTestLength, testAt); err != nil {
		return r, err
	}
	switch {
	case d.EffectiveDateTime != "":
		r.Performed, err = fhirDayTime(d.EffectiveDateTime, loc, e.dot("effectiveDateTime"))
	case d.EffectivePeriod != nil && d.EffectivePeriod.Start != "":
		r.Performed, err = fhirDayTime(d.EffectivePeriod.Start, loc, e.dot("effectivePeriod.start"))
	}
	if err != nil {
		return r, err
	}
	var ok bool
	if r.Doctor, ok, err = fhirFirstPractitioner(d.ResultsInterpreter, true, e.dot("resultsInterpreter")); err == nil && !ok {
		r.Doctor, _, err = fhirFirstPractitioner(d.Performer, true, e.dot("performer"))
	}
	if err != nil {
		return r, err
	}
	for i := range d.Category {
		if v, at := fhirConceptName(&d.Category[i], e.dot("category").at(i)); v != "" {
			if r.Category, err = fhirLine(v, maxCodeLength, at); err != nil {
				return r, err
			}
			break
		}
	}
	if action != nil {
		if err := action(&r); err != nil {
			return r, err
		}
	}
	switch {
	case !final:
		r.Skip = "report status " + d.Status + " is not final, amended, corrected or appended"
	case !prof.Takes(r.Category):
		r.Skip = "filing category is not one the software profile takes"
	case r.Action == "":
		r.Skip = SkipNotActioned
	default:
		r.Taken = true
		r.Outcome, r.Template = prof.Decide(r.Action, r.HasComments)
	}
	return r, nil
}

// fhirTaskAction reads a Task as the doctor's action on a result, as ZRA is read for HL7. A Task
// not (or no longer) in force — draft, cancelled, rejected, failed, entered-in-error —
// leaves r not actioned.
func fhirTaskAction(t *fhir.Task, loc *time.Location, r *ResultRecord) error {
	e := fhirElem("Task")
	switch t.Status {
	case "requested", "received", "accepted", "ready", "in-progress", "on-hold", "completed":
	case "draft", "cancelled", "rejected", "failed", "entered-in-error":
		return nil
	case "":
		return e.dot("status").fail(hl7.CodeRequiredFieldMissing, "is missing")
	default:
		return e.dot("status").fail(hl7.CodeTableValueNotFound, "is not a FHIR R4 task status")
	}
	action, at := fhirWords(t.Code, e.dot("code"))
	if action == "" {
		action, at = fhirWords(t.BusinessStatus, e.dot("businessStatus"))
	}
	if action == "" {
		action, at = fhirCode(t.Code, e.dot("code"))
	}
	if action == "" {
		action, at = fhirCode(t.BusinessStatus, e.dot("businessStatus"))
	}
	var err error
	if r.Action, err = fhirLine(action, maxCodeLength, at); err != nil {
		return err
	}
	var ok bool
	if r.ActionedBy, ok, err = fhirPractitioner(t.Owner, true, e.dot("owner")); err == nil && !ok {
		r.ActionedBy, _, err = fhirPractitioner(t.Requester, true, e.dot("requester"))
	}
	if err != nil {
		return err
	}
	when, whenAt := t.LastModified, e.dot("lastModified")
	if when == "" {
		when, whenAt = t.AuthoredOn, e.dot("authoredOn")
	}
	if when != "" {
		at, _, err := fhirDate(when, loc, whenAt)
		if err != nil {
			return err
		}
		r.ActionedAt = at.UTC()
	}
	var b fhirTextBuf
	if foldName(t.Description) != foldName(r.Action) {
		if err := b.add(t.Description, e.dot("description")); err != nil {
			return err
		}
	}
	for i, n := range t.Note {
		if err := b.add(n.Text, e.dot("note").at(i).dot("text")); err != nil {
			return err
		}
	}
	for i, in := range t.Input {
		if fhirInputNamed(in, "message") || fhirInputNamed(in, "comment") {
			if err := b.add(in.ValueString, e.dot("input").at(i).dot("valueString")); err != nil {
				return err
			}
		}
	}
	r.Comments = b.String()
	r.HasComments = r.Comments != ""
	r.State, err = fhirResultState(t)
	return err
}

// fhirResultState reads the FHIRResultStateURL extension, else a "result-state" input.
func fhirResultState(t *fhir.Task) (ResultState, error) {
	code, at := "", fhirElem("")
	found := false
	for i, x := range t.Extension {
		if x.URL == FHIRResultStateURL {
			code, at, found = x.ValueCode, fhirElem("Task.extension").at(i).dot("valueCode"), true
			break
		}
	}
	if !found {
		for i, in := range t.Input {
			if fhirInputNamed(in, "result-state") {
				code, at, found = in.ValueCode, fhirElem("Task.input").at(i).dot("valueCode"), true
				break
			}
		}
	}
	if !found {
		return StateNone, nil
	}
	switch strings.ToLower(strings.TrimSpace(code)) {
	case "notified":
		return StateNotified, nil
	case "given":
		return StateGiven, nil
	case "discussed":
		return StateDiscussed, nil
	case "":
		return StateNone, at.fail(hl7.CodeRequiredFieldMissing, "is missing")
	}
	return StateNone, at.fail(hl7.CodeTableValueNotFound, "is not notified, given or discussed")
}

// fhirInputNamed reports whether a Task input is the one called name: its type's text, or the
// code of one of its codings (any system), equal to name ignoring case.
func fhirInputNamed(p fhir.TaskParameter, name string) bool {
	if strings.EqualFold(strings.TrimSpace(p.Type.Text), name) {
		return true
	}
	for _, c := range p.Type.Coding {
		if strings.EqualFold(strings.TrimSpace(c.Code), name) {
			return true
		}
	}
	return false
}

// task maps a Task: the doctor's action on a result when its focus is a DiagnosticReport
// (checked here, joined by the caller with MapFHIRResult), a recall when its code says
// recall, nothing otherwise.
func (m *FHIRMapped) task(raw json.RawMessage, loc *time.Location) error {
	var t fhir.Task
	if err := fhirDecode(raw, m.ResourceType, &t); err != nil {
		return err
	}
	// reasonCode is not in fhir.Task.
	var x struct {
		ReasonCode *fhir.CodeableConcept `json:"reasonCode"`
	}
	if err := fhirDecode(raw, m.ResourceType, &x); err != nil {
		return err
	}
	if err := m.header(t.ID, t.Meta); err != nil {
		return err
	}
	e := fhirElem("Task")
	report, err := fhirRef(t.Focus, fhir.TypeDiagnosticReport, e.dot("focus"))
	if err != nil {
		return err
	}
	if report != "" {
		if _, err := fhirRef(t.For, fhir.TypePatient, e.dot("for")); err != nil {
			return err
		}
		var scratch ResultRecord
		if err := fhirTaskAction(&t, loc, &scratch); err != nil {
			return err
		}
		m.ActionFor, m.Task = report, &t
		return nil
	}
	if !fhirIsRecallTask(&t) {
		m.Skip = "Task is neither a result action (focus a DiagnosticReport) nor a recall (code recall)"
		return nil
	}
	rec := &RecallRecord{ExternalID: t.ID}
	switch t.Status {
	case "draft", "requested", "received", "accepted", "ready", "in-progress", "on-hold":
		rec.Status = RecallActive
	case "completed":
		rec.Status = RecallCompleted
	case "cancelled", "rejected", "failed", "entered-in-error":
		rec.Status = RecallCancelled
	case "":
		return e.dot("status").fail(hl7.CodeRequiredFieldMissing, "is missing")
	default:
		return e.dot("status").fail(hl7.CodeTableValueNotFound, "is not a FHIR R4 task status")
	}
	if rec.PatientExternalID, err = fhirRef(t.For, fhir.TypePatient, e.dot("for")); err != nil {
		return err
	}
	if rec.PatientExternalID == "" {
		return e.dot("for").fail(hl7.CodeRequiredFieldMissing, "is not a reference to a Patient")
	}
	for i, in := range t.Input {
		if !fhirInputNamed(in, "due") {
			continue
		}
		at := e.dot("input").at(i).dot("valueDateTime")
		if in.ValueDateTime == "" {
			return at.fail(hl7.CodeRequiredFieldMissing, "is missing from the due input")
		}
		if rec.Due, err = fhirCivilDate(in.ValueDateTime, loc, at); err != nil {
			return err
		}
		break
	}
	if rec.Due == "" && rec.Status == RecallActive {
		return e.dot("input").fail(hl7.CodeRequiredFieldMissing, "has no due input: an active recall needs its due date")
	}
	reason, at := fhirConceptName(x.ReasonCode, e.dot("reasonCode"))
	if reason != "" {
		rec.Reason, err = fhirLine(reason, maxTextLength, at)
	} else {
		rec.Reason, err = fhirRecallText(t.Description, e.dot("description"))
	}
	if err != nil {
		return err
	}
	if rec.Doctor, _, err = fhirPractitioner(t.Requester, true, e.dot("requester")); err != nil {
		return err
	}
	m.Recall = rec
	return nil
}

// fhirIsRecallTask: the Task's code has a coding with code "recall" (any system), or the text
// "recall", ignoring case.
func fhirIsRecallTask(t *fhir.Task) bool {
	if t.Code == nil {
		return false
	}
	if strings.EqualFold(strings.TrimSpace(t.Code.Text), "recall") {
		return true
	}
	for _, c := range t.Code.Coding {
		if strings.EqualFold(strings.TrimSpace(c.Code), "recall") {
			return true
		}
	}
	return false
}

// fhirRecallText reads free text as a recall's reason: line breaks kept, bounded like a coded
// value's text.
func fhirRecallText(v string, e fhirElem) (string, error) {
	t, err := fhirText(v, e)
	if err != nil {
		return "", err
	}
	if utf8.RuneCountInString(t) > maxTextLength {
		return "", e.fail(hl7.CodeDataTypeError, "is longer than "+strconv.Itoa(maxTextLength)+" characters")
	}
	return t, nil
}

// communicationRequest maps a CommunicationRequest, which is how a clinic's FHIR server
// records a recall (RES-8): "come back by this date, for this reason".
func (m *FHIRMapped) communicationRequest(raw json.RawMessage, loc *time.Location) error {
	var c fhir.CommunicationRequest
	if err := fhirDecode(raw, m.ResourceType, &c); err != nil {
		return err
	}
	if err := m.header(c.ID, c.Meta); err != nil {
		return err
	}
	e := fhirElem("CommunicationRequest")
	rec := &RecallRecord{ExternalID: c.ID}
	var err error
	switch c.Status {
	case "draft", "active", "on-hold":
		rec.Status = RecallActive
	case "completed":
		rec.Status = RecallCompleted
	case "revoked", "entered-in-error":
		rec.Status = RecallCancelled
	case "":
		return e.dot("status").fail(hl7.CodeRequiredFieldMissing, "is missing")
	default: // unknown included: Tidings cannot tell whether to remind
		return e.dot("status").fail(hl7.CodeTableValueNotFound, "is not a status Tidings can act on")
	}
	if rec.PatientExternalID, err = fhirRef(c.Subject, fhir.TypePatient, e.dot("subject")); err != nil {
		return err
	}
	if rec.PatientExternalID == "" {
		return e.dot("subject").fail(hl7.CodeRequiredFieldMissing, "is not a reference to a Patient")
	}
	switch {
	case c.OccurrenceDateTime != "":
		rec.Due, err = fhirCivilDate(c.OccurrenceDateTime, loc, e.dot("occurrenceDateTime"))
	case c.OccurrencePeriod != nil && c.OccurrencePeriod.Start != "":
		rec.Due, err = fhirCivilDate(c.OccurrencePeriod.Start, loc, e.dot("occurrencePeriod.start"))
	case rec.Status == RecallActive:
		err = e.dot("occurrence[x]").fail(hl7.CodeRequiredFieldMissing, "is missing: an active recall needs its due date")
	}
	if err != nil {
		return err
	}
	for i := range c.ReasonCode {
		if v, at := fhirConceptName(&c.ReasonCode[i], e.dot("reasonCode").at(i)); v != "" {
			if rec.Reason, err = fhirLine(v, maxTextLength, at); err != nil {
				return err
			}
			break
		}
	}
	if rec.Reason == "" {
		for i, p := range c.Payload {
			if strings.TrimSpace(p.ContentString) == "" {
				continue
			}
			if rec.Reason, err = fhirRecallText(p.ContentString, e.dot("payload").at(i).dot("contentString")); err != nil {
				return err
			}
			break
		}
	}
	if rec.Doctor, _, err = fhirPractitioner(c.Requester, true, e.dot("requester")); err != nil {
		return err
	}
	m.Recall = rec
	return nil
}
