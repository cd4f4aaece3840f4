// Package contact validates and normalises the contact details patients
// give a clinic: mobile numbers (where Tidings sends SMS reminders),
// general phone numbers, and e-mail addresses. Each function returns the
// canonical form to store (E.164 for phone numbers, a trimmed address
// with a lower-cased domain for e-mail) so that duplicates are detected
// and messages are routed reliably.
//
// Errors are *Error values whose text is safe to show to the patient and
// to write to logs: they never contain the rejected input, because that
// input is patient data.
//
// Dependency rule: this package may import only the standard library and
// github.com/nyaruka/phonenumbers. It must not import any other package of
// this module (nothing under github.com/tidings-health/tidings), so that
// handlers, importers and jobs can all share it without cycles.
package contact
