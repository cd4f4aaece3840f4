package compose

import (
	"slices"

	"github.com/tidings-health/tidings/internal/i18n"
)

// Kind is what a notification is about. Each kind has its own template, so that a clinic can
// reword a reminder without touching its cancellation notice.
type Kind string

// The kinds of notification, appointment notices first and then the automatic answers to an
// inbound SMS (NOT-10). Anything a patient texts that is not a keyword goes to the staff
// inbox and gets no automatic answer, so there is no kind for it.
const (
	KindConfirmation Kind = "confirmation" // the appointment was booked
	KindReminder     Kind = "reminder"     // the appointment is coming (NOT-1 offsets)
	KindReschedule   Kind = "reschedule"   // the appointment moved
	KindCancellation Kind = "cancellation" // the appointment was cancelled
	// KindReminderGroup is one reminder naming several appointments of one family on the
	// same day and agenda, sent once to the mobile they share (NOT-4).
	KindReminderGroup  Kind = "reminder_group"
	KindReplyConfirmed Kind = "reply_confirmed" // answer to C/Y: the appointment is confirmed
	KindReplyHelp      Kind = "reply_help"      // answer to HELP: who we are, the clinic's phone
	KindReplyStop      Kind = "reply_stop"      // answer to STOP: the opt-out is recorded (CON-3)
	KindReplyStart     Kind = "reply_start"     // answer to START/UNSTOP: SMS resume
	// KindInvite invites a patient to the portal (POR-7) and KindPasswordReset answers a
	// request to reset the password: e-mails only, whose {portal_link} is a single-use link.
	KindInvite        Kind = "invite"
	KindPasswordReset Kind = "password_reset"
	// KindWaitlistOffer offers a freed time to a patient on the waitlist (POR-9), with a
	// link and a reply word to claim it; KindWaitlistTaken tells the others of the wave
	// that someone claimed it first.
	KindWaitlistOffer Kind = "waitlist_offer"
	KindWaitlistTaken Kind = "waitlist_taken"
	// KindMessageAlert says that a secure message is waiting in the portal (MSG-5): never
	// its content, its subject or its author.
	KindMessageAlert Kind = "message_alert"
	// KindResultStep and KindRecallStep are the steps of a result or recall sequence
	// (RES-3). Their texts are the steps of the clinic's recall templates, not templates of
	// this editor's (so Kinds leaves them out); their {portal_link} is the single-use link
	// to the identity check, and they never state a result.
	KindResultStep Kind = "result_step"
	KindRecallStep Kind = "recall_step"
)

// StepKinds lists the kinds of sequence steps.
func StepKinds() []Kind { return []Kind{KindResultStep, KindRecallStep} }

// Kinds lists every kind in the order the dashboard shows them.
func Kinds() []Kind {
	return []Kind{KindConfirmation, KindReminder, KindReschedule, KindCancellation, KindReminderGroup,
		KindReplyConfirmed, KindReplyHelp, KindReplyStop, KindReplyStart, KindInvite, KindPasswordReset, KindWaitlistOffer, KindWaitlistTaken, KindMessageAlert}
}

// Linked reports whether a message of kind k carries a secret link minted as it is sent:
// the account e-mails' and the waitlist offers' (the notification log keeps it redacted).
func (k Kind) Linked() bool { return k.Account() || k == KindWaitlistOffer || k.Step() }

// Step reports whether k is a step of a result or recall sequence.
func (k Kind) Step() bool { return k == KindResultStep || k == KindRecallStep }

// Account reports whether k is about the patient's portal account rather than an
// appointment: sent by e-mail only, its link a secret of the recipient's.
func (k Kind) Account() bool { return k == KindInvite || k == KindPasswordReset }

// valid reports whether k is one of Kinds.
func (k Kind) valid() bool { return slices.Contains(Kinds(), k) || k.Step() }

// reply reports whether k answers an inbound SMS; such kinds exist for SMS only, since the
// answer goes back the way the question came.
func (k Kind) reply() bool {
	switch k {
	case KindReplyConfirmed, KindReplyHelp, KindReplyStop, KindReplyStart:
		return true
	}
	return false
}

// Channel is how a message reaches the patient. The values are consent's channel names, so
// the two packages agree without importing each other.
type Channel string

// The channels.
const (
	ChannelSMS   Channel = "sms"   // text only, counted in segments; the only channel patients reply on
	ChannelEmail Channel = "email" // a subject, a plain-text part and an HTML part
	ChannelPush  Channel = "push"  // Web Push to the portal: Subject is the notification's title
)

