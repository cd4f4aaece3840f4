package consent

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
)

// The proof of the rules: one table per SPEC requirement, each case citing it. The expected
// outcomes are written by hand from the SPEC and the seeds, not produced by the engine
// (testdata/matrix.golden is the engine's own output, for review).

// now is the decision time of every case: Wednesday 2 December 2026, 09:00 in Sydney.
var now = time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)

// reminderSMS: a reminder by SMS that every rule allows: a staff booking, still booked,
// every switch on, a valid mobile, no consent record, the PMS flag read two days ago and
// not opted out, on a Medical Director database that respects it.
func reminderSMS() Facts {
	return Facts{
		Purpose: PurposeReminder, Channel: ChannelSMS,
		Mobile: Valid, Email: Valid, Push: Valid,
		PMS:      PMS{Respect: true, Profile: clinic.ProfileMedicalDirector, ReadAt: now.Add(-48 * time.Hour)},
		Switches: Switches{Agenda: true, Reason: true, Patient: true},
		BookedBy: clinic.BookedByStaff, Status: clinic.StatusBooked,
	}
}

// as returns reminderSMS changed for another purpose and channel.
func as(p Purpose, c Channel) Facts {
	f := reminderSMS()
	f.Purpose, f.Channel = p, c
	if p == PurposeBookingNotice {
		f.Notice = NoticeConfirmation
	}
	return f
}

func rec(c Channel, p Purpose, optIn bool, src Source, ago time.Duration) Record {
	return Record{Channel: c, Purpose: p, OptIn: optIn, Source: src, Actor: "user:7", At: now.Add(-ago)}
}

// want is the part of a decision the rule tables state.
type want struct {
	Allowed bool
	Outcome Outcome
	Rule    string
}

var allowed = want{true, OutcomeAllowed, ""}

func blocked(o Outcome, rule string) want { return want{false, o, rule} }

type ruleCase struct {
	name  string
	facts Facts
	want  want
}

func check(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(c.facts)
			got := want{d.Allowed, d.Outcome, d.Rule}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s\ntrace:\n%s", diff, lines(d))
			}
		})
	}
}

func lines(d Decision) string {
	s := ""
	for _, l := range d.Lines() {
		s += "  " + l + "\n"
	}
	return s
}

// with applies changes to a copy of f.
func with(f Facts, change func(*Facts)) Facts {
	change(&f)
	return f
}

func TestBaseline(t *testing.T) {
	var cases []ruleCase
	for _, p := range Purposes() {
		for _, c := range Channels() {
			if p == PurposeReply && c != ChannelSMS {
				continue
			}
			cases = append(cases, ruleCase{string(p) + "/" + string(c), as(p, c), allowed})
		}
	}
	check(t, cases)
}

func TestCON1PMSOptOut(t *testing.T) {
	optedOut := func(f *Facts) { f.PMS.OptedOut = true }
	check(t, []ruleCase{
		{"CON-1 opted out in the PMS, setting on: no reminder", with(reminderSMS(), optedOut), blocked(OutcomeOptedOutPMS, "CON-1")},
		{"CON-1 no recall", with(as(PurposeRecall, ChannelEmail), optedOut), blocked(OutcomeOptedOutPMS, "CON-1")},
		{"CON-1 no result message", with(as(PurposeResult, ChannelPush), optedOut), blocked(OutcomeOptedOutPMS, "CON-1")},
		{"CON-1 the flag is channel-blind: e-mail reminder", with(as(PurposeReminder, ChannelEmail), optedOut), blocked(OutcomeOptedOutPMS, "CON-1")},
		{"CON-1 setting off: the flag is ignored", with(reminderSMS(), func(f *Facts) { f.PMS.OptedOut, f.PMS.Respect = true, false }), allowed},
		{"CON-1 setting off: recall sent", with(as(PurposeRecall, ChannelSMS), func(f *Facts) { f.PMS.OptedOut, f.PMS.Respect = true, false }), allowed},
		{"CON-1 never read: no flag, sent", with(reminderSMS(), func(f *Facts) { f.PMS.ReadAt = time.Time{} }), allowed},
		// The seed lists recalls and appointment reminders only; the SPEC adds results.
		{"CON-1 booking notices are not covered", with(as(PurposeBookingNotice, ChannelSMS), optedOut), allowed},
		{"CON-1 message alerts are not covered", with(as(PurposeMessageAlert, ChannelSMS), optedOut), allowed},
		{"CON-1 waitlist offers are not covered", with(as(PurposeWaitlistOffer, ChannelSMS), optedOut), allowed},
		{"CON-1 invites are not covered", with(as(PurposeInvite, ChannelEmail), optedOut), allowed},
		{"CON-1 account e-mails are not covered", with(as(PurposeAccount, ChannelEmail), optedOut), allowed},
		{"CON-1 replies are not covered", with(as(PurposeReply, ChannelSMS), optedOut), allowed},
		{"CON-1 Zedmed and Optomate read it", with(reminderSMS(), func(f *Facts) { f.PMS.OptedOut, f.PMS.Profile = true, clinic.ProfileZedmed }), blocked(OutcomeOptedOutPMS, "CON-1")},
		{"CON-1 Optomate", with(reminderSMS(), func(f *Facts) { f.PMS.OptedOut, f.PMS.Profile = true, clinic.ProfileOptomate }), blocked(OutcomeOptedOutPMS, "CON-1")},
	})
}

