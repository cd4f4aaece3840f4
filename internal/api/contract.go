package api

import (
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/contact"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/sendtime"
	"github.com/tidings-health/tidings/internal/store"
)

// The contract of the wire types beyond their Go types: which request fields are required,
// the values a field may take, and its bounds, as the use cases check them. The OpenAPI
// document carries them (schemaGen), so a client can validate before sending.
//
// They are written here, beside the document, rather than in struct tags, because several
// request types are the use cases' own (directory.ClinicInput, patient.Input, ...), which
// must not know about the API. Bounds name the use cases' constants where there is one.
// TestContractsMatchTypes fails on a rule for a field that does not exist and on a string
// field of a request without a bound, so the two cannot drift apart silently.

// need says when a request field must be sent.
type need int

const (
	optional need = iota
	onCreate      // by a POST; a PATCH of the same schema may leave it out
	always        // by every request with this body
)

// fieldRule is one field's contract. For an array, enum, bounds of length, pattern and
// format apply to its items.
type fieldRule struct {
	required    need
	enum        []any
	minLength   int
	maxLength   int
	minimum     *int64
	maximum     *int64
	minItems    int
	maxItems    int
	format      string // JSON Schema format: date-time, date, uri
	pattern     string
	description string
}

// contract is one schema's rules. request marks a request body: its required fields are
// the rules' alone (a Go zero value does not say whether a client may leave a field out);
// a response's are the fields it always writes.
type contract struct {
	request bool
	fields  map[string]fieldRule
}

// apply adds r to the generated schema s of a field.
func (r fieldRule) apply(s map[string]any, request bool) map[string]any {
	out := map[string]any{}
	for k, v := range s {
		out[k] = v
	}
	nullable := false
	if ts, ok := out["type"].([]string); ok {
		nullable = true
		if request && r.required == always {
			// null reads as absent, which a required field cannot be.
			out["type"], nullable = ts[0], false
		}
	}
	target := out
	if out["type"] == "array" || isArrayOf(out["type"]) {
		items := map[string]any{}
		if it, ok := out["items"].(map[string]any); ok {
			for k, v := range it {
				items[k] = v
			}
		}
		out["items"], target, nullable = items, items, false
		if r.minItems > 0 {
			out["minItems"] = r.minItems
		}
		if r.maxItems > 0 {
			out["maxItems"] = r.maxItems
		}
	}
	if len(r.enum) > 0 {
		enum := append([]any{}, r.enum...)
		if nullable {
			enum = append(enum, nil)
		}
		target["enum"] = enum
	}
	if r.minLength > 0 {
		target["minLength"] = r.minLength
	}
	if r.maxLength > 0 {
		target["maxLength"] = r.maxLength
	}
	if r.minimum != nil {
		target["minimum"] = *r.minimum
	}
	if r.maximum != nil {
		target["maximum"] = *r.maximum
	}
	if r.format != "" {
		target["format"] = r.format
	}
	if r.pattern != "" {
		target["pattern"] = r.pattern
	}
	if r.description != "" {
		out["description"] = r.description
	}
	return out
}

func isArrayOf(t any) bool {
	ts, ok := t.([]string)
	return ok && len(ts) > 0 && ts[0] == "array"
}

// Helpers that keep the table readable.

func bounded(max int) fieldRule { return fieldRule{maxLength: max} }

func named(max int, n need) fieldRule { return fieldRule{required: n, minLength: 1, maxLength: max} }

func idField(n need) fieldRule { return fieldRule{required: n, minimum: ptr(1)} }

func instantField(n need) fieldRule { return fieldRule{required: n, format: "date-time"} }

func rangeOf(lo, hi int64, n need) fieldRule {
	return fieldRule{required: n, minimum: ptr(lo), maximum: ptr(hi)}
}

func oneOf[T ~string](n need, vs ...T) fieldRule {
	r := fieldRule{required: n}
	for _, v := range vs {
		r.enum = append(r.enum, string(v))
	}
	return r
}

func ptr(v int64) *int64 { return &v }

// versionField is the optimistic-concurrency token every change of an appointment sends back.
var versionField = fieldRule{required: always, minimum: ptr(1), description: "the version you read: a change made meanwhile is refused (409)"}

// clockField is a wall-clock time of the clinic ("9:30", "09:30"; "24:00" as an end).
var clockField = fieldRule{pattern: `^([01]?[0-9]|2[0-4]):[0-5][0-9]$`, description: "wall-clock time in the clinic's zone, HH:MM"}

