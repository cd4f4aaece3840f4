package consent

import (
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// maxSteps is the length of a valid decision's trace: FACTS and the seven rules.
const maxSteps = 8

// Decision is the answer for one message: allowed or not, the outcome, the rule that gave
// it and the trace of every rule checked (CON-9). It holds no pointer into the Facts and
// allocates nothing; text is made by its methods when asked for.
type Decision struct {
	Allowed bool
	Outcome Outcome
	// Rule is the ID of the rule that blocked ("CON-3"); empty when allowed.
	Rule string

	steps [maxSteps]Step
	n     uint8
	why   why
}

// why keeps what the English message needs (message.go).
type why struct {
	channel   Channel
	purpose   Purpose
	status    clinic.Status
	dest      Destination
	record    Record // the CON-3 record that decided, if hasRecord
	hasRecord bool
	pmsReadAt time.Time
	overPMS   bool // a Tidings opt-in let through what the PMS flag would have blocked
	online    bool // a switch was off, but CON-8 spared the patient's own online booking
}

// Len is the number of steps in the trace: 8, or 1 for invalid Facts.
func (d Decision) Len() int { return int(d.n) }

// Step returns the i-th step of the trace, in the order the rules were checked.
func (d Decision) Step(i int) Step { return d.steps[:d.n][i] }

// Steps returns the trace (a copy).
func (d Decision) Steps() []Step { return append([]Step(nil), d.steps[:d.n]...) }

// Lines writes the trace one step a line, the form stored with the notification (CON-9).
func (d Decision) Lines() []string {
	out := make([]string, d.n)
	for i := range out {
		out[i] = d.steps[i].String()
	}
	return out
}

// Rule describes one rule of the engine: its SPEC ID, its check code in the trace and the
// purposes it covers (the settings pages say which messages a switch or setting affects).
type Rule struct {
	ID       string
	Check    string
	Purposes []Purpose
}

// Rules lists the rules in the order Decide checks them (after FACTS).
func Rules() []Rule {
	appt := []Purpose{PurposeReminder, PurposeBookingNotice, PurposeWaitlistOffer}
	var consentable, pms []Purpose
	for _, p := range Purposes() {
		if p.Consentable() {
			consentable = append(consentable, p)
		}
		if p.pms() {
			pms = append(pms, p)
		}
	}
	return []Rule{
		{"NOT-3", "status", []Purpose{PurposeReminder, PurposeBookingNotice}},
		{"CON-6", "reason_switch", appt},
		{"CON-5", "agenda_switch", appt},
		{"CON-7", "patient_switch", appt},
		{"CON-3", "tidings_consent", consentable},
		{"CON-1", "pms_opt_out", pms},
		{"NOT-5", "destination", Purposes()},
	}
}

// Decide applies the rules to f (see the package doc for their order and coverage).
//
// Facts are invalid, and the outcome invalid_facts, when Purpose or Channel is unknown, a
// reply is not an SMS, a booking notice has no Notice, a reminder or booking notice has no
// valid Status or BookedBy, a waitlist offer no valid BookedBy, a PMS-covered purpose no
// valid PMS.Profile, the destination of Channel is out of range, or a consent record has an
// unknown channel, purpose or source, or no time.
func Decide(f Facts) Decision {
	var d Decision
	d.why = why{channel: f.Channel, purpose: f.Purpose, status: f.Status, dest: f.destination(), pmsReadAt: f.PMS.ReadAt}

	s := d.next("FACTS", "valid")
	if field := invalid(&f); field != "" {
		s.add("field", field)
		d.block(s, OutcomeInvalidFacts)
		return d
	}
	s.Result = Pass

	d.status(&f)
	d.reasonSwitch(&f)
	d.agendaSwitch(&f)
	d.patientSwitch(&f)
	decided := d.tidings(&f)
	d.pms(&f, decided)
	d.destination(&f)

	if d.Outcome == "" {
		d.Allowed, d.Outcome = true, OutcomeAllowed
	}
	return d
}

func (d *Decision) next(rule, check string) *Step {
	s := &d.steps[d.n]
	d.n++
	s.Rule, s.Check = rule, check
	return s
}

// block records a blocking step; the first one gives the outcome.
func (d *Decision) block(s *Step, o Outcome) {
	s.Result = Block
	if d.Outcome == "" {
		d.Outcome, d.Rule = o, s.Rule
	}
}

// invalid names the first field of f that Decide cannot work with, or "".
func invalid(f *Facts) string {
	switch {
	case !f.Purpose.Valid():
		return "purpose"
	case !f.Channel.Valid():
		return "channel"
	case f.Purpose == PurposeReply && f.Channel != ChannelSMS:
		// A reply answers the patient's SMS; an exemption from consent must not become a
		// way around an e-mail or push opt-out.
		return "channel"
	case f.Purpose == PurposeBookingNotice && !f.Notice.Valid():
		return "notice"
	case (f.Purpose == PurposeReminder || f.Purpose == PurposeBookingNotice) && !f.Status.Valid():
		return "status"
	case f.Purpose.appointment() && !f.BookedBy.Valid():
		return "booked_by"
	case f.Purpose.pms() && !f.PMS.Profile.Valid():
		return "pms.profile"
	case f.destination() > Valid:
		return "destination"
	}
	for i := range f.Consents {
		r := &f.Consents[i]
		switch {
		case !r.Channel.Valid():
			return "consents.channel"
		case r.Purpose != PurposeAll && !r.Purpose.Valid():
			return "consents.purpose"
		case !r.Source.Valid():
			return "consents.source"
		case r.At.IsZero():
			return "consents.at"
		}
	}
	return ""
}

// status is NOT-3: decided at send time on the appointment's status then.
func (d *Decision) status(f *Facts) {
	s := d.next("NOT-3", "status")
	s.add("purpose", string(f.Purpose))
	switch f.Purpose {
	case PurposeReminder, PurposeBookingNotice:
	default:
		s.Result = Skip
		return
	}
	if f.Purpose == PurposeBookingNotice {
		s.add("notice", string(f.Notice))
	}
	s.add("status", string(f.Status))
	switch {
	case f.Purpose == PurposeBookingNotice && f.Notice == NoticeCancellation:
		// Cancelled or excused: the appointment is still off; reinstated: the notice is stale.
		if f.Status.Active() {
			d.block(s, OutcomeNotCancelled)
			return
		}
	case !f.Status.Upcoming():
		d.block(s, OutcomeNotUpcoming)
		return
	}
	s.Result = Pass
}

// reasonSwitch is CON-6, which CON-8 does not relax.
func (d *Decision) reasonSwitch(f *Facts) {
	s := d.next("CON-6", "reason_switch")
	if !f.Purpose.appointment() {
		s.add("purpose", string(f.Purpose))
		s.Result = Skip
		return
	}
	s.addBool("reason_on", f.Switches.Reason)
	s.add("booked_by", string(f.BookedBy))
	if !f.Switches.Reason {
		d.block(s, OutcomeSwitchedOffReason)
		return
	}
	s.Result = Pass
}

// agendaSwitch is CON-5 with CON-8.
func (d *Decision) agendaSwitch(f *Facts) {
	s := d.next("CON-5", "agenda_switch")
	if !f.Purpose.appointment() {
		s.add("purpose", string(f.Purpose))
		s.Result = Skip
		return
	}
	s.add("channel", string(f.Channel))
	s.addBool("agenda_on", f.Switches.Agenda)
	d.spare(s, f, f.Switches.Agenda, OutcomeSwitchedOffAgenda)
}

// patientSwitch is CON-7 with CON-8.
func (d *Decision) patientSwitch(f *Facts) {
	s := d.next("CON-7", "patient_switch")
	if !f.Purpose.appointment() {
		s.add("purpose", string(f.Purpose))
		s.Result = Skip
		return
	}
	s.addBool("patient_on", f.Switches.Patient)
	d.spare(s, f, f.Switches.Patient, OutcomeSwitchedOffPatient)
}

// spare ends a CON-5 or CON-7 step: on passes; off blocks, unless the patient booked online
// (CON-8).
func (d *Decision) spare(s *Step, f *Facts, on bool, o Outcome) {
	s.add("booked_by", string(f.BookedBy))
	switch {
	case on:
		s.Result = Pass
	case f.BookedBy == clinic.BookedByPatient:
		s.add("exempt", "CON-8")
		s.Result = Skip
		d.why.online = true
	default:
		d.block(s, o)
	}
}

// tidings is CON-3: the newest Tidings-side record for the channel and purpose decides. It
// reports whether one did.
func (d *Decision) tidings(f *Facts) bool {
	s := d.next("CON-3", "tidings_consent")
	s.add("channel", string(f.Channel))
	if !f.Purpose.Consentable() {
		s.add("purpose", string(f.Purpose))
		s.add("exempt", "true")
		s.Result = Skip
		return false
	}
	best := newestCovering(f.Consents, f.Channel, f.Purpose)
	if best < 0 {
		s.add("purpose", string(f.Purpose))
		s.add("record", "none")
		s.Result = Pass
		return false
	}
	r := f.Consents[best]
	d.why.record, d.why.hasRecord = r, true
	s.add("scope", string(r.Purpose))
	s.addBool("opt_in", r.OptIn)
	s.add("source", string(r.Source))
	s.add("actor", r.Actor)
	s.addTime("at", r.At)
	if r.OptIn {
		s.Result = Pass
	} else {
		d.block(s, OutcomeOptedOutTidings)
	}
	return true
}

// newer reports whether a replaces b: the later one; at the same instant an opt-out, then a
// purpose's record over an "all" one; the rest only makes the choice independent of order.
func newer(a, b *Record) bool {
	if c := a.At.Compare(b.At); c != 0 {
		return c > 0
	}
	if a.OptIn != b.OptIn {
		return !a.OptIn
	}
	if (a.Purpose == PurposeAll) != (b.Purpose == PurposeAll) {
		return a.Purpose != PurposeAll
	}
	if a.Source != b.Source {
		return a.Source < b.Source
	}
	return a.Actor < b.Actor
}

// pms is CON-1 with CON-4, overridden by CON-3.
func (d *Decision) pms(f *Facts, overridden bool) {
	s := d.next("CON-1", "pms_opt_out")
	if !f.Purpose.pms() {
		s.add("purpose", string(f.Purpose))
		s.Result = Skip
		return
	}
	readable := f.PMS.Profile.CanReadOptOut()
	s.addBool("respect", f.PMS.Respect)
	s.add("profile", string(f.PMS.Profile))
	s.addBool("readable", readable)
	s.addBool("opted_out", f.PMS.OptedOut)
	s.addTime("read_at", f.PMS.ReadAt)
	would := f.PMS.Respect && readable && f.PMS.OptedOut
	switch {
	case overridden:
		s.add("overridden_by", "CON-3")
		s.Result = Skip
		d.why.overPMS = would && d.why.record.OptIn
	case would:
		d.block(s, OutcomeOptedOutPMS)
	default:
		s.Result = Pass
	}
}

// destination is NOT-5.
func (d *Decision) destination(f *Facts) {
	s := d.next("NOT-5", "destination")
	dest := f.destination()
	switch f.Channel {
	case ChannelSMS:
		s.add("mobile", dest.String())
	case ChannelEmail:
		s.add("email", dest.String())
	case ChannelPush:
		s.add("push", dest.String())
	}
	if dest == Valid {
		s.Result = Pass
		return
	}
	d.block(s, OutcomeNoDestination)
}