func TestCON3TidingsOverridesPMS(t *testing.T) {
	pmsOut := func(f *Facts) { f.PMS.OptedOut = true }
	check(t, []ruleCase{
		{"CON-3 opt-out in the portal, PMS opted in: not sent", with(reminderSMS(), func(f *Facts) {
			f.Consents = []Record{rec(ChannelSMS, PurposeReminder, false, SourcePortal, time.Hour)}
		}), blocked(OutcomeOptedOutTidings, "CON-3")},
		{"CON-3 opt-in in the dashboard overrides a PMS opt-out", with(reminderSMS(), func(f *Facts) {
			pmsOut(f)
			f.Consents = []Record{rec(ChannelSMS, PurposeReminder, true, SourceDashboard, time.Hour)}
		}), allowed},
		{"CON-3 even when the PMS was read after the Tidings change", with(reminderSMS(), func(f *Facts) {
			pmsOut(f)
			f.PMS.ReadAt = now.Add(-time.Minute)
			f.Consents = []Record{rec(ChannelSMS, PurposeReminder, true, SourceDashboard, 30*24*time.Hour)}
		}), allowed},
		{"CON-3 the opt-in is per channel: the e-mail reminder still follows the PMS", with(as(PurposeReminder, ChannelEmail), func(f *Facts) {
			pmsOut(f)
			f.Consents = []Record{rec(ChannelSMS, PurposeReminder, true, SourceDashboard, time.Hour)}
		}), blocked(OutcomeOptedOutPMS, "CON-1")},
		{"CON-3 the opt-in is per purpose: recalls still follow the PMS", with(as(PurposeRecall, ChannelSMS), func(f *Facts) {
			pmsOut(f)
			f.Consents = []Record{rec(ChannelSMS, PurposeReminder, true, SourceDashboard, time.Hour)}
		}), blocked(OutcomeOptedOutPMS, "CON-1")},
		{"CON-3 the newest record decides: out then in", with(reminderSMS(), func(f *Facts) {
			f.Consents = []Record{rec(ChannelSMS, PurposeReminder, true, SourcePortal, time.Hour), rec(ChannelSMS, PurposeReminder, false, SourcePortal, 2*time.Hour)}
		}), allowed},
		{"CON-3 the newest record decides: in then out, listed in any order", with(reminderSMS(), func(f *Facts) {
			f.Consents = []Record{rec(ChannelSMS, PurposeReminder, true, SourcePortal, 2*time.Hour), rec(ChannelSMS, PurposeReminder, false, SourceAPI, time.Hour)}
		}), blocked(OutcomeOptedOutTidings, "CON-3")},
		{"CON-3 same instant: the opt-out wins", with(reminderSMS(), func(f *Facts) {
			f.Consents = []Record{rec(ChannelSMS, PurposeReminder, true, SourcePortal, time.Hour), rec(ChannelSMS, PurposeReminder, false, SourceDashboard, time.Hour)}
		}), blocked(OutcomeOptedOutTidings, "CON-3")},
		{"CON-3 a record of another purpose does not apply", with(reminderSMS(), func(f *Facts) {
			f.Consents = []Record{rec(ChannelSMS, PurposeRecall, false, SourcePortal, time.Hour)}
		}), allowed},
		{"CON-3 a record of another channel does not apply", with(reminderSMS(), func(f *Facts) {
			f.Consents = []Record{rec(ChannelEmail, PurposeReminder, false, SourcePortal, time.Hour)}
		}), allowed},
		{"CON-3 a record mirroring the PMS is not a change made in Tidings", with(reminderSMS(), func(f *Facts) {
			pmsOut(f)
			f.Consents = []Record{rec(ChannelSMS, PurposeReminder, true, SourcePMS, time.Hour)}
		}), blocked(OutcomeOptedOutPMS, "CON-1")},
		{"CON-3 an import in Tidings counts as a Tidings change", with(reminderSMS(), func(f *Facts) {
			pmsOut(f)
			f.Consents = []Record{rec(ChannelSMS, PurposeReminder, true, SourceImport, time.Hour)}
		}), allowed},
		{"CON-3 opted out of invites by e-mail", with(as(PurposeInvite, ChannelEmail), func(f *Facts) {
			f.Consents = []Record{rec(ChannelEmail, PurposeInvite, false, SourcePortal, time.Hour)}
		}), blocked(OutcomeOptedOutTidings, "CON-3")},
		{"CON-3 opted out of booking notices by push", with(as(PurposeBookingNotice, ChannelPush), func(f *Facts) {
			f.Consents = []Record{rec(ChannelPush, PurposeBookingNotice, false, SourcePortal, time.Hour)}
		}), blocked(OutcomeOptedOutTidings, "CON-3")},
		{"CON-3 an opt-out of reminders and recalls does not block an invite", with(as(PurposeInvite, ChannelEmail), func(f *Facts) {
			f.Consents = []Record{rec(ChannelEmail, PurposeReminder, false, SourcePortal, time.Hour), rec(ChannelEmail, PurposeRecall, false, SourcePortal, time.Hour)}
		}), allowed},
		{"CON-3 nor an account e-mail", with(as(PurposeAccount, ChannelEmail), func(f *Facts) {
			pmsOut(f)
			f.Consents = []Record{rec(ChannelEmail, PurposeReminder, false, SourcePortal, time.Hour), rec(ChannelEmail, PurposeRecall, false, SourcePortal, time.Hour)}
		}), allowed},
		{"CON-3 account e-mails are exempt even from an e-mail opt-out of everything", with(as(PurposeAccount, ChannelEmail), func(f *Facts) {
			f.Consents = []Record{rec(ChannelEmail, PurposeAll, false, SourcePortal, time.Hour)}
		}), allowed},
		{"CON-3 an e-mail opt-out of everything blocks an invite", with(as(PurposeInvite, ChannelEmail), func(f *Facts) {
			f.Consents = []Record{rec(ChannelEmail, PurposeAll, false, SourcePortal, time.Hour)}
		}), blocked(OutcomeOptedOutTidings, "CON-3")},
	})
}

