package consent

import (
	"slices"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/tidings-health/tidings/internal/clinic"
)

// Generators draw any Facts, valid or not (a few values are outside the enums), so that the
// properties below hold for everything Decide may be given.

var (
	anyPurpose = rapid.SampledFrom(append(Purposes(), PurposeAll, "newsletter"))
	anyChannel = rapid.SampledFrom(append(Channels(), "fax"))
	anyNotice  = rapid.SampledFrom(append(Notices(), ""))
	anyDest    = rapid.SampledFrom([]Destination{Missing, Invalid, Valid, Valid, Valid})
	anyProfile = rapid.SampledFrom(clinic.SoftwareProfiles())
	anyBy      = rapid.SampledFrom([]clinic.BookedBy{clinic.BookedByStaff, clinic.BookedByPatient, clinic.BookedBySync})
	anyStatus  = rapid.SampledFrom(clinic.Statuses())
	anySource  = rapid.SampledFrom(Sources())
	recPurpose = rapid.SampledFrom(append(Purposes(), PurposeAll, PurposeAll))
	// Times on a coarse grid of minutes, so that records often tie.
	anyAt = rapid.Custom(func(t *rapid.T) time.Time {
		return now.Add(-time.Duration(rapid.IntRange(0, 20).Draw(t, "minutes")) * time.Minute)
	})
)

func genRecord(t *rapid.T) Record {
	return Record{
		Channel: rapid.SampledFrom(Channels()).Draw(t, "rec.channel"),
		Purpose: recPurpose.Draw(t, "rec.purpose"),
		OptIn:   rapid.Bool().Draw(t, "rec.opt_in"),
		Source:  anySource.Draw(t, "rec.source"),
		Actor:   rapid.SampledFrom([]string{"user:1", "patient:2", "system:sms"}).Draw(t, "rec.actor"),
		At:      anyAt.Draw(t, "rec.at"),
	}
}

func genPMS(t *rapid.T) PMS {
	p := PMS{
		Respect:  rapid.Bool().Draw(t, "pms.respect"),
		Profile:  anyProfile.Draw(t, "pms.profile"),
		OptedOut: rapid.Bool().Draw(t, "pms.opted_out"),
	}
	if rapid.Bool().Draw(t, "pms.read") {
		p.ReadAt = anyAt.Draw(t, "pms.read_at")
	}
	return p
}

func genFacts(t *rapid.T) Facts {
	var f Facts
	if rapid.IntRange(0, 20).Draw(t, "invalid?") == 0 {
		f.Purpose, f.Channel = anyPurpose.Draw(t, "purpose"), anyChannel.Draw(t, "channel")
	} else {
		f.Purpose, f.Channel = rapid.SampledFrom(Purposes()).Draw(t, "purpose"), rapid.SampledFrom(Channels()).Draw(t, "channel")
		if f.Purpose == PurposeReply && rapid.Bool().Draw(t, "reply by sms") {
			f.Channel = ChannelSMS
		}
	}
	f.Notice = anyNotice.Draw(t, "notice")
	f.Mobile, f.Email, f.Push = anyDest.Draw(t, "mobile"), anyDest.Draw(t, "email"), anyDest.Draw(t, "push")
	f.PMS = genPMS(t)
	f.Consents = rapid.SliceOfN(rapid.Custom(genRecord), 0, 6).Draw(t, "consents")
	f.Switches = Switches{Agenda: rapid.Bool().Draw(t, "agenda"), Reason: rapid.Bool().Draw(t, "reason"), Patient: rapid.Bool().Draw(t, "patient")}
	f.BookedBy = anyBy.Draw(t, "booked_by")
	f.Status = anyStatus.Draw(t, "status")
	return f
}

// withNewest appends a Tidings-side record for the message's channel and purpose (or all),
// newer than every other: by CON-3 it decides.
func withNewest(t *rapid.T, f Facts, optIn bool) Facts {
	at := now.Add(-30 * time.Minute)
	for _, r := range f.Consents {
		if r.At.After(at) {
			at = r.At
		}
	}
	scope := rapid.SampledFrom([]Purpose{f.Purpose, PurposeAll}).Draw(t, "scope")
	src := rapid.SampledFrom([]Source{SourceDashboard, SourcePortal, SourceSMS, SourceAPI, SourceImport}).Draw(t, "source")
	f.Consents = append(slices.Clone(f.Consents), Record{Channel: f.Channel, Purpose: scope, OptIn: optIn, Source: src, Actor: "user:9", At: at.Add(time.Minute)})
	return f
}

func valid(d Decision) bool { return d.Outcome != OutcomeInvalidFacts }

// CON-3: a Tidings-side opt-out always wins over the PMS: not sent, whatever the PMS says.
func TestPropTidingsOptOutWins(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := withNewest(t, genFacts(t), false)
		d := Decide(f)
		if !valid(d) || !f.Purpose.Consentable() {
			return
		}
		if d.Allowed || d.Outcome == OutcomeOptedOutPMS {
			t.Fatalf("opt-out in Tidings, yet %s\n%s", d.Outcome, lines(d))
		}
		g := f
		g.PMS = genPMS(t)
		if e := Decide(g); e.Allowed != d.Allowed || e.Outcome != d.Outcome {
			t.Fatalf("the PMS changed the decision: %s -> %s", d.Outcome, e.Outcome)
		}
	})
}

