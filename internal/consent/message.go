package consent

import (
	"strconv"
	"strings"
	"time"
)

// The sentences of the communication log, one per outcome (and per case where staff act
// differently). They are keys of the EN/FR catalog (internal/i18n/fr.po): {0}, {1}… are
// arguments, themselves keys below (labels, ages) or status values that are keys already.
const (
	MsgAllowed             = "Allowed: consent and every notification switch permit this message."
	MsgAllowedOverPMS      = "Allowed: the patient opted in through {0} ({1}), which overrides the opt-out in the clinical software."
	MsgAllowedBookedOnline = "Allowed: the patient booked online, so the agenda and patient switches do not apply."
	MsgInvalidFacts        = "Not sent: the facts for this decision are incomplete or invalid."
	MsgNotUpcoming         = "Not sent: the appointment is no longer upcoming (status {0})."
	MsgNotCancelled        = "Not sent: the appointment is no longer cancelled (status {0}), so this cancellation notice is out of date."
	MsgSwitchedOffReason   = "Not sent: notifications are switched off for this appointment's reason."
	MsgSwitchedOffAgenda   = "Not sent: notifications by {0} are switched off for this agenda."
	MsgSwitchedOffPatient  = "Not sent: notifications are switched off for this patient."
	MsgOptedOutTidings     = "Not sent: the patient opted out of {0} by {1} through {2} ({3})."
	MsgOptedOutTidingsAll  = "Not sent: the patient opted out of all messages by {0} through {1} ({2})."
	MsgOptedOutPMS         = "Not sent: the patient is opted out in the clinical software (read {0}) and this database respects it."
	MsgNoMobile            = "Skipped: no destination, the patient has no mobile number."
	MsgInvalidMobile       = "Skipped: no destination, the patient's mobile number cannot receive SMS."
	MsgNoEmail             = "Skipped: no destination, the patient has no e-mail address."
	MsgInvalidEmail        = "Skipped: no destination, the patient's e-mail address is not valid."
	MsgNoPush              = "Skipped: no destination, the patient has no push subscription."
	MsgInvalidPush         = "Skipped: no destination, the patient's push subscription has expired."
)

// Labels used as arguments: channels ("by {0}"), purposes ("opted out of {0}") and sources
// ("through {0}").
const (
	LabelSMS   = "SMS"
	LabelEmail = "e-mail"
	LabelPush  = "push notification"

	LabelReminders      = "reminders"
	LabelBookingNotices = "booking notices"
	LabelRecalls        = "recalls"
	LabelResults        = "result messages"
	LabelMessageAlerts  = "new-message alerts"
	LabelWaitlistOffers = "waitlist offers"
	LabelInvites        = "portal invitations"
	LabelAccount        = "account e-mails"
	LabelReplies        = "replies"

	LabelDashboard = "the dashboard"
	LabelPortal    = "the patient portal"
	LabelSMSReply  = "an SMS reply"
	LabelAPI       = "the API"
	LabelImport    = "an import"
	LabelPMS       = "the clinical software"
)

// Ages: how long before now a time was, in the message's arguments.
const (
	AgeUnknown = "at an unknown time"
	AgeJustNow = "just now"
	AgeMinute  = "1 minute ago"
	AgeMinutes = "{0} minutes ago"
	AgeHour    = "1 hour ago"
	AgeHours   = "{0} hours ago"
	AgeDay     = "1 day ago"
	AgeDays    = "{0} days ago"
)

// Keys lists every text the messages are made of, for the catalog's test.
func Keys() []string {
	return []string{
		MsgAllowed, MsgAllowedOverPMS, MsgAllowedBookedOnline, MsgInvalidFacts, MsgNotUpcoming, MsgNotCancelled,
		MsgSwitchedOffReason, MsgSwitchedOffAgenda, MsgSwitchedOffPatient, MsgOptedOutTidings, MsgOptedOutTidingsAll,
		MsgOptedOutPMS, MsgNoMobile, MsgInvalidMobile, MsgNoEmail, MsgInvalidEmail, MsgNoPush, MsgInvalidPush,
		LabelSMS, LabelEmail, LabelPush,
		LabelReminders, LabelBookingNotices, LabelRecalls, LabelResults, LabelMessageAlerts, LabelWaitlistOffers,
		LabelInvites, LabelAccount, LabelReplies,
		LabelDashboard, LabelPortal, LabelSMSReply, LabelAPI, LabelImport, LabelPMS,
		AgeUnknown, AgeJustNow, AgeMinute, AgeMinutes, AgeHour, AgeHours, AgeDay, AgeDays,
	}
}

// Message is a sentence of the log as a catalog key and its arguments, for callers that
// translate with catalog.T(loc, m.Key, args…) (translate each argument first: each is a key
// too, or a status value).
type Message struct {
	Key  string
	Args []string
}

