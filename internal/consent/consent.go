package consent

import (
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// Purpose says why a message is sent (SPEC glossary); the rules cover purposes, not message
// types, so that a new template of a known purpose needs no new rule.
type Purpose string

// The purposes of a message.
const (
	PurposeReminder      Purpose = "reminder"       // appointment reminder (NOT-1)
	PurposeBookingNotice Purpose = "booking_notice" // confirmation, reschedule, cancellation; see Notice
	PurposeRecall        Purpose = "recall"         // recall step (RES-8)
	PurposeResult        Purpose = "result"         // result follow-up step (RES-3)
	PurposeMessageAlert  Purpose = "message_alert"  // "you have a new message" (MSG-5)
	PurposeWaitlistOffer Purpose = "waitlist_offer" // a freed slot offered (POR-9)
	PurposeInvite        Purpose = "invite"         // portal invitation (POR-7)
	PurposeAccount       Purpose = "account"        // password reset and other account e-mails
	PurposeReply         Purpose = "reply"          // the answer to the patient's own SMS (STOP, C/Y)

	// PurposeAll is valid in a Record only: the record covers every purpose of its channel
	// that consent covers (an SMS STOP). A message never has it.
	PurposeAll Purpose = "all"
)

// Purposes lists the purposes of messages, in display order (not PurposeAll).
func Purposes() []Purpose {
	return []Purpose{PurposeReminder, PurposeBookingNotice, PurposeRecall, PurposeResult, PurposeMessageAlert,
		PurposeWaitlistOffer, PurposeInvite, PurposeAccount, PurposeReply}
}

// Valid reports whether p is the purpose of a message (PurposeAll is not).
func (p Purpose) Valid() bool {
	switch p {
	case PurposeReminder, PurposeBookingNotice, PurposeRecall, PurposeResult, PurposeMessageAlert,
		PurposeWaitlistOffer, PurposeInvite, PurposeAccount, PurposeReply:
		return true
	}
	return false
}

// Consentable reports whether a patient can opt in or out of p in Tidings (CON-3). Account
// e-mails and replies are exempt: see the package doc. The API refuses consent records for
// them; Decide ignores such records if some exist.
func (p Purpose) Consentable() bool { return p.Valid() && p != PurposeAccount && p != PurposeReply }

// appointment reports whether p is about an appointment or a slot, the purposes of the
// clinic's switches (CON-5..8).
func (p Purpose) appointment() bool {
	return p == PurposeReminder || p == PurposeBookingNotice || p == PurposeWaitlistOffer
}

// pms reports whether the PMS opt-out flag covers p (CON-1; the HotDoc seed).
func (p Purpose) pms() bool { return p == PurposeReminder || p == PurposeRecall || p == PurposeResult }

// Channel is how a message reaches the patient.
type Channel string

// Channels of delivery.
const (
	ChannelSMS   Channel = "sms"
	ChannelEmail Channel = "email"
	ChannelPush  Channel = "push" // Web Push to the portal or app
)

// Channels lists the channels in display order.
func Channels() []Channel { return []Channel{ChannelSMS, ChannelEmail, ChannelPush} }

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return c == ChannelSMS || c == ChannelEmail || c == ChannelPush }

// Notice says which booking notice a PurposeBookingNotice message is, since NOT-3 asks a
// different status of each: a confirmation needs an upcoming appointment, a cancellation
// notice a cancelled one.
type Notice string

// Kinds of booking notice (NOT-1).
const (
	NoticeConfirmation Notice = "confirmation"
	NoticeReschedule   Notice = "reschedule"
	NoticeCancellation Notice = "cancellation"
)

// Notices lists the kinds of booking notice.
func Notices() []Notice { return []Notice{NoticeConfirmation, NoticeReschedule, NoticeCancellation} }

// Valid reports whether n is a known kind.
func (n Notice) Valid() bool {
	return n == NoticeConfirmation || n == NoticeReschedule || n == NoticeCancellation
}

// Source says where a consent record was made (CON-3: "from where").
type Source string

// Sources of consent records.
const (
	SourceDashboard Source = "dashboard" // staff, in the patient file
	SourcePortal    Source = "portal"    // the patient, in the portal's preferences
	SourceSMS       Source = "sms"       // an inbound SMS reply such as STOP (NOT-10)
	SourceAPI       Source = "api"       // another system, through the JSON API
	SourceImport    Source = "import"    // a list imported in Tidings (e.g. from a previous platform)
	// SourcePMS marks a record that mirrors the PMS flag for the consent history. It is not a
	// change made in Tidings, so Decide ignores it; the flag itself is Facts.PMS.
	SourcePMS Source = "pms"
)

