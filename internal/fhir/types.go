package fhir

import (
	"encoding/json"
	"strconv"
	"time"
)

// The structs in this file hold the parts of FHIR R4 resources that the sync reads and the
// write-back sends; every other element of a server's JSON is ignored when decoding (and so
// is not sent back by an Update of a struct decoded from it: update what Tidings owns only,
// such as the Appointments it booked). Field names follow the FHIR element names, json tags
// are the element names exactly. Times of FHIR type instant (always with a zone) are
// time.Time; date and dateTime, which may be partial ("2024-05"), are DateTime.

// Resource is implemented by every resource struct of this package, so that Create and
// Update can name the endpoint and the JSON can carry "resourceType".
type Resource interface {
	// ResourceType is the FHIR resource type name, such as "Patient".
	ResourceType() string
}

// Meta is the resource metadata the incremental sync depends on: the version for If-Match,
// the last update for the _lastUpdated cursor.
type Meta struct {
	VersionID   string    `json:"versionId,omitempty"`
	LastUpdated time.Time `json:"lastUpdated,omitzero"`
}

// IsZero reports whether m holds nothing, so that "meta" is left out of JSON sent to a
// server (which assigns both fields itself).
func (m Meta) IsZero() bool { return m.VersionID == "" && m.LastUpdated.IsZero() }

// Coding is one code from one code system, the unit every coded element is made of.
type Coding struct {
	System       string `json:"system,omitempty"`
	Version      string `json:"version,omitempty"`
	Code         string `json:"code,omitempty"`
	Display      string `json:"display,omitempty"`
	UserSelected *bool  `json:"userSelected,omitempty"`
}

// CodeableConcept is a concept given as codes and/or text (appointment reasons, report
// codes, consent categories).
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Has reports whether c has a coding with system and code, the test every rule on coded
// elements needs.
func (c CodeableConcept) Has(system, code string) bool {
	for _, cd := range c.Coding {
		if cd.System == system && cd.Code == code {
			return true
		}
	}
	return false
}

// Reference points at another resource ("Patient/123"), by logical identifier or only by
// display text: how appointments name their patient and practitioner.
type Reference struct {
	Reference  string      `json:"reference,omitempty"`
	Type       string      `json:"type,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// Identifier is a business identifier (a medical record number, the id Tidings gave an
// appointment), the key that conditional create and patient matching use.
type Identifier struct {
	Use      string           `json:"use,omitempty"`
	Type     *CodeableConcept `json:"type,omitempty"`
	System   string           `json:"system,omitempty"`
	Value    string           `json:"value,omitempty"`
	Period   *Period          `json:"period,omitempty"`
	Assigner *Reference       `json:"assigner,omitempty"`
}

// Period is a time range with either end open.
type Period struct {
	Start DateTime `json:"start,omitempty"`
	End   DateTime `json:"end,omitempty"`
}

// HumanName is a patient's or relative's name as the clinic recorded it.
type HumanName struct {
	Use    string   `json:"use,omitempty"`
	Text   string   `json:"text,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
	Prefix []string `json:"prefix,omitempty"`
	Suffix []string `json:"suffix,omitempty"`
	Period *Period  `json:"period,omitempty"`
}

// ContactPoint is a phone number or e-mail address: where reminders go.
type ContactPoint struct {
	System string  `json:"system,omitempty"` // phone | fax | email | pager | url | sms | other
	Value  string  `json:"value,omitempty"`
	Use    string  `json:"use,omitempty"` // home | work | temp | old | mobile
	Rank   int     `json:"rank,omitempty"`
	Period *Period `json:"period,omitempty"`
}

// Extension is a FHIR extension with the value types Tidings reads (the SMS opt-out flag is
// a valueBoolean). ValueBoolean is a pointer because false and absent differ.
type Extension struct {
	URL           string      `json:"url"`
	ValueString   string      `json:"valueString,omitempty"`
	ValueBoolean  *bool       `json:"valueBoolean,omitempty"`
	ValueCode     string      `json:"valueCode,omitempty"`
	ValueCoding   *Coding     `json:"valueCoding,omitempty"`
	ValueDateTime DateTime    `json:"valueDateTime,omitempty"`
	Extension     []Extension `json:"extension,omitempty"`
}