// Patterns shared by requests and responses.
const (
	slugPattern   = `^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$`
	regionPattern = `^[A-Za-z]{2}$`
	langPattern   = `^[A-Za-z]{2}$`
)

// The most characters a name of the directory, a clinic's address, a reminder offset and a
// template's language may have: the use cases' limits (directory.applyClinic and the like
// write them as literals).
const (
	maxDirectoryName = 200
	maxAddress       = 500
	maxZone          = 64 // the longest IANA zone name is 32 characters
	maxOffset        = 32
	maxLang          = 35 // a BCP 47 tag such as fr-FR (only its language is kept)
	maxCursor        = 64
)

func withRequired(r fieldRule, n need) fieldRule { r.required = n; return r }

func described(r fieldRule, d string) fieldRule { r.description = d; return r }

// contracts are the rules of every request body and the enums and bounds of responses,
// by schema name.
var contracts = map[string]contract{
	// Requests.
	"AbsenceInput": {request: true, fields: map[string]fieldRule{
		"practitioner_id": idField(always), "start": instantField(always), "end": instantField(always), "note": bounded(booking.MaxScheduleNote)}},
	"AgendaChannelsInput": {request: true, fields: map[string]fieldRule{
		"rows": described(fieldRule{required: always}, "one row per agenda to save")}},
	"AgendaChannelsRow": {request: true, fields: map[string]fieldRule{
		"agenda_id": idField(always), "off": described(oneOf(always, consent.Channels()...), "the channels switched off, [] for none")}},
	"AgendaInput": {request: true, fields: map[string]fieldRule{
		"clinic_id": idField(onCreate), "name": named(maxDirectoryName, onCreate),
		"practitioner_id": described(fieldRule{minimum: ptr(0)}, "0 detaches the practitioner (a room)")}},
	"AppointmentUpdate": {request: true, fields: map[string]fieldRule{
		"version": versionField, "note": bounded(booking.MaxNote), "external_id": bounded(booking.MaxExternalID)}},
	"BookingInput": {request: true, fields: map[string]fieldRule{
		"reason_id": idField(always), "patient_id": idField(always), "start": instantField(always),
		"agenda_id":           described(idField(optional), "absent: the first agenda free at start (no preference)"),
		"agenda_ids":          described(fieldRule{minimum: ptr(1)}, "with no agenda_id: the candidates (absent: every agenda offering the reason)"),
		"booked_by":           described(oneOf(optional, clinic.BookedByStaff), "appointments from the clinical software come through the sync"),
		"note":                bounded(booking.MaxNote),
		"allow_outside_hours": described(fieldRule{}, "true: book even outside the agenda's working hours or off the grid of start times (else 409 naming start)")}},
	"CancelInput": {request: true, fields: map[string]fieldRule{"version": versionField,
		"reason": described(bounded(booking.MaxCancelReason), "why it is cancelled, kept in the appointment's history (optional)")}},
	"ClinicInput": {request: true, fields: map[string]fieldRule{
		"database_id": idField(onCreate), "name": named(maxDirectoryName, onCreate),
		"slug":    fieldRule{required: onCreate, minLength: 2, maxLength: 63, pattern: slugPattern},
		"zone":    described(fieldRule{required: onCreate, minLength: 1, maxLength: maxZone}, "IANA time zone, such as Australia/Sydney"),
		"region":  described(fieldRule{required: onCreate, pattern: regionPattern}, "two-letter country code, such as AU"),
		"address": bounded(maxAddress)}},
	"RulesInput": {request: true, fields: map[string]fieldRule{
		"horizon_days":        rangeOf(1, directory.MaxHorizonDays, optional),
		"min_notice_hours":    rangeOf(0, directory.MaxNoticeHours, optional),
		"cancel_notice_hours": rangeOf(0, directory.MaxNoticeHours, optional),
		"grid_minutes":        described(fieldRule{enum: []any{0, 15, 30, 60}}, "0: start times follow each reason's own duration")}},
	"ConsentInput": {request: true, fields: map[string]fieldRule{
		"channel": oneOf(always, consent.Channels()...), "purpose": oneOf(always, recordPurposes()...), "opt_in": {required: always}}},
	"DatabaseInput": {request: true, fields: map[string]fieldRule{
		"name": named(maxDirectoryName, onCreate), "kind": oneOf(onCreate, clinic.DatabaseKinds()...),
		"software_profile": oneOf(onCreate, clinic.SoftwareProfiles()...),
		"confirm_shared":   described(fieldRule{}, "confirms a respect_opt_out change of a database several clinics share (CON-2)")}},
	"DryRunInput": {request: true, fields: map[string]fieldRule{"respect_opt_out": {required: always}}},
	"ExceptionInput": {request: true, fields: map[string]fieldRule{
		"day": {required: always, format: "date"}, "start": clockField, "end": described(clockField, "with start: hours added that day, HH:MM"),
		"note": bounded(booking.MaxScheduleNote)}},
	"ExplainInput": {request: true, fields: map[string]fieldRule{
		"purpose": oneOf(always, consent.Purposes()...), "channel": oneOf(always, consent.Channels()...),
		"notice":    described(oneOf(optional, consent.Notices()...), "required for a booking_notice"),
		"agenda_id": idField(optional), "reason_id": idField(optional),
		"booked_by": oneOf(optional, clinic.BookedByStaff, clinic.BookedByPatient, clinic.BookedBySync),
		"status":    oneOf(optional, clinic.Statuses()...)}},
	"MarkReadInput": {request: true, fields: map[string]fieldRule{"ids": {required: always, minimum: ptr(1)}}},
	"MessagingSettingsInput": {request: true, fields: map[string]fieldRule{
		"staff_start":      described(fieldRule{required: always}, "MSG-1: healthcare professionals may start conversations"),
		"staff_start_all":  described(fieldRule{required: always}, "every professional may start; false: those of start_list"),
		"start_list":       described(fieldRule{minimum: ptr(1)}, "users (healthcare professionals) who may start when not all; absent: none"),
		"incoming":         described(fieldRule{required: always}, "MSG-2: patients and other clinics may start or hand over conversations"),
		"incoming_all":     described(fieldRule{required: always}, "every professional answers them; false: those of answer_list"),
		"answer_list":      described(fieldRule{minimum: ptr(1)}, "users (healthcare professionals) who answer when not all; absent: none"),
		"portal_button":    described(fieldRule{required: always}, `MSG-3: the portal's "New message" button is active (shown only with incoming)`),
		"reception_triage": described(fieldRule{required: always}, "reception, appointment managers and administrators read and assign conversations without answering"),
		"staff_digest":     described(fieldRule{required: always}, "staff get an e-mail digest of unread messages")}},
	"ConversationInput": {request: true, fields: map[string]fieldRule{
		"clinic_id": idField(always), "patient_id": idField(always), "subject": named(messaging.MaxSubject, always),
		"body": described(named(messaging.MaxBody, always), "the first message, stored as sent (pages render it escaped)")}},
	"MessageInput": {request: true, fields: map[string]fieldRule{
		"body": described(named(messaging.MaxBody, always), "stored as sent (pages render it escaped)")}},
	"ConversationReadInput": {request: true, fields: map[string]fieldRule{"up_to": described(idField(optional), "the last message read; absent: all of them")}},
	"AssignInput":           {request: true, fields: map[string]fieldRule{"user_id": described(fieldRule{minimum: ptr(0)}, "a professional who may answer the clinic's conversations; 0 or absent: nobody")}},
	"HandoverInput": {request: true, fields: map[string]fieldRule{
		"clinic_id":    described(idField(optional), "a clinic of this organisation: the conversation moves there"),
		"organisation": described(fieldRule{pattern: slugPattern, maxLength: 63}, "another organisation's address: a copy goes to its record of the same patient, and this conversation is closed"),
		"clinic":       described(fieldRule{pattern: slugPattern, maxLength: 63}, "with organisation: its clinic's address")}},
	"NotificationSettings": {request: true, fields: map[string]fieldRule{
		"channels":         oneOf(always, consent.Channels()...),
		"reminder_offsets": {required: always, maxItems: sendtime.MaxOffsets, maxLength: maxOffset, description: `before the appointment: "72h", "2h", or a day and a time such as "1d@10:00"`},
		"grace_seconds":    rangeOf(0, int64(notify.MaxGrace.Seconds()), always),
		"window_from":      withRequired(clockField, always), "window_to": withRequired(clockField, always),
		"sms_budget":       described(rangeOf(0, notify.MaxSMSBudget, always), "segments a month, 0 for no limit"),
		"remind_confirmed": {required: always}, "ask_reply": {required: always},
		"phone": bounded(contact.MaxPhoneInputLength)}},
	"NotificationsInput": {request: true, fields: map[string]fieldRule{"on": {required: always}}},
	"PatientInput": {request: true, fields: map[string]fieldRule{
		"database_id": idField(onCreate), "given_name": named(patient.MaxName, onCreate), "family_name": named(patient.MaxName, onCreate),
		"external_id": bounded(patient.MaxExternalID),
		"birth_date":  described(fieldRule{pattern: `^([0-9]{4}-[0-9]{2}-[0-9]{2})?$`}, "YYYY-MM-DD; empty clears it"),
		"mobile":      described(bounded(contact.MaxPhoneInputLength), "national or international; stored in E.164; empty clears it"),
		"email":       described(bounded(contact.MaxEmailLength), "empty clears it"),
		"language":    fieldRule{pattern: langPattern}}},
	"PatientSearch": {request: true, fields: map[string]fieldRule{
		"name": bounded(patient.MaxSearchLen), "mobile": bounded(contact.MaxPhoneInputLength), "email": bounded(contact.MaxEmailLength),
		"database_id": idField(optional), "limit": rangeOf(1, 500, optional), "cursor": bounded(maxCursor)}},
	"PractitionerInput": {request: true, fields: map[string]fieldRule{
		"name": named(maxDirectoryName, onCreate), "title": bounded(maxDirectoryName)}},
	"ReasonInput": {request: true, fields: map[string]fieldRule{
		"clinic_id": idField(onCreate), "name": named(maxDirectoryName, onCreate),
		"duration_minutes":     rangeOf(directory.MinDuration, directory.MaxDuration, onCreate),
		"buffer_after_minutes": rangeOf(0, directory.MaxBufferAfter, optional),
		"online_for":           oneOf(optional, clinic.OnlineForAll, clinic.OnlineForExisting, clinic.OnlineForNew),
		"agenda_ids":           described(fieldRule{minimum: ptr(1)}, "replaces the agendas offering the reason; absent: unchanged")}},
	"RelativeInput": {request: true, fields: map[string]fieldRule{
		"relative_id": idField(always), "relationship": oneOf(always, relationships()...)}},
	"RescheduleInput": {request: true, fields: map[string]fieldRule{
		"start": instantField(always), "version": versionField, "agenda_id": described(idField(optional), "absent: the same agenda"),
		"allow_outside_hours": described(fieldRule{}, "true: move even outside the agenda's working hours or off the grid of start times (else 409 naming start)")}},
	"SMSAccountInput": {request: true, fields: map[string]fieldRule{
		"clinic_id":   described(fieldRule{minimum: ptr(0)}, "0: the organisation's account"),
		"base_url":    described(fieldRule{format: "uri", maxLength: 2048}, "https:// (default https://api.twilio.com)"),
		"account_sid": fieldRule{required: always, pattern: `^[A-Z]{2}[0-9a-fA-F]{32}$`},
		"auth_token":  fieldRule{required: always, minLength: 8, maxLength: 128},
		"sender":      described(fieldRule{required: always, minLength: 1, maxLength: 16}, "a phone number in international form or an alphanumeric sender ID of at most 11 characters"),
		"failover":    described(fieldRule{}, "the account used when the primary one fails")}},
	"StatusInput": {request: true, fields: map[string]fieldRule{"status": oneOf(always, clinic.Statuses()...), "version": versionField}},
	"TemplateInput": {request: true, fields: map[string]fieldRule{
		"kind": oneOf(always, compose.Kinds()...), "channel": oneOf(always, compose.Channels()...),
		"lang":    withRequired(fieldRule{minLength: 2, maxLength: maxLang}, always),
		"subject": bounded(compose.MaxSubject), "body": described(bounded(compose.MaxBody), "empty: back to the text Tidings ships")}},
	"WorkingHours": {request: true, fields: map[string]fieldRule{"hours": {required: always}}},
	"HoursInterval": {request: true, fields: map[string]fieldRule{
		"weekday": described(rangeOf(0, 6, always), "0 is Sunday"), "start": withRequired(clockField, always), "end": withRequired(clockField, always)}},

	// Responses: the values and bounds of what the API writes.
	"Absence":     {fields: map[string]fieldRule{"note": bounded(booking.MaxScheduleNote)}},
	"Agenda":      {fields: map[string]fieldRule{"name": bounded(maxDirectoryName)}},
	"Warning":     {fields: map[string]fieldRule{"code": described(oneOf(optional, "same_day"), "same_day: the patient already has an active appointment at the clinic that local day (appointment_ids)")}},
	"Appointment": {fields: map[string]fieldRule{"status": oneOf(optional, clinic.Statuses()...), "booked_by": oneOf(optional, clinic.BookedByStaff, clinic.BookedByPatient, clinic.BookedBySync), "note": bounded(booking.MaxNote), "external_id": bounded(booking.MaxExternalID)}},
	"Conversation": {fields: map[string]fieldRule{"started_by": oneOf(optional, store.ByStaff, store.ByPatient, store.ByClinic),
		"state":  oneOf(optional, store.ConversationOpen, store.ConversationClosed),
		"unread": described(fieldRule{}, "in lists: the messages the caller has not read")}},
	"Message": {fields: map[string]fieldRule{"author": oneOf(optional, store.ByStaff, store.ByPatient, store.BySystem),
		"body": described(fieldRule{}, "as sent: render it escaped")}},
	"AttachmentInfo": {fields: map[string]fieldRule{"content_type": oneOf(optional, messaging.AttachmentTypes...)}},
	"Clinic":         {fields: map[string]fieldRule{"name": bounded(maxDirectoryName), "address": bounded(maxAddress), "slug": {pattern: slugPattern}, "region": {pattern: regionPattern}}},
	"ConsentRecord": {fields: map[string]fieldRule{"channel": oneOf(optional, consent.Channels()...), "purpose": oneOf(optional, recordPurposes()...),
		"source": oneOf(optional, consent.Sources()...)}},
	"Database":  {fields: map[string]fieldRule{"name": bounded(maxDirectoryName), "kind": oneOf(optional, clinic.DatabaseKinds()...), "software_profile": oneOf(optional, clinic.SoftwareProfiles()...)}},
	"Decision":  {fields: map[string]fieldRule{"outcome": oneOf(optional, consent.Outcomes()...)}},
	"Exception": {fields: map[string]fieldRule{"day": {format: "date"}, "start": clockField, "end": clockField, "note": bounded(booking.MaxScheduleNote)}},
	"FirstAvailable": {fields: map[string]fieldRule{
		"start":       described(fieldRule{}, "the instant, in UTC"),
		"zone":        described(fieldRule{}, "the clinic's IANA time zone"),
		"local_start": described(fieldRule{pattern: `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$`}, "the same moment on the clinic's wall clock (in zone), without an offset: not an instant")}},
	"AvailabilityResult": {fields: map[string]fieldRule{"zone": described(fieldRule{}, "the clinic's IANA time zone; slots are instants in UTC")}},
	"AgendaAvailability": {fields: map[string]fieldRule{
		"slots":   described(fieldRule{}, "format=times: the free start times, instants in UTC ([] when none)"),
		"offsets": described(fieldRule{}, "format=offsets: the free start times in seconds after from ([] when none)")}},
	"Notification":   {fields: map[string]fieldRule{"channel": oneOf(optional, consent.Channels()...), "purpose": oneOf(optional, consent.Purposes()...), "state": oneOf(optional, notifyStates...)}},
	"Patient":        {fields: map[string]fieldRule{"given_name": bounded(patient.MaxName), "family_name": bounded(patient.MaxName), "external_id": bounded(patient.MaxExternalID)}},
	"Practitioner":   {fields: map[string]fieldRule{"name": bounded(maxDirectoryName), "title": bounded(maxDirectoryName)}},
	"Reason":         {fields: map[string]fieldRule{"name": bounded(maxDirectoryName), "online_for": oneOf(always, clinic.OnlineForAll, clinic.OnlineForExisting, clinic.OnlineForNew)}},
	"Relative":       {fields: map[string]fieldRule{"relationship": oneOf(optional, relationships()...)}},
	"StoredDecision": {fields: map[string]fieldRule{"outcome": oneOf(optional, consent.Outcomes()...), "channel": oneOf(optional, consent.Channels()...), "purpose": oneOf(optional, consent.Purposes()...)}},
	"Template":       {fields: map[string]fieldRule{"kind": oneOf(optional, compose.Kinds()...), "channel": oneOf(optional, compose.Channels()...), "lang": oneOf(optional, locales()...)}},
}

// recordPurposes are the purposes a consent record may name: those consent covers, and all.
func recordPurposes() []consent.Purpose {
	var out []consent.Purpose
	for _, p := range consent.Purposes() {
		if p.Consentable() {
			out = append(out, p)
		}
	}
	return append(out, consent.PurposeAll)
}

func relationships() []clinic.Relationship {
	return []clinic.Relationship{clinic.RelParent, clinic.RelChild, clinic.RelSpouse, clinic.RelGuardian, clinic.RelOther}
}

func locales() []string {
	var out []string
	for _, l := range i18n.Locales() {
		out = append(out, l.String())
	}
	return out
}