// Sources lists the sources in display order.
func Sources() []Source {
	return []Source{SourceDashboard, SourcePortal, SourceSMS, SourceAPI, SourceImport, SourcePMS}
}

// Valid reports whether s is a known source.
func (s Source) Valid() bool {
	switch s {
	case SourceDashboard, SourcePortal, SourceSMS, SourceAPI, SourceImport, SourcePMS:
		return true
	}
	return false
}

// Destination is the state of the patient's address on one channel (NOT-5). The zero value
// is Missing, so a destination nobody filled in sends nothing.
type Destination uint8

// States of a destination.
const (
	Missing Destination = iota // none on file (push: no subscription)
	Invalid                    // on file but unusable: not a mobile, a bad address, an expired subscription
	Valid                      // a valid mobile number, e-mail address, live push subscription
)

// String is the destination's name in traces.
func (d Destination) String() string {
	switch d {
	case Missing:
		return "missing"
	case Invalid:
		return "invalid"
	case Valid:
		return "valid"
	}
	return "unknown"
}

// Record is one consent change made in Tidings (CON-3): the patient, or staff for them, opted
// in or out of Purpose (or PurposeAll) on Channel. Records are history: a newer one replaces
// an older one for what they both cover, so the store appends and never updates.
type Record struct {
	Channel Channel
	Purpose Purpose // a consentable purpose, or PurposeAll
	OptIn   bool    // false: opted out
	Source  Source
	// Actor identifies who made the change, as an id label ("user:12", "patient:40",
	// "token:3", "system:sms"), never a name: it is copied into the trace.
	Actor string
	At    time.Time
}

// PMS is what the clinical software says about the patient's consent, with the two settings
// that decide whether it counts (CON-1, CON-4). Fill it from clinic.Database (RespectOptOut,
// Profile) and the patient's flag as last read.
type PMS struct {
	Respect  bool                   // the database's setting "respect patient opt-out status" (default on)
	Profile  clinic.SoftwareProfile // its software profile: can the flag be read (CON-4)?
	OptedOut bool                   // the patient's flag as last read (clinic.Patient.PMSOptOut)
	ReadAt   time.Time              // when it was last read; zero if never
}

// Switches are the clinic's notification switches that apply to the message; true is on (the
// default in the database), false is switched off.
type Switches struct {
	Agenda  bool // CON-5: the appointment's agenda, for the message's channel
	Reason  bool // CON-6: the appointment's reason (clinic.Reason.Notifications)
	Patient bool // CON-7: the patient
}

// Facts are everything Decide looks at for one message to one patient on one channel. They
// are plain values, so a batch of them can be filled from a few queries. Fields that a
// purpose does not use may be left zero (see Decide for which are required).
type Facts struct {
	Purpose Purpose
	Channel Channel
	Notice  Notice // PurposeBookingNotice only

	// Destinations, one per channel; only Channel's is used.
	Mobile Destination // a mobile that can receive SMS
	Email  Destination
	Push   Destination

	PMS      PMS
	Consents []Record // the patient's Tidings-side consent records, in any order

	Switches Switches
	// BookedBy says who made the appointment (for a waitlist offer: who put the patient on
	// the waitlist); CON-8 spares the patient's own online bookings from CON-5 and CON-7.
	BookedBy clinic.BookedBy
	// Status is the appointment's status at decision time (NOT-3).
	Status clinic.Status
}

// destination is the state of the address the message would use.
func (f *Facts) destination() Destination {
	switch f.Channel {
	case ChannelSMS:
		return f.Mobile
	case ChannelEmail:
		return f.Email
	case ChannelPush:
		return f.Push
	}
	return Missing
}

// Current is the patient's own choice (CON-3) for purpose on channel: the newest
// Tidings-side record covering it, as Decide reads them; ok is false when there is none and
// the clinic's default (messages are sent) applies.
func Current(rs []Record, ch Channel, p Purpose) (optIn, ok bool) {
	if best := newestCovering(rs, ch, p); best >= 0 {
		return rs[best].OptIn, true
	}
	return false, false
}

// newestCovering indexes the newest Tidings-side record of rs that covers purpose p on
// channel ch (p itself or every purpose), -1 when none does.
func newestCovering(rs []Record, ch Channel, p Purpose) int {
	best := -1
	for i := range rs {
		r := &rs[i]
		if r.Source == SourcePMS || r.Channel != ch || (r.Purpose != p && r.Purpose != PurposeAll) {
			continue
		}
		if best < 0 || newer(r, &rs[best]) {
			best = i
		}
	}
	return best
}