// Annotation is a note with its author and time (Task.note: the doctor's instructions).
type Annotation struct {
	AuthorReference *Reference `json:"authorReference,omitempty"`
	AuthorString    string     `json:"authorString,omitempty"`
	Time            DateTime   `json:"time,omitempty"`
	Text            string     `json:"text"`
}

// Attachment is content by value or by URL (a CommunicationRequest payload).
type Attachment struct {
	ContentType string `json:"contentType,omitempty"`
	Language    string `json:"language,omitempty"`
	Data        []byte `json:"data,omitempty"` // base64 in JSON, as FHIR's base64Binary
	URL         string `json:"url,omitempty"`
	Title       string `json:"title,omitempty"`
}

// Patient is a person the clinic cares for: who Tidings talks to, in which language, on which
// number, with their relatives, and whether they opted out (see OptOut).
type Patient struct {
	ID            string                 `json:"id,omitempty"`
	Meta          Meta                   `json:"meta,omitzero"`
	Extension     []Extension            `json:"extension,omitempty"`
	Identifier    []Identifier           `json:"identifier,omitempty"`
	Active        *bool                  `json:"active,omitempty"`
	Name          []HumanName            `json:"name,omitempty"`
	Telecom       []ContactPoint         `json:"telecom,omitempty"`
	Gender        string                 `json:"gender,omitempty"`
	BirthDate     string                 `json:"birthDate,omitempty"` // YYYY, YYYY-MM or YYYY-MM-DD
	Contact       []PatientContact       `json:"contact,omitempty"`
	Communication []PatientCommunication `json:"communication,omitempty"`
}

// PatientContact is a relative or guardian of a patient (who may manage a child's
// appointments).
type PatientContact struct {
	Relationship []CodeableConcept `json:"relationship,omitempty"`
	Name         *HumanName        `json:"name,omitempty"`
	Telecom      []ContactPoint    `json:"telecom,omitempty"`
	Gender       string            `json:"gender,omitempty"`
	Period       *Period           `json:"period,omitempty"`
}

// PatientCommunication is a language the patient speaks: the locale of their messages.
type PatientCommunication struct {
	Language  CodeableConcept `json:"language,omitzero"`
	Preferred *bool           `json:"preferred,omitempty"`
}

// Appointment is a booking, synced from the clinic and written back when booked in Tidings.
type Appointment struct {
	ID              string                   `json:"id,omitempty"`
	Meta            Meta                     `json:"meta,omitzero"`
	Extension       []Extension              `json:"extension,omitempty"`
	Identifier      []Identifier             `json:"identifier,omitempty"`
	Status          string                   `json:"status,omitempty"` // proposed | pending | booked | arrived | fulfilled | cancelled | noshow | entered-in-error | checked-in | waitlist
	ServiceCategory []CodeableConcept        `json:"serviceCategory,omitempty"`
	ServiceType     []CodeableConcept        `json:"serviceType,omitempty"`
	AppointmentType *CodeableConcept         `json:"appointmentType,omitempty"`
	ReasonCode      []CodeableConcept        `json:"reasonCode,omitempty"`
	Description     string                   `json:"description,omitempty"`
	Start           time.Time                `json:"start,omitzero"`
	End             time.Time                `json:"end,omitzero"`
	MinutesDuration int                      `json:"minutesDuration,omitempty"`
	Created         DateTime                 `json:"created,omitempty"`
	Comment         string                   `json:"comment,omitempty"`
	Participant     []AppointmentParticipant `json:"participant,omitempty"`
}

// AppointmentParticipant is the patient, practitioner or location of an appointment.
type AppointmentParticipant struct {
	Type     []CodeableConcept `json:"type,omitempty"`
	Actor    *Reference        `json:"actor,omitempty"`
	Required string            `json:"required,omitempty"` // required | optional | information-only
	Status   string            `json:"status,omitempty"`   // accepted | declined | tentative | needs-action (required by FHIR)
}