// TestNOT10Stop: an SMS STOP is {sms, all, opt-out, source sms}: every SMS purpose but the
// reply to the patient's own message stops, other channels go on.
func TestNOT10Stop(t *testing.T) {
	stop := rec(ChannelSMS, PurposeAll, false, SourceSMS, time.Hour)
	var cases []ruleCase
	for _, p := range Purposes() {
		w := blocked(OutcomeOptedOutTidings, "CON-3")
		if p == PurposeReply || p == PurposeAccount {
			w = allowed
		}
		cases = append(cases, ruleCase{"NOT-10 CON-3 STOP " + string(p) + " by SMS", with(as(p, ChannelSMS), func(f *Facts) { f.Consents = []Record{stop} }), w})
		if p != PurposeReply {
			cases = append(cases, ruleCase{"NOT-10 CON-3 STOP " + string(p) + " by e-mail", with(as(p, ChannelEmail), func(f *Facts) { f.Consents = []Record{stop} }), allowed})
		}
	}
	cases = append(cases,
		ruleCase{"NOT-10 CON-3 STOP wins over a PMS opt-in and an older reminder opt-in", with(reminderSMS(), func(f *Facts) {
			f.Consents = []Record{rec(ChannelSMS, PurposeReminder, true, SourcePortal, 2*time.Hour), stop}
		}), blocked(OutcomeOptedOutTidings, "CON-3")},
		ruleCase{"NOT-10 CON-3 a reminder opt-in after STOP re-enables reminders only", with(reminderSMS(), func(f *Facts) {
			f.Consents = []Record{stop, rec(ChannelSMS, PurposeReminder, true, SourcePortal, time.Minute)}
		}), allowed},
		ruleCase{"NOT-10 CON-3 ... but not recalls", with(as(PurposeRecall, ChannelSMS), func(f *Facts) {
			f.Consents = []Record{stop, rec(ChannelSMS, PurposeReminder, true, SourcePortal, time.Minute)}
		}), blocked(OutcomeOptedOutTidings, "CON-3")},
		ruleCase{"NOT-10 CON-3 START after STOP re-enables everything, over a PMS opt-out too", with(as(PurposeRecall, ChannelSMS), func(f *Facts) {
			f.PMS.OptedOut = true
			f.Consents = []Record{stop, rec(ChannelSMS, PurposeAll, true, SourceSMS, time.Minute)}
		}), allowed},
	)
	check(t, cases)
}

func TestCON4Unreadable(t *testing.T) {
	check(t, []ruleCase{
		{"CON-4 Best Practice: a stored flag is stale and ignored", with(reminderSMS(), func(f *Facts) {
			f.PMS.OptedOut, f.PMS.Profile = true, clinic.ProfileBestPractice
		}), allowed},
		{"CON-4 Best Practice: consent is managed in Tidings only", with(reminderSMS(), func(f *Facts) {
			f.PMS.Profile = clinic.ProfileBestPractice
			f.Consents = []Record{rec(ChannelSMS, PurposeReminder, false, SourceDashboard, time.Hour)}
		}), blocked(OutcomeOptedOutTidings, "CON-3")},
		{"CON-4 generic profile can read the flag", with(as(PurposeRecall, ChannelSMS), func(f *Facts) {
			f.PMS.OptedOut, f.PMS.Profile = true, clinic.ProfileGeneric
		}), blocked(OutcomeOptedOutPMS, "CON-1")},
	})
}

