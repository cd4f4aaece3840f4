package contact

import "errors"

// Error reports why a contact detail was rejected. It is a distinct type
// so handlers can recognise validation failures with errors.As and show
// them next to the right form field, while anything else (such as a
// misconfigured clinic region) is treated as an internal error.
//
// Neither field ever contains the rejected value: patient data must not
// leak into logs or error trackers.
type Error struct {
	// Field names the kind of detail: "mobile", "phone" or "email".
	Field string
	// Reason is a user-safe explanation phrased to follow the field name,
	// for example "is not a mobile number".
	Reason string
}

// Error returns Field and Reason joined, e.g. "mobile is not a mobile
// number", so that the message reads naturally in logs and in the UI.
func (e *Error) Error() string {
	return e.Field + " " + e.Reason
}

// ErrUnknownRegion is returned (wrapped, not as *Error) when the region
// passed to Mobile or Phone is not an ISO 3166-1 alpha-2 code the phone
// metadata knows. It signals a clinic configuration bug rather than a
// problem with what the patient typed, so it must not be shown to them.
var ErrUnknownRegion = errors.New("contact: unknown default region")