// DiagnosticReport is a test result: what the sync turns into a result notification, once
// the doctor has acted on it (see Task).
type DiagnosticReport struct {
	ID                 string            `json:"id,omitempty"`
	Meta               Meta              `json:"meta,omitzero"`
	Extension          []Extension       `json:"extension,omitempty"`
	Identifier         []Identifier      `json:"identifier,omitempty"`
	BasedOn            []Reference       `json:"basedOn,omitempty"`
	Status             string            `json:"status,omitempty"` // registered | partial | preliminary | final | amended | corrected | appended | cancelled | entered-in-error | unknown
	Category           []CodeableConcept `json:"category,omitempty"`
	Code               CodeableConcept   `json:"code,omitzero"`
	Subject            *Reference        `json:"subject,omitempty"`
	EffectiveDateTime  DateTime          `json:"effectiveDateTime,omitempty"`
	EffectivePeriod    *Period           `json:"effectivePeriod,omitempty"`
	Issued             time.Time         `json:"issued,omitzero"`
	Performer          []Reference       `json:"performer,omitempty"`
	ResultsInterpreter []Reference       `json:"resultsInterpreter,omitempty"`
	Result             []Reference       `json:"result,omitempty"`
	Conclusion         string            `json:"conclusion,omitempty"`
	ConclusionCode     []CodeableConcept `json:"conclusionCode,omitempty"`
}

// Task is a piece of work on another resource; the sync reads the doctor's action on a result
// from it (focus is the DiagnosticReport, code and businessStatus what to do).
type Task struct {
	ID             string           `json:"id,omitempty"`
	Meta           Meta             `json:"meta,omitzero"`
	Extension      []Extension      `json:"extension,omitempty"`
	Identifier     []Identifier     `json:"identifier,omitempty"`
	BasedOn        []Reference      `json:"basedOn,omitempty"`
	Status         string           `json:"status,omitempty"` // draft | requested | received | accepted | rejected | ready | cancelled | in-progress | on-hold | failed | completed | entered-in-error
	BusinessStatus *CodeableConcept `json:"businessStatus,omitempty"`
	Intent         string           `json:"intent,omitempty"`
	Priority       string           `json:"priority,omitempty"`
	Code           *CodeableConcept `json:"code,omitempty"`
	Description    string           `json:"description,omitempty"`
	Focus          *Reference       `json:"focus,omitempty"`
	For            *Reference       `json:"for,omitempty"`
	AuthoredOn     DateTime         `json:"authoredOn,omitempty"`
	LastModified   DateTime         `json:"lastModified,omitempty"`
	Requester      *Reference       `json:"requester,omitempty"`
	Owner          *Reference       `json:"owner,omitempty"`
	Note           []Annotation     `json:"note,omitempty"`
	Input          []TaskParameter  `json:"input,omitempty"`
}

// TaskParameter is one input of a Task (such as the message the doctor wants sent), with the
// value types seen in practice.
type TaskParameter struct {
	Type                 CodeableConcept  `json:"type,omitzero"`
	ValueString          string           `json:"valueString,omitempty"`
	ValueBoolean         *bool            `json:"valueBoolean,omitempty"`
	ValueInteger         *int             `json:"valueInteger,omitempty"`
	ValueCode            string           `json:"valueCode,omitempty"`
	ValueDateTime        DateTime         `json:"valueDateTime,omitempty"`
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
	ValueReference       *Reference       `json:"valueReference,omitempty"`
}

