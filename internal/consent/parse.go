package consent

import "github.com/tidings-health/tidings/internal/clinic"

// Reasons of the validation errors of the Parse functions, safe to show (they never echo the
// input) and keys of the EN/FR catalog.
const (
	PurposeReason       = "must be one of reminder, booking_notice, recall, result, message_alert, waitlist_offer, invite, account, reply"
	RecordPurposeReason = "must be one of all, reminder, booking_notice, recall, result, message_alert, waitlist_offer, invite"
	ChannelReason       = "must be one of sms, email, push"
	SourceReason        = "must be one of dashboard, portal, sms, api, import, pms"
)

// ParsePurpose reads the purpose of a message as the API writes it: exactly one of the
// Purposes values, lower case, no spaces. Anything else is a clinic.ValidationError on the
// field "purpose" (errors.Is(err, clinic.ErrInvalid)).
func ParsePurpose(s string) (Purpose, error) {
	if p := Purpose(s); p.Valid() {
		return p, nil
	}
	return "", clinic.Invalid("purpose", PurposeReason)
}

// ParseRecordPurpose reads the purpose of a consent record: a consentable purpose or "all".
// Account e-mails and replies are refused: no one can opt out of them (see the package doc).
func ParseRecordPurpose(s string) (Purpose, error) {
	if p := Purpose(s); p == PurposeAll || p.Consentable() {
		return p, nil
	}
	return "", clinic.Invalid("purpose", RecordPurposeReason)
}

// ParseChannel reads a channel: exactly "sms", "email" or "push".
func ParseChannel(s string) (Channel, error) {
	if c := Channel(s); c.Valid() {
		return c, nil
	}
	return "", clinic.Invalid("channel", ChannelReason)
}

// ParseSource reads the source of a consent record.
func ParseSource(s string) (Source, error) {
	if src := Source(s); src.Valid() {
		return src, nil
	}
	return "", clinic.Invalid("source", SourceReason)
}