func TestCON5AgendaSwitch(t *testing.T) {
	off := func(f *Facts) { f.Switches.Agenda = false }
	check(t, []ruleCase{
		{"CON-5 agenda SMS off: no reminder by SMS", with(reminderSMS(), off), blocked(OutcomeSwitchedOffAgenda, "CON-5")},
		{"CON-5 agenda off: no cancellation notice (seed)", with(as(PurposeBookingNotice, ChannelSMS), func(f *Facts) {
			off(f)
			f.Notice, f.Status = NoticeCancellation, clinic.StatusCancelled
		}), blocked(OutcomeSwitchedOffAgenda, "CON-5")},
		{"CON-5 agenda off: no reschedule notice", with(as(PurposeBookingNotice, ChannelEmail), func(f *Facts) { off(f); f.Notice = NoticeReschedule }), blocked(OutcomeSwitchedOffAgenda, "CON-5")},
		{"CON-5 agenda off: no waitlist offer", with(as(PurposeWaitlistOffer, ChannelPush), off), blocked(OutcomeSwitchedOffAgenda, "CON-5")},
		{"CON-5 a synced booking is a staff booking", with(reminderSMS(), func(f *Facts) { off(f); f.BookedBy = clinic.BookedBySync }), blocked(OutcomeSwitchedOffAgenda, "CON-5")},
		{"CON-5 recalls belong to no agenda", with(as(PurposeRecall, ChannelSMS), off), allowed},
		{"CON-5 results belong to no agenda", with(as(PurposeResult, ChannelSMS), off), allowed},
		{"CON-5 message alerts belong to no agenda", with(as(PurposeMessageAlert, ChannelSMS), off), allowed},
		{"CON-5 invites belong to no agenda", with(as(PurposeInvite, ChannelEmail), off), allowed},
		{"CON-5 account e-mails belong to no agenda", with(as(PurposeAccount, ChannelEmail), off), allowed},
		{"CON-5 replies belong to no agenda", with(as(PurposeReply, ChannelSMS), off), allowed},
	})
}

func TestCON6ReasonSwitch(t *testing.T) {
	off := func(f *Facts) { f.Switches.Reason = false }
	online := func(f *Facts) { off(f); f.BookedBy = clinic.BookedByPatient }
	check(t, []ruleCase{
		{"CON-6 reason off: no reminder", with(reminderSMS(), off), blocked(OutcomeSwitchedOffReason, "CON-6")},
		{"CON-6 CON-8 reason off: no reminder whoever booked", with(reminderSMS(), online), blocked(OutcomeSwitchedOffReason, "CON-6")},
		{"CON-6 reason off: no e-mail confirmation of an online booking", with(as(PurposeBookingNotice, ChannelEmail), online), blocked(OutcomeSwitchedOffReason, "CON-6")},
		{"CON-6 reason off: no push waitlist offer", with(as(PurposeWaitlistOffer, ChannelPush), online), blocked(OutcomeSwitchedOffReason, "CON-6")},
		{"CON-6 reason off wins over agenda and patient off", with(reminderSMS(), func(f *Facts) { f.Switches = Switches{} }), blocked(OutcomeSwitchedOffReason, "CON-6")},
		{"CON-6 reason off wins over a Tidings opt-in", with(reminderSMS(), func(f *Facts) {
			off(f)
			f.Consents = []Record{rec(ChannelSMS, PurposeReminder, true, SourcePortal, time.Hour)}
		}), blocked(OutcomeSwitchedOffReason, "CON-6")},
		{"CON-6 recalls have no reason", with(as(PurposeRecall, ChannelSMS), off), allowed},
		{"CON-6 message alerts have no reason", with(as(PurposeMessageAlert, ChannelEmail), off), allowed},
	})
}

func TestCON7PatientSwitch(t *testing.T) {
	off := func(f *Facts) { f.Switches.Patient = false }
	check(t, []ruleCase{
		{"CON-7 patient off: no reminder", with(reminderSMS(), off), blocked(OutcomeSwitchedOffPatient, "CON-7")},
		{"CON-7 patient off: every channel", with(as(PurposeReminder, ChannelPush), off), blocked(OutcomeSwitchedOffPatient, "CON-7")},
		{"CON-7 patient off: no booking confirmation", with(as(PurposeBookingNotice, ChannelEmail), off), blocked(OutcomeSwitchedOffPatient, "CON-7")},
		{"CON-7 synced booking", with(reminderSMS(), func(f *Facts) { off(f); f.BookedBy = clinic.BookedBySync }), blocked(OutcomeSwitchedOffPatient, "CON-7")},
		{"CON-7 agenda off is reported before patient off", with(reminderSMS(), func(f *Facts) { off(f); f.Switches.Agenda = false }), blocked(OutcomeSwitchedOffAgenda, "CON-5")},
		{"CON-7 recalls are governed by consent, not the switch", with(as(PurposeRecall, ChannelSMS), off), allowed},
		{"CON-7 account e-mails", with(as(PurposeAccount, ChannelEmail), off), allowed},
	})
}