// CommunicationRequest asks for a message to be sent to a patient: how a clinic records a
// recall ("come back in six months").
type CommunicationRequest struct {
	ID                 string                        `json:"id,omitempty"`
	Meta               Meta                          `json:"meta,omitzero"`
	Extension          []Extension                   `json:"extension,omitempty"`
	Identifier         []Identifier                  `json:"identifier,omitempty"`
	BasedOn            []Reference                   `json:"basedOn,omitempty"`
	Status             string                        `json:"status,omitempty"` // draft | active | on-hold | revoked | completed | entered-in-error | unknown
	Category           []CodeableConcept             `json:"category,omitempty"`
	Priority           string                        `json:"priority,omitempty"`
	Medium             []CodeableConcept             `json:"medium,omitempty"`
	Subject            *Reference                    `json:"subject,omitempty"`
	Recipient          []Reference                   `json:"recipient,omitempty"`
	Payload            []CommunicationRequestPayload `json:"payload,omitempty"`
	OccurrenceDateTime DateTime                      `json:"occurrenceDateTime,omitempty"`
	OccurrencePeriod   *Period                       `json:"occurrencePeriod,omitempty"`
	AuthoredOn         DateTime                      `json:"authoredOn,omitempty"`
	Requester          *Reference                    `json:"requester,omitempty"`
	ReasonCode         []CodeableConcept             `json:"reasonCode,omitempty"`
}

// CommunicationRequestPayload is what the message should say or refer to.
type CommunicationRequestPayload struct {
	ContentString     string      `json:"contentString,omitempty"`
	ContentAttachment *Attachment `json:"contentAttachment,omitempty"`
	ContentReference  *Reference  `json:"contentReference,omitempty"`
}

// Consent is a patient's recorded choice; an active deny for patient communications is an
// opt-out (see ConsentDenies).
type Consent struct {
	ID         string            `json:"id,omitempty"`
	Meta       Meta              `json:"meta,omitzero"`
	Extension  []Extension       `json:"extension,omitempty"`
	Identifier []Identifier      `json:"identifier,omitempty"`
	Status     string            `json:"status,omitempty"` // draft | proposed | active | rejected | inactive | entered-in-error
	Scope      CodeableConcept   `json:"scope,omitzero"`
	Category   []CodeableConcept `json:"category,omitempty"`
	Patient    *Reference        `json:"patient,omitempty"`
	DateTime   DateTime          `json:"dateTime,omitempty"`
	Provision  *ConsentProvision `json:"provision,omitempty"`
}

// ConsentProvision is the rule of a Consent: permit or deny, with nested exceptions.
type ConsentProvision struct {
	Type      string             `json:"type,omitempty"` // deny | permit
	Period    *Period            `json:"period,omitempty"`
	Action    []CodeableConcept  `json:"action,omitempty"`
	Purpose   []Coding           `json:"purpose,omitempty"`
	Provision []ConsentProvision `json:"provision,omitempty"`
}

// Bundle is a search result page. Entries keep their resource as raw JSON, since a page mixes
// resource types (matches, _include'd resources, an OperationOutcome) and the caller decodes
// each as its type says.
type Bundle struct {
	ID    string        `json:"id,omitempty"`
	Meta  Meta          `json:"meta,omitzero"`
	Type  string        `json:"type,omitempty"` // searchset for a search
	Total *int          `json:"total,omitempty"`
	Link  []BundleLink  `json:"link,omitempty"`
	Entry []BundleEntry `json:"entry,omitempty"`
}

// BundleLink is a link of a Bundle; relation "next" is the next page of a search.
type BundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

// BundleEntry is one resource of a Bundle.
type BundleEntry struct {
	FullURL  string             `json:"fullUrl,omitempty"`
	Resource json.RawMessage    `json:"resource,omitempty"`
	Search   *BundleEntrySearch `json:"search,omitempty"`
}

// BundleEntrySearch says why an entry is in a searchset: "match", "include" or "outcome".
type BundleEntrySearch struct {
	Mode  string   `json:"mode,omitempty"`
	Score *float64 `json:"score,omitempty"`
}

// OperationOutcome is a FHIR server's account of an error (or warnings). It may quote
// patient data in its diagnostics, so *Error keeps it for staff but does not print it.
type OperationOutcome struct {
	ID    string                  `json:"id,omitempty"`
	Issue []OperationOutcomeIssue `json:"issue,omitempty"`
}

