// Package webpush is the Web Push channel of the notification dispatcher (NOT-6): it sends
// an encrypted message (RFC 8291, aes128gcm) signed for the push service with VAPID
// (RFC 8292) to a subscription that the patient portal registered, and says what the
// caller should do when that fails.
//
// What the caller does with the errors of Send:
//
//   - ErrGone (404, 410): the subscription no longer exists; delete it.
//   - ErrTransient (429, 5xx, 408, 425, a network error before the request was sent): retry
//     later, after RetryAfter when the push service gave one.
//   - ErrPermanent (400, 401/403 VAPID refused, 413, an invalid subscription or push):
//     retrying will not help; fix the configuration or the message.
//   - ErrUnknown (the request was sent, then the connection failed or timed out): the push
//     may have been delivered.
//
// A push may be dropped by the push service, delayed until the device is online, or never
// shown; it is never the only channel for a time-critical reminder. Set Push.TTL so that a
// reminder expires before it stops being true.
//
// The endpoint and the keys identify a patient's device and the payload is a message to a
// patient: nothing in this package logs them, and no error carries them. Subscription,
// Push and Keys print themselves redacted.
//
// The RFC 8291 encryption and the VAPID JWT come from github.com/SherClockHolmes/webpush-go
// (v1.4.0), which this package wraps to validate inputs first, to classify failures and to
// work around its quirks: it prefixes the VAPID subject with "mailto:" unless it starts
// with "https:", so the subject is passed without its "mailto:"; it ignores its
// VapidExpiration option (the JWT always expires 12 hours after signing, within RFC 8292's
// 24 hours); and it drops an unknown Urgency silently, so Send refuses one.
//
// Dependency rule: this package imports nothing of the application; it could live in its
// own module.
package webpush