func TestCON8OnlineBookings(t *testing.T) {
	online := func(f *Facts) { f.BookedBy = clinic.BookedByPatient }
	check(t, []ruleCase{
		{"CON-8 agenda off does not stop a reminder of an online booking", with(reminderSMS(), func(f *Facts) { online(f); f.Switches.Agenda = false }), allowed},
		{"CON-8 patient off does not stop a reminder of an online booking", with(reminderSMS(), func(f *Facts) { online(f); f.Switches.Patient = false }), allowed},
		{"CON-8 both off, online: sent", with(as(PurposeBookingNotice, ChannelEmail), func(f *Facts) { online(f); f.Switches.Agenda, f.Switches.Patient = false, false }), allowed},
		{"CON-8 a patient who joined the waitlist online gets the offer", with(as(PurposeWaitlistOffer, ChannelSMS), func(f *Facts) { online(f); f.Switches.Agenda = false }), allowed},
		{"CON-8 staff put them on the waitlist: agenda off stops it", with(as(PurposeWaitlistOffer, ChannelSMS), func(f *Facts) { f.Switches.Agenda = false }), blocked(OutcomeSwitchedOffAgenda, "CON-5")},
		{"CON-8 does not relax CON-6", with(reminderSMS(), func(f *Facts) { online(f); f.Switches.Reason = false }), blocked(OutcomeSwitchedOffReason, "CON-6")},
		{"CON-8 does not relax consent: PMS opt-out", with(reminderSMS(), func(f *Facts) { online(f); f.Switches.Agenda = false; f.PMS.OptedOut = true }), blocked(OutcomeOptedOutPMS, "CON-1")},
		{"CON-8 does not relax consent: STOP", with(reminderSMS(), func(f *Facts) {
			online(f)
			f.Consents = []Record{rec(ChannelSMS, PurposeAll, false, SourceSMS, time.Hour)}
		}), blocked(OutcomeOptedOutTidings, "CON-3")},
		{"CON-8 does not relax NOT-5", with(reminderSMS(), func(f *Facts) { online(f); f.Switches.Agenda = false; f.Mobile = Missing }), blocked(OutcomeNoDestination, "NOT-5")},
	})
}

func TestNOT3Status(t *testing.T) {
	var cases []ruleCase
	// Hand-written: which statuses still mean "to come".
	upcoming := map[clinic.Status]bool{clinic.StatusBooked: true, clinic.StatusConfirmed: true}
	cancelledOrExcused := map[clinic.Status]bool{clinic.StatusCancelled: true, clinic.StatusExcusedAbsence: true}
	for _, st := range clinic.Statuses() {
		w := blocked(OutcomeNotUpcoming, "NOT-3")
		if upcoming[st] {
			w = allowed
		}
		cases = append(cases,
			ruleCase{"NOT-3 reminder " + string(st), with(reminderSMS(), func(f *Facts) { f.Status = st }), w},
			ruleCase{"NOT-3 confirmation " + string(st), with(as(PurposeBookingNotice, ChannelEmail), func(f *Facts) { f.Status = st }), w},
			ruleCase{"NOT-3 reschedule notice " + string(st), with(as(PurposeBookingNotice, ChannelSMS), func(f *Facts) { f.Status, f.Notice = st, NoticeReschedule }), w},
		)
		w = blocked(OutcomeNotCancelled, "NOT-3")
		if cancelledOrExcused[st] {
			w = allowed
		}
		cases = append(cases, ruleCase{"NOT-3 cancellation notice " + string(st), with(as(PurposeBookingNotice, ChannelSMS), func(f *Facts) { f.Status, f.Notice = st, NoticeCancellation }), w})
	}
	cases = append(cases,
		ruleCase{"NOT-3 a status set and removed before the send time: sent", with(reminderSMS(), func(f *Facts) { f.Status = clinic.StatusBooked }), allowed},
		ruleCase{"NOT-3 is reported before a switch and an opt-out", with(reminderSMS(), func(f *Facts) {
			f.Status, f.Switches.Reason, f.PMS.OptedOut = clinic.StatusSeen, false, true
		}), blocked(OutcomeNotUpcoming, "NOT-3")},
		ruleCase{"NOT-3 a waitlist offer has no appointment status", with(as(PurposeWaitlistOffer, ChannelSMS), func(f *Facts) { f.Status = "" }), allowed},
		ruleCase{"NOT-3 a recall has no appointment status", with(as(PurposeRecall, ChannelSMS), func(f *Facts) { f.Status, f.BookedBy = "", "" }), allowed},
	)
	check(t, cases)
}