// OperationOutcomeIssue is one problem: Code is from FHIR's issue-type code system
// ("not-found", "conflict", "invalid", …) and safe to log; Diagnostics and Details are not.
type OperationOutcomeIssue struct {
	Severity    string           `json:"severity,omitempty"` // fatal | error | warning | information
	Code        string           `json:"code,omitempty"`
	Details     *CodeableConcept `json:"details,omitempty"`
	Diagnostics string           `json:"diagnostics,omitempty"`
	Expression  []string         `json:"expression,omitempty"`
	Location    []string         `json:"location,omitempty"`
}

// The resource type names, for Search, Since and Read.
const (
	TypePatient              = "Patient"
	TypeAppointment          = "Appointment"
	TypeDiagnosticReport     = "DiagnosticReport"
	TypeTask                 = "Task"
	TypeCommunicationRequest = "CommunicationRequest"
	TypeConsent              = "Consent"
	TypeBundle               = "Bundle"
	TypeOperationOutcome     = "OperationOutcome"
)

// ResourceType implements Resource.
func (Patient) ResourceType() string { return TypePatient }

// ResourceType implements Resource.
func (Appointment) ResourceType() string { return TypeAppointment }

// ResourceType implements Resource.
func (DiagnosticReport) ResourceType() string { return TypeDiagnosticReport }

// ResourceType implements Resource.
func (Task) ResourceType() string { return TypeTask }

// ResourceType implements Resource.
func (CommunicationRequest) ResourceType() string { return TypeCommunicationRequest }

// ResourceType implements Resource.
func (Consent) ResourceType() string { return TypeConsent }

// ResourceType implements Resource.
func (Bundle) ResourceType() string { return TypeBundle }

// ResourceType implements Resource.
func (OperationOutcome) ResourceType() string { return TypeOperationOutcome }

// MarshalJSON adds "resourceType", which every FHIR resource's JSON must carry.
func (r Patient) MarshalJSON() ([]byte, error) {
	type plain Patient
	return withType(TypePatient, plain(r))
}

// MarshalJSON adds "resourceType", which every FHIR resource's JSON must carry.
func (r Appointment) MarshalJSON() ([]byte, error) {
	type plain Appointment
	return withType(TypeAppointment, plain(r))
}

// MarshalJSON adds "resourceType", which every FHIR resource's JSON must carry.
func (r DiagnosticReport) MarshalJSON() ([]byte, error) {
	type plain DiagnosticReport
	return withType(TypeDiagnosticReport, plain(r))
}

// MarshalJSON adds "resourceType", which every FHIR resource's JSON must carry.
func (r Task) MarshalJSON() ([]byte, error) {
	type plain Task
	return withType(TypeTask, plain(r))
}

// MarshalJSON adds "resourceType", which every FHIR resource's JSON must carry.
func (r CommunicationRequest) MarshalJSON() ([]byte, error) {
	type plain CommunicationRequest
	return withType(TypeCommunicationRequest, plain(r))
}

// MarshalJSON adds "resourceType", which every FHIR resource's JSON must carry.
func (r Consent) MarshalJSON() ([]byte, error) {
	type plain Consent
	return withType(TypeConsent, plain(r))
}

// MarshalJSON adds "resourceType", which every FHIR resource's JSON must carry.
func (r Bundle) MarshalJSON() ([]byte, error) {
	type plain Bundle
	return withType(TypeBundle, plain(r))
}

// MarshalJSON adds "resourceType", which every FHIR resource's JSON must carry.
func (r OperationOutcome) MarshalJSON() ([]byte, error) {
	type plain OperationOutcome
	return withType(TypeOperationOutcome, plain(r))
}

// withType marshals v, a struct, and puts "resourceType":typ first in its object.
func withType(typ string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(b)+len(typ)+18)
	out = append(out, `{"resourceType":`...)
	out = strconv.AppendQuote(out, typ)
	if len(b) > 2 { // not "{}"
		out = append(out, ',')
	}
	return append(out, b[1:]...), nil
}