// Channels lists every channel, for the editor's tabs and for tests that cover them all.
func Channels() []Channel { return []Channel{ChannelSMS, ChannelEmail, ChannelPush} }

func (c Channel) valid() bool { return slices.Contains(Channels(), c) }

// offers reports whether a template of kind k exists on channel c: the appointment notices
// on every channel, the answers to an SMS on SMS only, the account e-mails on e-mail only.
func offers(k Kind, c Channel) bool {
	if k.Account() {
		return c == ChannelEmail
	}
	return k.valid() && c.valid() && (c == ChannelSMS || !k.reply())
}

// Template is the text of one kind of message on one channel in one language: a shipped
// default (Default) or a clinic's edited copy of it.
type Template struct {
	Kind    Kind
	Channel Channel
	// Lang is "en" or "fr" (i18n.Parse also accepts "fr-FR" and the like). It sets how
	// dates, times and lists are written.
	Lang string
	// Subject is the e-mail subject or the push notification's title; an SMS has none.
	Subject string
	// Body is the message text, with variables.
	Body string
}

// The variable names, as Variables returns them and templates write them between braces.
// They are the only facts a message can carry (see the package doc).
const (
	VarFirstName    = "first_name"
	VarClinic       = "clinic"
	VarClinicPhone  = "clinic_phone"
	VarPractitioner = "practitioner"
	VarDate         = "date"
	VarTime         = "time"
	VarPortalLink   = "portal_link"
	VarAppointments = "appointments"
	VarReplyHint    = "reply_hint"
	// VarClaimWord is the word a waitlist offer is claimed with by SMS ("BOOK 4821"): its
	// own word and number, which a reminder's C/Y reply cannot be taken for.
	VarClaimWord = "claim_word"
)

// allNames is every variable name, for recognising a known name used where it is not
// offered.
func allNames() []string {
	return []string{VarFirstName, VarClinic, VarClinicPhone, VarPractitioner, VarDate, VarTime,
		VarPortalLink, VarAppointments, VarReplyHint, VarClaimWord}
}

// Variables lists the variables a kind offers, without braces, for the editor's help text.
// reply_hint is listed for the reminders but works in SMS only: Check reports it in an
// e-mail or push template. An unknown kind offers none.
func Variables(kind Kind) []string {
	switch kind {
	case KindConfirmation, KindReschedule, KindCancellation, KindReplyConfirmed:
		return []string{VarFirstName, VarClinic, VarClinicPhone, VarPractitioner, VarDate, VarTime, VarPortalLink}
	case KindReminder:
		return []string{VarFirstName, VarClinic, VarClinicPhone, VarPractitioner, VarDate, VarTime, VarPortalLink, VarReplyHint}
	case KindReminderGroup:
		// No first_name and no time: the message is for a family, and each appointment's
		// name and time are in {appointments}.
		return []string{VarClinic, VarClinicPhone, VarPractitioner, VarDate, VarAppointments, VarPortalLink, VarReplyHint}
	case KindReplyHelp:
		return []string{VarClinic, VarClinicPhone, VarPortalLink}
	case KindReplyStop, KindReplyStart:
		return []string{VarClinic, VarClinicPhone}
	case KindInvite, KindPasswordReset:
		return []string{VarFirstName, VarClinic, VarClinicPhone, VarPortalLink}
	case KindWaitlistOffer:
		return []string{VarFirstName, VarClinic, VarClinicPhone, VarPractitioner, VarDate, VarTime, VarPortalLink, VarClaimWord}
	case KindWaitlistTaken:
		return []string{VarFirstName, VarClinic, VarClinicPhone, VarPractitioner, VarDate, VarTime, VarPortalLink}
	case KindMessageAlert:
		return []string{VarFirstName, VarClinic, VarClinicPhone, VarPortalLink}
	case KindResultStep, KindRecallStep:
		// No practitioner, date or test: who wants to see the patient is shown only after
		// the identity check the link opens.
		return []string{VarFirstName, VarClinic, VarClinicPhone, VarPortalLink}
	}
	return nil
}

// variables is what a template of kind k on channel c may use: Variables without
// reply_hint outside SMS.
func variables(k Kind, c Channel) []string {
	vs := Variables(k)
	if c != ChannelSMS {
		vs = slices.DeleteFunc(vs, func(v string) bool { return v == VarReplyHint })
	}
	return vs
}

// locale reads a template's language; ok is false for anything but English and French.
func locale(lang string) (i18n.Locale, bool) { return i18n.Parse(lang) }