func TestNOT5Destination(t *testing.T) {
	check(t, []ruleCase{
		{"NOT-5 no mobile: SMS skipped", with(reminderSMS(), func(f *Facts) { f.Mobile = Missing }), blocked(OutcomeNoDestination, "NOT-5")},
		{"NOT-5 a landline is not a mobile", with(reminderSMS(), func(f *Facts) { f.Mobile = Invalid }), blocked(OutcomeNoDestination, "NOT-5")},
		{"NOT-5 no e-mail", with(as(PurposeInvite, ChannelEmail), func(f *Facts) { f.Email = Missing }), blocked(OutcomeNoDestination, "NOT-5")},
		{"NOT-5 invalid e-mail", with(as(PurposeAccount, ChannelEmail), func(f *Facts) { f.Email = Invalid }), blocked(OutcomeNoDestination, "NOT-5")},
		{"NOT-5 no push subscription", with(as(PurposeMessageAlert, ChannelPush), func(f *Facts) { f.Push = Missing }), blocked(OutcomeNoDestination, "NOT-5")},
		{"NOT-5 an expired push subscription", with(as(PurposeMessageAlert, ChannelPush), func(f *Facts) { f.Push = Invalid }), blocked(OutcomeNoDestination, "NOT-5")},
		{"NOT-5 a reply needs a mobile too", with(as(PurposeReply, ChannelSMS), func(f *Facts) { f.Mobile = Missing }), blocked(OutcomeNoDestination, "NOT-5")},
		{"NOT-5 only the channel's destination counts", with(reminderSMS(), func(f *Facts) { f.Email, f.Push = Missing, Missing }), allowed},
		{"NOT-5 an opt-out is reported before a missing destination", with(reminderSMS(), func(f *Facts) {
			f.Mobile = Missing
			f.Consents = []Record{rec(ChannelSMS, PurposeAll, false, SourceSMS, time.Hour)}
		}), blocked(OutcomeOptedOutTidings, "CON-3")},
		{"NOT-5 a zero Facts sends nothing", Facts{Purpose: PurposeAccount, Channel: ChannelEmail}, blocked(OutcomeNoDestination, "NOT-5")},
	})
}

// TestInvalidFacts: facts the engine does not understand never send.
func TestInvalidFacts(t *testing.T) {
	bad := blocked(OutcomeInvalidFacts, "FACTS")
	check(t, []ruleCase{
		{"zero Facts", Facts{}, bad},
		{"unknown purpose", with(reminderSMS(), func(f *Facts) { f.Purpose = "newsletter" }), bad},
		{"all is not a message's purpose", with(reminderSMS(), func(f *Facts) { f.Purpose = PurposeAll }), bad},
		{"unknown channel", with(reminderSMS(), func(f *Facts) { f.Channel = "fax" }), bad},
		{"a reply by e-mail", as(PurposeReply, ChannelEmail), bad},
		{"a booking notice of no kind", with(as(PurposeBookingNotice, ChannelSMS), func(f *Facts) { f.Notice = "" }), bad},
		{"a reminder without status", with(reminderSMS(), func(f *Facts) { f.Status = "" }), bad},
		{"a reminder without who booked", with(reminderSMS(), func(f *Facts) { f.BookedBy = "" }), bad},
		{"a waitlist offer without who put them there", with(as(PurposeWaitlistOffer, ChannelSMS), func(f *Facts) { f.BookedBy = "" }), bad},
		{"a recall without a software profile", with(as(PurposeRecall, ChannelSMS), func(f *Facts) { f.PMS.Profile = "" }), bad},
		{"a destination out of range", with(reminderSMS(), func(f *Facts) { f.Mobile = Valid + 1 }), bad},
		{"a record of an unknown channel", with(reminderSMS(), func(f *Facts) { f.Consents = []Record{rec("fax", PurposeAll, false, SourceSMS, time.Hour)} }), bad},
		{"a record of an unknown purpose", with(reminderSMS(), func(f *Facts) { f.Consents = []Record{rec(ChannelSMS, "spam", false, SourceSMS, time.Hour)} }), bad},
		{"a record of an unknown source", with(reminderSMS(), func(f *Facts) { f.Consents = []Record{rec(ChannelSMS, PurposeAll, false, "fax", time.Hour)} }), bad},
		{"a record without time", with(reminderSMS(), func(f *Facts) { f.Consents = []Record{{Channel: ChannelSMS, Purpose: PurposeAll, Source: SourceSMS}} }), bad},
	})
}

