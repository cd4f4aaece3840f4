// Package twilio sends SMS through a Twilio-compatible REST API and checks what the
// provider sends back: status callbacks and inbound messages, signed with the account's
// auth token.
//
// It is the provider side of notifications (NOT-6, NOT-7, NOT-10): the notify package owns
// the sender interface and decides what to do with each outcome; this package only reports
// outcomes precisely enough for that decision. Every error from Send and ListMessages is an
// *Error whose Kind says what the caller may do next:
//
//   - Permanent: the provider refused the message and will refuse it again (an invalid or
//     unsubscribed recipient, bad credentials). Record the failure; do not retry.
//   - Transient: the provider did not take the message (429, 503, a connection that never
//     reached it). Retry later, after RetryAfter when the provider named a time.
//   - Unknown: the request may have reached the provider, which may have accepted it, but no
//     answer came back (a timeout or a broken connection after the request was written, a
//     500/502/504, a 2xx that could not be read). Retrying blindly could send the patient
//     the message twice, so reconcile first: Reconcile looks the message up in the
//     provider's message list by recipient, body and creation date.
//
// Send makes exactly one attempt. Retrying belongs to the caller's job queue, which can
// back off durably and keep the attempt count; a retry loop in here would hide both.
//
// Errors carry the caller's reference (Message.Ref) or the provider's SID, the HTTP status
// and Twilio's numeric code, never a phone number or a body: Twilio's own error messages
// quote the number, so they are dropped, and network errors are stripped of the request URL
// (ListMessages puts the recipient in the query string).
//
// Dependency rule: standard library only; nothing of this module. The recording fake
// provider for tests is twilio/twiliotest.
package twilio
