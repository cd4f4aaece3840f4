// Package fhir is Tidings' client for a clinic's FHIR R4 server: the sync reads patients,
// appointments, test results with the doctor's action on them, recalls and opt-outs from it,
// incrementally on a schedule, and writes appointments booked in Tidings back to it.
//
// It imports only the standard library and nothing else of Tidings, so the sync (a job) owns
// the mapping from these structs to the clinic model, the cursor storage and the retries.
//
// # Resources
//
// The resource structs (Patient, Appointment, DiagnosticReport, Task, CommunicationRequest,
// Consent, Bundle, OperationOutcome) hold the elements the sync needs and ignore the rest of a
// server's JSON. What the sync reads where:
//
//	Patient               identifier, name, birthDate, telecom (the destinations), communication.language
//	                      (the locale), contact (relatives), active, the opt-out extension
//	Appointment           identifier, status, start/end/minutesDuration, participant actors
//	                      (Patient/…, Practitioner/…, Location/…), serviceType and reasonCode (the reason)
//	DiagnosticReport      a result: status, code, subject, issued, resultsInterpreter
//	Task                  the doctor's action on a result: focus is the DiagnosticReport, code and
//	                      businessStatus say what to tell the patient, owner who acts
//	CommunicationRequest  a recall: subject, occurrenceDateTime (when due), reasonCode, payload
//	Consent               opt-outs, below
//
// # Opt-out
//
// A Patient is opted out when either holds:
//
//   - it carries the extension OptOutExtensionURL
//     (https://tidings.health/fhir/StructureDefinition/sms-opt-out) with valueBoolean true;
//     OptOut returns whether the extension is there at all (set) and its value;
//   - an active Consent for the patient (Consent.patient) has provision.type deny and the
//     coding ConsentCategorySystem|ConsentCategoryCode
//     (https://tidings.health/fhir/CodeSystem/consent-category|patient-communications) in its
//     scope or in one of its categories; ConsentDenies checks one Consent.
//
// Only that Tidings code counts. FHIR R4 has no standard code for contacting a patient: the
// consent scopes (http://terminology.hl7.org/CodeSystem/consentscope: adr, research,
// patient-privacy, treatment) and the usual categories (LOINC 59284-0 Patient Consent, …) are
// about treatment, research and who may see the record. Reading a privacy deny ("my ex-spouse
// may not see my record") as "do not remind me of my appointments" would be wrong both ways,
// so such Consents are ignored. The rule fails closed otherwise: a deny counts whatever its
// provision.period and nested provisions say, until the clinic sets the Consent's status to
// inactive (or rejected, or entered-in-error).
//
// The result is the opt-out flag read from the clinical software (SPEC CON-1, Facts.PMS in
// internal/consent): channel-blind, and whether it stops a message is decided there, not here.
// OptOut's set is false for a Patient without the extension; whether that means "not opted
// out" or "not readable" (CON-4) depends on the clinic's software, which the caller knows.
//
// # Incremental sync and write-back
//
// Client.Since searches _lastUpdated=gt<cursor>&_sort=_lastUpdated and returns the next
// cursor; delivery is at least once (see Since). Client.Search follows Bundle "next" links only
// on the base URL's origin (an SSRF guard) and caps the pages; every response body is capped
// (32 MiB by default). Writes are Client.CreateIfNoneExist with the identifier Tidings gave the
// appointment, so that a retried write-back does not duplicate it, and Client.Update with
// If-Match.
//
// # Errors and patient data
//
// Patient data never appears in an error string, and so never in a log line that prints one:
// an *Error names the operation, the resource type and id, the HTTP status and the
// OperationOutcome's issue codes, and keeps the whole OperationOutcome (whose diagnostics may
// quote a patient's name) in a field for staff. Transport errors lose their URL's query (a
// search by identifier names the patient), and JSON errors their quoted values (Decode,
// *DecodeError). IsRetryable tells the job queue what to retry (network, 408, 429, 5xx) and
// RetryAfter when; IsNotFound and IsConflict name the two 4xx the sync acts on.
//
// # Authentication
//
// Auth sets the Authorization header: Bearer for a fixed token, ClientCredentials for the
// OAuth 2.0 client-credentials grant, with its token cached until shortly before it expires
// and fetched again once after a 401.
package fhir