// TestCON9Trace: the trace lists every rule in order with its inputs, written by hand.
func TestCON9Trace(t *testing.T) {
	f := reminderSMS()
	f.BookedBy = clinic.BookedByPatient
	f.Switches.Agenda = false
	f.PMS.OptedOut = true
	f.Mobile = Invalid
	f.Consents = []Record{
		rec(ChannelSMS, PurposeAll, false, SourceSMS, 72*time.Hour),
		rec(ChannelSMS, PurposeReminder, true, SourcePortal, 3*time.Hour),
		rec(ChannelEmail, PurposeReminder, false, SourcePortal, time.Hour),
	}
	d := Decide(f)
	wantLines := []string{
		"FACTS valid pass",
		"NOT-3 status pass: purpose=reminder status=booked",
		"CON-6 reason_switch pass: reason_on=true booked_by=patient_online",
		"CON-5 agenda_switch skip: channel=sms agenda_on=false booked_by=patient_online exempt=CON-8",
		"CON-7 patient_switch pass: patient_on=true booked_by=patient_online",
		"CON-3 tidings_consent pass: channel=sms scope=reminder opt_in=true source=portal actor=user:7 at=2026-12-01T19:00:00Z",
		"CON-1 pms_opt_out skip: respect=true profile=medical_director readable=true opted_out=true read_at=2026-11-29T22:00:00Z overridden_by=CON-3",
		"NOT-5 destination block: mobile=invalid",
	}
	if diff := cmp.Diff(wantLines, d.Lines()); diff != "" {
		t.Errorf("trace (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff(want{false, OutcomeNoDestination, "NOT-5"}, want{d.Allowed, d.Outcome, d.Rule}); diff != "" {
		t.Error(diff)
	}
	if d.Len() != 8 || d.Step(6).Result != Skip || d.Step(7).Result != Block || len(d.Steps()) != 8 {
		t.Errorf("steps: %d, %v, %v", d.Len(), d.Step(6).Result, d.Step(7).Result)
	}
	in := d.Step(5).Inputs()
	if in[5].Key != "at" || !in[5].Time.Equal(now.Add(-3*time.Hour)) {
		t.Errorf("the at input keeps its time: %+v", in[5])
	}

	bad := Decide(Facts{Purpose: PurposeReminder, Channel: "fax"})
	if diff := cmp.Diff([]string{"FACTS valid block: field=channel"}, bad.Lines()); diff != "" {
		t.Errorf("invalid trace (-want +got)\n%s", diff)
	}
}

// TestText: the sentences of the communication log, written by hand.
func TestText(t *testing.T) {
	pmsOut := func(f *Facts) { f.PMS.OptedOut = true }
	cases := []struct {
		name  string
		facts Facts
		want  string
	}{
		{"allowed", reminderSMS(), "Allowed: consent and every notification switch permit this message."},
		{"allowed over the PMS", with(reminderSMS(), func(f *Facts) {
			pmsOut(f)
			f.Consents = []Record{rec(ChannelSMS, PurposeReminder, true, SourcePortal, 3*24*time.Hour+time.Hour)}
		}), "Allowed: the patient opted in through the patient portal (3 days ago), which overrides the opt-out in the clinical software."},
		{"allowed, booked online", with(reminderSMS(), func(f *Facts) { f.BookedBy, f.Switches.Patient = clinic.BookedByPatient, false }),
			"Allowed: the patient booked online, so the agenda and patient switches do not apply."},
		{"invalid", Facts{}, "Not sent: the facts for this decision are incomplete or invalid."},
		{"not upcoming", with(reminderSMS(), func(f *Facts) { f.Status = clinic.StatusNoShow }), "Not sent: the appointment is no longer upcoming (status no_show)."},
		{"not cancelled", with(as(PurposeBookingNotice, ChannelSMS), func(f *Facts) { f.Notice = NoticeCancellation }),
			"Not sent: the appointment is no longer cancelled (status booked), so this cancellation notice is out of date."},
		{"reason", with(reminderSMS(), func(f *Facts) { f.Switches.Reason = false }), "Not sent: notifications are switched off for this appointment's reason."},
		{"agenda", with(as(PurposeReminder, ChannelEmail), func(f *Facts) { f.Switches.Agenda = false }), "Not sent: notifications by e-mail are switched off for this agenda."},
		{"patient", with(reminderSMS(), func(f *Facts) { f.Switches.Patient = false }), "Not sent: notifications are switched off for this patient."},
		{"opted out of reminders", with(reminderSMS(), func(f *Facts) {
			f.Consents = []Record{rec(ChannelSMS, PurposeReminder, false, SourceDashboard, 90*time.Minute)}
		}), "Not sent: the patient opted out of reminders by SMS through the dashboard (1 hour ago)."},
		{"STOP", with(as(PurposeRecall, ChannelSMS), func(f *Facts) {
			f.Consents = []Record{rec(ChannelSMS, PurposeAll, false, SourceSMS, 5*time.Minute)}
		}), "Not sent: the patient opted out of all messages by SMS through an SMS reply (5 minutes ago)."},
		{"PMS", with(reminderSMS(), pmsOut), "Not sent: the patient is opted out in the clinical software (read 2 days ago) and this database respects it."},
		{"PMS never read", with(reminderSMS(), func(f *Facts) { pmsOut(f); f.PMS.ReadAt = time.Time{} }),
			"Not sent: the patient is opted out in the clinical software (read at an unknown time) and this database respects it."},
		{"no mobile", with(reminderSMS(), func(f *Facts) { f.Mobile = Missing }), "Skipped: no destination, the patient has no mobile number."},
		{"invalid mobile", with(reminderSMS(), func(f *Facts) { f.Mobile = Invalid }), "Skipped: no destination, the patient's mobile number cannot receive SMS."},
		{"no e-mail", with(as(PurposeInvite, ChannelEmail), func(f *Facts) { f.Email = Missing }), "Skipped: no destination, the patient has no e-mail address."},
		{"invalid e-mail", with(as(PurposeInvite, ChannelEmail), func(f *Facts) { f.Email = Invalid }), "Skipped: no destination, the patient's e-mail address is not valid."},
		{"no push", with(as(PurposeMessageAlert, ChannelPush), func(f *Facts) { f.Push = Missing }), "Skipped: no destination, the patient has no push subscription."},
		{"expired push", with(as(PurposeMessageAlert, ChannelPush), func(f *Facts) { f.Push = Invalid }), "Skipped: no destination, the patient's push subscription has expired."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, Decide(c.facts).Text(now)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestAge(t *testing.T) {
	for _, c := range []struct {
		ago  time.Duration
		want string
	}{
		{-time.Hour, "just now"}, {0, "just now"}, {59 * time.Second, "just now"}, {time.Minute, "1 minute ago"},
		{119 * time.Second, "1 minute ago"}, {2 * time.Minute, "2 minutes ago"}, {59 * time.Minute, "59 minutes ago"},
		{time.Hour, "1 hour ago"}, {2 * time.Hour, "2 hours ago"}, {23*time.Hour + 59*time.Minute, "23 hours ago"},
		{24 * time.Hour, "1 day ago"}, {47 * time.Hour, "1 day ago"}, {48 * time.Hour, "2 days ago"}, {400 * 24 * time.Hour, "400 days ago"},
	} {
		if got := Age(now.Add(-c.ago), now); got != c.want {
			t.Errorf("Age(now-%v) = %q, want %q", c.ago, got, c.want)
		}
	}
	if got := Age(time.Time{}, now); got != "at an unknown time" {
		t.Errorf("Age(zero) = %q", got)
	}
}

// TestKeys: every sentence Text can produce is built from Keys (so the catalog can translate
// it), and every message key has as many placeholders as its arguments.
func TestKeys(t *testing.T) {
	keys := map[string]bool{}
	for _, k := range Keys() {
		if keys[k] {
			t.Errorf("key listed twice: %q", k)
		}
		keys[k] = true
	}
	for _, st := range clinic.Statuses() {
		keys[string(st)] = true // status values are keys of the catalog already
	}
	ages := map[string]bool{AgeMinutes: true, AgeHours: true, AgeDays: true}
	for _, f := range matrixFacts() {
		m := Decide(f.facts).Explain(now)
		if !keys[m.Key] {
			t.Errorf("%s: key %q is not in Keys()", f.name, m.Key)
		}
		if got := catalogArgs(m.Key, m.String()); len(m.Args) > 0 && !cmp.Equal(got, m.Args) {
			t.Errorf("%s: the catalog would read the arguments of %q as %q", f.name, m.String(), got)
		}
		for _, a := range m.Args {
			if keys[a] {
				continue
			}
			ok := false
			for k := range ages {
				if n := len(k) - len("{0}"); len(a) > n && a[len(a)-n:] == k[3:] {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s: argument %q is not a key", f.name, a)
			}
		}
	}
}

// catalogArgs reads the arguments back from text the way internal/i18n matches a stored
// English text against a key with placeholders (lazy groups, anchored), so that an
// ambiguous sentence ("through {2} {3}") fails here rather than in French.
func catalogArgs(key, text string) []string {
	var b strings.Builder
	b.WriteString("^")
	rest := key
	for {
		i := strings.Index(rest, "{")
		if i < 0 || i+2 >= len(rest) || rest[i+2] != '}' {
			break
		}
		b.WriteString(regexp.QuoteMeta(rest[:i]))
		b.WriteString("(.+?)")
		rest = rest[i+3:]
	}
	b.WriteString(regexp.QuoteMeta(rest) + "$")
	m := regexp.MustCompile(b.String()).FindStringSubmatch(text)
	if m == nil {
		return nil
	}
	return m[1:]
}