// CON-3: a Tidings-side opt-in wins over a PMS opt-out: the decision is the one without it.
func TestPropTidingsOptInWins(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := withNewest(t, genFacts(t), true)
		f.PMS.OptedOut = true
		d := Decide(f)
		if !valid(d) || !f.Purpose.Consentable() {
			return
		}
		if d.Outcome == OutcomeOptedOutPMS {
			t.Fatalf("opt-in in Tidings, yet opted_out_pms\n%s", lines(d))
		}
		g := f
		g.PMS.OptedOut = false
		if e := Decide(g); e.Allowed != d.Allowed || e.Outcome != d.Outcome {
			t.Fatalf("the PMS opt-out changed the decision: %s -> %s", e.Outcome, d.Outcome)
		}
	})
}

// CON-6 (and CON-8 does not relax it): the reason switch always suppresses the messages it
// covers, whoever booked.
func TestPropReasonSwitchSuppresses(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := genFacts(t)
		f.Purpose = rapid.SampledFrom([]Purpose{PurposeReminder, PurposeBookingNotice, PurposeWaitlistOffer}).Draw(t, "appointment purpose")
		f.Switches.Reason = false
		if d := Decide(f); d.Allowed {
			t.Fatalf("reason switched off, yet allowed\n%s", lines(d))
		}
	})
}

// CON-8: for an appointment the patient booked online, the agenda and patient switches do
// not change the decision.
func TestPropOnlineBookingIgnoresAgendaAndPatientSwitches(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := genFacts(t)
		f.BookedBy = clinic.BookedByPatient
		g := f
		g.Switches.Agenda, g.Switches.Patient = rapid.Bool().Draw(t, "agenda2"), rapid.Bool().Draw(t, "patient2")
		if d, e := Decide(f), Decide(g); d.Allowed != e.Allowed || d.Outcome != e.Outcome {
			t.Fatalf("switches changed an online booking's decision: %s -> %s", d.Outcome, e.Outcome)
		}
	})
}

// NOT-5: no decision allows a channel without a valid destination; and nothing invalid is
// ever allowed.
func TestPropNoDestinationNoSend(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := genFacts(t)
		d := Decide(f)
		if d.Allowed && f.destination() != Valid {
			t.Fatalf("allowed on %s with destination %s", f.Channel, f.destination())
		}
		if d.Allowed && (!f.Purpose.Valid() || !f.Channel.Valid()) {
			t.Fatalf("allowed with purpose %q channel %q", f.Purpose, f.Channel)
		}
	})
}

// CON-9: the trace is complete and agrees with the outcome: eight steps in rule order for
// valid facts, allowed iff no step blocks, the outcome's rule is the first that blocks.
func TestPropTraceAgreesWithOutcome(t *testing.T) {
	order := []string{"FACTS"}
	for _, r := range Rules() {
		order = append(order, r.ID)
	}
	rapid.Check(t, func(t *rapid.T) {
		d := Decide(genFacts(t))
		if !valid(d) {
			if d.Len() != 1 || d.Allowed || d.Rule != "FACTS" {
				t.Fatalf("invalid facts: %v\n%s", d.Allowed, lines(d))
			}
			return
		}
		if d.Len() != len(order) {
			t.Fatalf("%d steps", d.Len())
		}
		first := ""
		for i, s := range d.Steps() {
			if s.Rule != order[i] {
				t.Fatalf("step %d is %s, want %s", i, s.Rule, order[i])
			}
			if s.Result != Pass && s.Result != Block && s.Result != Skip {
				t.Fatalf("step %d has no result", i)
			}
			if s.Result == Block && first == "" {
				first = s.Rule
			}
		}
		if d.Allowed != (first == "") || d.Rule != first || (d.Allowed != (d.Outcome == OutcomeAllowed)) {
			t.Fatalf("allowed=%v outcome=%s rule=%q, first block %q\n%s", d.Allowed, d.Outcome, d.Rule, first, lines(d))
		}
	})
}

// The decision depends on nothing but Facts: not on the order of the consent records, and
// Decide does not change them.
func TestPropOnlyFacts(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := genFacts(t)
		before := slices.Clone(f.Consents)
		d := Decide(f)
		if !slices.Equal(before, f.Consents) {
			t.Fatal("Decide changed the consent records")
		}
		g := f
		g.Consents = slices.Clone(f.Consents)
		perm := rapid.Permutation(g.Consents).Draw(t, "permutation")
		g.Consents = perm
		if e := Decide(g); e != d {
			t.Fatalf("the order of the records changed the decision\n%s\n%s", lines(d), lines(e))
		}
		if e := Decide(f); e != d {
			t.Fatal("the same facts gave another decision")
		}
	})
}

// Same Facts, same Decision: on other goroutines at the same time, and later (Decide reads
// no clock: the wall clock has moved on and the decisions, traces and texts are the same).
func TestSameFactsSameDecisionAcrossGoroutinesAndTime(t *testing.T) {
	facts := matrixFacts()
	first := make([]Decision, len(facts))
	for i, f := range facts {
		first[i] = Decide(f.facts)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			for i, f := range facts {
				if Decide(f.facts) != first[i] {
					errs <- f.name
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for name := range errs {
		t.Errorf("another goroutine got another decision for %s", name)
	}
	time.Sleep(1100 * time.Millisecond) // past a second boundary, and any minute rounding of "now"
	for i, f := range facts {
		if d := Decide(f.facts); d != first[i] || d.Text(now) != first[i].Text(now) {
			t.Errorf("a second later, another decision for %s", f.name)
		}
	}
}