// String fills the placeholders: the English text.
func (m Message) String() string {
	if len(m.Args) == 0 {
		return m.Key
	}
	pairs := make([]string, 0, 2*len(m.Args))
	for i, a := range m.Args {
		pairs = append(pairs, "{"+strconv.Itoa(i)+"}", a)
	}
	return strings.NewReplacer(pairs...).Replace(m.Key)
}

// Text is the English sentence for the communication log, times said relative to now: pass
// the decision's time to store what was known then ("read 2 days ago"). The catalog
// translates the stored text by its patterns.
func (d Decision) Text(now time.Time) string { return d.Explain(now).String() }

// Explain is Text as a catalog key and arguments.
func (d Decision) Explain(now time.Time) Message {
	w := &d.why
	switch d.Outcome {
	case OutcomeAllowed:
		switch {
		case w.overPMS:
			return Message{MsgAllowedOverPMS, []string{sourceLabel(w.record.Source), Age(w.record.At, now)}}
		case w.online:
			return Message{Key: MsgAllowedBookedOnline}
		}
		return Message{Key: MsgAllowed}
	case OutcomeNotUpcoming:
		return Message{MsgNotUpcoming, []string{string(w.status)}}
	case OutcomeNotCancelled:
		return Message{MsgNotCancelled, []string{string(w.status)}}
	case OutcomeSwitchedOffReason:
		return Message{Key: MsgSwitchedOffReason}
	case OutcomeSwitchedOffAgenda:
		return Message{MsgSwitchedOffAgenda, []string{channelLabel(w.channel)}}
	case OutcomeSwitchedOffPatient:
		return Message{Key: MsgSwitchedOffPatient}
	case OutcomeOptedOutTidings:
		r := w.record
		if r.Purpose == PurposeAll {
			return Message{MsgOptedOutTidingsAll, []string{channelLabel(r.Channel), sourceLabel(r.Source), Age(r.At, now)}}
		}
		return Message{MsgOptedOutTidings, []string{purposeLabel(r.Purpose), channelLabel(r.Channel), sourceLabel(r.Source), Age(r.At, now)}}
	case OutcomeOptedOutPMS:
		return Message{MsgOptedOutPMS, []string{Age(w.pmsReadAt, now)}}
	case OutcomeNoDestination:
		return Message{Key: noDestination(w.channel, w.dest)}
	}
	return Message{Key: MsgInvalidFacts}
}

func noDestination(c Channel, d Destination) string {
	switch c {
	case ChannelSMS:
		if d == Invalid {
			return MsgInvalidMobile
		}
		return MsgNoMobile
	case ChannelEmail:
		if d == Invalid {
			return MsgInvalidEmail
		}
		return MsgNoEmail
	}
	if d == Invalid {
		return MsgInvalidPush
	}
	return MsgNoPush
}

// Age says how long before now t was, in whole minutes, hours or days rounded down: "just
// now" under a minute or for a time after now (clocks of two machines), AgeUnknown for a zero
// time.
func Age(t, now time.Time) string {
	if t.IsZero() {
		return AgeUnknown
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return AgeJustNow
	case d < 2*time.Minute:
		return AgeMinute
	case d < time.Hour:
		return count(AgeMinutes, int64(d/time.Minute))
	case d < 2*time.Hour:
		return AgeHour
	case d < 24*time.Hour:
		return count(AgeHours, int64(d/time.Hour))
	case d < 48*time.Hour:
		return AgeDay
	}
	return count(AgeDays, int64(d/(24*time.Hour)))
}

func count(key string, n int64) string {
	return strings.Replace(key, "{0}", strconv.FormatInt(n, 10), 1)
}

func channelLabel(c Channel) string {
	switch c {
	case ChannelSMS:
		return LabelSMS
	case ChannelEmail:
		return LabelEmail
	}
	return LabelPush
}

func purposeLabel(p Purpose) string {
	switch p {
	case PurposeReminder:
		return LabelReminders
	case PurposeBookingNotice:
		return LabelBookingNotices
	case PurposeRecall:
		return LabelRecalls
	case PurposeResult:
		return LabelResults
	case PurposeMessageAlert:
		return LabelMessageAlerts
	case PurposeWaitlistOffer:
		return LabelWaitlistOffers
	case PurposeInvite:
		return LabelInvites
	case PurposeAccount:
		return LabelAccount
	}
	return LabelReplies
}

func sourceLabel(s Source) string {
	switch s {
	case SourceDashboard:
		return LabelDashboard
	case SourcePortal:
		return LabelPortal
	case SourceSMS:
		return LabelSMSReply
	case SourceAPI:
		return LabelAPI
	case SourceImport:
		return LabelImport
	}
	return LabelPMS
}
