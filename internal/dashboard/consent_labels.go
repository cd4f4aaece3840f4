package dashboard

import (
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
)

// The consent pages' labels: English catalog keys, translated by the templates; a test
// checks the French catalog has each (TestConsentLabelsTranslated). The consent package's own
// labels are lower-case words for the middle of its sentences; these head columns and fill
// menus.

func channelName(c consent.Channel) string {
	switch c {
	case consent.ChannelSMS:
		return "SMS"
	case consent.ChannelEmail:
		return "E-mail"
	case consent.ChannelPush:
		return "Push notifications"
	}
	return string(c)
}

func purposeName(p consent.Purpose) string {
	switch p {
	case consent.PurposeReminder:
		return "Reminders"
	case consent.PurposeBookingNotice:
		return "Booking notices"
	case consent.PurposeRecall:
		return "Recalls"
	case consent.PurposeResult:
		return "Result messages"
	case consent.PurposeMessageAlert:
		return "New-message alerts"
	case consent.PurposeWaitlistOffer:
		return "Waitlist offers"
	case consent.PurposeInvite:
		return "Portal invitations"
	case consent.PurposeAccount:
		return "Account e-mails"
	case consent.PurposeReply:
		return "Replies"
	case consent.PurposeAll:
		return "All messages"
	}
	return string(p)
}

func sourceName(s consent.Source) string {
	switch s {
	case consent.SourceDashboard:
		return "the dashboard"
	case consent.SourcePortal:
		return "the patient portal"
	case consent.SourceSMS:
		return "an SMS reply"
	case consent.SourceAPI:
		return "the API"
	case consent.SourceImport:
		return "an import"
	case consent.SourcePMS:
		return "the clinical software"
	}
	return string(s)
}

func noticeName(n consent.Notice) string {
	switch n {
	case consent.NoticeConfirmation:
		return "Confirmation"
	case consent.NoticeReschedule:
		return "Reschedule notice"
	case consent.NoticeCancellation:
		return "Cancellation notice"
	}
	return string(n)
}

func resultName(r consent.Result) string {
	switch r {
	case consent.Pass:
		return "passes"
	case consent.Block:
		return "blocks"
	case consent.Skip:
		return "does not apply"
	}
	return r.String()
}

func profileName(p clinic.SoftwareProfile) string {
	switch p {
	case clinic.ProfileGeneric:
		return "Generic"
	case clinic.ProfileBestPractice:
		return "Best Practice"
	case clinic.ProfileMedicalDirector:
		return "MedicalDirector"
	case clinic.ProfileZedmed:
		return "Zedmed"
	case clinic.ProfileOptomate:
		return "Optomate"
	}
	return string(p)
}

// choice is one entry of a menu whose values are words (purposes, channels), not ids.
type choice struct {
	Value    string
	Label    string
	Selected bool
}

func choices[T ~string](values []T, label func(T) string, selected string) []choice {
	out := make([]choice, len(values))
	for i, v := range values {
		out[i] = choice{Value: string(v), Label: label(v), Selected: string(v) == selected}
	}
	return out
}

// consentPurposes are the purposes a patient can opt in or out of (CON-3), in display order.
func consentPurposes() []consent.Purpose {
	var out []consent.Purpose
	for _, p := range consent.Purposes() {
		if p.Consentable() {
			out = append(out, p)
		}
	}
	return out
}

// when is an instant as a short date in the page's zone and language, "" for none.
func (f frame) when(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return f.stamp(*t)
}
